// Interface detection and the common bring-up flow (see tpm_device.h).
#include "tpm_device.h"

namespace tlaunch::launcher {
namespace {

constexpr uint32_t kIntfId = 0x30;
constexpr uint32_t kCapLocality = 1u << 8;

}  // namespace

InterfaceId detect_interface(MmioBus& bus) {
  InterfaceId id;
  id.raw = bus.read32(kTpmBase + kIntfId);
  switch (id.raw & 0xF) {
    case 0x0:  // FIFO interface, PTP layout (TPM_INTERFACE_ID present)
      id.kind = TpmInterface::kFifo;
      id.all_localities = id.raw == 0 || (id.raw & kCapLocality) != 0;
      break;
    case 0x1:  // CRB interface active
      id.kind = TpmInterface::kCrb;
      id.all_localities = (id.raw & kCapLocality) != 0;
      break;
    case 0xF:  // TIS 1.3 FIFO without the register — or nothing at all (all ones)
      id.kind = TpmInterface::kFifo;
      break;
    default:
      id.kind = TpmInterface::kUnknown;
      break;
  }
  return id;
}

const char* interface_name(TpmInterface t) {
  switch (t) {
    case TpmInterface::kFifo:
      return "TIS/FIFO";
    case TpmInterface::kCrb:
      return "CRB";
    case TpmInterface::kUnknown:
      break;
  }
  return "unknown";
}

Status TpmLink::send(ByteSpan command) {
  if (dev_ == nullptr) return make_error(Errc::kTpmUnreachable, "no TPM");
  if (lost_) return lost_error_;
  Status s = dev_->send(command);
  if (!s.ok() && s.error().code == Errc::kTpmUnreachable) {
    lost_ = true;
    lost_error_ = s.error();
  }
  return s;
}

Result<size_t> TpmLink::receive(MutableByteSpan out) {
  if (dev_ == nullptr) return make_error(Errc::kTpmUnreachable, "no TPM");
  if (lost_) return lost_error_;
  auto r = dev_->receive(out);
  if (!r.ok() && r.error().code == Errc::kTpmUnreachable) {
    lost_ = true;
    lost_error_ = r.error();
  }
  return r;
}

Status bring_up(TpmDevice& dev, uint8_t locality, BringUp* out) {
  *out = BringUp();
  if (!dev.has_locality(locality)) {
    out->locality_refused = true;
    return with_value(make_error(Errc::kTpmUnreachable,
                                 "the TPM interface has locality 0 only (CapLocality is 0)"),
                      locality);
  }
  out->firmware_locality = dev.active_locality();
  if (out->firmware_locality >= 0)
    dev.release_locality(static_cast<uint8_t>(out->firmware_locality));
  Status got = dev.request_locality(locality);
  if (!got.ok()) {
    out->locality_refused = true;
    return got.error();
  }
  // A probe command; TPM_RC_INITIALIZE means nobody sent Startup yet (SeaBIOS and OVMF do).
  auto b = tpm::get_pcr_banks(dev);
  if (!b.ok() && b.error().tpm_rc == tpm::kRcInitialize) {
    out->sent_startup = true;
    // Startup at locality 0, the locality a platform starts the TPM from (PC Client PFP).
    dev.release_locality(locality);
    Status ls = dev.request_locality(0);
    Status st = ls.ok() ? tpm::startup(dev, tpm::kSuClear) : ls;
    dev.release_locality(0);
    if (!st.ok() && st.error().tpm_rc != tpm::kRcInitialize) return st.error();
    if (!dev.request_locality(locality).ok())
      return make_error(Errc::kTpmUnreachable, "locality not granted again after Startup");
    b = tpm::get_pcr_banks(dev);
  }
  if (!b.ok()) return b.error();
  out->banks = *b;
  return ok_status();
}

}  // namespace tlaunch::launcher
