#include "decision.h"

namespace tlaunch::launcher {

launch::Config make_config(const launch::LauncherOptions& opts, const tpm::PcrBanks& banks) {
  HashAlg allocated[tpm::kMaxBanks];
  const size_t n = tpm::allocated_banks(banks, allocated, tpm::kMaxBanks);
  return launch::make_config(opts, allocated, n);
}

bool modules_to_measure(bool loader_ok, launch::PolicySource source) {
  return loader_ok && source != launch::PolicySource::kTpmNotReady;
}

launch::Input make_input(const tpm::VlpRead& vlp, const uint8_t* policy_buf, bool loader_ok,
                         bool measured_ok, const launch::ModuleInput* modules,
                         size_t num_modules) {
  launch::Input input;
  input.source = vlp.source;
  input.policy_bytes =
      ByteSpan(policy_buf, vlp.source == launch::PolicySource::kNvRead ? vlp.size : 0);
  input.loader_ok = loader_ok;
  if (modules_to_measure(loader_ok, vlp.source)) {
    input.loader_ok = measured_ok;
    input.modules = modules;
    input.num_modules = measured_ok ? num_modules : 0;
  }
  return input;
}

}  // namespace tlaunch::launcher
