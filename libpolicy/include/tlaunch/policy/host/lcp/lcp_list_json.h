// JSON renderings of LCP lists, policy data files and policies, following
// schemas/lcp-list.v1.schema.json and schemas/lcp-policy.v1.schema.json. Big numbers (modulus,
// Qx/Qy, signature values) are given big-endian, the usual octet-string order; the files store
// them reversed (docs/reference/lcp.md §1).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/lcp_list.h"
#include "tlaunch/policy/lcp_policy.h"

namespace tlaunch::lcp::host {

// Documents carry "version": 1 (the schema version), like the other tlaunch JSON outputs.
inline constexpr int kJsonVersion = 1;

// One list ("list" definition of the list schema). check: the signature verification outcome to
// include (nullptr: not verified).
nlohmann::json list_json(const ListView& l, const ListCheck* check);
// The LcpHashAlgMask / AuxHashAlgMask bits by name ("sha256", ...; unknown bits as "0x...").
nlohmann::json hash_mask_json(uint16_t mask);
// The LcpSignAlgMask bits by name ("rsa-2048-sha256", ..., unknown bits as "0x...").
nlohmann::json sign_mask_json(uint32_t mask);
// The policy ("policy" definition of the policy schema).
nlohmann::json policy_json(const Policy& p);
// A hash algorithm by its schema name ("sha256", ...; "0x...." when unknown; null for
// TPM_ALG_NULL).
nlohmann::json json_hash_name(uint16_t alg);
// A signature scheme by its schema name ("rsassa", "rsapss", "ecdsa", "sm2", ...; "0x....").
std::string json_scheme_name(uint16_t scheme);
// "3.0", "3.1", "3.2" (or "0x..." for others).
std::string policy_version_string(uint16_t v);

}  // namespace tlaunch::lcp::host
