// The transport seam of libtpmnv (CONVENTIONS §6): the NV operations the tools need, one TPM
// command (or one fixed short sequence) per call. The host implements it over tpm2-tss ESAPI
// (esys.h); unit tests use a fake. Everything above it (chunking, verification, planning,
// provisioning) is written once, in ops.h and plan.h, against this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"

// Returns the failure of a HostStatus/Expected expression from the enclosing function.
#define TPMNV_TRY(expr)                               \
  do {                                                \
    auto tpmnv_try_r_ = (expr);                       \
    if (!tpmnv_try_r_) return tpmnv_try_r_.failure(); \
  } while (0)

namespace tlaunch::tpmnv {

// TPMS_NV_PUBLIC as read back from the TPM.
struct NvPublic {
  uint32_t handle = 0;
  uint16_t name_alg = 0x000B;  // TPM_ALG_SHA256
  uint32_t attributes = 0;
  Bytes auth_policy;
  uint16_t size = 0;
};

// The definition an existing index was made with, from its public area: the attributes without
// the state bits the TPM sets, and the hierarchy PLATFORMCREATE records: what check_definition()
// judges (`tlaunch nv status`, `tlaunch doctor`).
inline NvDefinition definition_of(const NvPublic& p) {
  NvDefinition d;
  d.handle = p.handle;
  d.attributes = p.attributes & ~attr::kStateBits;
  d.size = p.size;
  d.auth_policy = p.auth_policy;
  d.hierarchy = (p.attributes & attr::kPlatformCreate) ? Hierarchy::kPlatform : Hierarchy::kOwner;
  return d;
}

// Fixed TPM properties the NV code depends on (TPM 2.0 Part 2 §6.13, TPM_PT).
struct TpmLimits {
  uint32_t nv_index_max = 0;   // TPM_PT_NV_INDEX_MAX: largest index data area
  uint32_t nv_buffer_max = 0;  // TPM_PT_NV_BUFFER_MAX: largest NV_Write / NV_Read payload
};

// Variable TPM state shown by `nv status` (TPMA_PERMANENT, TPMA_STARTUP_CLEAR, DA counters).
struct TpmState {
  bool owner_auth_set = false;
  bool platform_hierarchy = true;  // phEnable
  bool owner_hierarchy = true;     // shEnable
  bool platform_nv = true;         // phEnableNV
  bool in_lockout = false;
  uint32_t lockout_counter = 0;
  uint32_t max_auth_fail = 0;
};

class NvDevice {
 public:
  virtual ~NvDevice() = default;

  virtual host::Expected<TpmLimits> limits() = 0;
  virtual host::Expected<TpmState> state() = 0;
  // Handles of every defined NV index, ascending.
  virtual host::Expected<std::vector<uint32_t>> list_indices() = 0;
  // The index's public area, or nullopt when no index has this handle.
  virtual host::Expected<std::optional<NvPublic>> read_public(uint32_t handle) = 0;
  // NV_DefineSpace by def.hierarchy, with the device's index password as the index's authValue.
  virtual host::HostStatus define(const NvDefinition& def) = 0;
  // NV_UndefineSpace (owner or platform), or NV_UndefineSpaceSpecial for POLICY_DELETE indices.
  virtual host::HostStatus undefine(const NvPublic& pub) = 0;
  // One NV_Write / NV_Read (size <= TpmLimits::nv_buffer_max), authorized as `role`.
  virtual host::HostStatus write(const NvPublic& pub, AuthRole role, uint16_t offset,
                                 ByteSpan data) = 0;
  virtual host::Expected<Bytes> read(const NvPublic& pub, AuthRole role, uint16_t offset,
                                     uint16_t size) = 0;
  virtual host::HostStatus write_lock(const NvPublic& pub, AuthRole role) = 0;
  virtual host::HostStatus read_lock(const NvPublic& pub, AuthRole role) = 0;
};

}  // namespace tlaunch::tpmnv
