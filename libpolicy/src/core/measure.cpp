#include "tlaunch/policy/measure.h"

#include "tlaunch/policy/bytes.h"

namespace tlaunch {

Result<Digest> module_measurement(Hasher& h, HashAlg alg, ByteSpan cmdline, const Digest& image) {
  auto dc = hash_once(h, alg, cmdline);
  if (!dc.ok()) return dc.error();
  TLAUNCH_TRY(h.begin(alg));
  h.update(dc->span());
  h.update(image.span());
  return h.finish();
}

Result<Digest> policy_control_measurement(Hasher& h, const vlp::Policy& policy, HashAlg cur_alg,
                                          HashAlg bank) {
  uint8_t buf[4 + kMaxDigestSize] = {};
  ByteWriter w(MutableByteSpan(buf, sizeof(buf)));
  w.le32(policy.policy_control);
  const uint8_t cur_size = digest_size(static_cast<uint16_t>(cur_alg));
  if (cur_size == 0) return make_error(Errc::kUnsupported, "unsupported hash algorithm");
  if (policy.policy_control & vlp::kCtlExtendPcr17) {
    uint8_t bytes[vlp::kMaxPolicySize];
    auto n = vlp::encode(policy, MutableByteSpan(bytes, sizeof(bytes)));
    if (!n.ok()) return n.error();
    auto p = hash_once(h, cur_alg, ByteSpan(bytes, *n));
    if (!p.ok()) return p.error();
    w.bytes(p->span());
  } else {
    w.zeros(cur_size);
  }
  return hash_once(h, bank, w.written());
}

Result<Digest> pcr_extend(Hasher& h, const Digest& pcr, const Digest& digest) {
  TLAUNCH_TRY(h.begin(pcr.alg));
  h.update(pcr.span());
  h.update(digest.span());
  return h.finish();
}

}  // namespace tlaunch
