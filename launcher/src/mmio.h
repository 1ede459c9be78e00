// Register access for the TPM drivers. The launcher runs with paging off, so a register is a
// volatile access at its physical address (PhysMmio); the host unit tests put a fake register
// file behind the same interface (tests/unit/launcher_tpm_test.cpp), so the TIS and CRB state
// machines run on the host under ASan against scripted TPM behaviour.
#pragma once

#include <stdint.h>

#include "arch.h"

namespace tlaunch::launcher {

class MmioBus {
 public:
  virtual uint8_t read8(uint32_t addr) = 0;
  virtual uint32_t read32(uint32_t addr) = 0;
  virtual void write8(uint32_t addr, uint8_t v) = 0;
  virtual void write32(uint32_t addr, uint32_t v) = 0;

 protected:
  ~MmioBus() = default;
};

class PhysMmio final : public MmioBus {
 public:
  uint8_t read8(uint32_t a) override { return mmio_read8(a); }
  uint32_t read32(uint32_t a) override { return mmio_read32(a); }
  void write8(uint32_t a, uint8_t v) override { mmio_write8(a, v); }
  void write32(uint32_t a, uint32_t v) override { mmio_write32(a, v); }
};

}  // namespace tlaunch::launcher
