// LCP policy lists: LCP_POLICY_LIST2 (versions 0x0200/0x0201) and LCP_POLICY_LIST2_1 (0x0300),
// with their signatures, as lcptools-v2 writes them and SINIT reads them. Facts:
// docs/reference/lcp.md §1 (big numbers little-endian), §5.2, §5.3 and §6 (list measurement);
// upstream include/lcp3.h, lcptools-v2/pollist2.c, pollist2_1.c.
//
// Decoding validates while it parses: every size, count and offset is checked against the bytes
// that are really there, each element is read with read_element() (lcp_element.h), and errors name
// the field and the absolute byte offset (Error::item = element index where one is concerned).
// Views point into the caller's bytes. Freestanding: no heap, no libc.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_element.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::lcp {

// List version words (docs/reference/lcp.md §2.4). LIST2 accepts minor 0 and 1
// (LCP_TPM20_POLICY_LIST2_MAX_MINOR), LIST2_1 only minor 0.
inline constexpr uint16_t kListVersion200 = 0x0200;
inline constexpr uint16_t kListVersion201 = 0x0201;
inline constexpr uint16_t kListVersion300 = 0x0300;
inline constexpr uint8_t kList2MaxMinor = 0x01;
inline constexpr uint8_t kList21MaxMinor = 0x00;
inline constexpr size_t kListHeaderSize = 8;  // u16 Version, u16 SigAlg/KSO, u32 ElementsSize

// LIST2_1 KeyAndSignature / Key / Signature structure version (SIGNATURE_VERSION, lcp3.h).
inline constexpr uint8_t kSignatureVersion = 0x10;
// The RSA public exponent every LCP signature assumes (LCP_SIG_EXPONENT; LIST2 does not store it).
inline constexpr uint32_t kRsaExponent = 65537;
// Supported key sizes in bytes: RSA 2048/3072 (MIN/MAX_RSA_KEY_SIZE), ECC P-256/P-384 (and SM2).
inline constexpr uint16_t kRsa2048Bytes = 256;
inline constexpr uint16_t kRsa3072Bytes = 384;
inline constexpr uint16_t kEcc256Bytes = 32;
inline constexpr uint16_t kEcc384Bytes = 48;
// LIST2_1 fixed-size KeyAndSignature blocks (HEAD only; docs/reference/lcp.md §5.3).
inline constexpr size_t kLmsKeyAndSignatureSize = 1801;
inline constexpr size_t kLmsPublicKeySize = 48;
inline constexpr size_t kLmsSignatureSize = 1740;
inline constexpr size_t kMldsaKeyAndSignatureSize = 7230;
inline constexpr size_t kMldsaPublicKeySize = 2592;
inline constexpr size_t kMldsaSignatureSize = 4627;

// Largest list the decoders accept: PolicyElementsSize is a u32, but a list lives in a TPM NV
// backed data file that SINIT maps below 4 GiB; 16 MiB is far above any real list and keeps
// arithmetic on offsets well inside 32 bits.
inline constexpr size_t kMaxListSize = 16u * 1024u * 1024u;

inline constexpr uint8_t list_major(uint16_t v) { return static_cast<uint8_t>(v >> 8); }
inline constexpr uint8_t list_minor(uint16_t v) { return static_cast<uint8_t>(v & 0xFF); }
// LCP_POLICY_LIST2 version words 0x0200/0x0201 (the tools treat both identically).
inline constexpr bool is_list2_version(uint16_t v) {
  return list_major(v) == 2 && list_minor(v) <= kList2MaxMinor;
}
inline constexpr bool is_list21_version(uint16_t v) {
  return list_major(v) == 3 && list_minor(v) <= kList21MaxMinor;
}
inline constexpr bool is_supported_list_version(uint16_t v) {
  return is_list2_version(v) || is_list21_version(v);
}

enum class KeyKind : uint8_t { kNone, kRsa, kEcc, kLms, kMldsa };

// A list's signature as stored. Big numbers are views of the stored (little-endian) bytes.
struct ListSignatureView {
  KeyKind key_kind = KeyKind::kNone;
  uint16_t revocation_counter = 0;
  // LIST2: the list's SigAlg (RSASSA/ECDSA/SM2). LIST2_1: KeyAndSignature.SigScheme as stored.
  uint16_t scheme = kAlgNull;
  // The hash the signature is made with. LIST2_1: Signature.HashAlg as stored. LIST2: implied
  // by the key (ECDSA P-256 -> SHA-256, P-384 -> SHA-384, SM2 -> SM3); kAlgNull for RSASSA, whose
  // hash is named by the DigestInfo inside the signature (pollist2.c verify_tpm20_rsa_sig()).
  uint16_t hash_alg = kAlgNull;
  uint16_t key_bytes = 0;  // modulus / coordinate size in bytes (LMS, ML-DSA: public key size)

  // LIST2_1 header fields as stored (shown by --show; checked by verification, not decoding).
  uint8_t kas_version = 0;      // KeyAndSignature.Version
  uint16_t key_alg = kAlgNull;  // KeyAndSignature.KeyAlg (LIST2: kAlgRsa / kAlgEcc, implied)
  uint8_t key_version = 0;      // Key.Version
  uint16_t key_size_field = 0;  // Key.KeySize as stored (bits for RSA/ECC, bytes for LMS/ML-DSA)
  uint32_t exponent = kRsaExponent;  // Key.Exponent (LIST2_1 RSA)
  uint8_t sig_version = 0;           // Signature.Version
  uint16_t sig_key_size_field = 0;   // Signature.KeySize as stored
  uint32_t ecc_reserved = 0;         // LIST2 lcp_ecc_signature_t.Reserved

  ByteSpan modulus;   // RSA modulus, little-endian
  ByteSpan qx, qy;    // ECC public point, little-endian
  ByteSpan key_blob;  // LMS / ML-DSA public key (native encoding)
  ByteSpan value;     // the signature value: RSA SigBlock (LE), ECC r||s (LE), LMS/ML-DSA block
  ByteSpan r, s;      // ECC halves of value
  // false only for the LIST2 RSASSA "no SigBlock" form (a file ending after the modulus, made for
  // external signing; docs/reference/lcp.md §5.2).
  bool has_value = true;

  uint32_t offset = 0;        // absolute offset of RevocationCounter
  uint32_t value_offset = 0;  // absolute offset of the signature value
};

struct ListView {
  uint16_t version = 0;
  uint16_t sig_alg = kAlgNull;        // LIST2 SigAlg (kAlgNull = unsigned); LIST2_1: kAlgNull
  uint16_t key_signature_offset = 0;  // LIST2_1 KeySignatureOffset (0 = unsigned)
  uint32_t elements_size = 0;         // PolicyElementsSize
  uint32_t element_count = 0;
  ByteSpan elements;  // the PolicyElements bytes
  bool is_signed = false;
  ListSignatureView signature;  // valid when is_signed
  ByteSpan raw;                 // the whole list as stored
  // The bytes the signature covers (docs/reference/lcp.md §5.2/§5.3): LIST2 everything before the
  // signature value; LIST2_1 [0, KeySignatureOffset). Empty for an unsigned list.
  ByteSpan signed_bytes;
  uint32_t offset = 0;  // absolute offset of the list in the input

  bool is_list2() const { return is_list2_version(version); }
  bool is_list21() const { return is_list21_version(version); }
};

// Reads one list at the reader's position (as inside a policy data file) and advances past it.
// The LIST2 "no SigBlock" form is rejected: its length cannot be known from the structure.
Result<ListView> read_list(ByteReader& r);
// A list file: exactly one list filling the whole file. allow_missing_sig_block accepts the LIST2
// RSASSA "no SigBlock" form (signature.has_value == false), as lcp2_crtpollist --show/--sign do.
Result<ListView> decode_list_file(ByteSpan file, bool allow_missing_sig_block = false);

// Iterates over the elements of a decoded list (which are already validated).
class ElementIterator {
 public:
  explicit ElementIterator(const ListView& l) : r_(l.elements, l.offset + kListHeaderSize) {}
  bool done() const { return r_.at_end(); }
  Result<ElementView> next() { return read_element(r_); }

 private:
  ByteReader r_;
};

// The bytes a list contributes to the PolicyHash (docs/reference/lcp.md §6): the whole list if
// unsigned, else only the public key as stored (RSA modulus LE, ECC Qx||Qy LE, LMS/ML-DSA key).
ByteSpan list_measured_bytes(const ListView& l);
// H_alg(list_measured_bytes(l)).
Result<Digest> list_measurement(Hasher& h, HashAlg alg, const ListView& l);

// ------------------------------------------------------------------ encode
// Walks a run of concatenated elements (element files back to back) with read_element(): every
// element must be valid and the run must end exactly at its end. Returns the element count.
Result<uint32_t> validate_elements(ByteSpan elements, uint32_t base_offset = 0);

// An unsigned list: header (SigAlg = TPM_ALG_NULL for LIST2, KeySignatureOffset = 0 for LIST2_1)
// followed by the elements. Size 8 + elements.size.
size_t unsigned_list_size(size_t elements_size);
Result<size_t> encode_unsigned_list(ByteWriter& w, uint16_t version, ByteSpan elements);

// What to sign a list with. Public-key numbers are given in the stored (little-endian) order.
struct SignatureSpec {
  KeyKind key_kind = KeyKind::kNone;  // kRsa or kEcc
  // LIST2: the SigAlg (kAlgRsaSsa, kAlgEcdsa, kAlgSm2). LIST2_1: the SigScheme (kAlgRsaPss,
  // kAlgRsaSsa, kAlgEcdsa, kAlgSm2).
  uint16_t scheme = kAlgNull;
  // LIST2_1 Signature.HashAlg (RSA: the chosen hash; ECDSA: SHA-256/384 by key size; SM2: SM3).
  // Ignored for LIST2, where it is not stored.
  uint16_t hash_alg = kAlgNull;
  uint16_t revocation_counter = 0;
  ByteSpan modulus;  // RSA, LE, 256 or 384 bytes
  ByteSpan qx, qy;   // ECC, LE, 32 or 48 bytes each
};

// Where the pieces of a signed list are, for a given spec.
struct SignedListLayout {
  size_t size = 0;          // the whole list
  size_t tbs_size = 0;      // bytes [0, tbs_size) are signed
  size_t value_offset = 0;  // the signature value (RSA: K bytes; ECC: r (k) then s (k))
  size_t value_size = 0;
};
Result<SignedListLayout> signed_list_layout(uint16_t version, size_t elements_size,
                                            const SignatureSpec& spec);
// Writes the list with its key and an all-zero signature value (the caller signs bytes
// [0, tbs_size) and stores the little-endian value with place_signature_value()). With
// include_value == false a LIST2 RSASSA list ends after the modulus (the "no SigBlock" form).
Result<SignedListLayout> encode_signed_list(ByteWriter& w, uint16_t version, ByteSpan elements,
                                            const SignatureSpec& spec, bool include_value = true);
// Copies value (already in the stored little-endian order; for ECC r_le||s_le) into a list
// buffer produced by encode_signed_list().
Status place_signature_value(MutableByteSpan list, const SignedListLayout& layout, ByteSpan value);

// The SignatureSpec that reproduces a decoded list's signature (to re-sign with the same key or
// to rebuild a list around new elements).
SignatureSpec spec_of(const ListView& l);

// The hash an ECDSA/SM2 signature over a list uses, from the scheme and the coordinate size
// (pollist2.c ec_sign_list2_data(), pollist2_1.c read_ecdsa_pubkey_file_2_1()).
uint16_t ecc_hash_for(uint16_t scheme, uint16_t key_bytes);

}  // namespace tlaunch::lcp
