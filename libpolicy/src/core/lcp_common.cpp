// LCP constants and name helpers (docs/reference/lcp.md §2; lcptools-v2 lcputils.c,
// include/hash.h).
#include "tlaunch/policy/lcp_common.h"

#include "tlaunch/policy/hash_alg.h"

namespace tlaunch::lcp {
namespace {

AlgName make_name(const char* s) {
  AlgName n;
  size_t i = 0;
  for (; s[i] != '\0' && i + 1 < sizeof(n.text); ++i) n.text[i] = s[i];
  n.text[i] = '\0';
  return n;
}

// "unknown (N)" with N in decimal, as upstream's snprintf_s_i(buf, 32, "unknown (%u)", alg).
AlgName unknown_name(uint16_t alg) {
  AlgName n = make_name("unknown (");
  size_t len = cstr_len(n.text);
  char digits[6];
  size_t nd = 0;
  uint32_t v = alg;
  do {
    digits[nd++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (nd > 0) n.text[len++] = digits[--nd];
  n.text[len++] = ')';
  n.text[len] = '\0';
  return n;
}

}  // namespace

const char* element_type_name(uint32_t type) {
  // lcptools-v2 HEAD registers exactly these plugins (crtpolelt.c / polelt_plugin.h); the legacy
  // TPM 1.2 types print as "unknown" there.
  switch (type) {
    case kEltMle2:
      return "mle2";
    case kEltPconf2:
      return "pconf2";
    case kEltSbios2:
      return "sbios";
    case kEltCustom2:
      return "custom";
    case kEltStm2:
      return "stm";
    default:
      return nullptr;
  }
}

bool is_known_element_type(uint32_t type) {
  switch (type) {
    case kEltMle:
    case kEltPconf:
    case kEltSbios:
    case kEltCustom:
    case kEltMle2:
    case kEltPconf2:
    case kEltSbios2:
    case kEltCustom2:
    case kEltStm2:
      return true;
    default:
      return false;
  }
}

// The one digest-size table (hash_alg.h): SHA-1, SHA-256/384/512 and SM3-256 are exactly the
// algorithms an LCP element may use (docs/reference/lcp.md §2.1).
uint8_t lcp_digest_size(uint16_t hash_alg) { return digest_size(hash_alg); }

uint16_t hash_alg_to_mask(uint16_t hash_alg) {
  switch (hash_alg) {
    case kAlgSha256:
      return kHashMaskSha256;
    case kAlgSha384:
      return kHashMaskSha384;
    case kAlgSha512:
      return kHashMaskSha512;
    case kAlgSm3_256:
      return kHashMaskSm3_256;
    default:
      return 0;
  }
}

uint16_t mask_to_hash_alg(uint16_t mask_bit) {
  switch (mask_bit) {
    case kHashMaskSha1:
      return kAlgSha1;
    case kHashMaskSha256:
      return kAlgSha256;
    case kHashMaskSha384:
      return kAlgSha384;
    case kHashMaskSha512:
      return kAlgSha512;
    case kHashMaskSm3_256:
      return kAlgSm3_256;
    default:
      return kAlgNull;
  }
}

AlgName hash_alg_str(uint16_t alg) {
  switch (alg) {
    case kAlgSha256:
      return make_name("TPM_ALG_SHA256");
    case kAlgSha384:
      return make_name("TPM_ALG_SHA384");
    case kAlgSha512:
      return make_name("TPM_ALG_SHA512");
    case kAlgSm3_256:
      return make_name("TPM_ALG_SM3_256");
    case kAlgSm2:
      return make_name("TPM_ALG_SM2");
    default:
      return unknown_name(alg);
  }
}

AlgName sig_alg_str(uint16_t alg) {
  switch (alg) {
    case kAlgRsaSsa:
      return make_name("TPM_ALG_RSASSA");
    case kAlgEcdsa:
      return make_name("TPM_ALG_ECDSA");
    case kAlgSm2:
      return make_name("TPM_ALG_SM2");
    case kAlgRsaPss:
      return make_name("TPM_ALG_RSAPSS");
    case kAlgSm3_256:
      return make_name("TPM_ALG_SM3_256");
    case kAlgNull:
      return make_name("TPM_ALG_NULL");
    case kAlgLms:
      return make_name("TPM_ALG_LMS");
    case kAlgMldsa:
      return make_name("TCG_ALG_MLDSA");
    default:
      return unknown_name(alg);
  }
}

AlgName key_alg_str(uint16_t alg) {
  switch (alg) {
    case kAlgRsa:
      return make_name("TPM_ALG_RSA");
    case kAlgEcc:
      return make_name("TPM_ALG_ECC");
    case kAlgLms:
      return make_name("TPM_ALG_LMS");
    case kAlgMldsa:
      return make_name("TCG_ALG_MLDSA");
    default:
      return make_name("");
  }
}

const char* tb_hash_alg_str(uint16_t alg) {
  switch (alg) {
    case kAlgSha256:
      return "TB_HALG_SHA256";
    case kAlgSm3_256:
      return "TB_HALG_SM3";
    case kAlgSha384:
      return "TB_HALG_SHA384";
    case kAlgSha512:
      return "TB_HALG_SHA512";
    default:
      return "unsupported";
  }
}

Result<Uuid> read_uuid(ByteReader& r, const char* field) {
  Uuid u;
  auto d1 = r.le32(field);
  if (!d1) return d1.error();
  auto d2 = r.le16(field);
  if (!d2) return d2.error();
  auto d3 = r.le16(field);
  if (!d3) return d3.error();
  auto d4 = r.le16(field);
  if (!d4) return d4.error();
  auto d5 = r.bytes(6, field);
  if (!d5) return d5.error();
  u.data1 = *d1;
  u.data2 = *d2;
  u.data3 = *d3;
  u.data4 = *d4;
  copy_bytes(u.data5, d5->data, 6);
  return u;
}

void write_uuid(ByteWriter& w, const Uuid& u) {
  w.le32(u.data1);
  w.le16(u.data2);
  w.le16(u.data3);
  w.le16(u.data4);
  w.bytes(ByteSpan(u.data5, 6));
}

}  // namespace tlaunch::lcp
