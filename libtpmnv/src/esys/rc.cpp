#include "tlaunch/tpmnv/rc.h"

#include <tss2/tss2_rc.h>

#include <cstdio>

namespace tlaunch::tpmnv {
namespace {

// TSS2_RC layer in bits 16-23 (tpm2-tss include/tss2/tss2_common.h): 0 = TPM, 10 = TCTI.
constexpr uint32_t kLayerShift = 16;
constexpr uint32_t kLayerTpm = 0;
constexpr uint32_t kLayerTcti = 10;

struct Hint {
  uint32_t base;
  const char* text;
};

// Base codes (rc_base) and what they usually mean while provisioning NV indices.
constexpr Hint kHints[] = {
    {0x100, "the TPM was not started: run tpm2_startup -c (swtpm: --flags startup-clear)"},
    {0x101,
     "the TPM is in failure mode (swtpm daemonised with a relative --tpmstate path does "
     "this)"},
    {0x082,
     "the TPM refuses this attribute combination, or the operation needs an attribute "
     "the index does not have (locking needs writedefine/write_stclear/read_stclear)"},
    {0x085,
     "the hierarchy is disabled (TPM2_HierarchyControl cleared shEnable/phEnable) or is "
     "not the one that owns this index"},
    {0x08B, "no such handle: the index is not defined"},
    {kRcAuthFail,
     "wrong authorization value: check --auth (owner/platform password) or "
     "--index-auth; a failure on an index without no_da counts towards "
     "dictionary-attack lockout"},
    {kRcBadAuth,
     "wrong authorization value: check --auth (owner/platform password) or "
     "--index-auth; a failure on an index without no_da counts towards "
     "dictionary-attack lockout"},
    {0x095, "a size is larger than this TPM allows (TPM_PT_NV_INDEX_MAX / TPM_PT_NV_BUFFER_MAX)"},
    {0x099, "the policy session does not satisfy the index's authPolicy"},
    {0x12F, "the authorization is not available for this entity"},
    {0x146, "offset + size are beyond the end of the index"},
    {0x147, "the requested size is larger than the index or the TPM's NV buffer"},
    {0x148,
     "the index is locked (write lock lasts until TPM reset, or forever for "
     "writedefine; read lock until TPM reset)"},
    {0x149,
     "NV authorization not allowed: the index's attributes do not permit this "
     "authorization (e.g. reading an authread index through the owner, or writing an "
     "ownerwrite index with its own password); see `tlaunch nv list`"},
    {0x14A, "the index has never been written (WRITTEN is clear)"},
    {0x14B, "the TPM's NV memory is full: undefine indices you no longer need (tlaunch nv list)"},
    {kRcNvDefined,
     "an index with this handle is already defined: inspect it with `tlaunch nv "
     "status`, remove it with `tlaunch nv undefine`, or let `tlaunch nv provision "
     "--replace` redefine it"},
    {0x907,
     "not allowed at the current locality (e.g. an index or PCR restricted to "
     "localities 2-4, which only the launched environment has)"},
    {0x921,
     "the TPM is in dictionary-attack lockout: wait for TPM_PT_LOCKOUT_RECOVERY or "
     "reset it with the lockout authorization (tpm2_dictionarylockout --clear-lockout)"},
    {0x922, "the TPM asked to retry the command"},
    {0x923, "the TPM is rate-limiting NV writes; retry later"},
    {0x924, "NV memory is temporarily unavailable"},
};

}  // namespace

uint32_t rc_base(uint32_t rc) {
  uint32_t layer = rc >> kLayerShift;
  if (layer != kLayerTpm) return rc;
  // Part 2 §6.6.3: bit 7 set = format one; its number (handle/session/parameter) is bits 8-11
  // and bit 6; the error itself is bits 0-5 plus the format bit.
  if (rc & 0x80) return 0x080 | (rc & 0x3F);
  return rc & 0xFFF;
}

std::string rc_text(uint32_t rc) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%x", rc);
  const char* words = Tss2_RC_Decode(rc);
  return std::string(buf) + " (" + (words ? words : "unknown") + ")";
}

const char* rc_hint(uint32_t rc) {
  uint32_t layer = rc >> kLayerShift;
  if (layer == kLayerTcti)
    return "the TPM could not be reached: check --tcti (or TPM2TOOLS_TCTI/TCTI) and that the TPM "
           "or simulator is running";
  if (layer != kLayerTpm) return nullptr;
  uint32_t base = rc_base(rc);
  for (const Hint& h : kHints)
    if (h.base == base) return h.text;
  return nullptr;
}

Errc rc_errc(uint32_t rc) {
  return (rc >> kLayerShift) == kLayerTcti ? Errc::kTpmUnreachable : Errc::kTpm;
}

host::Failure tpm_failure(const std::string& what, uint32_t rc) {
  std::string msg = what + ": the TPM answered " + rc_text(rc);
  if ((rc >> kLayerShift) == kLayerTcti) msg = what + ": transport failure " + rc_text(rc);
  if (const char* hint = rc_hint(rc)) msg += "\n  hint: " + std::string(hint);
  return host::Failure{rc_errc(rc), msg, rc};
}

host::Failure core_failure(const std::string& what, const Error& e) {
  if (e.code == Errc::kTpm) return tpm_failure(what, e.tpm_rc);
  if (e.code == Errc::kTpmUnreachable && e.has_value)
    return tpm_failure(what, static_cast<uint32_t>(e.value));
  return host::fail(e, what);
}

}  // namespace tlaunch::tpmnv
