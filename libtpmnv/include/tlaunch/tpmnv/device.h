// The TPM as the host tools use it: the NV operations and the few queries above them (limits,
// state, PCR banks, PCR values), one TPM command (or one fixed short sequence) per call. This is
// an interface above the one byte transport (core/transport.h), not a second seam: EsysDevice
// sends every command, ESAPI's and the core marshalling's, through one tpm::Transport
// (tcti_transport.h); unit tests use a fake NvDevice. Everything above it (chunking,
// verification, planning, provisioning, doctor) is written once against this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"
#include "tlaunch/tpmnv/core/commands.h"

// Returns the failure of a HostStatus/Expected expression from the enclosing function.
#define TPMNV_TRY(expr)                               \
  do {                                                \
    auto tpmnv_try_r_ = (expr);                       \
    if (!tpmnv_try_r_) return tpmnv_try_r_.failure(); \
  } while (0)

namespace tlaunch::tpmnv {

// The NV public area: the core type (core/commands.h), one for the whole project.
using NvPublic = tpm::NvPublic;
inline Bytes policy_bytes(const NvPublic& p) {
  return Bytes(p.auth_policy, p.auth_policy + p.auth_policy_size);
}

// The definition an existing index was made with, from its public area: the attributes without
// the state bits the TPM sets, and the hierarchy PLATFORMCREATE records: what check_definition()
// judges (`tlaunch nv status`, `tlaunch doctor`).
inline NvDefinition definition_of(const NvPublic& p) {
  NvDefinition d;
  d.handle = p.handle;
  d.attributes = p.attributes & ~attr::kStateBits;
  d.size = p.size;
  d.auth_policy = policy_bytes(p);
  d.hierarchy = (p.attributes & attr::kPlatformCreate) ? Hierarchy::kPlatform : Hierarchy::kOwner;
  return d;
}

// The public area an index defined by `d` has before its first write (the inverse of
// definition_of() for the definition's own bits).
inline NvPublic public_of(const NvDefinition& d) {
  NvPublic p;
  p.handle = d.handle;
  p.attributes = d.attributes;
  p.size = d.size;
  p.set_policy(ByteSpan(d.auth_policy.data(), d.auth_policy.size()));
  return p;
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

// What `tlaunch doctor` reports about the TPM (Part 2 §6.13 TPM_PT, §10.9 PCR selections).
struct TpmInfo {
  std::string manufacturer;  // TPM_PT_MANUFACTURER as text ("IBM", "INTC", "MSFT")
  TpmLimits limits;
  uint32_t nv_indices = 0;         // TPM_PT_HR_NV_INDEX: indices defined
  uint32_t persistent_avail = 0;   // TPM_PT_HR_PERSISTENT_AVAIL
  uint32_t nv_counters_avail = 0;  // TPM_PT_NV_COUNTERS_AVAIL
  tpm::PcrBanks banks;             // every bank with its allocated PCRs (0: unallocated)
};

class NvDevice {
 public:
  virtual ~NvDevice() = default;

  virtual host::Expected<TpmLimits> limits() = 0;
  virtual host::Expected<TpmState> state() = 0;
  virtual host::Expected<TpmInfo> info() = 0;
  // PCR_Read of one PCR in one bank.
  virtual host::Expected<Digest> pcr_read(uint8_t pcr, HashAlg bank) = 0;
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
