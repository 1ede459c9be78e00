// Host operations on LCP policy lists: read a list file, create a list from element files, sign it
// (directly, or detached: the exact bytes to sign, then attach a signature made elsewhere) and
// verify its signature. Formats: lcp_list.h; crypto: lcp_sign.h. Every error names the file.
#pragma once

#include <string>
#include <vector>

#include "tlaunch/policy/host/lcp/lcp_sign.h"
#include "tlaunch/policy/lcp_list.h"

namespace tlaunch::lcp::host {

// A decoded list file. The view points into `bytes`; the object is move-only so that it never
// outlives or copies away from its buffer.
class ListFile {
 public:
  ListFile() = default;
  ListFile(ListFile&&) = default;
  ListFile& operator=(ListFile&&) = default;
  ListFile(const ListFile&) = delete;
  ListFile& operator=(const ListFile&) = delete;

  std::string path;
  Bytes bytes;
  ListView view;
};

// Reads and decodes a list file (max 16 MiB). allow_missing_sig_block: accept the LIST2 RSASSA
// form without SigBlock (made by `--sign --nosig` for external signing).
Expected<ListFile> read_list_file(const std::string& path, bool allow_missing_sig_block = false);
// Decodes list bytes already in memory (a copy is kept); `name` is used in messages.
Expected<ListFile> list_from_bytes(Bytes bytes, const std::string& name,
                                   bool allow_missing_sig_block = false);

// Reads element files (each exactly one valid element) and concatenates them in the given order.
Expected<Bytes> read_elements(const std::vector<std::string>& element_files);

// Where the elements of a new list go. lcptools' lcp2_crtpollist --create inserts each element
// file in front of the ones before it (lcptools-v2 pollist2.c add_tpm20_policy_element(),
// pollist2_1.c add_tpm20_policy_element_2_1()), so its lists hold them in reverse command-line
// order; the lcp2_crtpollist drop-in does the same, because the bytes of an unsigned list are its
// PolicyHash. `tlaunch lcp list create` keeps the order the user wrote (docs/compat.md
// "lcp-element-order").
enum class ElementOrder { kAsWritten, kEachInFront };
// An unsigned list of the given version holding `elements` (each one encoded element) in `order`.
Expected<Bytes> make_list(uint16_t version, const std::vector<Bytes>& elements, ElementOrder order);
// make_list() over element files read with read_elements().
Expected<Bytes> create_list(uint16_t version, const std::vector<std::string>& element_files,
                            ElementOrder order);

struct SignRequest {
  // kAlgRsaSsa (LIST2 only in lcptools; also accepted by SINIT for 0x300), kAlgRsaPss (0x300 only),
  // kAlgEcdsa, kAlgSm2.
  uint16_t scheme = kAlgNull;
  // RSA: kAlgSha256 or kAlgSha384. ECDSA: kAlgNull = by key size. SM2: SM3 (kAlgNull = SM3).
  uint16_t hash_alg = kAlgNull;
  uint16_t revocation_counter = 0;
};

// A list laid out with its key and a zero signature value, ready to be signed.
struct PreparedList {
  Bytes bytes;
  SignedListLayout layout;
  uint16_t scheme = kAlgNull;
  uint16_t hash_alg = kAlgNull;  // the hash the signature must use (kAlgNull: LIST2 RSASSA, any)
  ByteSpan tbs() const { return ByteSpan(bytes.data(), layout.tbs_size); }
};

// Lays out the elements of `list` (any existing signature is dropped) with the key of `pub`.
// Fails with a clear message for combinations the formats do not have (RSA-PSS on LIST2, a key
// of the wrong type for the scheme, SM2 without OpenSSL support, ...). include_value = false makes
// the LIST2 RSASSA "no SigBlock" form.
Expected<PreparedList> prepare_signed_list(const ListView& list, const PublicKey& pub,
                                           const SignRequest& req, bool include_value = true);
// Signs `list` with the key pair (which must match) and verifies the result before returning it.
Expected<Bytes> sign_list(const ListView& list, const PublicKey& pub, const PrivateKey& priv,
                          const SignRequest& req);
// Inserts a signature made elsewhere (parse_detached_signature() formats) into the list laid out
// by prepare_signed_list(list, pub, req) and verifies it; a signature that does not verify is a
// kVerifyFailed failure and nothing is returned.
Expected<Bytes> attach_signature(const ListView& list, const PublicKey& pub, const SignRequest& req,
                                 ByteSpan signature);
// Stores a big-endian signature value (sign_message() shape) into a prepared list.
HostStatus place_value(PreparedList& p, const PublicKey& pub, ByteSpan sig_be);

// The signature check of a decoded list.
struct ListCheck {
  bool is_signed = false;
  bool valid = false;     // unsigned lists are valid
  uint16_t hash_alg = 0;  // the hash the signature was checked with
  std::string reason;     // why it is not valid (names the field at fault where there is one)
};
// Verifies a list's signature exactly as SINIT and lcptools check it (docs/reference/lcp.md
// §5.2/§5.3): the signed byte range, the stored little-endian key and value, and for LIST2_1 the
// structure versions (0x10), the exponent (65537), scheme, hash and key-size fields. A list that
// does not verify is an outcome; Failure means the check could not be made (e.g. LMS in this
// build).
Expected<ListCheck> verify_list(const ListView& list);
// The public key a signed list carries.
Expected<PublicKey> list_public_key(const ListView& list, const std::string& source);

// "list.lst" → e.g. "LCP_POLICY_LIST2 0x200" style description used by messages.
std::string list_kind(const ListView& list);
// "RSASSA", "RSA-PSS", "ECDSA", "SM2" or "none".
std::string scheme_short_name(uint16_t scheme);

}  // namespace tlaunch::lcp::host
