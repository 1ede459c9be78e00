// TCTI-backed transport (tcti_transport.h).
#include "tlaunch/tpmnv/tcti_transport.h"

#include <tss2/tss2_tcti.h>

#include "tlaunch/tpmnv/rc.h"

namespace tlaunch::tpmnv {

namespace {
// Longest wait for one response: PCR reads answer at once; swtpm under load takes a few seconds.
constexpr int32_t kReceiveTimeoutMs = 60000;
}  // namespace

host::Expected<std::unique_ptr<TctiTransport>> TctiTransport::open(const std::string& conf) {
  auto tcti = Tcti::open(conf);
  if (!tcti) return tcti.failure();
  return std::unique_ptr<TctiTransport>(new TctiTransport(std::move(*tcti)));
}

Status TctiTransport::send(ByteSpan command) {
  TSS2_RC rc = Tss2_Tcti_Transmit(tcti_.get(), command.size, command.data);
  if (rc != TSS2_RC_SUCCESS) {
    Error e = make_error(Errc::kTpmUnreachable, "the TCTI did not take the command");
    e.tpm_rc = rc;
    return e;
  }
  return ok_status();
}

Result<size_t> TctiTransport::receive(MutableByteSpan out) {
  size_t size = out.size;
  TSS2_RC rc = Tss2_Tcti_Receive(tcti_.get(), &size, out.data, kReceiveTimeoutMs);
  if (rc != TSS2_RC_SUCCESS) {
    Error e = make_error(
        (rc & 0xFFFF) == TSS2_BASE_RC_INSUFFICIENT_BUFFER ? Errc::kTooLarge : Errc::kTpmUnreachable,
        "no response from the TCTI");
    e.tpm_rc = rc;
    return e;
  }
  return size;
}

host::Failure core_failure(const std::string& what, const Error& e) {
  if (e.code == Errc::kTpm) return tpm_failure(what, e.tpm_rc);
  host::Failure f = host::fail(e, what);
  if (e.code == Errc::kTpmUnreachable && e.tpm_rc != 0) f.message += ": " + rc_text(e.tpm_rc);
  return f;
}

bool PcrSnapshot::allocated(uint32_t pcr, HashAlg bank) const {
  for (size_t i = 0; i < banks.count; ++i)
    if (banks.banks[i].alg == static_cast<uint16_t>(bank)) return (banks.banks[i].pcrs >> pcr) & 1;
  return false;
}

const Digest* PcrSnapshot::find(uint32_t pcr, HashAlg bank) const {
  for (const auto& r : readings)
    if (r.pcr == pcr && r.value.alg == bank) return &r.value;
  return nullptr;
}

host::Expected<PcrSnapshot> read_pcrs(tpm::Transport& t, const std::vector<uint32_t>& pcrs,
                                      const std::vector<HashAlg>& banks) {
  PcrSnapshot s;
  auto b = tpm::get_pcr_banks(t);
  if (!b.ok()) return core_failure("TPM2_GetCapability(PCRS)", b.error());
  s.banks = *b;
  for (uint32_t pcr : pcrs) {
    for (HashAlg bank : banks) {
      if (pcr > 23 || !s.allocated(pcr, bank)) continue;
      auto v = tpm::pcr_read(t, pcr, bank);
      if (!v.ok()) return core_failure("TPM2_PCR_Read of PCR " + std::to_string(pcr), v.error());
      s.readings.push_back({pcr, *v});
    }
  }
  return s;
}

}  // namespace tlaunch::tpmnv
