// Hash algorithm table (TCG Algorithm Registry ids; tboot include/hash.h; lcp3.h masks).
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/result.h"

namespace tlaunch {

enum class HashAlg : uint16_t {
  kSha1 = 0x0004,
  kSha256 = 0x000B,
  kSha384 = 0x000C,
  kSha512 = 0x000D,
  kNull = 0x0010,
  kSm3_256 = 0x0012,
};

inline constexpr size_t kMaxDigestSize = 64;

struct HashAlgInfo {
  HashAlg id;
  const char* name;      // lower-case CLI name: "sha256"
  const char* tpm_name;  // "TPM_ALG_SHA256"
  const char* tb_name;   // tboot's print name: "TB_HALG_SHA256"
  uint8_t digest_size;
  uint16_t lcp_mask;  // LcpHashAlgMask bit (docs/reference/lcp.md §2.2)
};

// All algorithms we know, in a stable order.
const HashAlgInfo* hash_alg_table(size_t* count);
const HashAlgInfo* find_hash_alg(uint16_t id);
// Case-insensitive lookup of "sha256", "sha384", "sha512", "sha1", "sm3"/"sm3_256".
const HashAlgInfo* find_hash_alg_by_name(const char* name);
// Digest size of a TPM_ALG_ID, 0 for unknown/NULL (tboot get_hash_size()).
uint8_t digest_size(uint16_t id);

struct Digest {
  HashAlg alg = HashAlg::kNull;
  uint8_t size = 0;
  uint8_t bytes[kMaxDigestSize] = {};

  ByteSpan span() const { return ByteSpan(bytes, size); }
  bool operator==(const Digest& o) const {
    return alg == o.alg && size == o.size && equal_bytes(bytes, o.bytes, size);
  }
};

Digest make_digest(HashAlg alg, ByteSpan bytes);

// Streaming hash interface: the host implements it with OpenSSL EVP, the launcher with the
// freestanding SHA code in libpolicy core. Non-virtual protected destructor: no heap, no RTTI.
class Hasher {
 public:
  virtual Status begin(HashAlg alg) = 0;
  virtual void update(ByteSpan data) = 0;
  virtual Digest finish() = 0;

 protected:
  ~Hasher() = default;
};

// One-shot helper: H(data) with the given hasher.
Result<Digest> hash_once(Hasher& h, HashAlg alg, ByteSpan data);

}  // namespace tlaunch
