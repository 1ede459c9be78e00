// CRB TPM driver (see crb.h). Register bits (PTP CRB register tables; docs/reference/
// tpm-interfaces.md): TPM_LOC_STATE bit 1 locAssigned, bits 4:2 activeLocality, bit 7
// tpmRegValidSts; TPM_LOC_CTRL bit 0 requestAccess, bit 1 relinquish; TPM_CRB_CTRL_REQ bit 0
// cmdReady, bit 1 goIdle (the TPM clears each when done); TPM_CRB_CTRL_STS bit 0 tpmSts (fatal
// error), bit 1 tpmIdle; TPM_CRB_CTRL_START / _CANCEL bit 0.
#include "crb.h"

namespace tlaunch::launcher {
namespace {

constexpr uint32_t kLocState = 0x00;
constexpr uint32_t kLocCtrl = 0x08;
constexpr uint32_t kIntfId = 0x30;
constexpr uint32_t kIntfId2 = 0x34;  // bits 63:32 of TPM_CRB_INTF_ID: VID 15:0, DID 31:16
constexpr uint32_t kCtrlReq = 0x40;
constexpr uint32_t kCtrlSts = 0x44;
constexpr uint32_t kCtrlCancel = 0x48;
constexpr uint32_t kCtrlStart = 0x4C;
constexpr uint32_t kCmdSize = 0x58;
constexpr uint32_t kCmdLaddr = 0x5C;
constexpr uint32_t kCmdHaddr = 0x60;
constexpr uint32_t kRspSize = 0x64;
constexpr uint32_t kRspAddr = 0x68;

constexpr uint32_t kLocAssigned = 1u << 1;
constexpr uint32_t kLocRegValid = 1u << 7;
constexpr uint32_t kLocCtrlRequest = 1u << 0;
constexpr uint32_t kLocCtrlRelinquish = 1u << 1;
constexpr uint32_t kReqCmdReady = 1u << 0;
constexpr uint32_t kReqGoIdle = 1u << 1;
constexpr uint32_t kStsError = 1u << 0;
constexpr uint32_t kStsIdle = 1u << 1;
constexpr uint32_t kStart = 1u << 0;
constexpr uint32_t kCancel = 1u << 0;
constexpr uint32_t kCapLocality = 1u << 8;

constexpr size_t kHeader = 10;

Error unreachable(const char* message) { return make_error(Errc::kTpmUnreachable, message); }

bool overlap(uint32_t a, uint32_t an, uint32_t b, uint32_t bn) {
  return uint64_t{a} < uint64_t{b} + bn && uint64_t{b} < uint64_t{a} + an;
}

}  // namespace

Result<uint32_t> Crb::probe() {
  const uint32_t id = bus_.read32(reg(0, kIntfId));
  if ((id & 0xF) != static_cast<uint32_t>(TpmInterface::kCrb))
    return with_value(unreachable("TPM_INTERFACE_ID does not report an active CRB interface"), id);
  if (!(bus_.read32(reg(0, kLocState)) & kLocRegValid))
    return unreachable("CRB registers not valid (TPM_LOC_STATE.tpmRegValidSts is 0)");
  all_loc_ = (id & kCapLocality) != 0;
  cmd_size_ = bus_.read32(reg(0, kCmdSize));
  cmd_addr_ = bus_.read32(reg(0, kCmdLaddr));
  rsp_size_ = bus_.read32(reg(0, kRspSize));
  rsp_addr_ = bus_.read32(reg(0, kRspAddr));
  if (bus_.read32(reg(0, kCmdHaddr)) != 0 || bus_.read32(reg(0, kRspAddr + 4)) != 0)
    return unreachable("CRB command or response buffer above 4 GiB (not addressable here)");
  if (cmd_size_ < kHeader || rsp_size_ < kHeader || cmd_addr_ == 0 || rsp_addr_ == 0)
    return with_value(unreachable("CRB command or response buffer missing or too small"),
                      cmd_size_ < rsp_size_ ? cmd_size_ : rsp_size_);
  if (uint64_t{cmd_addr_} + cmd_size_ > 0x100000000ull ||
      uint64_t{rsp_addr_} + rsp_size_ > 0x100000000ull)
    return unreachable("CRB command or response buffer runs past 4 GiB");
  // PTP: buffers that overlap must be the same buffer (Linux tpm_crb checks the same).
  if (overlap(cmd_addr_, cmd_size_, rsp_addr_, rsp_size_) &&
      (cmd_addr_ != rsp_addr_ || cmd_size_ != rsp_size_))
    return unreachable("CRB command and response buffers overlap without being the same");
  // Neither buffer may overlap the control registers of any locality page.
  if (overlap(cmd_addr_, cmd_size_, kTpmBase, 0x80) ||
      overlap(rsp_addr_, rsp_size_, kTpmBase, 0x80))
    return unreachable("CRB buffer overlaps the CRB control registers");
  return bus_.read32(reg(0, kIntfId2));
}

int Crb::active_locality() {
  const uint32_t s = bus_.read32(reg(0, kLocState));
  if ((s & (kLocRegValid | kLocAssigned)) != (kLocRegValid | kLocAssigned)) return -1;
  return static_cast<int>((s >> 2) & 7);
}

void Crb::release_locality(uint8_t loc) {
  if (!has_locality(loc) || active_locality() != loc) return;
  bus_.write32(reg(loc, kLocCtrl), kLocCtrlRelinquish);
  Deadline d(clock_, kTimeoutA);
  while (!d.expired() && active_locality() == loc) cpu_relax();
}

Status Crb::request_locality(uint8_t loc) {
  if (loc > kMaxLocality) return make_error(Errc::kBadValue, "locality out of range");
  if (!has_locality(loc))
    return with_value(unreachable("the CRB interface has locality 0 only "
                                  "(TPM_CRB_INTF_ID.CapLocality is 0)"),
                      loc);
  bus_.write32(reg(loc, kLocCtrl), kLocCtrlRequest);
  Deadline d(clock_, kTimeoutA);
  for (;;) {
    if (active_locality() == loc) {
      loc_ = loc;
      return ok_status();
    }
    if (d.expired()) return unreachable("TPM did not grant the requested locality (timeout A)");
    cpu_relax();
  }
}

Status Crb::wait_reg(uint32_t off, uint32_t mask, uint32_t want, uint32_t ms, const char* what) {
  Deadline d(clock_, ms);
  for (;;) {
    if ((bus_.read32(reg(loc_, off)) & mask) == want) return ok_status();
    if (d.expired()) return unreachable(what);
    cpu_relax();
  }
}

Status Crb::cancel() {
  bus_.write32(reg(loc_, kCtrlCancel), kCancel);
  Status s = wait_reg(kCtrlStart, kStart, 0, kTimeoutB, "TPM did not end the cancelled command");
  bus_.write32(reg(loc_, kCtrlCancel), 0);
  return s;
}

Status Crb::go_idle() {
  bus_.write32(reg(loc_, kCtrlReq), kReqGoIdle);
  return wait_reg(kCtrlReq, kReqGoIdle, 0, kTimeoutC, "TPM did not finish goIdle (timeout C)");
}

Status Crb::send(ByteSpan cmd) {
  if (cmd.size < kHeader) return make_error(Errc::kBadValue, "TPM command shorter than its header");
  if (cmd_size_ == 0) return make_error(Errc::kInternal, "CRB interface used before probe");
  if (cmd.size > cmd_size_)
    return with_value(make_error(Errc::kTooLarge, "TPM command larger than the CRB command buffer"),
                      cmd.size);
  started_ = false;
  if (bus_.read32(reg(loc_, kCtrlSts)) & kStsError)
    return unreachable("CRB reports a fatal TPM error (TPM_CRB_CTRL_STS.tpmSts)");
  bus_.write32(reg(loc_, kCtrlReq), kReqCmdReady);
  TLAUNCH_TRY(
      wait_reg(kCtrlReq, kReqCmdReady, 0, kTimeoutC, "TPM did not finish cmdReady (timeout C)"));
  TLAUNCH_TRY(wait_reg(kCtrlSts, kStsIdle | kStsError, 0, kTimeoutC,
                       "TPM stayed idle or failed after cmdReady (timeout C)"));
  for (size_t i = 0; i < cmd.size; ++i) bus_.write8(cmd_addr_ + static_cast<uint32_t>(i), cmd[i]);
  bus_.write32(reg(loc_, kCtrlStart), kStart);
  started_ = true;
  return ok_status();
}

Result<size_t> Crb::receive(MutableByteSpan out) {
  if (!started_) return make_error(Errc::kInternal, "CRB receive without a started command");
  started_ = false;
  Status done = wait_reg(kCtrlStart, kStart, 0, kCommandDuration,
                         "TPM returned no response within 20 s (CRB START not cleared)");
  if (!done.ok()) {
    (void)cancel();  // bounded; the command is lost either way
    (void)go_idle();
    return done.error();
  }
  if (bus_.read32(reg(loc_, kCtrlSts)) & kStsError)
    return unreachable("CRB reports a fatal TPM error (TPM_CRB_CTRL_STS.tpmSts)");
  uint8_t head[kHeader];
  for (size_t i = 0; i < kHeader; ++i) head[i] = bus_.read8(rsp_addr_ + static_cast<uint32_t>(i));
  const uint32_t size =
      (uint32_t{head[2]} << 24) | (uint32_t{head[3]} << 16) | (uint32_t{head[4]} << 8) | head[5];
  if (size < kHeader || size > rsp_size_)
    return with_value(unreachable("TPM response size out of range for the CRB response buffer"),
                      size);
  if (size > out.size)
    return with_value(make_error(Errc::kTooLarge, "TPM response larger than the buffer"), size);
  copy_bytes(out.data, head, kHeader);
  for (size_t i = kHeader; i < size; ++i)
    out.data[i] = bus_.read8(rsp_addr_ + static_cast<uint32_t>(i));
  // Back to idle; the next send() asks for cmdReady again. A TPM that does not go idle has
  // still answered this command: that shows at the next cmdReady.
  (void)go_idle();
  return size_t{size};
}

}  // namespace tlaunch::launcher
