// TPM / TSS response codes in words: Tss2_RC_Decode() plus a hint for the codes NV provisioning
// runs into (TPM 2.0 Part 2 §6.6, TPM_RC; tpm2-tss include/tss2/tss2_tpm2_types.h).
#pragma once

#include <cstdint>
#include <string>

#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::tpmnv {

// The code without its handle/session/parameter number: 0x9A2 -> 0x0A2 (TPM_RC_BAD_AUTH).
uint32_t rc_base(uint32_t rc);
// "0x9a2 (tpm:session(1):the authorization HMAC check failed and DA counter incremented)".
std::string rc_text(uint32_t rc);
// What usually causes the code and what to do, or nullptr.
const char* rc_hint(uint32_t rc);
// kTpmUnreachable for transport (TCTI) failures, kTpm otherwise.
Errc rc_errc(uint32_t rc);
// "<what>: the TPM answered 0x... (...); hint" with code and tpm_rc set.
host::Failure tpm_failure(const std::string& what, uint32_t rc);
// The same for an error of the core command code (core/commands.h): a TPM response code, or a
// transport failure whose value is the TCTI's response code, in words; anything else (a
// malformed response) with field and byte offset.
host::Failure core_failure(const std::string& what, const Error& e);

inline constexpr uint32_t kRcHandle = 0x08B;     // TPM_RC_HANDLE (format 1)
inline constexpr uint32_t kRcBadAuth = 0x0A2;    // TPM_RC_BAD_AUTH
inline constexpr uint32_t kRcAuthFail = 0x08E;   // TPM_RC_AUTH_FAIL
inline constexpr uint32_t kRcHierarchy = 0x085;  // TPM_RC_HIERARCHY
inline constexpr uint32_t kRcNvDefined = 0x14C;  // TPM_RC_NV_DEFINED

}  // namespace tlaunch::tpmnv
