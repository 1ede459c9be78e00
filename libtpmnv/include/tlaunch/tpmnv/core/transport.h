// The one transport seam for TPM commands (CONVENTIONS §6): send a marshalled command, receive
// the response bytes. The launcher implements it over TIS/CRB MMIO, tests with fakes, the host
// over a TCTI (tpmnv/tcti_transport.h), with ESAPI running on top of that same transport. Every
// TPM command of the project passes through one of these. Freestanding: no heap, no exceptions.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::tpm {

class Transport {
 public:
  // Sends one complete command. kTpmUnreachable (with a message saying why) on timeout etc.
  virtual Status send(ByteSpan command) = 0;
  // Receives one complete response into `out`; returns its length. A response longer than `out`
  // is an error (kTooLarge), never a write past its end.
  virtual Result<size_t> receive(MutableByteSpan out) = 0;

 protected:
  ~Transport() = default;
};

}  // namespace tlaunch::tpm
