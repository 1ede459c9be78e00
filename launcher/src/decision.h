// What the launcher hands to launch::evaluate(), built from what it read: the options, the TPM's
// PCR banks, the VLP read from NV and the module measurements. Pure functions (no hardware, no
// console), so that tests/fuzz/fuzz_nv_policy runs this very code on the host after
// tpm::read_vlp() and before launch::evaluate(), as Launcher::run() does.
#pragma once

#include "boot_info.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/txt_modules.h"
#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/launch_nv.h"

namespace tlaunch::launcher {

// The launch configuration from the options and the banks the TPM reported: the allocated banks
// (tpm::allocated_banks) handed to launch::make_config(), the one rule every tool uses.
launch::Config make_config(const launch::LauncherOptions& opts, const tpm::PcrBanks& banks);

// tboot's module layout (txt_modules.h) over the loader's modules: kinds[i] for each of
// bi.num_modules, and the modules left, in order, into `numbered` — what the launcher measures,
// numbers for the VLP and hands to Linux (module 0 the kernel, module 1 the initrd). Returns how
// many are left. A module whose memory cannot be viewed is kept (classified on no bytes).
size_t tboot_module_layout(const PhysMem& mem, const BootInfo& bi, launch::TxtModule* kinds,
                           ModuleInfo* numbered);

// The highest locality the launch needs under a PCR mapping: 2 for da and legacy (PCR 17-19),
// 0 for loc0.
uint8_t launch_locality(launch::PcrMap map);

// Whether the modules are hashed at all: the loader handed over usable modules and the TPM
// answered (without a TPM the decision is an unmeasured launch, taken before any hashing).
bool modules_to_measure(bool loader_ok, launch::PolicySource source);

// The decision's input. Policy bytes only when the VLP index was read (`policy_buf` holds
// `vlp.size` bytes); modules only when they were measured; a module that could not be measured
// (`measured_ok` false) makes it a loader failure.
launch::Input make_input(const tpm::VlpRead& vlp, const uint8_t* policy_buf, bool loader_ok,
                         bool measured_ok, const launch::ModuleInput* modules, size_t num_modules);

}  // namespace tlaunch::launcher
