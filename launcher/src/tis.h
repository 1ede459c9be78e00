// TPM 2.0 over the TIS/FIFO MMIO interface at 0xFED40000 (TCG PC Client Platform TPM Profile
// (PTP) Specification, §6.5 "FIFO Interface"; the older TCG PC Client TIS 1.3 has the same
// registers; docs/reference/tpm-interfaces.md). Localities 0–4 are 4 KiB pages; QEMU grants 0–3,
// never 4 (docs/reference/boot-lab.md §4). Every wait is bounded by the PTP timeouts
// (tpm_device.h) and a command duration limit, so an absent or stuck TPM gives an error, never a
// hang.
#pragma once

#include "tpm_device.h"

namespace tlaunch::launcher {

class Tis final : public MmioTpmDevice {
 public:
  // A FIFO TPM has localities 0–4 unless probe() finds CapLocality clear.
  Tis(MmioBus& bus, const TimeSource& clock) : MmioTpmDevice(bus, clock, true) {}

  TpmInterface kind() const override { return TpmInterface::kFifo; }
  // Checks that a FIFO TPM answers at locality 0; returns its DID_VID register.
  Result<uint32_t> probe() override;
  int active_locality() override;
  void release_locality(uint8_t loc) override;
  Status request_locality(uint8_t loc) override;

  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

 private:
  uint32_t status();
  Status wait_status(uint32_t mask, uint32_t want, uint32_t ms, const char* what);
  Result<uint32_t> wait_burst();
};

}  // namespace tlaunch::launcher
