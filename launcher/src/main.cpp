// tlaunch-launcher: what happens between the loader and Linux. In tboot's order
// (tboot/common/tboot.c begin_launch, policy.c verify_all_modules), without TXT/SENTER:
//   boot information → TPM (TIS, locality 2) → VLP from NV → measure modules → launch decision
//   (libpolicy launch.h, the same code `tlaunch predict` runs) → extend PCRs → error index →
//   boot Linux, boot it unmeasured, or halt.
// Every step is logged on the serial port; the last line before the hand-over or the halt is
//   TLAUNCH: verdict=<pass|fail> action=<continue|unmeasured|halt> error=<TB_ERR_...>
// See launcher/README.md for options, serial lines and exit codes.
#include "acpi.h"
#include "arch.h"
#include "boot_info.h"
#include "clock.h"
#include "console.h"
#include "crb.h"
#include "decision.h"
#include "efi.h"
#include "event_log.h"
#include "linux_boot.h"
#include "tis.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/sha2.h"
#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/launch_nv.h"
#include "tpm_device.h"

#ifndef TLAUNCH_VERSION
#define TLAUNCH_VERSION "0.0.0"
#endif

extern "C" uint8_t __image_start[];
extern "C" uint8_t __image_end[];
extern "C" uint8_t mle_cmdline[];

namespace tlaunch::launcher {
namespace {

using launch::PolicySource;
using vlp::Action;
using vlp::TbError;

constexpr size_t kMleCmdlineSize = 512;  // linker.ld asserts the area's size
constexpr size_t kMaxKernelCmdline = 4096;
// Room for the EFI memory map handed to Linux: 682 descriptors of 48 bytes (OVMF: ~100).
constexpr size_t kEfiMmapCopy = 32 * 1024;
// The launcher's own event log (setup_data header, then the log): room for its 32 events with
// command lines of ~700 bytes; a longer log is cut short with a warning.
constexpr size_t kOwnLogSize = 32 * 1024;

// Physical memory with paging off: an address is a pointer. Ranges that wrap past 4 GiB, and
// address 0 (a null pointer to C++), are refused.
class IdentityMem final : public PhysMem {
 public:
  bool view(uint64_t addr, uint64_t len, ByteSpan* out) const override {
    if (addr == 0 || addr > 0xFFFFFFFFull || len > 0x100000000ull - addr) return false;
    *out = ByteSpan(reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(addr)),
                    static_cast<size_t>(len));
    return true;
  }
};

const char* alg_name(HashAlg a) {
  const HashAlgInfo* i = find_hash_alg(static_cast<uint16_t>(a));
  return i ? i->name : "unknown";
}

const char* err_name(TbError e) {
  const char* n = vlp::tb_error_name(static_cast<uint32_t>(e));
  return n ? n : "TB_ERR_UNKNOWN";
}

void describe_error(Line& l, const Error& e) {
  l << e.message;
  if (e.field) l << " (field " << e.field;
  if (e.offset != kNoOffset) l << (e.field ? ", " : " (") << "byte offset " << dec(e.offset);
  if (e.field || e.offset != kNoOffset) l << ")";
  if (e.tpm_rc) l << " [TPM rc " << hex(e.tpm_rc) << "]";
  if (e.has_value) l << " [value " << hex(e.value) << "]";
  if (e.item >= 0) l << " [item " << dec(static_cast<uint32_t>(e.item)) << "]";
}

class Launcher {
 public:
  Launcher(uint32_t magic, uint32_t info, uint64_t t_entry)
      : magic_(magic), info_addr_(info), t_entry_(t_entry) {}

  [[noreturn]] void run();

 private:
  void setup_console();
  void log_boot_info();
  bool init_tpm();
  void read_policy();
  void number_modules();
  bool measure_modules();
  void log_outcome();
  void open_logs(Hasher& h, const launch::Input& input);
  bool extend_pcrs(Hasher& h, const launch::Input& input);
  void report_logs();
  void hand_over_log(MutableByteSpan boot_params);
  void log_pcrs();
  void write_error_index(TbError err);
  void release_tpm();
  [[noreturn]] void finish(TbError err, Action action);
  bool prepare_handover(LinuxRequest* req);
  [[noreturn]] void boot_linux(TbError err, Action action);
  [[noreturn]] void halt(TbError err);
  void verdict_line(TbError err, Action action);

  const uint32_t magic_;
  const uint32_t info_addr_;
  const uint64_t t_entry_;
  uint64_t hash_ticks_ = 0;

  IdentityMem mem_;
  BootInfo bi_;
  Status bi_status_;
  launch::LauncherOptions opts_;
  Serial serial_;
  Console con_{&serial_, false, Level::kNone};
  Clock clock_;
  PhysMmio mmio_;
  Tis tis_{mmio_, clock_};
  Crb crb_{mmio_, clock_};
  TpmDevice* tpm_ = nullptr;  // the interface in use once init_tpm() succeeded
  TpmLink link_;              // every command after bring-up goes through it
  bool tpm_ok_ = false;
  Error tpm_error_;
  tpm::PcrBanks banks_;
  tpm::VlpRead vlp_;
  uint32_t vlp_index_ = 0;      // the VLP index read (the option's handle set, else the other)
  uint8_t input_locality_ = 0;  // the locality the decision was told the launcher holds
  uint8_t policy_buf_[vlp::kMaxPolicySize] = {};
  launch::Config config_;
  // tboot's module layout: the loader's modules minus SINIT ACMs and the LCP data module.
  launch::TxtModule txt_kinds_[kMaxBootModules] = {};
  ModuleInfo numbered_[kMaxBootModules];
  size_t num_numbered_ = 0;
  launch::ModuleInput inputs_[kMaxBootModules];
  launch::Outcome outcome_;
  // What Linux gets besides the zero page (efi.h): the e820 table, a setup_data node for entries
  // beyond 128, and on UEFI a copy of the EFI memory map (boot_params.efi_info points at it).
  E820Table e820_;
  alignas(8) uint8_t setup_data_[kSetupDataSize] = {};
  alignas(8) uint8_t efi_mmap_[kEfiMmapCopy] = {};
  LaunchLogs logs_;
  alignas(8) uint8_t own_log_[kSetupDataHeaderSize + kOwnLogSize];
};

void Launcher::setup_console() {
  opts_ = launch::parse_launcher_options(bi_.cmdline);
  if (opts_.log_serial) serial_.init(opts_.serial_port, opts_.serial_baud);
  con_ = Console(&serial_, opts_.log_serial, opts_.level);
  // Like tboot's g_cmdline: the MLE command-line area holds our own command line (at most 511
  // characters, NUL-terminated, zero-filled), matching `lcp2_mlehash --cmdline`.
  fill_bytes(mle_cmdline, 0, kMleCmdlineSize);
  const size_t n = bi_.cmdline.size < kMleCmdlineSize - 1 ? bi_.cmdline.size : kMleCmdlineSize - 1;
  copy_bytes(mle_cmdline, bi_.cmdline.data, n);
}

void Launcher::log_boot_info() {
  con_.info() << "tlaunch-launcher " << TLAUNCH_VERSION << ", started by Multiboot"
              << (bi_.protocol == 2   ? "2"
                  : bi_.protocol == 1 ? " 1"
                                      : " (unknown)")
              << (bi_.loader_name.size ? " loader \"" : "") << Text{bi_.loader_name}
              << (bi_.loader_name.size ? "\"" : "");
  con_.info() << "command line: \"" << Text{bi_.cmdline} << "\"";
  if (opts_.num_bad)
    con_.warn() << dec(static_cast<uint32_t>(opts_.num_bad))
                << " option(s) not understood and ignored, first: \"" << Text{opts_.first_bad}
                << "\"";
  con_.detail() << "TSC " << dec(clock_.khz()) << " kHz"
                << (clock_.calibrated() ? " (PIT-calibrated)" : " (PIT did not answer; assumed)");
  if (!bi_status_.ok()) {
    describe_error(con_.err() << "boot information is malformed: ", bi_status_.error());
    return;
  }
  for (size_t i = 0; i < bi_.num_modules; ++i) {
    const ModuleInfo& m = bi_.modules[i];
    con_.info() << "module " << dec(static_cast<uint32_t>(i)) << ": " << hex8(m.start) << "-"
                << hex8(m.end) << " (" << dec(m.end >= m.start ? m.end - m.start : 0)
                << " bytes) \"" << Text{m.string} << "\"";
  }
  for (size_t i = 0; i < bi_.num_regions; ++i) {
    const MemRegion& r = bi_.regions[i];
    con_.detail() << "memory " << hex(r.base) << " +" << hex(r.length) << " type " << dec(r.type);
  }
}

// The TPM, whichever interface it has (TIS/FIFO or CRB, told apart by TPM_INTERFACE_ID as tboot
// does), brought up by the one flow of tpm_device.h at the locality the PCR mapping needs (2 for
// PCR 17-19, where tboot extends after a measured launch; 0 for pcr_map=loc0). When the platform
// does not give that locality (no CapLocality, or not granted: chipsets without a measured launch,
// many firmware TPMs) the launcher still works at locality 0: it reads and enforces the policy,
// and the decision says what happens to measurements it cannot record. Both interfaces print the
// same lines.
bool Launcher::init_tpm() {
  const InterfaceId id = detect_interface(mmio_);
  if (id.kind == TpmInterface::kUnknown) {
    tpm_error_ = with_value(make_error(Errc::kTpmUnreachable,
                                       "TPM_INTERFACE_ID names an interface this launcher does "
                                       "not drive"),
                            id.raw);
    return false;
  }
  TpmDevice& dev = id.kind == TpmInterface::kCrb ? static_cast<TpmDevice&>(crb_) : tis_;
  auto did = dev.probe();
  if (!did.ok()) {
    tpm_error_ = did.error();
    return false;
  }
  con_.info() << "TPM: " << interface_name(dev.kind()) << " interface, TPM_INTERFACE_ID "
              << hex8(id.raw) << ", DID_VID " << hex8(*did)
              << (dev.has_locality(1) ? ", localities 0-4" : ", locality 0 only");
  if (dev.kind() == TpmInterface::kCrb)
    con_.detail() << "TPM: CRB command buffer " << hex8(crb_.command_buffer()) << " +"
                  << hex(crb_.command_buffer_size()) << ", response buffer "
                  << hex8(crb_.response_buffer()) << " +" << hex(crb_.response_buffer_size());
  const uint8_t want = launch_locality(opts_.pcr_map);
  BringUp bu;
  Status s = bring_up(dev, want, &bu);
  if (!s.ok() && bu.locality_refused && want > 0) {
    describe_error(con_.warn() << "TPM: locality " << dec(want) << " not available (", s.error());
    con_.warn() << "TPM: working at locality 0: the policy is enforced, PCRs that need locality "
                << dec(want) << " cannot be extended";
    s = bring_up(dev, 0, &bu);
  }
  if (bu.firmware_locality >= 0)
    con_.detail() << "TPM: released locality " << dec(static_cast<uint32_t>(bu.firmware_locality))
                  << " left active by the firmware";
  if (bu.sent_startup)
    con_.info() << "TPM: not started by the firmware; sent TPM2_Startup(CLEAR) at locality 0";
  if (!s.ok()) {
    tpm_error_ = s.error();
    return false;
  }
  tpm_ = &dev;
  link_.attach(tpm_);
  banks_ = bu.banks;
  Line l = con_.info();
  l << "TPM: locality " << dec(tpm_->locality()) << " active; PCR banks:";
  for (size_t i = 0; i < banks_.count; ++i) {
    l << " " << alg_name(static_cast<HashAlg>(banks_.banks[i].alg));
    if (banks_.banks[i].pcrs == 0) l << "(unallocated)";
  }
  return true;
}

void Launcher::read_policy() {
  vlp_ = tpm::read_vlp_either_set(link_, opts_.nv_index_set,
                                  MutableByteSpan(policy_buf_, sizeof(policy_buf_)), &vlp_index_);
  const uint32_t index = vlp_index_;
  if (index != tpm::vlp_index(opts_.nv_index_set))
    con_.warn() << "VLP: no index in the " << launch::nv_index_set_name(opts_.nv_index_set)
                << " handle set; the policy in the other set (" << hex8(index)
                << ") is in force: nv_index_set= cannot hide an owner's policy";
  switch (vlp_.source) {
    case PolicySource::kNvRead:
      con_.info() << "VLP: read " << dec(static_cast<uint32_t>(vlp_.size))
                  << " bytes from NV index " << hex8(index) << " in "
                  << dec(static_cast<uint32_t>(vlp_.chunks)) << " chunk(s)"
                  << (vlp_.capped ? " (index larger than 2124 bytes: capped)" : "");
      if (!vlp_.error.ok())
        describe_error(con_.warn() << "VLP: a later chunk failed, the read stops there: ",
                       vlp_.error);
      break;
    case PolicySource::kNvAbsent:
      con_.warn() << "VLP: NV index " << hex8(index) << " is not defined";
      break;
    case PolicySource::kNvUnreadable:
      describe_error(con_.warn() << "VLP: NV index " << hex8(index) << " cannot be read: ",
                     vlp_.error);
      break;
    case PolicySource::kNvPpWrite:
      con_.warn() << "VLP: NV index " << hex8(index) << " has attributes "
                  << hex8(vlp_.pub.attributes)
                  << " with TPMA_NV_PPWRITE: refused (a physically present user could replace it)";
      break;
    case PolicySource::kTpmNotReady:
      break;
  }
}

// tboot's module layout (txt_modules.h): SINIT ACMs and the LCP policy-data module leave the list
// before numbering; they are neither measured nor handed to Linux.
void Launcher::number_modules() {
  num_numbered_ = tboot_module_layout(mem_, bi_, txt_kinds_, numbered_);
  for (size_t i = 0; i < bi_.num_modules; ++i) {
    if (txt_kinds_[i] == launch::TxtModule::kNone) continue;
    con_.info() << "module " << dec(static_cast<uint32_t>(i)) << " is "
                << (txt_kinds_[i] == launch::TxtModule::kSinit ? "a SINIT ACM" : "LCP policy data")
                << ": removed before numbering, as tboot does (not measured, not passed on)";
  }
}

bool Launcher::measure_modules() {
  HashAlg algs[launch::kMaxBanks];
  const size_t n = launch::measurement_algs(config_, algs);
  SoftHasher h(opts_.sha256);
  con_.detail() << "SHA-256 runs on the "
                << (h.uses_sha_ni() ? "SHA-NI"
                    : h.uses_bmi2() ? "generic (BMI2)"
                                    : "generic")
                << " code";
  const uint64_t t0 = clock_.now();
  for (size_t i = 0; i < num_numbered_; ++i) {
    const ModuleInfo& m = numbered_[i];
    launch::ModuleInput& in = inputs_[i];
    in.cmdline = m.string;
    in.num_digests = n;
    const ByteSpan image(reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(m.start)),
                         m.end - m.start);
    for (size_t a = 0; a < n; ++a) {
      auto d = hash_once(h, algs[a], image);
      if (!d.ok()) {
        describe_error(con_.err() << "hashing module " << dec(static_cast<uint32_t>(i)) << ": ",
                       d.error());
        return false;
      }
      in.image[a] = *d;
      con_.detail() << "module " << dec(static_cast<uint32_t>(i)) << " image " << alg_name(algs[a])
                    << " " << HexBytes{d->span()};
    }
  }
  hash_ticks_ = clock_.now() - t0;
  return true;
}

void Launcher::log_outcome() {
  const launch::Outcome& o = outcome_;
  const vlp::Policy& p = o.policy;
  if (o.policy_from_nv) {
    con_.machine() << "policy source=nv index=" << hex8(vlp_index_)
                   << " bytes=" << dec(static_cast<uint32_t>(vlp_.size));
  } else {
    con_.machine() << "policy source=default reason="
                   << (vlp_.source == PolicySource::kNvRead
                           ? "invalid"
                           : launch::policy_source_name(vlp_.source));
    if (vlp_.source == PolicySource::kNvRead)
      describe_error(con_.warn() << "VLP in NV is invalid, using the built-in default: ",
                     o.policy_error);
  }
  con_.info() << "policy: " << vlp::policy_type_name(p.policy_type) << ", hash alg "
              << hex(p.hash_alg) << ", control " << hex8(p.policy_control) << ", "
              << dec(static_cast<uint32_t>(p.num_entries())) << " entries";
  for (size_t i = 0; i < p.num_entries(); ++i) {
    const vlp::Entry& e = p.entry(i);
    con_.detail() << "policy entry " << dec(static_cast<uint32_t>(i)) << ": mod_num "
                  << dec(e.mod_num) << ", pcr " << dec(e.pcr) << ", "
                  << vlp::hash_type_name(e.hash_type) << ", " << dec(e.num_hashes) << " hash(es)";
  }
  for (size_t i = 0; i < o.num_steps; ++i) {
    const launch::Step& s = o.steps[i];
    const bool bad = s.error != TbError::kNone;
    // An error the policy lets pass is a warning; one that stops the launch is an error.
    Line l = !bad ? con_.info() : s.action == Action::kContinue ? con_.warn() : con_.err();
    switch (s.kind) {
      case launch::StepKind::kTpm:
        l << "TPM not usable";
        break;
      case launch::StepKind::kPolicy:
        l << (o.policy_from_nv ? "using the VLP from NV" : "using the built-in default VLP ")
          << (o.policy_from_nv
                  ? ""
                  : (config_.pcr_map == launch::PcrMap::kLegacy ? "(legacy)" : "(DA)"));
        break;
      case launch::StepKind::kLoader:
        l << "boot information unusable";
        break;
      case launch::StepKind::kModule0:
        l << "module 0 measured for PCR "
          << dec(launch::map_pcr(config_.pcr_map,
                                 config_.pcr_map == launch::PcrMap::kLegacy ? 18 : 17))
          << " (always, no policy check)";
        break;
      case launch::StepKind::kLocality:
        l << "PCR " << dec(s.pcr) << " cannot be extended at locality " << dec(input_locality_)
          << " (needs " << dec(launch::pcr_extend_locality(s.pcr))
          << "; pcr_map=loc0 uses PCRs locality 0 may extend)";
        break;
      case launch::StepKind::kModule:
        l << "module " << dec(s.module) << ": ";
        if (s.entry < 0) {
          l << "no policy entry matches";
        } else {
          l << "policy entry " << dec(static_cast<uint32_t>(s.entry)) << ", ";
          if (config_.embedded && !s.verified)
            l << "not verified (extpol=embedded, nonfatal policy)";
          else if (!s.verified)
            l << "hash type any";
          else if (s.matched >= 0)
            l << "digest equals hash #" << dec(static_cast<uint32_t>(s.matched));
          else
            l << "digest matches none of the entry's hashes";
        }
        break;
    }
    if (bad) l << " -> " << err_name(s.error) << " -> " << vlp::action_name(s.action);
  }
  if (o.dropped_events)
    con_.warn() << dec(static_cast<uint32_t>(o.dropped_events))
                << " measurement(s) beyond tboot's 32 were dropped";
  for (size_t i = 0; i < o.num_events; ++i) {
    const launch::Event& e = o.events[i];
    Line l = con_.machine();
    l << "event " << dec(static_cast<uint32_t>(i)) << " pcr=" << dec(e.pcr)
      << " kind=" << launch::event_kind_name(e.kind);
    if (e.kind == launch::EventKind::kModule0 || e.kind == launch::EventKind::kModule)
      l << " module=" << dec(e.module);
    for (size_t k = 0; k < e.num_digests; ++k)
      l << " " << alg_name(e.digests[k].alg) << "=" << HexBytes{e.digests[k].span()};
  }
}

// The launcher's event logs (event_log.h; docs/attestation.md §3): its own log, which goes to
// Linux in a setup_data entry, and the firmware's log area from the ACPI TPM2 table when there
// is one (appended to when it declares the banks the launcher extends).
void Launcher::open_logs(Hasher& h, const launch::Input& input) {
  MutableByteSpan area;
  if (bi_.rsdp.size != 0) {
    auto a = tpm2_log_area(mem_, bi_.rsdp);
    if (a.ok()) {
      area =
          MutableByteSpan(reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(a->start)), a->length);
      con_.detail() << "event log: firmware log area at " << hex8(static_cast<uint32_t>(a->start))
                    << " (" << dec(a->length) << " bytes, ACPI TPM2 LASA/LAML)";
    } else {
      describe_error(con_.detail() << "event log: no firmware log area: ", a.error());
    }
  } else {
    con_.detail() << "event log: the loader passed no ACPI RSDP: no firmware log area";
  }
  logs_.begin(MutableByteSpan(own_log_ + kSetupDataHeaderSize, kOwnLogSize), area, h, config_,
              input, outcome_);
  if (logs_.firmware() == FirmwareLog::kBanksDiffer) {
    Line l = con_.info();
    l << "event log: the firmware's log declares";
    const eventlog::SpecId& spec = logs_.firmware_spec();
    for (size_t i = 0; i < spec.num_algs; ++i)
      l << " " << alg_name(static_cast<HashAlg>(spec.algs[i].alg));
    l << ", the launcher extends";
    HashAlg algs[launch::kMaxBanks];
    const size_t n = launch::measurement_algs(config_, algs);
    for (size_t i = 0; i < n; ++i) l << " " << alg_name(algs[i]);
    l << ": its events go to its own log only";
  } else if (logs_.firmware() == FirmwareLog::kEmptyArea) {
    con_.info() << "event log: the firmware log area is empty (UEFI firmware keeps its log in "
                   "UEFI memory): the launcher's events go to its own log only";
  } else if (logs_.firmware() == FirmwareLog::kNotALog) {
    describe_error(con_.warn() << "event log: the firmware log area holds no TPM 2.0 log: ",
                   logs_.firmware_error());
  }
}

bool Launcher::extend_pcrs(Hasher& h, const launch::Input& input) {
  const size_t n = launch::extended_events(outcome_);
  for (size_t i = 0; i < n; ++i) {
    const launch::Event& e = outcome_.events[i];
    Status s = tpm::pcr_extend(link_, e.pcr, e.digests, e.num_digests);
    if (!s.ok()) {
      describe_error(con_.err() << "PCR_Extend of PCR " << dec(e.pcr) << " (event "
                                << dec(static_cast<uint32_t>(i)) << ") failed: ",
                     s.error());
      return false;
    }
    logs_.record(h, config_, input, outcome_, i);  // what was just extended, nothing else
  }
  con_.info() << "extended " << dec(static_cast<uint32_t>(n)) << " measurement(s) at locality "
              << dec(tpm_->locality());
  return true;
}

void Launcher::report_logs() {
  if (!logs_.own_ok())
    describe_error(con_.warn() << "event log: the launcher's log is incomplete after "
                               << dec(static_cast<uint32_t>(logs_.own_events())) << " event(s): ",
                   logs_.own_error());
  if (logs_.firmware() == FirmwareLog::kFull)
    describe_error(con_.warn() << "event log: the firmware's log area has no room for the "
                                  "launcher's events; they are in the launcher's own log only: ",
                   logs_.firmware_error());
  if (logs_.firmware() == FirmwareLog::kAppending)
    con_.info() << "event log: " << dec(static_cast<uint32_t>(logs_.firmware_appended()))
                << " event(s) appended to the firmware's log after its "
                << dec(static_cast<uint32_t>(logs_.firmware_events_before())) << " ("
                << dec(static_cast<uint32_t>(logs_.firmware_size())) << " bytes)";
}

// Puts the launcher's own log at the head of boot_params' setup_data list (type 0x474F4C54):
// Linux keeps it and shows it under /sys/kernel/boot_params/setup_data/.
void Launcher::hand_over_log(MutableByteSpan boot_params) {
  const ByteSpan log = logs_.own_log();
  const uint32_t phys = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(own_log_));
  Status s = add_setup_data(boot_params, MutableByteSpan(own_log_, sizeof(own_log_)), phys,
                            launch::kSetupDataType, static_cast<uint32_t>(log.size));
  if (!s.ok()) {
    describe_error(con_.warn() << "event log: not handed to Linux: ", s.error());
    return;
  }
  con_.machine() << "eventlog setup_data=" << hex8(phys)
                 << " bytes=" << dec(static_cast<uint32_t>(log.size))
                 << " events=" << dec(static_cast<uint32_t>(logs_.own_events()))
                 << " firmware=" << firmware_log_name(logs_.firmware())
                 << " appended=" << dec(static_cast<uint32_t>(logs_.firmware_appended()));
}

// Reads back every PCR an event touched, in every allocated bank we know, for the log (the boot
// lab compares these with `tlaunch predict`).
void Launcher::log_pcrs() {
  for (uint8_t pcr = 0; pcr <= vlp::kMaxPcr; ++pcr) {
    bool used = false;
    for (size_t i = 0; i < outcome_.num_events; ++i) used = used || outcome_.events[i].pcr == pcr;
    if (!used) continue;
    Line l = con_.machine();
    l << "pcr " << dec(pcr);
    for (size_t b = 0; b < banks_.count; ++b) {
      if (!(banks_.banks[b].pcrs >> pcr & 1)) continue;
      const HashAlg alg = static_cast<HashAlg>(banks_.banks[b].alg);
      if (digest_size(banks_.banks[b].alg) == 0) continue;
      auto v = tpm::pcr_read(link_, pcr, alg);
      if (v.ok())
        l << " " << alg_name(alg) << "=" << HexBytes{v->span()};
      else
        l << " " << alg_name(alg) << "=unreadable";
    }
  }
}

void Launcher::write_error_index(TbError err) {
  if (!tpm_ok_ || !opts_.write_error_index || link_.lost()) return;
  const uint32_t index = tpm::error_index(opts_.nv_index_set);
  bool defined = false;
  Status s = tpm::write_error_index(link_, index, static_cast<uint32_t>(err), &defined);
  if (!s.ok()) {
    describe_error(con_.warn() << "error index " << hex8(index) << " not written: ", s.error());
    return;
  }
  if (defined)
    con_.machine() << "errindex " << hex8(index) << " value=" << dec(static_cast<uint32_t>(err));
  else
    con_.detail() << "error index " << hex8(index) << " is not defined; nothing recorded";
}

// Gives up the launcher's locality before the hand-over or the halt (Linux's driver starts at
// locality 0) — unless the TPM stopped answering, which nothing more is sent to.
void Launcher::release_tpm() {
  if (!tpm_ok_) return;
  if (link_.lost()) {
    describe_error(con_.warn() << "TPM stopped answering earlier; left as it is: ",
                   link_.lost_error());
    return;
  }
  tpm_->release_locality(tpm_->locality());
}

void Launcher::verdict_line(TbError err, Action action) {
  con_.machine() << "timing tsc_khz=" << dec(clock_.khz()) << " hash_ms="
                 << dec(clock_.calibrated()
                            ? static_cast<uint32_t>(hash_ticks_ / clock_.ms_to_ticks(1))
                            : 0)
                 << " total_ms=" << dec(clock_.ms_since(t_entry_));
  con_.machine() << "verdict=" << (err == TbError::kNone ? "pass" : "fail")
                 << " action=" << vlp::action_name(action) << " error=" << err_name(err);
}

[[noreturn]] void Launcher::halt(TbError err) {
  write_error_index(err);
  release_tpm();
  verdict_line(err, Action::kHalt);
  if (opts_.debug_exit) {
    // isa-debug-exit: QEMU exits with status (value << 1) | 1.
    outb(opts_.debug_exit_port, static_cast<uint8_t>(err));
  }
  halt_forever();
}

uint32_t phys_of(const void* p) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)); }

// The platform part of the hand-over: the e820 table (the loader's map on BIOS, the EFI memory
// map on UEFI), and on UEFI the EFI system table and memory map (efi_info) and the firmware's
// ACPI RSDP, so that Linux keeps ACPI, its TPM driver and the EFI runtime services. The BIOS
// path is unchanged: no efi_info, no acpi_rsdp_addr (Linux finds the RSDP itself).
bool Launcher::prepare_handover(LinuxRequest* req) {
  Status s = build_e820(bi_, &e820_);
  if (!s.ok()) {
    describe_error(con_.err() << "memory map unusable for Linux: ", s.error());
    return false;
  }
  req->e820 = &e820_;
  req->setup_data = MutableByteSpan(setup_data_, sizeof(setup_data_));
  req->setup_data_phys = phys_of(setup_data_);
  req->efi =
      plan_efi_handover(bi_, MutableByteSpan(efi_mmap_, sizeof(efi_mmap_)), phys_of(efi_mmap_));
  if (req->efi.present) {
    con_.info() << "UEFI: EFI" << (bi_.efi.systab_64 ? "64" : "32") << " system table "
                << hex(req->efi.systab) << ", memory map " << dec(req->efi.memmap_size)
                << " bytes (" << dec(req->efi.memmap_size / req->efi.desc_size)
                << " descriptors of " << dec(req->efi.desc_size) << ") handed to Linux";
  } else if (req->efi.why_not != nullptr) {
    con_.warn() << "UEFI: Linux is started without EFI (no runtime services): " << req->efi.why_not;
  }
  if (!bi_.efi.has_systab) return true;
  if (bi_.acpi_tag_bad) con_.warn() << "ACPI: the loader's ACPI tag holds no RSDP; ignored";
  auto rsdp = find_acpi_rsdp(mem_, bi_);
  if (!rsdp.ok()) {
    describe_error(con_.warn() << "ACPI: no RSDP for acpi_rsdp_addr (Linux looks itself): ",
                   rsdp.error());
    return true;
  }
  req->acpi_rsdp = rsdp->addr;
  con_.info() << "ACPI: RSDP revision " << dec(rsdp->revision) << " at " << hex(rsdp->addr)
              << " (EFI configuration table"
              << (!rsdp->loader_copy ? ")"
                  : rsdp->matches    ? ", same as the loader's ACPI tag)"
                                     : ", differs from the loader's ACPI tag)");
  return true;
}

[[noreturn]] void Launcher::boot_linux(TbError err, Action action) {
  // Module 0 is the kernel, module 1 (if any) the initrd, module 0's string the command line —
  // numbered as tboot numbers them (SINIT and LCP data modules left out).
  if (num_numbered_ == 0 || !bi_status_.ok()) {
    con_.err() << "nothing to boot: no usable module 0";
    halt(TbError::kFatal);
  }
  const ModuleInfo& k = numbered_[0];
  alignas(16) uint8_t boot_params[kBootParamsSize];
  char cmdline[kMaxKernelCmdline + 1];
  if (k.string.size > kMaxKernelCmdline) {
    con_.err() << "module 0's command line is longer than " << dec(kMaxKernelCmdline) << " bytes";
    halt(TbError::kFatal);
  }
  copy_bytes(reinterpret_cast<uint8_t*>(cmdline), k.string.data, k.string.size);
  cmdline[k.string.size] = '\0';
  uint32_t reserved_end = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(__image_end));
  for (size_t i = 0; i < bi_.num_modules; ++i)
    if (bi_.modules[i].end > reserved_end) reserved_end = bi_.modules[i].end;
  LinuxRequest req;
  if (!prepare_handover(&req)) halt(TbError::kFatal);
  req.kernel =
      ByteSpan(reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(k.start)), k.end - k.start);
  req.kernel_phys = k.start;
  req.initrd = num_numbered_ > 1 ? &numbered_[1] : nullptr;
  req.cmdline = k.string;
  req.cmdline_phys = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(cmdline));
  req.reserved_end = reserved_end;
  auto plan = plan_linux(req, MutableByteSpan(boot_params, sizeof(boot_params)));
  if (!plan.ok()) {
    describe_error(con_.err() << "module 0 cannot be booted: ", plan.error());
    halt(TbError::kFatal);
  }
  con_.info() << "Linux: boot protocol " << dec(plan->protocol >> 8) << "."
              << dec(plan->protocol & 0xFF) << ", kernel " << dec(plan->kernel_size) << " bytes to "
              << hex8(plan->load_addr) << " (init_size " << hex(plan->init_size) << "), initrd "
              << hex8(plan->initrd_addr) << " +" << dec(plan->initrd_size) << ", "
              << dec(static_cast<uint32_t>(plan->e820_entries)) << " e820 entries"
              << (e820_.from_efi ? " (from the EFI memory map)" : "")
              << (plan->e820_ext_entries ? " (some in a SETUP_E820_EXT node)" : "");
  if (action == Action::kUnmeasuredLaunch)
    con_.warn() << "unmeasured launch: nothing was extended into the PCRs";
  hand_over_log(MutableByteSpan(boot_params, sizeof(boot_params)));
  // The protected-mode kernel goes above every module and the launcher (plan_linux checked), so
  // source and destination do not overlap. From here on the boot information is not used: the
  // command line is in our buffer and the memory map in bi_.
  copy_phys(plan->load_addr, plan->kernel_src, plan->kernel_size);
  write_error_index(err);
  release_tpm();  // Linux's tpm_tis wants locality 0
  verdict_line(err, action);
  launcher_jump_linux(plan->load_addr,
                      static_cast<uint32_t>(reinterpret_cast<uintptr_t>(boot_params)));
}

[[noreturn]] void Launcher::finish(TbError err, Action action) {
  if (action == Action::kHalt) halt(err);
  boot_linux(err, action);
}

[[noreturn]] void Launcher::run() {
  bi_status_ = parse_boot_info(mem_, magic_, info_addr_, &bi_);
  setup_console();
  clock_.calibrate();
  log_boot_info();
  const uint32_t self_start = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(__image_start));
  const uint32_t self_end = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(__image_end));
  bool loader_ok = bi_status_.ok();
  if (loader_ok) {
    Status s = check_modules(bi_, self_start, self_end);
    if (!s.ok()) {
      describe_error(con_.err() << "modules unusable: ", s.error());
      loader_ok = false;
    }
  }
  if (loader_ok) number_modules();

  tpm_ok_ = init_tpm();
  if (!tpm_ok_) {
    describe_error(con_.err() << "TPM not ready: ", tpm_error_);
    vlp_.source = PolicySource::kTpmNotReady;
  } else {
    read_policy();
  }

  config_ = make_config(opts_, banks_);
  const bool measured_ok = modules_to_measure(loader_ok, vlp_.source) ? measure_modules() : true;
  launch::Input input =
      make_input(vlp_, policy_buf_, loader_ok, measured_ok, inputs_, num_numbered_);
  input.has_launcher_cmdline = true;  // measured first: an edited launcher line shows in PCR 17
  input.launcher_cmdline = bi_.cmdline;
  input.tpm_locality = tpm_ok_ ? tpm_->locality() : 0;
  input_locality_ = input.tpm_locality;
  SoftHasher h(opts_.sha256);
  Status st = launch::evaluate(h, config_, input, &outcome_);
  if (!st.ok()) {
    describe_error(con_.err() << "launch decision failed: ", st.error());
    halt(TbError::kFatal);
  }
  log_outcome();

  TbError err = outcome_.error;
  Action action = outcome_.action;
  open_logs(h, input);
  if (action == Action::kContinue) {
    if (!extend_pcrs(h, input)) {
      err = TbError::kFatal;  // tboot would halt if the measurements cannot be recorded
      action = Action::kHalt;
    } else {
      log_pcrs();
      report_logs();
    }
  }
  finish(err, action);
}

}  // namespace
}  // namespace tlaunch::launcher

// Called from entry.S with the Multiboot magic (EAX) and the boot information address (EBX).
// The Launcher object is large (policy, measurements): it lives on the 256 KiB boot stack.
// linker.ld gives the boot stack 256 KiB; the Launcher object and boot_linux()'s zero page and
// command line (8 KiB) must fit with room for the call chain.
static_assert(sizeof(tlaunch::launcher::Launcher) <= 192 * 1024,
              "Launcher too large for the stack");

extern "C" [[noreturn]] void launcher_main(uint32_t magic, uint32_t info) {
  const uint64_t t_entry = tlaunch::launcher::rdtsc();
  tlaunch::launcher::Launcher l(magic, info, t_entry);
  l.run();
}
