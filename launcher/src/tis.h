// TPM 2.0 over the TIS/FIFO MMIO interface at 0xFED40000 (TCG PC Client Platform TPM Profile
// (PTP) Specification, §6.5 "FIFO Interface"; the older TCG PC Client TIS 1.3 has the same
// registers). Localities 0–4 are 4 KiB pages; this driver uses 0–3 (QEMU never grants 4, see
// docs/reference/boot-lab.md §4). Every wait is bounded by the PTP timeouts (A = 750 ms for
// locality, B = 2 s for commandReady, C/D = 750 ms for status and burst count) and a command
// duration limit, so an absent or stuck TPM gives an error, never a hang.
#pragma once

#include "clock.h"
#include "tlaunch/tpmnv/core/transport.h"

namespace tlaunch::launcher {

class Tis final : public tpm::Transport {
 public:
  static constexpr uintptr_t kBase = 0xFED40000;

  explicit Tis(const Clock& clock) : clock_(clock) {}

  // Checks that a FIFO TPM answers at locality 0; returns its DID_VID register.
  Result<uint32_t> probe();
  // Which locality, if any, the TPM reports active (-1: none).
  int active_locality();
  // Gives up `loc` (writes activeLocality to TPM_ACCESS_x); no-op if it is not active.
  void release_locality(uint8_t loc);
  // Requests `loc` and waits until it is the active locality.
  Status request_locality(uint8_t loc);
  uint8_t locality() const { return loc_; }

  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

 private:
  uintptr_t reg(uint32_t off) const { return kBase + uintptr_t{loc_} * 0x1000 + off; }
  uint32_t status() const;
  Status wait_status(uint32_t mask, uint32_t want, uint32_t ms, const char* what);
  Result<uint32_t> wait_burst();

  const Clock& clock_;
  uint8_t loc_ = 0;
};

}  // namespace tlaunch::launcher
