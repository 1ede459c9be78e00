// The one transport seam for TPM commands (CONVENTIONS §6): send a marshalled command, receive
// the response bytes. The launcher implements it over TIS MMIO, tests with a fake, the host over
// a TCTI. Freestanding: no heap, no exceptions.
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
