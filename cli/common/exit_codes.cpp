#include "exit_codes.h"

namespace tlaunch::cli {

int exit_code_for(Errc e) {
  switch (e) {
    case Errc::kOk:
      return kExitOk;
    case Errc::kTruncated:
    case Errc::kBadValue:
    case Errc::kTooLarge:
    case Errc::kNotFound:
      return kExitInput;
    case Errc::kUnsupported:
      return kExitUnsupported;
    case Errc::kIo:
      return kExitIo;
    case Errc::kTpm:
      return kExitTpm;
    case Errc::kTpmUnreachable:
      return kExitTpmUnreachable;
    case Errc::kCrypto:
      return kExitCrypto;
    case Errc::kConflict:
      return kExitConflict;
    case Errc::kVerifyFailed:
      return kExitFailed;
    case Errc::kUsage:
      return kExitUsage;
    case Errc::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace tlaunch::cli
