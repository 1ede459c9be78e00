// JSON of lists, data files and policies (see lcp_list_json.h and the schemas).
#include "tlaunch/policy/host/lcp/lcp_list_json.h"

#include <cstdio>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::hex;

std::string hex_be(ByteSpan le) {
  Bytes b = reversed(le);
  return hex(b.data(), b.size());
}

std::string hex_word(uint32_t v, int width) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%0*x", width, v);
  return b;
}

std::string key_alg_name(KeyKind k) {
  switch (k) {
    case KeyKind::kRsa:
      return "rsa";
    case KeyKind::kEcc:
      return "ecc";
    case KeyKind::kLms:
      return "lms";
    case KeyKind::kMldsa:
      return "mldsa87";
    case KeyKind::kNone:
      break;
  }
  return "none";
}

nlohmann::json measurement_json(const ListView& l) {
  nlohmann::json m;
  m["measured_bytes"] = list_measured_bytes(l).size;
  tlaunch::host::OpenSslHasher h;
  for (HashAlg a : {HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512, HashAlg::kSm3_256}) {
    auto d = list_measurement(h, a, l);
    if (d.ok() && d->size != 0)
      m[find_hash_alg(static_cast<uint16_t>(a))->name] = hex(d->bytes, d->size);
  }
  return m;
}

}  // namespace

nlohmann::json json_hash_name(uint16_t alg) {
  if (alg == kAlgNull) return nullptr;
  const HashAlgInfo* info = find_hash_alg(alg);
  return info != nullptr ? nlohmann::json(info->name) : nlohmann::json(hex_word(alg, 4));
}

std::string json_scheme_name(uint16_t s) {
  switch (s) {
    case kAlgRsaSsa:
      return "rsassa";
    case kAlgRsaPss:
      return "rsapss";
    case kAlgEcdsa:
      return "ecdsa";
    case kAlgSm2:
      return "sm2";
    case kAlgLms:
      return "lms";
    case kAlgMldsa:
      return "mldsa";
    default:
      return hex_word(s, 4);
  }
}

nlohmann::json list_json(const ListView& l, const ListCheck* check) {
  nlohmann::json j;
  j["format"] = l.is_list2() ? "LCP_POLICY_LIST2" : "LCP_POLICY_LIST2_1";
  j["version"] = hex_word(l.version, 4);
  j["size"] = l.raw.size;
  if (l.is_list2())
    j["sig_alg"] = l.sig_alg == kAlgNull ? std::string("none") : json_scheme_name(l.sig_alg);
  else
    j["key_signature_offset"] = l.key_signature_offset;
  j["policy_elements_size"] = l.elements_size;
  nlohmann::json elts = nlohmann::json::array();
  ElementIterator it(l);
  while (!it.done()) {
    auto e = it.next();
    if (!e.ok()) break;
    elts.push_back(element_json(*e));
  }
  j["elements"] = std::move(elts);
  j["signed"] = l.is_signed;
  if (l.is_signed) {
    const ListSignatureView& s = l.signature;
    nlohmann::json sj;
    sj["scheme"] = json_scheme_name(s.scheme);
    sj["key_alg"] = key_alg_name(s.key_kind);
    if (s.key_kind == KeyKind::kRsa || s.key_kind == KeyKind::kEcc)
      sj["key_bits"] = static_cast<unsigned>(s.key_bytes) * 8u;
    else
      sj["public_key_bytes"] = s.key_bytes;
    sj["hash_alg"] = json_hash_name(s.hash_alg);
    sj["revocation_counter"] = s.revocation_counter;
    sj["signed_bytes"] = l.signed_bytes.size;
    sj["value_offset"] = s.value_offset - l.offset;
    sj["has_value"] = s.has_value;
    if (l.is_list21()) {
      sj["structure_versions"] = {{"key_and_signature", s.kas_version},
                                  {"key", s.key_version},
                                  {"signature", s.sig_version}};
      sj["key_size_field"] = s.key_size_field;
      sj["signature_key_size_field"] = s.sig_key_size_field;
    }
    nlohmann::json pk;
    switch (s.key_kind) {
      case KeyKind::kRsa:
        pk["modulus"] = hex_be(s.modulus);
        pk["exponent"] = s.exponent;
        break;
      case KeyKind::kEcc:
        pk["qx"] = hex_be(s.qx);
        pk["qy"] = hex_be(s.qy);
        break;
      case KeyKind::kLms:
      case KeyKind::kMldsa:
        // Native encodings, stored as they are (docs/reference/lcp.md §1).
        pk["encoded"] = hex(s.key_blob.data, s.key_blob.size);
        break;
      case KeyKind::kNone:
        break;
    }
    sj["public_key"] = std::move(pk);
    if (s.has_value) {
      if (s.key_kind == KeyKind::kEcc) {
        sj["value"] = {{"r", hex_be(s.r)}, {"s", hex_be(s.s)}};
      } else if (s.key_kind == KeyKind::kRsa) {
        sj["value"] = hex_be(s.value);
      } else {
        sj["value"] = hex(s.value.data, s.value.size);
      }
    }
    if (check != nullptr) {
      nlohmann::json v;
      v["valid"] = check->valid;
      if (check->hash_alg != 0) v["hash_alg"] = json_hash_name(check->hash_alg);
      if (!check->valid) v["reason"] = check->reason;
      sj["verification"] = std::move(v);
    }
    j["signature"] = std::move(sj);
  }
  j["measurement"] = measurement_json(l);
  return j;
}

nlohmann::json hash_mask_json(uint16_t mask) {
  // docs/reference/lcp.md §2.2 bit names (lcp3.h and lcp-gen2/defines.py).
  static const std::pair<uint16_t, const char*> kBits[] = {
      {0x0001, "sha1"},   {0x0002, "sha224"},     {0x0004, "sha512_224"},
      {0x0008, "sha256"}, {0x0010, "sha512_256"}, {0x0020, "sm3"},
      {0x0040, "sha384"}, {0x0080, "sha512"},     {0x0100, "whirlpool"}};
  nlohmann::json a = nlohmann::json::array();
  uint16_t rest = mask;
  for (const auto& [bit, name] : kBits) {
    if (mask & bit) a.push_back(name);
    rest = static_cast<uint16_t>(rest & ~bit);
  }
  for (unsigned b = 0; b < 16; ++b)
    if (rest & (1u << b)) a.push_back(hex_word(1u << b, 4));
  return a;
}

nlohmann::json sign_mask_json(uint32_t mask) {
  // docs/reference/lcp.md §2.3 (lcp3.h, lcp-gen2/defines.py); lcp2_crtpol keywords where they
  // exist.
  static const std::pair<uint32_t, const char*> kBits[] = {
      {kSignMaskRsa1024Sha1, "rsa-1024-sha1"},
      {kSignMaskRsa1024Sha256, "rsa-1024-sha256"},
      {kSignMaskRsa2048Sha1, "rsa-2048-sha1"},
      {kSignMaskRsa2048Sha256, "rsa-2048-sha256"},
      {kSignMaskRsa2048Sha384, "rsa-2048-sha384"},
      {kSignMaskRsa2048Sha512, "rsa-2048-sha512"},
      {kSignMaskRsa3072Sha256, "rsa-3072-sha256"},
      {kSignMaskRsa3072Sha384, "rsa-3072-sha384"},
      {kSignMaskRsa3072Sha512, "rsa-3072-sha512"},
      {kSignMaskRsa4096Sha256, "rsa-4096-sha256"},
      {kSignMaskRsa4096Sha384, "rsa-4096-sha384"},
      {kSignMaskRsa4096Sha512, "rsa-4096-sha512"},
      {kSignMaskEcdsaP256, "ecdsa-p256"},
      {kSignMaskEcdsaP384, "ecdsa-p384"},
      {kSignMaskLmsP56b, "lms-p56b"},
      {kSignMaskSm2, "sm2"},
      {kSignMaskLmsSha256M24H20, "lms-sha256-m24-h20"},
      {kSignMaskMldsa87, "mldsa-87"}};
  nlohmann::json a = nlohmann::json::array();
  uint32_t rest = mask;
  for (const auto& [bit, name] : kBits) {
    if (mask & bit) a.push_back(name);
    rest &= ~bit;
  }
  for (unsigned b = 0; b < 32; ++b)
    if (rest & (1u << b)) a.push_back(hex_word(1u << b, 8));
  return a;
}

std::string policy_version_string(uint16_t v) {
  if ((v >> 8) == 3 && (v & 0xFF) <= 9) return "3." + std::to_string(v & 0xFF);
  return hex_word(v, 4);
}

nlohmann::json policy_json(const Policy& p) {
  nlohmann::json j;
  j["version"] = policy_version_string(p.version);
  j["hash_alg"] = json_hash_name(p.hash_alg);
  j["policy_type"] = p.policy_type == kPolicyTypeList ? "list" : "any";
  j["sinit_min_version"] = p.sinit_min_version;
  j["data_revocation_counters"] = nlohmann::json::array();
  for (uint16_t c : p.data_revocation_counters) j["data_revocation_counters"].push_back(c);
  j["policy_control"] = p.policy_control;
  j["max_sinit_min_ver"] = p.max_sinit_min_ver;
  if (p.version == kPolicyVersion30)
    j["max_biosac_min_ver"] = p.max_biosac_min_ver;
  else
    j["reserved"] = p.max_biosac_min_ver;
  j["lcp_hash_alg_mask"] = {{"value", p.lcp_hash_alg_mask},
                            {"algorithms", hash_mask_json(p.lcp_hash_alg_mask)}};
  j["lcp_sign_alg_mask"] = {{"value", p.lcp_sign_alg_mask},
                            {"algorithms", sign_mask_json(p.lcp_sign_alg_mask)}};
  j["aux_hash_alg_mask"] = {{"value", p.aux_hash_alg_mask},
                            {"algorithms", hash_mask_json(p.aux_hash_alg_mask)}};
  j["policy_hash"] = hex(p.policy_hash, p.digest_size());
  j["size"] = p.size();
  return j;
}

}  // namespace tlaunch::lcp::host
