// The transport seam (core/transport.h) over a TCTI, so that host tools run the launcher's own
// command marshalling (core/commands.h) against /dev/tpmrm0, swtpm or the simulator: `tlaunch log
// verify` reads PCRs with tpm::get_pcr_banks() and tpm::pcr_read(), the code the launcher uses.
// Host only: the TCTI comes from Tss2_TctiLdr (esys.h Tcti), commands go through
// Tss2_Tcti_Transmit / Tss2_Tcti_Receive (tpm2-tss include/tss2/tss2_tcti.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/transport.h"
#include "tlaunch/tpmnv/esys.h"

namespace tlaunch::tpmnv {

class TctiTransport final : public tpm::Transport {
 public:
  // conf as from choose_tcti(). kTpmUnreachable naming the TCTI string when it cannot be opened.
  static host::Expected<std::unique_ptr<TctiTransport>> open(const std::string& conf);
  ~TctiTransport() = default;

  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

 private:
  explicit TctiTransport(Tcti tcti) : tcti_(std::move(tcti)) {}
  Tcti tcti_;
};

// A core TPM error as a host failure: "<what>: the TPM answered 0x... (...)" for TPM response
// codes (rc.h), the decode error otherwise.
host::Failure core_failure(const std::string& what, const Error& e);

// PCR values read through a transport: every (pcr, bank) asked for that the TPM has allocated.
struct PcrReading {
  uint32_t pcr = 0;
  Digest value;
};
struct PcrSnapshot {
  tpm::PcrBanks banks;               // the TPM's PCR banks and which PCRs each has
  std::vector<PcrReading> readings;  // in the order asked, allocated ones only
  bool allocated(uint32_t pcr, HashAlg bank) const;
  const Digest* find(uint32_t pcr, HashAlg bank) const;
};
host::Expected<PcrSnapshot> read_pcrs(tpm::Transport& t, const std::vector<uint32_t>& pcrs,
                                      const std::vector<HashAlg>& banks);

}  // namespace tlaunch::tpmnv
