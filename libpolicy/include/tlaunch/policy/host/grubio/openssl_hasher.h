// Host implementation of the Hasher interface over OpenSSL 3 EVP.
#pragma once

#include <openssl/evp.h>

#include <memory>

#include "tlaunch/policy/hash_alg.h"

namespace tlaunch::host {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

// The EVP_MD for a hash algorithm, or nullptr if this OpenSSL does not provide it.
const EVP_MD* evp_md(HashAlg alg);

class OpenSslHasher final : public Hasher {
 public:
  OpenSslHasher();
  Status begin(HashAlg alg) override;
  void update(ByteSpan data) override;
  Digest finish() override;

 private:
  EvpMdCtxPtr ctx_;
  HashAlg alg_ = HashAlg::kNull;
  bool failed_ = false;
};

}  // namespace tlaunch::host
