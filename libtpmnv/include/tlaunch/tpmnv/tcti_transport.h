// The host side of the one TPM transport seam (core/transport.h). Host only: tpm2-tss.
//
//   TCTI (tctildr: swtpm, device, mssim, ...)
//     └─ TctiTransport      tpm::Transport over the TCTI: the bytes of every host TPM command
//          └─ (optional decorators: counting, fault injection in tests)
//               ├─ core commands (commands.h): GetCapability, PCR_Read — the launcher's code
//               └─ TransportTcti: a TCTI whose transmit/receive call the Transport, under ESAPI
//
// So the host, like the launcher (TIS/CRB MMIO) and the unit tests (fakes), sends every command
// through one tpm::Transport; ESAPI runs on top of it instead of owning its own connection
// (the model is ChromiumOS trunks' CommandTransceiver).
#pragma once

#include <tss2/tss2_tcti.h>

#include <memory>
#include <string>

#include "tlaunch/tpmnv/core/transport.h"

namespace tlaunch::tpmnv {

// tpm::Transport over a TCTI context (not owned; it must outlive this object).
class TctiTransport final : public tpm::Transport {
 public:
  TctiTransport(TSS2_TCTI_CONTEXT* tcti, std::string conf) : tcti_(tcti), conf_(std::move(conf)) {}
  Status send(ByteSpan command) override;
  Result<size_t> receive(MutableByteSpan out) override;

 private:
  TSS2_TCTI_CONTEXT* tcti_;
  std::string conf_;
};

// A TCTI (TSS2_TCTI_CONTEXT_COMMON_V2) whose transmit/receive go to a tpm::Transport, for
// Esys_Initialize. Move-only owner; the Transport must outlive it. A transport failure is kept
// (last_error()) so that the caller can report what really failed rather than ESAPI's
// TSS2_TCTI_RC_IO_ERROR.
class TransportTcti {
 public:
  explicit TransportTcti(tpm::Transport& t);
  ~TransportTcti();
  TransportTcti(const TransportTcti&) = delete;
  TransportTcti& operator=(const TransportTcti&) = delete;

  TSS2_TCTI_CONTEXT* get();
  const Error& last_error() const;

  struct Context;  // defined in tcti_transport.cpp

 private:
  std::unique_ptr<Context> ctx_;
};

}  // namespace tlaunch::tpmnv
