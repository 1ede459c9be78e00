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

Result<Digest> policy_control_value(Hasher& h, const vlp::Policy& policy, HashAlg cur_alg) {
  const uint8_t cur_size = digest_size(static_cast<uint16_t>(cur_alg));
  if (cur_size == 0) return make_error(Errc::kUnsupported, "unsupported hash algorithm");
  if (!(policy.policy_control & vlp::kCtlExtendPcr17)) {
    Digest zeros;
    zeros.alg = cur_alg;
    zeros.size = cur_size;
    return zeros;
  }
  uint8_t bytes[vlp::kMaxPolicySize];
  auto n = vlp::encode(policy, MutableByteSpan(bytes, sizeof(bytes)));
  if (!n.ok()) return n.error();
  return hash_once(h, cur_alg, ByteSpan(bytes, *n));
}

Result<Digest> policy_control_digest(Hasher& h, uint32_t policy_control, const Digest& value,
                                     HashAlg bank) {
  uint8_t buf[4 + kMaxDigestSize] = {};
  ByteWriter w(MutableByteSpan(buf, sizeof(buf)));
  w.le32(policy_control);
  w.bytes(value.span());
  TLAUNCH_TRY(w.status());
  return hash_once(h, bank, w.written());
}

Result<Digest> policy_control_measurement(Hasher& h, const vlp::Policy& policy, HashAlg cur_alg,
                                          HashAlg bank) {
  auto p = policy_control_value(h, policy, cur_alg);
  if (!p.ok()) return p.error();
  return policy_control_digest(h, policy.policy_control, *p, bank);
}

Result<Digest> pcr_extend(Hasher& h, const Digest& pcr, const Digest& digest) {
  TLAUNCH_TRY(h.begin(pcr.alg));
  h.update(pcr.span());
  h.update(digest.span());
  return h.finish();
}

}  // namespace tlaunch
