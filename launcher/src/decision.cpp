#include "decision.h"

namespace tlaunch::launcher {

launch::Config make_config(const launch::LauncherOptions& opts, const tpm::PcrBanks& banks) {
  HashAlg allocated[tpm::kMaxBanks];
  const size_t n = tpm::allocated_banks(banks, allocated, tpm::kMaxBanks);
  return launch::make_config(opts, allocated, n);
}

size_t tboot_module_layout(const PhysMem& mem, const BootInfo& bi, launch::TxtModule* kinds,
                           ModuleInfo* numbered) {
  launch::ModuleHead heads[kMaxBootModules];
  for (size_t i = 0; i < bi.num_modules; ++i) {
    const ModuleInfo& m = bi.modules[i];
    const uint64_t size = m.end > m.start ? m.end - m.start : 0;
    const uint64_t want = size < launch::kTxtModuleHead ? size : launch::kTxtModuleHead;
    heads[i] = launch::ModuleHead();
    heads[i].size = size;
    ByteSpan view;
    if (want > 0 && mem.view(m.start, want, &view)) heads[i].head = view;
  }
  launch::classify_txt_modules(heads, bi.num_modules, kinds);
  size_t n = 0;
  for (size_t i = 0; i < bi.num_modules; ++i)
    if (kinds[i] == launch::TxtModule::kNone) numbered[n++] = bi.modules[i];
  return n;
}

uint8_t launch_locality(launch::PcrMap map) {
  uint8_t need = 0;
  for (uint8_t pcr = 17; pcr <= 19; ++pcr) {
    const uint8_t l = launch::pcr_extend_locality(launch::map_pcr(map, pcr));
    if (l > need) need = l;
  }
  return need;
}

bool modules_to_measure(bool loader_ok, launch::PolicySource source) {
  return loader_ok && source != launch::PolicySource::kTpmNotReady;
}

launch::Input make_input(const tpm::VlpRead& vlp, const uint8_t* policy_buf, bool loader_ok,
                         bool measured_ok, const launch::ModuleInput* modules, size_t num_modules) {
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
