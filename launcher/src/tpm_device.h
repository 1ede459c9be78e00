// The launcher's TPM: one interface for the two register interfaces the TCG PC Client Platform
// TPM Profile (PTP) Specification defines at 0xFED40000 — FIFO (TIS, tis.h) and Command Response
// Buffer (CRB, crb.h) — and the one bring-up flow both go through, so that a firmware TPM on
// CRB (Intel PTT, AMD fTPM) and a discrete FIFO TPM behave and log the same way.
//
// PTP facts used here (the "Locality", "Interface Identifier Register" and "Interface Timeouts"
// parts of the PTP; docs/reference/tpm-interfaces.md): localities 0–4 are 4 KiB pages from
// 0xFED40000; TPM_INTERFACE_ID (offset 0x30 of a page) tells in bits 3:0 which interface is
// active (0 = FIFO, 1 = CRB, 0xF = a TIS 1.3 FIFO TPM without the register); bit 8 (CapLocality)
// says whether localities 1–4 exist at all (0 = locality 0 only).
// tboot (common/tpm.c is_tpm_crb, tpm_detect) chooses CRB exactly when InterfaceType is CRB.
#pragma once

#include "clock.h"
#include "mmio.h"
#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/transport.h"

namespace tlaunch::launcher {

inline constexpr uint32_t kTpmBase = 0xFED40000;
inline constexpr uint32_t kLocalityStride = 0x1000;
inline constexpr uint8_t kMaxLocality = 4;

// PTP interface timeouts in milliseconds, taken at their TIS 1.3 (larger) values for C and D: a
// bound against a hang, not a performance target. kCommandDuration covers the NV and PCR
// commands the launcher sends (milliseconds on real parts, seconds for a slow NV write).
inline constexpr uint32_t kTimeoutA = 750;   // locality request / release
inline constexpr uint32_t kTimeoutB = 2000;  // commandReady (FIFO), cancel (CRB)
inline constexpr uint32_t kTimeoutC = 750;   // status valid (FIFO), cmdReady / goIdle (CRB)
inline constexpr uint32_t kTimeoutD = 750;   // burstCount (FIFO)
inline constexpr uint32_t kCommandDuration = 20000;

enum class TpmInterface : uint8_t { kFifo = 0, kCrb = 1, kUnknown = 2 };

struct InterfaceId {
  uint32_t raw = 0xFFFFFFFFu;  // TPM_INTERFACE_ID_0 as read
  TpmInterface kind = TpmInterface::kUnknown;
  bool all_localities = true;  // CapLocality: localities 1–4 exist (always so for TIS 1.3)
};

// Reads TPM_INTERFACE_ID_0 and decodes it. InterfaceType 0 (FIFO) and 0xF (TIS 1.3, also what an
// absent device reads as) are kFifo; the FIFO driver's probe then tells whether a TPM answers.
InterfaceId detect_interface(MmioBus& bus);
const char* interface_name(TpmInterface t);

// A TPM at 0xFED40000 behind one register interface. send()/receive() (tpm::Transport) run one
// command at the active locality; every wait is bounded by the timeouts above.
class TpmDevice : public tpm::Transport {
 public:
  virtual TpmInterface kind() const = 0;
  // Checks that the interface answers at locality 0; returns its DID_VID (vendor in bits 15:0,
  // device in 31:16: TPM_DID_VID for FIFO, TPM_CRB_INTF_ID bits 63:32 for CRB).
  virtual Result<uint32_t> probe() = 0;
  // Whether the interface has locality `loc` at all (after probe()).
  virtual bool has_locality(uint8_t loc) const = 0;
  // The locality the TPM reports active, or -1.
  virtual int active_locality() = 0;
  // Gives up `loc` if it is active (bounded wait; nothing happens when it is not).
  virtual void release_locality(uint8_t loc) = 0;
  // Requests `loc` and waits until the TPM reports it active (timeout A).
  virtual Status request_locality(uint8_t loc) = 0;
  // The locality commands are sent at.
  virtual uint8_t locality() const = 0;

 protected:
  ~TpmDevice() = default;
};

// What the two register interfaces at 0xFED40000 share: the bus and clock they wait on, the
// locality pages (kTpmBase + loc * kLocalityStride), the locality commands go to and whether
// localities 1–4 exist. Tis and Crb add their register flows.
class MmioTpmDevice : public TpmDevice {
 public:
  bool has_locality(uint8_t loc) const final {
    return loc == 0 || (loc <= kMaxLocality && all_loc_);
  }
  uint8_t locality() const final { return loc_; }

 protected:
  // all_localities: what the interface assumes before probe() reads CapLocality.
  MmioTpmDevice(MmioBus& bus, const TimeSource& clock, bool all_localities)
      : bus_(bus), clock_(clock), all_loc_(all_localities) {}
  ~MmioTpmDevice() = default;
  static uint32_t reg(uint8_t loc, uint32_t off) {
    return kTpmBase + uint32_t{loc} * kLocalityStride + off;
  }

  MmioBus& bus_;
  const TimeSource& clock_;
  uint8_t loc_ = 0;
  bool all_loc_;
};

// The launcher sends every command through one link that remembers a TPM that stopped
// answering: after the first transport failure (kTpmUnreachable: a bounded wait expired), every
// further command fails at once with that error instead of waiting out the timeouts again, so a
// dead TPM costs one command duration, not one per remaining command.
class TpmLink final : public tpm::Transport {
 public:
  void attach(TpmDevice* dev) { dev_ = dev; }
  TpmDevice* device() const { return dev_; }
  bool lost() const { return lost_; }
  const Error& lost_error() const { return lost_error_; }

  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

 private:
  TpmDevice* dev_ = nullptr;
  bool lost_ = false;
  Error lost_error_;
};

// What bring_up() did, filled in as far as it got (the launcher logs it either way).
struct BringUp {
  int firmware_locality = -1;     // the locality found active and released (-1: none)
  bool locality_refused = false;  // failed because the interface lacks or did not grant it
  bool sent_startup = false;      // TPM2_Startup(CLEAR) was needed and sent at locality 0
  tpm::PcrBanks banks;            // the allocated PCR banks (on success)
};

// The one bring-up for both interfaces: release the locality the firmware left active (SeaBIOS
// and OVMF leave 0), request `locality`, ask for the PCR banks; if the TPM answers
// TPM_RC_INITIALIZE (nobody sent Startup), send TPM2_Startup(CLEAR) at locality 0 and go back to
// `locality`. A locality the interface does not have is an error before anything is written.
Status bring_up(TpmDevice& dev, uint8_t locality, BringUp* out);

}  // namespace tlaunch::launcher
