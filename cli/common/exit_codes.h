// Exit codes of `tlaunch` (documented in man/tlaunch.1, section EXIT STATUS). Never reorder.
// The compatibility front ends (tb_polgen, lcp2_*) keep upstream's exit status instead.
#pragma once

#include "tlaunch/policy/result.h"

namespace tlaunch::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,          // a check answered "no": verification failed, drift, verdict fail
  kExitUsage = 2,           // bad command line: unknown option, bad option value
  kExitInput = 3,           // malformed input file/data (names file, field, byte offset)
  kExitIo = 4,              // file missing, unreadable, not writable
  kExitTpm = 5,             // the TPM answered with an error
  kExitTpmUnreachable = 6,  // no TPM reachable (TCTI could not be opened)
  kExitConflict = 7,        // existing state conflicts with what was asked (NV index, file)
  kExitCrypto = 8,          // key or signature problem
  kExitUnsupported = 9,     // valid request that this build/platform does not support
  kExitInternal = 70,       // a bug in tlaunch
};

int exit_code_for(Errc e);

}  // namespace tlaunch::cli
