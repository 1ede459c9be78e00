// The launcher's event data in the TCG log (libpolicy launch_log.h, docs/reference/eventlog.md
// §4): decode_launch_data on arbitrary bytes.
// Properties:
//  * a rejected input names a field and an offset inside it (decoded at a base offset, as inside
//    a log);
//  * an accepted input encodes back to exactly its bytes (encode_launch_data), and its text lies
//    inside the input;
//  * check_launch_event on a synthetic event carrying the data's own recomputed digests passes,
//    and fails once one digest byte changes.
#include "fuzz.h"
#include "tlaunch/policy/launch_log.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/sha2.h"

using namespace tlaunch;
using tlaunch::fuzz::Bytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  constexpr uint32_t kBase = 1000;
  auto d = launch::decode_launch_data(in, kBase);
  if (!d.ok()) {
    FUZZ_CHECK(d.error().field != nullptr);
    FUZZ_CHECK(d.error().offset >= kBase && d.error().offset <= kBase + size);
    return 0;
  }
  FUZZ_CHECK(fuzz::inside(d->text, in));
  Bytes out(size + 16);
  auto enc = launch::encode_launch_data(*d, MutableByteSpan(out.data(), out.size()));
  FUZZ_CHECK(enc.ok());
  FUZZ_CHECK(fuzz::same(*enc, in));

  // An event whose digests are what the data describes (SHA-2 banks only: the launcher's hasher).
  SoftHasher h;
  eventlog::Event ev;
  const HashAlg banks[] = {HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};
  for (HashAlg b : banks) {
    Result<Digest> m = make_error(Errc::kInternal, "unset");
    if (d->kind == launch::EventKind::kPolicyControl) {
      m = policy_control_digest(h, d->value, d->components[0], b);
    } else {
      const Digest* image = d->component(b);
      if (image == nullptr) continue;
      m = module_measurement(h, b, d->text, *image);
    }
    FUZZ_CHECK(m.ok());
    ev.digests[ev.num_digests++] = *m;
  }
  if (ev.num_digests == 0) return 0;
  FUZZ_CHECK(launch::check_launch_event(h, ev, *d).ok());
  ev.digests[0].bytes[0] ^= 1;
  FUZZ_CHECK(!launch::check_launch_event(h, ev, *d).ok());
  return 0;
}
