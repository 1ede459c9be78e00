// LCP_POLICY_DATA files (libpolicy lcp::decode_policy_data, docs/reference/lcp.md §4, §6).
//
// Properties:
//  * decode -> encode: the 36-byte header from encode_policy_data_header() followed by the raw
//    bytes of every decoded list, back to back, is the input byte for byte;
//  * every list of the file decodes on its own, as a list file, to the same list;
//  * the PolicyHash over the lists can be computed, and it equals the hash recomputed from the
//    lists decoded on their own (one definition of the list measurement);
//  * the upstream --show text renderer accepts every valid data file.
#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_list_text.h"
#include "tlaunch/policy/lcp_policy.h"
#include "tlaunch/policy/sha2.h"

using namespace tlaunch;
using namespace tlaunch::lcp;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::inside;
using tlaunch::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto d = decode_policy_data(in);
  if (!d.ok()) {
    tlaunch::fuzz::check_error(d.error(), size);
    FUZZ_CHECK(d.error().item < static_cast<int32_t>(kMaxLists));
    return 0;
  }
  FUZZ_CHECK(d->num_lists >= 1 && d->num_lists <= kMaxLists);

  Bytes enc(kPolicyDataHeaderSize);
  ByteWriter w(MutableByteSpan(enc.data(), enc.size()));
  FUZZ_CHECK(encode_policy_data_header(w, d->num_lists).ok());
  ListView alone[kMaxLists];
  for (size_t i = 0; i < d->num_lists; ++i) {
    const ListView& l = d->lists[i];
    FUZZ_CHECK(inside(l.raw, in));
    FUZZ_CHECK(l.offset == enc.size());
    FUZZ_CHECK(l.version == d->lists[0].version);
    enc.insert(enc.end(), l.raw.begin(), l.raw.end());
    auto a = decode_list_file(l.raw);
    FUZZ_CHECK(a.ok());
    FUZZ_CHECK(a->element_count == l.element_count && same(a->elements, l.elements) &&
               same(list_measured_bytes(*a), list_measured_bytes(l)));
    alone[i] = *a;
  }
  FUZZ_CHECK(same(tlaunch::fuzz::span(enc), in));

  SoftHasher h;
  auto ph = policy_hash(h, HashAlg::kSha256, *d);
  auto ph2 = policy_hash(h, HashAlg::kSha256, alone, d->num_lists);
  FUZZ_CHECK(ph.ok() && ph2.ok() && *ph == *ph2);
  (void)lcp::host::policy_data_text(*d, "    ", false);
  return 0;
}
