// The GRUB 2.06 decompression chain of `tlaunch hash` and `tlaunch build` (libpolicy
// host/decompress.h: our own gzip member/xz stream-index-footer/lzop header-block parsers around
// zlib, liblzma and liblzo2). A kernel or initrd is attacker-controlled input to every reference
// hash we publish.
//
// Input layout: byte 0 flags (bit 0 allow_fallback, bits 1-2 mode: 0 = the rest is the file, else
// the rest is a payload this target compresses; bit 3 nest two codecs), byte 1 codec choices,
// byte 2 check choices, u16 chunk size, byte damage count, damage ops (kind, u32 position, byte),
// then the payload/file.
//
// Properties:
//  * chunking does not change the outcome: the whole file in one push and in fuzzer-chosen pieces
//    give the same success/failure, error code, loaded bytes, size and layers;
//  * once failed() says the outcome is an error, it is; passthrough() means "no filter applies"
//    and the loaded bytes are the file;
//  * the bytes handed over always have the size the result announces, failures name the file;
//  * without allow_fallback a success is never a fallback (warnings only remark on bytes GRUB
//    ignores, such as data after a gzip member), and a stream
//    compressed here with an integrity check (gzip CRC32, xz CRC32/CRC64/SHA-256, lzop
//    Adler-32/CRC32 of the data), however damaged, either decodes to the original payload, is
//    plain data (no filter's magic left), or is an error: never other content.
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "../common/compressed_streams.h"
#include "fuzz.h"
#include "tlaunch/policy/host/grubio/decompress.h"

using tlaunch::fuzz::Bytes;
using namespace tlaunch;
using namespace tlaunch::host;

namespace {

class VectorSink final : public ByteSink {
 public:
  void write(ByteSpan d) override { bytes.insert(bytes.end(), d.data, d.data + d.size); }
  Bytes bytes;
};

struct Run {
  bool ok = false;
  Errc code = Errc::kOk;
  std::string message;
  GrubChainResult result;
  Bytes loaded;
  bool failed_early = false;  // failed() was true at some point
  bool passthrough = false;   // passthrough() at the end of input
};

Run run_chain(const Bytes& in, bool allow, size_t chunk) {
  VectorSink out, tap1, tap2;
  GrubChainOptions o;
  o.allow_fallback = allow;
  o.name = "vmlinuz";
  GrubFilterChain chain(out, o, {nullptr, &tap1, &tap2});
  Run run;
  if (chunk == 0) chunk = in.size() + 1;
  for (size_t off = 0; off < in.size(); off += chunk) {
    chain.push(ByteSpan(in.data() + off, std::min(chunk, in.size() - off)));
    if (chain.failed()) run.failed_early = true;
  }
  run.passthrough = chain.passthrough();
  auto r = chain.finish();
  if (!r) {
    run.code = r.failure().code;
    run.message = r.failure().message;
    return run;
  }
  run.ok = true;
  run.result = *r;
  switch (r->loaded_from) {
    case -1:
      run.loaded = out.bytes;
      break;
    case 0:
      run.loaded = in;
      break;
    case 1:
      run.loaded = tap1.bytes;
      break;
    case 2:
      run.loaded = tap2.bytes;
      break;
    default:
      tlaunch::fuzz::fuzz_fail(__FILE__, __LINE__, "loaded_from out of range");
  }
  return run;
}

bool same_layers(const std::vector<FilterLayer>& a, const std::vector<FilterLayer>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].codec != b[i].codec || a[i].decompressed != b[i].decompressed ||
        a[i].input_size != b[i].input_size || a[i].output_size != b[i].output_size)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const uint8_t flags = fin.u8();
  const uint8_t codecs = fin.u8();
  const uint8_t checks = fin.u8();
  const size_t chunk = fin.u16();
  const bool allow = (flags & 1) != 0;
  const bool generate = (flags & 6) != 0;
  const bool nest = (flags & 8) != 0;
  struct Damage {
    uint8_t kind;
    uint32_t pos;
    uint8_t value;
  };
  std::vector<Damage> damage(fin.u8() % 5);
  for (Damage& d : damage) d = {fin.u8(), fin.u32(), fin.u8()};
  const ByteSpan rest = fin.rest();
  const Bytes payload(rest.data, rest.data + rest.size);

  Bytes file = payload;
  bool checked = false;  // every layer has an integrity check over the payload
  bool plain_payload = false;
  std::vector<Codec> built;
  if (generate) {
    // GRUB applies gzio, xzio, lzopio in that order: a nested file decodes twice only when the
    // outer codec comes earlier in that order.
    Codec outer = static_cast<Codec>(codecs % 3), inner = static_cast<Codec>((codecs / 3) % 3);
    if (nest && outer > inner) std::swap(outer, inner);
    std::vector<Codec> layers = {outer};
    if (nest && inner != outer) layers.insert(layers.begin(), inner);  // innermost first
    checked = true;
    for (Codec c : layers) {
      switch (c) {
        case Codec::kGzip: {
          testing::GzOpts g;
          g.level = checks % 10;
          file = testing::gzip(file, g);
          break;
        }
        case Codec::kXz: {
          static constexpr lzma_check kChecks[] = {LZMA_CHECK_CRC32, LZMA_CHECK_CRC64,
                                                   LZMA_CHECK_SHA256, LZMA_CHECK_NONE};
          const lzma_check ck = kChecks[(checks >> 4) & 3];
          if (ck == LZMA_CHECK_NONE) checked = false;
          // A small dictionary keeps the encoder's set-up cheap per execution.
          file = testing::xz(file, ck, (checks & 0x40) ? LZMA_FILTER_X86 : LZMA_VLI_UNKNOWN,
                             1u << 16, 0);
          break;
        }
        case Codec::kLzop: {
          // Flag sets lzop writes (a data check always, when any; a compressed-data check only
          // with one: GRUB reuses the data check for stored blocks and fails without it).
          static constexpr uint32_t kFlags[] = {0x1, 0x100, 0x3, 0x1301, 0x0, 0x1303};
          const uint32_t f = kFlags[(checks >> 2) % 6];
          if ((f & 0x101) == 0) checked = false;
          testing::LzopOpts lo;
          lo.flags = f;
          lo.block = 512 + static_cast<size_t>(checks & 3) * 4096;
          file = testing::lzop(file, lo);
          break;
        }
      }
      built.insert(built.begin(), c);  // outermost first
    }
    const bool pristine = damage.empty();
    for (const Damage& d : damage) {
      switch (d.kind % 4) {
        case 0:
          if (!file.empty()) file[d.pos % file.size()] ^= static_cast<uint8_t>(d.value | 1);
          break;
        case 1:
          file.resize(d.pos % (file.size() + 1));
          break;
        case 2:
          file.insert(file.end(), 1 + d.value % 64, static_cast<uint8_t>(d.pos));
          break;
        default:
          file.insert(file.begin() + static_cast<std::ptrdiff_t>(d.pos % (file.size() + 1)),
                      d.value);
      }
    }
    // The payload-based properties hold when no filter recognises the payload itself (a payload
    // that is an xz stream inside the gzip layer built here is decoded again, or falls back).
    const Run alone = run_chain(payload, false, 0);
    plain_payload = alone.ok && alone.result.layers.empty();
    if (pristine && plain_payload) {
      // An undamaged stream decodes to the payload in every mode, layer by layer.
      const Run r = run_chain(file, allow, chunk);
      FUZZ_CHECK(r.ok);
      FUZZ_CHECK(r.loaded == payload);
      FUZZ_CHECK(r.result.loaded_from == -1 && r.result.warnings.empty());  // nothing to remark
      FUZZ_CHECK(r.result.layers.size() == built.size());
      for (size_t i = 0; i < built.size(); ++i)
        FUZZ_CHECK(r.result.layers[i].codec == built[i] && r.result.layers[i].decompressed);
    }
  }

  const Run whole = run_chain(file, allow, 0);
  const Run pieces = run_chain(file, allow, chunk == 0 ? 1 : chunk);

  for (const Run* r : {&whole, &pieces}) {
    if (r->failed_early) FUZZ_CHECK(!r->ok);
    if (r->passthrough) FUZZ_CHECK(r->ok && r->result.layers.empty() && r->loaded == file);
    if (!r->ok) {
      FUZZ_CHECK(r->code != Errc::kOk);
      FUZZ_CHECK(r->message.rfind("vmlinuz", 0) == 0);
      continue;
    }
    FUZZ_CHECK(r->loaded.size() == r->result.loaded_size);
    if (r->result.layers.empty()) FUZZ_CHECK(r->loaded == file);
    if (!allow) {
      FUZZ_CHECK(r->result.loaded_from == -1);
      for (const FilterLayer& l : r->result.layers) FUZZ_CHECK(l.decompressed);
      if (generate && checked && plain_payload)
        FUZZ_CHECK(r->loaded == payload || (r->result.layers.empty() && r->loaded == file));
    }
  }

  FUZZ_CHECK(whole.ok == pieces.ok);
  if (whole.ok) {
    FUZZ_CHECK(whole.loaded == pieces.loaded);
    FUZZ_CHECK(whole.result.loaded_from == pieces.result.loaded_from);
    FUZZ_CHECK(same_layers(whole.result.layers, pieces.result.layers));
    FUZZ_CHECK(whole.result.warnings.size() == pieces.result.warnings.size());
  } else {
    FUZZ_CHECK(whole.code == pieces.code);
  }
  return 0;
}
