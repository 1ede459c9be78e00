// Helpers the upstream LCP tools share through lcputils.c, shared here by the compatibility front
// ends (cli/compat/lcp2_*) in the same way.
#pragma once

#include <cstdint>
#include <cstring>

#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::cli::compat {

// lcputils.c str_to_hash_alg() as of tboot HEAD: sha256, sha384, sha512, sm3 (no sha1); any other
// text is TPM_ALG_NULL, which each tool then reports in its own words.
inline uint16_t str_to_hash_alg(const char* s) {
  if (std::strcmp(s, "sha256") == 0) return lcp::kAlgSha256;
  if (std::strcmp(s, "sha384") == 0) return lcp::kAlgSha384;
  if (std::strcmp(s, "sha512") == 0) return lcp::kAlgSha512;
  if (std::strcmp(s, "sm3") == 0) return lcp::kAlgSm3_256;
  return lcp::kAlgNull;
}

}  // namespace tlaunch::cli::compat
