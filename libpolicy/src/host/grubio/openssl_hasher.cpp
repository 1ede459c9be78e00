#include "tlaunch/policy/host/grubio/openssl_hasher.h"

namespace tlaunch::host {

const EVP_MD* evp_md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
    case HashAlg::kSm3_256:
      return EVP_get_digestbyname("SM3");
    default:
      return nullptr;
  }
}

OpenSslHasher::OpenSslHasher() : ctx_(EVP_MD_CTX_new()) {}

Status OpenSslHasher::begin(HashAlg alg) {
  const EVP_MD* md = evp_md(alg);
  alg_ = alg;
  failed_ = false;
  if (md == nullptr)
    return make_error(Errc::kUnsupported, "hash algorithm not supported by this OpenSSL");
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) {
    failed_ = true;
    return make_error(Errc::kCrypto, "EVP_DigestInit_ex failed");
  }
  return ok_status();
}

void OpenSslHasher::update(ByteSpan data) {
  if (failed_ || data.size == 0) return;
  if (EVP_DigestUpdate(ctx_.get(), data.data, data.size) != 1) failed_ = true;
}

Digest OpenSslHasher::finish() {
  Digest d;
  d.alg = alg_;
  unsigned int n = 0;
  if (!failed_ && EVP_DigestFinal_ex(ctx_.get(), d.bytes, &n) == 1)
    d.size = static_cast<uint8_t>(n);
  return d;
}

}  // namespace tlaunch::host
