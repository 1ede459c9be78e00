// LCP_POLICY_2 (the PO/PS index content; libpolicy lcp::decode_policy, docs/reference/lcp.md §3).
// The first input byte selects allow_trailing (bit 0: a policy read from a larger NV buffer).
//
// Properties:
//  * decode -> encode gives back the 38 + D bytes of the input, and they decode to the same
//    policy; without allow_trailing the input is exactly that long;
//  * allow_trailing only adds inputs: whatever decodes strictly decodes the same way with it;
//  * the upstream --show text renderer accepts every valid policy.
#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_list_text.h"
#include "tlaunch/policy/lcp_policy.h"

using namespace tlaunch;
using namespace tlaunch::lcp;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::same;

namespace {

Bytes encode_or_die(const Policy& p) {
  Bytes out(kPolicyFixedSize + kMaxDigestSize);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto n = encode_policy(w, p);
  FUZZ_CHECK(n.ok() && *n == p.size());
  out.resize(*n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const bool allow_trailing = fin.flag();
  const ByteSpan in = fin.rest();

  auto p = decode_policy(in, allow_trailing);
  auto lenient = decode_policy(in, true);
  if (!p.ok()) {
    tlaunch::fuzz::check_error(p.error(), in.size);
    return 0;
  }
  FUZZ_CHECK(lenient.ok());
  FUZZ_CHECK(p->digest_size() != 0 && p->reserved2 == 0);
  FUZZ_CHECK(allow_trailing ? p->size() <= in.size : p->size() == in.size);
  const Bytes enc = encode_or_die(*p);
  FUZZ_CHECK(same(tlaunch::fuzz::span(enc), in.subspan(0, enc.size())));
  auto again = decode_policy(tlaunch::fuzz::span(enc));
  FUZZ_CHECK(again.ok() && encode_or_die(*again) == enc);
  FUZZ_CHECK(encode_or_die(*lenient) == enc);
  (void)lcp::host::policy_text(*p, "    ");
  return 0;
}
