// Keys, signing and verification for LCP policy lists over OpenSSL 3 EVP: RSASSA-PKCS1-v1_5 and
// RSA-PSS (2048/3072 bits, SHA-256/384), ECDSA P-256/SHA-256 and P-384/SHA-384, SM2/SM3 (with the
// empty user ID lcptools uses, lcp3.h SM2_ID_LEN = 0). Facts: docs/reference/lcp.md §1 (byte
// orders), §5.2/§5.3 (what is signed, PSS salt = digest length), §9 (key inputs).
//
// This layer works with big-endian numbers (the usual octet strings); the list code stores them
// reversed (little-endian) as the formats require.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {

using tlaunch::host::Bytes;
using tlaunch::host::Expected;
using tlaunch::host::Failure;
using tlaunch::host::HostStatus;

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

enum class KeyAlgo { kRsa, kEc, kSm2 };

// The public half of a signing key, with the numbers LCP stores.
struct PublicKey {
  KeyAlgo algo = KeyAlgo::kRsa;
  size_t bytes = 0;  // RSA modulus size / ECC coordinate size, in bytes
  Bytes modulus;     // RSA n, big-endian, exactly `bytes` long
  Bytes x, y;        // ECC point, big-endian, each exactly `bytes` long
  EvpPkeyPtr pkey;
  std::string source;  // where it came from, for messages

  // "RSA-2048", "ECC P-384", "SM2".
  std::string describe() const;
  // The stored (little-endian) forms.
  Bytes modulus_le() const;
  Bytes x_le() const;
  Bytes y_le() const;
};

struct PrivateKey {
  EvpPkeyPtr pkey;
  std::string source;
};

// Where a private key's passphrase comes from: never the command line (CONVENTIONS; brief).
struct PassphraseSource {
  std::string file;  // first line of this file (without its line break)
  // Environment variable holding the passphrase; used when no file is given.
  std::string env_var = "TLAUNCH_KEY_PASSPHRASE";
  bool allow_prompt = true;  // ask on the terminal (/dev/tty) when neither is given
};

// A public key file: PEM or DER (SubjectPublicKeyInfo or PKCS#1 RSA), or, like lcptools
// (crypto_OpenSSL.c), a raw 256/384-byte big-endian RSA modulus or a raw 64/96-byte
// Qx_LE||Qy_LE EC point. Only the key types and sizes LCP signs with are accepted: RSA 2048/3072
// with exponent 65537, EC P-256/P-384, SM2.
Expected<PublicKey> load_public_key(const std::string& path);
// A PEM or DER private key, possibly passphrase-protected.
Expected<PrivateKey> load_private_key(const std::string& path, const PassphraseSource& pass);
// The public half of a private key (same checks as load_public_key()).
Expected<PublicKey> public_key_of(const PrivateKey& key);
// RSA from its big-endian modulus (exponent 65537); ECC/SM2 from big-endian coordinates
// (curve by size: 32 -> P-256 or SM2, 48 -> P-384). Fails if the point is not on the curve.
Expected<PublicKey> rsa_public_key(ByteSpan modulus_be, const std::string& source);
Expected<PublicKey> ecc_public_key(KeyAlgo algo, ByteSpan x_be, ByteSpan y_be,
                                   const std::string& source);

// Fails (kCrypto, naming both files) unless the private key belongs to the public key.
HostStatus check_key_pair(const PublicKey& pub, const PrivateKey& priv);

// Signs msg. scheme: TPM_ALG_RSASSA, TPM_ALG_RSAPSS, TPM_ALG_ECDSA or TPM_ALG_SM2; hash_alg:
// TPM_ALG_SHA256/SHA384 (RSA, ECDSA) or TPM_ALG_SM3_256 (SM2). Returns the big-endian signature:
// RSA the K-byte value, ECC r||s with each half zero-padded to the coordinate size.
Expected<Bytes> sign_message(const PrivateKey& key, const PublicKey& pub, uint16_t scheme,
                             uint16_t hash_alg, ByteSpan msg);

// The outcome of checking one signature.
struct VerifyOutcome {
  bool valid = false;
  uint16_t hash_alg = 0;  // the hash the signature was checked with (RSASSA: from DigestInfo)
  std::string reason;     // why it is not valid
};
// Verifies a big-endian signature (same shapes as sign_message() returns). For RSASSA, hash_alg
// may be TPM_ALG_NULL: the hash is then taken from the DigestInfo inside the signature (SHA-256 or
// SHA-384), as lcptools does for LIST2 lists, for any key size
// (docs/reference/upstream-quirks.md#q26). A malformed or non-matching signature is an outcome, not
// a Failure; Failure means the check could not be made.
Expected<VerifyOutcome> verify_message(const PublicKey& pub, uint16_t scheme, uint16_t hash_alg,
                                       ByteSpan msg, ByteSpan sig);

// A signature produced elsewhere (HSM, `openssl dgst -sign`): RSA exactly K big-endian bytes;
// ECC/SM2 a DER ECDSA-Sig-Value or raw r||s big-endian (2 * coordinate size bytes). Returns the
// big-endian form sign_message() would.
Expected<Bytes> parse_detached_signature(const PublicKey& pub, ByteSpan sig);

// True if this OpenSSL provides SM2 and SM3.
bool sm2_supported();

// Reverses a byte string (big-endian <-> the little-endian LCP storage order).
Bytes reversed(ByteSpan b);

}  // namespace tlaunch::lcp::host
