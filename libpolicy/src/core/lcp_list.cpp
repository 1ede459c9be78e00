// LCP_POLICY_LIST2 / LCP_POLICY_LIST2_1 decoding, measurement and encoding (docs/reference/lcp.md
// §5, §6).
#include "tlaunch/policy/lcp_list.h"

// Reads one field into dst or returns the reader's error (field name + absolute offset).
#define LCP_READ(dst, expr)                            \
  do {                                                 \
    auto lcp_read_r_ = (expr);                         \
    if (!lcp_read_r_.ok()) return lcp_read_r_.error(); \
    (dst) = *lcp_read_r_;                              \
  } while (0)

namespace tlaunch::lcp {
namespace {

Error at_value(Errc code, const char* message, const char* field, uint32_t offset, uint64_t value) {
  return with_value(make_error(code, message, field, offset), value);
}

bool is_rsa_size(size_t k) { return k == kRsa2048Bytes || k == kRsa3072Bytes; }
bool is_ecc_size(size_t k) { return k == kEcc256Bytes || k == kEcc384Bytes; }

ByteSpan span_between(ByteSpan whole, size_t from, size_t to) {
  return whole.subspan(from, to - from);
}

// LIST2 signature: lcp_rsa_signature_t / lcp_ecc_signature_t (docs/reference/lcp.md §5.2). For
// RSASSA the "no SigBlock" form ends right after the modulus; it is accepted only where the caller
// knows the list ends there (a list file), never inside a data file.
Status read_list2_signature(ByteReader& r, ListView& l, bool allow_missing_value) {
  ListSignatureView& s = l.signature;
  s.offset = r.abs_offset();
  s.scheme = l.sig_alg;
  LCP_READ(s.revocation_counter, r.le16("RevocationCounter"));
  const uint32_t size_at = r.abs_offset();
  uint16_t k = 0;
  LCP_READ(k, r.le16("PubkeySize"));
  s.key_bytes = k;
  if (l.sig_alg == kAlgRsaSsa) {
    if (!is_rsa_size(k))
      return at_value(Errc::kUnsupported,
                      "RSA public key size must be 256 or 384 bytes (2048 or 3072 bits)",
                      "PubkeySize", size_at, k);
    s.key_kind = KeyKind::kRsa;
    s.key_alg = kAlgRsa;
    s.key_size_field = k;
    s.hash_alg = kAlgNull;  // named by the DigestInfo inside the signature
    LCP_READ(s.modulus, r.bytes(k, "PubkeyValue"));
    s.value_offset = r.abs_offset();
    if (allow_missing_value && r.at_end()) {
      s.has_value = false;
      return ok_status();
    }
    if (r.remaining() < k)
      return at_value(Errc::kTruncated,
                      r.at_end() ? "the list has no SigBlock (RSA key without signature)"
                                 : "input ends inside this field",
                      "SigBlock", r.abs_offset(), k);
    LCP_READ(s.value, r.bytes(k, "SigBlock"));
    return ok_status();
  }
  // ECDSA / SM2: the coordinate size selects the curve; SM2 is defined on a 256-bit curve only.
  if (!is_ecc_size(k) || (l.sig_alg == kAlgSm2 && k != kEcc256Bytes))
    return at_value(Errc::kUnsupported,
                    l.sig_alg == kAlgSm2
                        ? "SM2 public key size must be 32 bytes"
                        : "ECC public key size must be 32 or 48 bytes (P-256/P-384)",
                    "PubkeySize", size_at, k);
  s.key_kind = KeyKind::kEcc;
  s.key_alg = kAlgEcc;
  s.key_size_field = k;
  s.hash_alg = ecc_hash_for(l.sig_alg, k);
  LCP_READ(s.ecc_reserved, r.le32("Reserved"));
  LCP_READ(s.qx, r.bytes(k, "Qx"));
  LCP_READ(s.qy, r.bytes(k, "Qy"));
  s.value_offset = r.abs_offset();
  LCP_READ(s.r, r.bytes(k, "r"));
  LCP_READ(s.s, r.bytes(k, "s"));
  s.value = ByteSpan(s.r.data, 2u * k);
  return ok_status();
}

// LIST2_1 RevocationCounter + compact KeyAndSignature (docs/reference/lcp.md §5.3). Only the fields
// that give the layout (KeyAlg, Key.KeySize) are checked here; versions, scheme and hash are
// checked by verification, which names them (pollist2_1.c verify_tpm20_pollist_2_1_*_sig()).
Status read_list21_signature(ByteReader& r, ListView& l) {
  ListSignatureView& s = l.signature;
  s.offset = r.abs_offset();
  LCP_READ(s.revocation_counter, r.le16("RevocationCounter"));
  LCP_READ(s.kas_version, r.u8("KeyAndSignature.Version"));
  const uint32_t alg_at = r.abs_offset();
  LCP_READ(s.key_alg, r.le16("KeyAndSignature.KeyAlg"));
  LCP_READ(s.key_version, r.u8("Key.Version"));
  const uint32_t size_at = r.abs_offset();
  LCP_READ(s.key_size_field, r.le16("Key.KeySize"));
  switch (s.key_alg) {
    case kAlgRsa: {
      const size_t k = s.key_size_field / 8u;
      if (s.key_size_field % 8u != 0 || !is_rsa_size(k))
        return at_value(Errc::kUnsupported, "RSA key size must be 2048 or 3072 bits", "Key.KeySize",
                        size_at, s.key_size_field);
      s.key_kind = KeyKind::kRsa;
      s.key_bytes = static_cast<uint16_t>(k);
      LCP_READ(s.exponent, r.le32("Key.Exponent"));
      LCP_READ(s.modulus, r.bytes(k, "Key.Modulus"));
      LCP_READ(s.scheme, r.le16("SigScheme"));
      LCP_READ(s.sig_version, r.u8("Signature.Version"));
      LCP_READ(s.sig_key_size_field, r.le16("Signature.KeySize"));
      LCP_READ(s.hash_alg, r.le16("Signature.HashAlg"));
      s.value_offset = r.abs_offset();
      LCP_READ(s.value, r.bytes(k, "Signature.Signature"));
      return ok_status();
    }
    case kAlgEcc: {
      const size_t k = s.key_size_field / 8u;
      if (s.key_size_field % 8u != 0 || !is_ecc_size(k))
        return at_value(Errc::kUnsupported, "ECC key size must be 256 or 384 bits", "Key.KeySize",
                        size_at, s.key_size_field);
      s.key_kind = KeyKind::kEcc;
      s.key_bytes = static_cast<uint16_t>(k);
      LCP_READ(s.qx, r.bytes(k, "Key.Qx"));
      LCP_READ(s.qy, r.bytes(k, "Key.Qy"));
      LCP_READ(s.scheme, r.le16("SigScheme"));
      LCP_READ(s.sig_version, r.u8("Signature.Version"));
      LCP_READ(s.sig_key_size_field, r.le16("Signature.KeySize"));
      LCP_READ(s.hash_alg, r.le16("Signature.HashAlg"));
      s.value_offset = r.abs_offset();
      LCP_READ(s.r, r.bytes(k, "Signature.R"));
      LCP_READ(s.s, r.bytes(k, "Signature.S"));
      s.value = ByteSpan(s.r.data, 2u * k);
      return ok_status();
    }
    case kAlgLms:
      // Fixed layout (HEAD lcp3.h lms_key_and_signature): the key is always 48 bytes of XDR.
      s.key_kind = KeyKind::kLms;
      s.key_bytes = static_cast<uint16_t>(kLmsPublicKeySize);
      LCP_READ(s.key_blob, r.bytes(kLmsPublicKeySize, "Key.PubKey"));
      LCP_READ(s.scheme, r.le16("SigScheme"));
      LCP_READ(s.sig_version, r.u8("Signature.Version"));
      LCP_READ(s.sig_key_size_field, r.le16("Signature.KeySize"));
      LCP_READ(s.hash_alg, r.le16("Signature.HashAlg"));
      s.value_offset = r.abs_offset();
      LCP_READ(s.value, r.bytes(kLmsSignatureSize, "Signature.Signature"));
      return ok_status();
    case kAlgMldsa:
      // Fixed layout (HEAD lcp3.h mldsa_key_and_signature, ML-DSA-87); pure ML-DSA, no HashAlg.
      s.key_kind = KeyKind::kMldsa;
      s.key_bytes = static_cast<uint16_t>(kMldsaPublicKeySize);
      LCP_READ(s.key_blob, r.bytes(kMldsaPublicKeySize, "Key.PubKey"));
      LCP_READ(s.scheme, r.le16("SigScheme"));
      LCP_READ(s.sig_version, r.u8("Signature.Version"));
      LCP_READ(s.sig_key_size_field, r.le16("Signature.KeySize"));
      s.hash_alg = kAlgNull;
      s.value_offset = r.abs_offset();
      LCP_READ(s.value, r.bytes(kMldsaSignatureSize, "Signature.Signature"));
      return ok_status();
    default:
      return at_value(Errc::kUnsupported, "unsupported key algorithm", "KeyAndSignature.KeyAlg",
                      alg_at, s.key_alg);
  }
}

Result<ListView> read_list_impl(ByteReader& r, bool allow_missing_value) {
  const size_t start = r.offset();
  ListView l;
  l.offset = r.abs_offset();
  const uint32_t base = l.offset;
  LCP_READ(l.version, r.le16("Version"));
  if (!is_supported_list_version(l.version)) {
    // A TPM 1.2 LCP_POLICY_LIST (0x01xx) or a newer minor version is a list we do not support;
    // anything else is not a policy list at all.
    const uint8_t major = list_major(l.version);
    const bool known_major = major >= 1 && major <= 3;
    return at_value(known_major ? Errc::kUnsupported : Errc::kBadValue,
                    known_major
                        ? "unsupported list version (0x0200, 0x0201 and 0x0300 are supported)"
                        : "not an LCP policy list (unknown Version)",
                    "Version", base, l.version);
  }
  uint16_t second = 0;
  LCP_READ(second, r.le16(l.is_list2() ? "SigAlg" : "KeySignatureOffset"));
  if (l.is_list2())
    l.sig_alg = second;
  else
    l.key_signature_offset = second;
  LCP_READ(l.elements_size, r.le32("PolicyElementsSize"));
  if (l.elements_size > kMaxListSize || l.elements_size > r.remaining())
    return at_value(Errc::kTruncated, "policy elements extend past the end of the input",
                    "PolicyElementsSize", base + 4, l.elements_size);
  LCP_READ(l.elements, r.bytes(l.elements_size, "PolicyElements"));
  auto count = validate_elements(l.elements, base + static_cast<uint32_t>(kListHeaderSize));
  if (!count.ok()) return count.error();
  l.element_count = *count;

  if (l.is_list2()) {
    if (l.sig_alg != kAlgNull && l.sig_alg != kAlgRsaSsa && l.sig_alg != kAlgEcdsa &&
        l.sig_alg != kAlgSm2)
      return at_value(Errc::kUnsupported, "unsupported signature algorithm", "SigAlg", base + 2,
                      l.sig_alg);
    if (l.sig_alg != kAlgNull) {
      l.is_signed = true;
      TLAUNCH_TRY(read_list2_signature(r, l, allow_missing_value));
    }
  } else if (l.key_signature_offset != 0) {
    // KeySignatureOffset points just past RevocationCounter (pollist2_1.c
    // verify_tpm20_pollist_2_1_sig() requires exactly this value).
    const size_t expected = kListHeaderSize + l.elements_size + 2u;
    if (l.key_signature_offset != expected)
      return at_value(Errc::kBadValue,
                      "KeySignatureOffset must be 8 + PolicyElementsSize + 2 (or 0 if unsigned)",
                      "KeySignatureOffset", base + 2, l.key_signature_offset);
    l.is_signed = true;
    TLAUNCH_TRY(read_list21_signature(r, l));
  }

  const ByteSpan all = r.input();
  l.raw = span_between(all, start, r.offset());
  if (l.is_signed) {
    const size_t signed_end = l.is_list2() ? (l.signature.value_offset - base)
                                           : static_cast<size_t>(l.key_signature_offset);
    l.signed_bytes = l.raw.subspan(0, signed_end);
  }
  return l;
}

}  // namespace

uint16_t ecc_hash_for(uint16_t scheme, uint16_t key_bytes) {
  if (scheme == kAlgSm2) return kAlgSm3_256;
  return key_bytes == kEcc384Bytes ? kAlgSha384 : kAlgSha256;
}

Result<uint32_t> validate_elements(ByteSpan elements, uint32_t base_offset) {
  ByteReader r(elements, base_offset);
  uint32_t count = 0;
  // read_element() advances by Size >= 12 or fails, so this loop ends.
  while (!r.at_end()) {
    auto e = read_element(r);
    if (!e.ok()) return with_item(e.error(), static_cast<int32_t>(count));
    ++count;
  }
  return count;
}

Result<ListView> read_list(ByteReader& r) { return read_list_impl(r, false); }

Result<ListView> decode_list_file(ByteSpan file, bool allow_missing_sig_block) {
  ByteReader r(file);
  auto l = read_list_impl(r, allow_missing_sig_block);
  if (!l.ok()) return l;
  if (!r.at_end())
    return at_value(Errc::kTooLarge, "the file continues after the end of the list", "size",
                    r.abs_offset(), file.size);
  return l;
}

ByteSpan list_measured_bytes(const ListView& l) {
  if (!l.is_signed) return l.raw;
  const ListSignatureView& s = l.signature;
  switch (s.key_kind) {
    case KeyKind::kRsa:
      return s.modulus;
    // Qx and Qy are adjacent in both list formats.
    case KeyKind::kEcc:
      return ByteSpan(s.qx.data, s.qx.size + s.qy.size);
    case KeyKind::kLms:
    case KeyKind::kMldsa:
      return s.key_blob;
    case KeyKind::kNone:
      break;
  }
  return l.raw;
}

Result<Digest> list_measurement(Hasher& h, HashAlg alg, const ListView& l) {
  return hash_once(h, alg, list_measured_bytes(l));
}

size_t unsigned_list_size(size_t elements_size) { return kListHeaderSize + elements_size; }

Result<size_t> encode_unsigned_list(ByteWriter& w, uint16_t version, ByteSpan elements) {
  if (!is_supported_list_version(version))
    return with_value(make_error(Errc::kUnsupported, "unsupported list version", "Version"),
                      version);
  if (elements.size > kMaxListSize)
    return with_value(
        make_error(Errc::kTooLarge, "policy elements are too large", "PolicyElementsSize"),
        elements.size);
  auto count = validate_elements(elements, static_cast<uint32_t>(kListHeaderSize));
  if (!count.ok()) return count.error();
  const size_t before = w.size();
  w.le16(version);
  w.le16(is_list2_version(version) ? kAlgNull : 0);
  w.le32(static_cast<uint32_t>(elements.size));
  w.bytes(elements);
  TLAUNCH_TRY(w.status());
  return w.size() - before;
}

Result<SignedListLayout> signed_list_layout(uint16_t version, size_t elements_size,
                                            const SignatureSpec& spec) {
  if (!is_supported_list_version(version))
    return with_value(make_error(Errc::kUnsupported, "unsupported list version", "Version"),
                      version);
  if (elements_size > kMaxListSize)
    return with_value(
        make_error(Errc::kTooLarge, "policy elements are too large", "PolicyElementsSize"),
        elements_size);
  SignedListLayout lay;
  const size_t body = kListHeaderSize + elements_size;
  if (spec.key_kind == KeyKind::kRsa) {
    const size_t k = spec.modulus.size;
    if (!is_rsa_size(k))
      return with_value(
          make_error(Errc::kUnsupported,
                     "RSA key must be 2048 or 3072 bits for an LCP list signature", "PubkeySize"),
          k * 8u);
    if (is_list2_version(version)) {
      if (spec.scheme != kAlgRsaSsa)
        return with_value(make_error(Errc::kUnsupported,
                                     "LCP_POLICY_LIST2 lists (0x200/0x201) are signed with RSASSA "
                                     "(PKCS#1 v1.5) only; use list version 0x300 for RSA-PSS",
                                     "SigAlg"),
                          spec.scheme);
      lay.tbs_size = body + 4u + k;
      lay.value_offset = lay.tbs_size;
      lay.value_size = k;
      lay.size = lay.tbs_size + k;
      return lay;
    }
    if (spec.scheme != kAlgRsaPss && spec.scheme != kAlgRsaSsa)
      return with_value(make_error(Errc::kUnsupported,
                                   "RSA signature scheme must be RSAPSS or RSASSA", "SigScheme"),
                        spec.scheme);
    if (spec.hash_alg != kAlgSha256 && spec.hash_alg != kAlgSha384)
      return with_value(make_error(Errc::kUnsupported, "RSA list signatures use SHA-256 or SHA-384",
                                   "Signature.HashAlg"),
                        spec.hash_alg);
    lay.tbs_size = body + 2u;
    lay.value_offset = lay.tbs_size + 17u + k;  // KeyAndSignature up to Signature
    lay.value_size = k;
    lay.size = lay.value_offset + k;
  } else if (spec.key_kind == KeyKind::kEcc) {
    const size_t k = spec.qx.size;
    if (!is_ecc_size(k) || spec.qy.size != k)
      return with_value(
          make_error(Errc::kUnsupported, "ECC key must be P-256 or P-384 for an LCP list signature",
                     "PubkeySize"),
          k * 8u);
    if (spec.scheme != kAlgEcdsa && spec.scheme != kAlgSm2)
      return with_value(
          make_error(Errc::kUnsupported, "ECC signature scheme must be ECDSA or SM2", "SigScheme"),
          spec.scheme);
    if (spec.scheme == kAlgSm2 && k != kEcc256Bytes)
      return with_value(make_error(Errc::kUnsupported, "SM2 keys are 256 bits", "PubkeySize"),
                        k * 8u);
    if (is_list2_version(version)) {
      lay.tbs_size = body + 8u + 2u * k;
      lay.value_offset = lay.tbs_size;
      lay.value_size = 2u * k;
      lay.size = lay.tbs_size + 2u * k;
      return lay;
    }
    lay.tbs_size = body + 2u;
    lay.value_offset = lay.tbs_size + 13u + 2u * k;  // KeyAndSignature up to R
    lay.value_size = 2u * k;
    lay.size = lay.value_offset + 2u * k;
  } else {
    return make_error(Errc::kUnsupported, "lists are signed with RSA or ECC keys only");
  }
  // KeySignatureOffset is a u16.
  if (lay.tbs_size > 0xFFFFu)
    return with_value(make_error(Errc::kTooLarge,
                                 "the list is too large to sign as version 0x300: "
                                 "KeySignatureOffset is 16 bits",
                                 "KeySignatureOffset"),
                      lay.tbs_size);
  return lay;
}

Result<SignedListLayout> encode_signed_list(ByteWriter& w, uint16_t version, ByteSpan elements,
                                            const SignatureSpec& spec, bool include_value) {
  auto lay_r = signed_list_layout(version, elements.size, spec);
  if (!lay_r.ok()) return lay_r.error();
  SignedListLayout lay = *lay_r;
  if (!include_value && !(is_list2_version(version) && spec.key_kind == KeyKind::kRsa))
    return make_error(Errc::kUnsupported,
                      "only RSA-signed LCP_POLICY_LIST2 lists have a form without SigBlock");
  auto count = validate_elements(elements, static_cast<uint32_t>(kListHeaderSize));
  if (!count.ok()) return count.error();
  const size_t before = w.size();
  const size_t e = elements.size;
  if (is_list2_version(version)) {
    w.le16(version);
    w.le16(spec.scheme);
    w.le32(static_cast<uint32_t>(e));
    w.bytes(elements);
    w.le16(spec.revocation_counter);
    if (spec.key_kind == KeyKind::kRsa) {
      w.le16(static_cast<uint16_t>(spec.modulus.size));
      w.bytes(spec.modulus);
      if (include_value) {
        w.zeros(spec.modulus.size);
      } else {
        lay.size = lay.tbs_size;
        lay.value_size = 0;
      }
    } else {
      w.le16(static_cast<uint16_t>(spec.qx.size));
      w.le32(0);
      w.bytes(spec.qx);
      w.bytes(spec.qy);
      w.zeros(2u * spec.qx.size);
    }
  } else {
    const size_t k = spec.key_kind == KeyKind::kRsa ? spec.modulus.size : spec.qx.size;
    const uint16_t bits = static_cast<uint16_t>(k * 8u);
    w.le16(version);
    w.le16(static_cast<uint16_t>(lay.tbs_size));
    w.le32(static_cast<uint32_t>(e));
    w.bytes(elements);
    w.le16(spec.revocation_counter);
    w.u8(kSignatureVersion);
    w.le16(spec.key_kind == KeyKind::kRsa ? kAlgRsa : kAlgEcc);
    w.u8(kSignatureVersion);
    w.le16(bits);
    uint16_t hash = spec.hash_alg;
    if (spec.key_kind == KeyKind::kRsa) {
      w.le32(kRsaExponent);
      w.bytes(spec.modulus);
    } else {
      w.bytes(spec.qx);
      w.bytes(spec.qy);
      if (hash == kAlgNull) hash = ecc_hash_for(spec.scheme, static_cast<uint16_t>(k));
    }
    w.le16(spec.scheme);
    w.u8(kSignatureVersion);
    w.le16(bits);
    w.le16(hash);
    w.zeros(lay.value_size);
  }
  TLAUNCH_TRY(w.status());
  if (w.size() - before != lay.size)
    return make_error(Errc::kInternal, "signed list layout does not match what was written");
  return lay;
}

Status place_signature_value(MutableByteSpan list, const SignedListLayout& layout, ByteSpan value) {
  if (value.size != layout.value_size)
    return with_value(
        make_error(Errc::kBadValue, "signature value has the wrong size", "signature"), value.size);
  if (list.size < layout.value_offset + layout.value_size)
    return make_error(Errc::kInternal, "list buffer is smaller than its layout");
  copy_bytes(list.data + layout.value_offset, value.data, value.size);
  return ok_status();
}

SignatureSpec spec_of(const ListView& l) {
  SignatureSpec spec;
  if (!l.is_signed) return spec;
  const ListSignatureView& s = l.signature;
  spec.key_kind = s.key_kind;
  spec.scheme = s.scheme;
  spec.hash_alg = s.hash_alg;
  spec.revocation_counter = s.revocation_counter;
  spec.modulus = s.modulus;
  spec.qx = s.qx;
  spec.qy = s.qy;
  return spec;
}

}  // namespace tlaunch::lcp
