// An in-memory NvDevice for unit tests: a map of indices with TPM-like rules for the parts the
// NV code relies on, plus a log of the commands it received and hooks to inject failures.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/device.h"
#include "tlaunch/tpmnv/rc.h"

namespace tlaunch::tpmnv::testing {

class FakeNvDevice final : public NvDevice {
 public:
  struct Index {
    NvPublic pub;
    Bytes data;
  };
  TpmLimits lim{2048, 1024};
  std::map<uint32_t, Index> indices;
  std::vector<std::string> log;  // "define 0x...", "write 0x... 0+1024", ...
  int fail_write_after = -1;     // NV_Write number (0-based) that fails with TPM_RC_NV_RATE
  bool corrupt_writes = false;   // store writes with the first byte flipped

  size_t count(const std::string& prefix) const {
    size_t n = 0;
    for (const std::string& l : log) n += l.rfind(prefix, 0) == 0;
    return n;
  }

  host::Expected<TpmLimits> limits() override {
    log.push_back("limits");
    return lim;
  }
  host::Expected<TpmState> state() override { return TpmState{}; }
  host::Expected<TpmInfo> info() override {
    TpmInfo i;
    i.manufacturer = "FAKE";
    i.limits = lim;
    i.nv_indices = static_cast<uint32_t>(indices.size());
    i.banks.count = 1;
    i.banks.banks[0] = {0x000B, 0x00FFFFFF};
    return i;
  }
  host::Expected<Digest> pcr_read(uint8_t, HashAlg bank) override {
    Digest d;
    d.alg = bank;
    d.size = digest_size(static_cast<uint16_t>(bank));
    return d;
  }
  host::Expected<std::vector<uint32_t>> list_indices() override {
    std::vector<uint32_t> out;
    for (auto& [h, i] : indices) out.push_back(h);
    return out;
  }
  host::Expected<std::optional<NvPublic>> read_public(uint32_t handle) override {
    log.push_back("readpublic " + format_handle(handle));
    auto it = indices.find(handle);
    if (it == indices.end()) return std::optional<NvPublic>();
    return std::optional<NvPublic>(it->second.pub);
  }
  host::HostStatus define(const NvDefinition& def) override {
    log.push_back("define " + format_handle(def.handle));
    if (indices.count(def.handle)) return tpm_failure("NV_DefineSpace", 0x14C);
    Index i;
    i.pub = public_of(def);
    i.data.assign(def.size, 0xFF);
    indices[def.handle] = i;
    return host::host_ok();
  }
  host::HostStatus undefine(const NvPublic& pub) override {
    log.push_back("undefine " + format_handle(pub.handle));
    if (!indices.erase(pub.handle)) return tpm_failure("NV_UndefineSpace", 0x18B);
    return host::host_ok();
  }
  host::HostStatus write(const NvPublic& pub, AuthRole, uint16_t offset, ByteSpan data) override {
    size_t n = count("write ");
    log.push_back("write " + format_handle(pub.handle) + " " + std::to_string(offset) + "+" +
                  std::to_string(data.size));
    if (static_cast<int>(n) == fail_write_after) return tpm_failure("NV_Write", 0x923);
    auto it = indices.find(pub.handle);
    if (it == indices.end()) return tpm_failure("NV_Write", 0x18B);
    if (data.size > lim.nv_buffer_max) return tpm_failure("NV_Write", 0x147);
    if (offset + data.size > it->second.pub.size) return tpm_failure("NV_Write", 0x146);
    for (size_t k = 0; k < data.size; ++k) it->second.data[offset + k] = data[k];
    if (corrupt_writes) it->second.data[offset] ^= 1;
    it->second.pub.attributes |= attr::kWritten;
    return host::host_ok();
  }
  host::Expected<Bytes> read(const NvPublic& pub, AuthRole, uint16_t offset,
                             uint16_t size) override {
    log.push_back("read " + format_handle(pub.handle) + " " + std::to_string(offset) + "+" +
                  std::to_string(size));
    auto it = indices.find(pub.handle);
    if (it == indices.end()) return tpm_failure("NV_Read", 0x18B);
    if (!(it->second.pub.attributes & attr::kWritten)) return tpm_failure("NV_Read", 0x14A);
    if (size > lim.nv_buffer_max) return tpm_failure("NV_Read", 0x147);
    if (offset + size > it->second.pub.size) return tpm_failure("NV_Read", 0x146);
    return Bytes(it->second.data.begin() + offset, it->second.data.begin() + offset + size);
  }
  host::HostStatus write_lock(const NvPublic& pub, AuthRole) override {
    log.push_back("writelock " + format_handle(pub.handle));
    indices[pub.handle].pub.attributes |= attr::kWriteLocked;
    return host::host_ok();
  }
  host::HostStatus read_lock(const NvPublic& pub, AuthRole) override {
    log.push_back("readlock " + format_handle(pub.handle));
    indices[pub.handle].pub.attributes |= attr::kReadLocked;
    return host::host_ok();
  }
};

}  // namespace tlaunch::tpmnv::testing
