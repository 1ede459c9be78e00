#include "decision.h"

namespace tlaunch::launcher {

launch::Config make_config(const Options& opts, const tpm::PcrBanks& banks) {
  launch::Config config;
  config.pcr_map = opts.pcr_map;
  config.cur_alg = opts.cur_alg;
  config.embedded = opts.embedded;
  if (opts.embedded) {
    for (size_t b = 0; b < banks.count && config.num_banks < launch::kMaxBanks; ++b) {
      const HashAlg a = static_cast<HashAlg>(banks.banks[b].alg);
      if (banks.banks[b].pcrs != 0 &&
          (a == HashAlg::kSha256 || a == HashAlg::kSha384 || a == HashAlg::kSha512))
        config.banks[config.num_banks++] = a;
    }
    if (config.num_banks == 0) config.banks[config.num_banks++] = HashAlg::kSha256;
  }
  return config;
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
