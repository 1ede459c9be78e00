// TPM 2.0 over the Command Response Buffer (CRB) interface at 0xFED40000, how firmware TPMs
// (Intel PTT, AMD fTPM) and QEMU's tpm-crb appear (PTP "CRB Interface"; register map and flow in
// docs/reference/tpm-interfaces.md). Per locality page: TPM_LOC_STATE 0x00, TPM_LOC_CTRL 0x08,
// TPM_LOC_STS 0x0C, TPM_CRB_INTF_ID 0x30 (64-bit), TPM_CRB_CTRL_REQ 0x40, _STS 0x44, _CANCEL 0x48,
// _START 0x4C, _CMD_SIZE 0x58, _CMD_LADDR 0x5C, _CMD_HADDR 0x60, _RSP_SIZE 0x64, _RSP_ADDR 0x68
// (64-bit). The command and response buffers are wherever those registers say (usually the
// data buffer at 0x80 of the page); they must lie below 4 GiB for this 32-bit launcher.
//
// One command: cmdReady (CTRL_REQ bit 0, the TPM clears it), copy the command into the command
// buffer, START = 1, wait for the TPM to clear START, read the response (its header gives the
// size), goIdle (CTRL_REQ bit 1). A command that does not finish in kCommandDuration is
// cancelled (CANCEL = 1 until START clears, then CANCEL = 0). Every wait is bounded.
#pragma once

#include "tpm_device.h"

namespace tlaunch::launcher {

class Crb final : public MmioTpmDevice {
 public:
  // Localities 1–4 only once probe() has read CapLocality.
  Crb(MmioBus& bus, const TimeSource& clock) : MmioTpmDevice(bus, clock, false) {}

  TpmInterface kind() const override { return TpmInterface::kCrb; }
  // Checks that the CRB interface is active and its registers valid, and reads the command and
  // response buffer addresses and sizes (from locality 0's page).
  Result<uint32_t> probe() override;
  int active_locality() override;
  void release_locality(uint8_t loc) override;
  Status request_locality(uint8_t loc) override;

  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

  uint32_t command_buffer() const { return cmd_addr_; }
  uint32_t command_buffer_size() const { return cmd_size_; }
  uint32_t response_buffer() const { return rsp_addr_; }
  uint32_t response_buffer_size() const { return rsp_size_; }

 private:
  Status wait_reg(uint32_t off, uint32_t mask, uint32_t want, uint32_t ms, const char* what);
  Status cancel();
  Status go_idle();

  uint32_t cmd_addr_ = 0, cmd_size_ = 0, rsp_addr_ = 0, rsp_size_ = 0;
  bool started_ = false;  // a command was started and its response not yet collected
};

}  // namespace tlaunch::launcher
