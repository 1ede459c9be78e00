// tboot VLP decoder (libpolicy vlp::decode, docs/reference/vlp.md §2/§4).
// Properties:
//  * decode -> encode reproduces the policy's bytes exactly (the decoder keeps every field,
//    reserved included) and decode(encode(p)) encodes the same bytes again;
//  * the launcher's decision (launch::evaluate with the bytes as read from NV, capped at 2124
//    bytes like tboot's buffer) uses the NV policy exactly when vlp::decode accepts those bytes,
//    and then the policy in force is that policy; otherwise the built-in default;
//  * tb_polgen --show (tb_polgen_text) calls the policy valid exactly when decode does, and the
//    tlaunch JSON/text renderers accept every decoded policy;
//  * the editing operations keep the model consistent: deleting and re-inserting an entry with
//    its hashes gives back the same bytes.
#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/sha2.h"
#include "tlaunch/policy/vlp.h"

using namespace tlaunch;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::encode_vlp;
using tlaunch::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto d = vlp::decode(in);

  // tb_polgen --show decides validity with the same rules.
  host::PolicyText text = host::tb_polgen_text(in);
  FUZZ_CHECK(text.valid == d.ok());

  // What the launcher sees: tboot reads at most MAX_TB_POLICY_SIZE bytes of the index.
  const ByteSpan nv(data, size < vlp::kMaxPolicySize ? size : vlp::kMaxPolicySize);
  auto dn = vlp::decode(nv);
  {
    SoftHasher h;
    launch::Config cfg;
    launch::Input li;
    li.source = launch::PolicySource::kNvRead;
    li.policy_bytes = nv;
    li.loader_ok = false;        // no modules: the decision stops after the policy step
    static launch::Outcome out;  // large (events, steps): keep it off the fuzzer's stack
    out = launch::Outcome();
    FUZZ_CHECK(launch::evaluate(h, cfg, li, &out).ok());
    FUZZ_CHECK(out.policy_from_nv == dn.ok());
    if (dn.ok()) {
      FUZZ_CHECK(encode_vlp(out.policy) == encode_vlp(*dn));
    } else {
      tlaunch::fuzz::check_error(out.policy_error, nv.size);
      FUZZ_CHECK(encode_vlp(out.policy) == encode_vlp(vlp::default_policy(true)));
    }
  }

  if (!d.ok()) {
    tlaunch::fuzz::check_error(d.error(), size);
    return 0;
  }
  const vlp::Policy& p = *d;
  FUZZ_CHECK(p.size() <= size && p.size() <= vlp::kMaxPolicySize);
  const Bytes enc = encode_vlp(p);
  FUZZ_CHECK(same(fuzz::span(enc), ByteSpan(data, enc.size())));
  auto again = vlp::decode(fuzz::span(enc));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(encode_vlp(*again) == enc);
  // A policy that fits the 2124-byte buffer decodes the same way from it.
  FUZZ_CHECK(dn.ok() && encode_vlp(*dn) == enc);

  // Renderers of tlaunch vlp show (human text and --json) on any valid policy.
  (void)host::vlp_human_text(p, "fuzz.pol", size);
  (void)host::vlp_json(p, "fuzz.pol", size).dump();

  // Edit round trip: remove the last entry, put it back with its hashes.
  if (p.num_entries() > 0) {
    vlp::Policy q = p;
    const size_t last = q.num_entries() - 1;
    const vlp::Entry e = q.entry(last);
    Bytes hashes;
    for (size_t j = 0; j < e.num_hashes; ++j) {
      ByteSpan hs = q.hash(last, j);
      hashes.insert(hashes.end(), hs.data, hs.data + hs.size);
    }
    FUZZ_CHECK(q.del_entry(last).ok());
    FUZZ_CHECK(q.size() == p.size() - vlp::kEntryHeaderSize - e.num_hashes * p.digest_size());
    auto idx = q.add_entry(e);
    FUZZ_CHECK(idx.ok() && *idx == last);
    q.entry(last).nv_index = e.nv_index;
    const size_t hs = p.digest_size();
    for (size_t j = 0; j < e.num_hashes; ++j)
      FUZZ_CHECK(q.add_hash(last, ByteSpan(hashes.data() + j * hs, hs)).ok());
    FUZZ_CHECK(encode_vlp(q) == enc);
  }
  return 0;
}
