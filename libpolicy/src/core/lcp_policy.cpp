// LCP_POLICY_2, LCP_POLICY_DATA and PolicyHash (docs/reference/lcp.md §3, §4, §6).
#include "tlaunch/policy/lcp_policy.h"

#include "tlaunch/policy/hash_alg.h"

namespace tlaunch::lcp {
namespace {

Error at_value(Errc code, const char* message, const char* field, uint32_t offset, uint64_t value) {
  return with_value(make_error(code, message, field, offset), value);
}

}  // namespace

// A policy's PolicyHash may be any algorithm of the digest-size table but SHA-1
// (docs/reference/lcp.md §3).
uint8_t policy_hash_size(uint16_t hash_alg) {
  const uint8_t d = hash_alg == kAlgSha1 ? 0 : digest_size(hash_alg);
  // The table never holds more than kMaxDigestSize; saying so here lets GCC bound the copies
  // into policy_hash (at -O2 it cannot see into digest_size() and warns of an overflow).
  return d <= kMaxDigestSize ? d : 0;
}

Result<Policy> decode_policy(ByteSpan in, bool allow_trailing) {
  // Field offsets: docs/reference/lcp.md §3 table.
  if (in.size < kPolicyFixedSize)
    return at_value(Errc::kTruncated, "policy is smaller than its 38-byte fixed part", "size",
                    static_cast<uint32_t>(in.size), in.size);
  ByteReader r(in);
  Policy p;
  p.version = *r.le16("Version");
  if (p.version < kPolicyVersion30 || (p.version >> 8) != 3)
    return at_value(Errc::kUnsupported, "unsupported policy version (3.x expected)", "Version", 0,
                    p.version);
  p.hash_alg = *r.le16("HashAlg");
  if (p.digest_size() == 0)
    return at_value(Errc::kUnsupported, "unsupported policy hash algorithm", "HashAlg", 2,
                    p.hash_alg);
  p.policy_type = *r.u8("PolicyType");
  if (p.policy_type != kPolicyTypeList && p.policy_type != kPolicyTypeAny)
    return at_value(Errc::kBadValue, "PolicyType must be 0 (list) or 1 (any)", "PolicyType", 4,
                    p.policy_type);
  p.sinit_min_version = *r.u8("SINITMinVersion");
  for (size_t i = 0; i < kRevocationCounters; ++i)
    p.data_revocation_counters[i] = *r.le16("DataRevocationCounters");
  p.policy_control = *r.le32("PolicyControl");
  p.max_sinit_min_ver = *r.u8("MaxSinitMinVer");
  p.max_biosac_min_ver = *r.u8("MaxBiosacMinVer");
  p.lcp_hash_alg_mask = *r.le16("LcpHashAlgMask");
  p.lcp_sign_alg_mask = *r.le32("LcpSignAlgMask");
  p.aux_hash_alg_mask = *r.le16("AuxHashAlgMask");
  p.reserved2 = *r.le16("Reserved2");
  if (p.reserved2 != 0)
    return at_value(Errc::kBadValue, "Reserved2 must be 0", "Reserved2", 36, p.reserved2);
  const size_t d = p.digest_size();
  if (r.remaining() < d)
    return at_value(Errc::kTruncated, "policy ends inside PolicyHash", "PolicyHash",
                    static_cast<uint32_t>(kPolicyFixedSize), in.size);
  auto hash = r.bytes(d, "PolicyHash");
  copy_bytes(p.policy_hash, hash->data, d);
  if (!allow_trailing && !r.at_end())
    return at_value(Errc::kTooLarge, "the input continues after the end of the policy", "size",
                    r.abs_offset(), in.size);
  return p;
}

Result<size_t> encode_policy(ByteWriter& w, const Policy& p) {
  const size_t d = p.digest_size();
  if (d == 0)
    return with_value(
        make_error(Errc::kUnsupported, "unsupported policy hash algorithm", "HashAlg"), p.hash_alg);
  if (p.reserved2 != 0)
    return with_value(make_error(Errc::kBadValue, "Reserved2 must be 0", "Reserved2"), p.reserved2);
  const size_t before = w.size();
  w.le16(p.version);
  w.le16(p.hash_alg);
  w.u8(p.policy_type);
  w.u8(p.sinit_min_version);
  for (uint16_t c : p.data_revocation_counters) w.le16(c);
  w.le32(p.policy_control);
  w.u8(p.max_sinit_min_ver);
  w.u8(p.max_biosac_min_ver);
  w.le16(p.lcp_hash_alg_mask);
  w.le32(p.lcp_sign_alg_mask);
  w.le16(p.aux_hash_alg_mask);
  w.le16(p.reserved2);
  w.bytes(ByteSpan(p.policy_hash, d));
  TLAUNCH_TRY(w.status());
  return w.size() - before;
}

Result<PolicyDataView> decode_policy_data(ByteSpan in) {
  if (in.size <= kPolicyDataHeaderSize)
    return at_value(Errc::kTruncated, "policy data file is not larger than its 36-byte header",
                    "size", static_cast<uint32_t>(in.size), in.size);
  ByteReader r(in);
  auto sig = r.bytes(kPolicyDataSignatureSize, "FileSignature");
  // All 32 bytes, NUL padding included (tboot compares 32 bytes; lcptools only up to the NUL).
  uint8_t expected[kPolicyDataSignatureSize] = {};
  copy_bytes(expected, reinterpret_cast<const uint8_t*>(kPolicyDataSignature),
             sizeof(kPolicyDataSignature) - 1);
  if (!equal_bytes(sig->data, expected, kPolicyDataSignatureSize))
    return make_error(Errc::kBadValue,
                      "not a policy data file: FileSignature is not \"Intel(R) TXT "
                      "LCP_POLICY_DATA\"",
                      "FileSignature", 0);
  for (uint32_t i = 0; i < 3; ++i) {
    uint8_t b = *r.u8("Reserved");
    if (b != 0) return at_value(Errc::kBadValue, "reserved bytes must be 0", "Reserved", 32 + i, b);
  }
  PolicyDataView d;
  d.raw = in;
  d.num_lists = *r.u8("NumLists");
  if (d.num_lists == 0 || d.num_lists > kMaxLists)
    return at_value(Errc::kBadValue, "NumLists must be between 1 and 8", "NumLists", 35,
                    d.num_lists);
  for (uint8_t i = 0; i < d.num_lists; ++i) {
    const uint32_t list_at = r.abs_offset();
    if (r.at_end())
      return with_item(at_value(Errc::kTruncated, "the file ends before this list", "NumLists",
                                list_at, d.num_lists),
                       i);
    auto l = read_list(r);
    if (!l.ok()) return with_item(l.error(), i);
    if (i > 0 && l->version != d.lists[0].version)
      return with_item(
          at_value(Errc::kBadValue, "all lists of a policy data file must have the same version",
                   "Version", list_at, l->version),
          i);
    d.lists[i] = *l;
  }
  if (!r.at_end())
    return at_value(Errc::kTooLarge, "the file continues after the last list", "NumLists",
                    r.abs_offset(), d.num_lists);
  return d;
}

Result<size_t> encode_policy_data_header(ByteWriter& w, size_t num_lists) {
  if (num_lists == 0 || num_lists > kMaxLists)
    return with_value(
        make_error(Errc::kTooLarge, "a policy data file holds 1 to 8 lists", "NumLists"),
        num_lists);
  const size_t before = w.size();
  uint8_t sig[kPolicyDataSignatureSize] = {};
  copy_bytes(sig, reinterpret_cast<const uint8_t*>(kPolicyDataSignature),
             sizeof(kPolicyDataSignature) - 1);
  w.bytes(ByteSpan(sig, sizeof(sig)));
  w.zeros(3);
  w.u8(static_cast<uint8_t>(num_lists));
  TLAUNCH_TRY(w.status());
  return w.size() - before;
}

Result<Digest> policy_hash(Hasher& h, HashAlg alg, const ListView* lists, size_t num_lists) {
  if (num_lists == 0 || num_lists > kMaxLists)
    return with_value(make_error(Errc::kBadValue, "PolicyHash needs 1 to 8 lists", "NumLists"),
                      num_lists);
  uint8_t concat[kMaxLists * kMaxDigestSize];
  size_t used = 0;
  for (size_t i = 0; i < num_lists; ++i) {
    auto lh = list_measurement(h, alg, lists[i]);
    if (!lh.ok()) return with_item(lh.error(), static_cast<int32_t>(i));
    if (lh->size == 0) return make_error(Errc::kCrypto, "hash computation failed");
    copy_bytes(concat + used, lh->bytes, lh->size);
    used += lh->size;
  }
  return hash_once(h, alg, ByteSpan(concat, used));
}

Result<Digest> policy_hash(Hasher& h, HashAlg alg, const PolicyDataView& data) {
  return policy_hash(h, alg, data.lists, data.num_lists);
}

}  // namespace tlaunch::lcp
