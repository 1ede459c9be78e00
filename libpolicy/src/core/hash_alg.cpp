#include "tlaunch/policy/hash_alg.h"

namespace tlaunch {
namespace {

// Digest sizes: FIPS 180-4; SM3: GB/T 32905-2016. Names as tboot and lcptools print them
// (tboot include/hash.h, lcptools-v2 lcputils.c).
constexpr HashAlgInfo kTable[] = {
    {HashAlg::kSha1, "sha1", "TPM_ALG_SHA1", "TB_HALG_SHA1", 20, 0x0001},
    {HashAlg::kSha256, "sha256", "TPM_ALG_SHA256", "TB_HALG_SHA256", 32, 0x0008},
    {HashAlg::kSha384, "sha384", "TPM_ALG_SHA384", "TB_HALG_SHA384", 48, 0x0040},
    {HashAlg::kSha512, "sha512", "TPM_ALG_SHA512", "TB_HALG_SHA512", 64, 0x0080},
    {HashAlg::kSm3_256, "sm3", "TPM_ALG_SM3_256", "TB_HALG_SM3", 32, 0x0020},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ieq(const char* a, const char* b) {
  while (*a && *b) {
    if (lower(*a) != lower(*b)) return false;
    ++a;
    ++b;
  }
  return *a == *b;
}

}  // namespace

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kTruncated:
      return "truncated";
    case Errc::kBadValue:
      return "bad-value";
    case Errc::kTooLarge:
      return "too-large";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kNotFound:
      return "not-found";
    case Errc::kIo:
      return "io";
    case Errc::kTpm:
      return "tpm";
    case Errc::kTpmUnreachable:
      return "tpm-unreachable";
    case Errc::kCrypto:
      return "crypto";
    case Errc::kConflict:
      return "conflict";
    case Errc::kVerifyFailed:
      return "verify-failed";
    case Errc::kUsage:
      return "usage";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";
}

const HashAlgInfo* hash_alg_table(size_t* count) {
  *count = sizeof(kTable) / sizeof(kTable[0]);
  return kTable;
}

const HashAlgInfo* find_hash_alg(uint16_t id) {
  for (const auto& e : kTable)
    if (static_cast<uint16_t>(e.id) == id) return &e;
  return nullptr;
}

const HashAlgInfo* find_hash_alg_by_name(const char* name) {
  if (ieq(name, "sm3_256") || ieq(name, "sm3-256")) return find_hash_alg(0x12);
  for (const auto& e : kTable)
    if (ieq(e.name, name)) return &e;
  return nullptr;
}

uint8_t digest_size(uint16_t id) {
  const HashAlgInfo* i = find_hash_alg(id);
  return i ? i->digest_size : 0;
}

Digest make_digest(HashAlg alg, ByteSpan bytes) {
  Digest d;
  d.alg = alg;
  d.size = static_cast<uint8_t>(bytes.size > kMaxDigestSize ? kMaxDigestSize : bytes.size);
  copy_bytes(d.bytes, bytes.data, d.size);
  return d;
}

Result<Digest> hash_once(Hasher& h, HashAlg alg, ByteSpan data) {
  TLAUNCH_TRY(h.begin(alg));
  h.update(data);
  return h.finish();
}

}  // namespace tlaunch
