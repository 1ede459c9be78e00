// tlaunch doctor [--json] [--tcti T]: a read-only health check of a machine set up for a tlaunch
// (or tboot) measured launch. It never writes to the TPM or to a file and never opens /dev/mem:
//   1. the TPM: reachable, PCR banks, TPM_PT_NV_BUFFER_MAX, NV limits and room left — through the
//      device interface (tpmnv/device.h) like every other verb, one connection;
//   2. the TXT/tboot NV indices of the catalogue (libtpmnv): present, attributes, whether a
//      launcher accepts them, decoded content; the last launch error in words;
//   3. whether the installed policy accepts what GRUB would boot: every multiboot2 entry of
//      grub.cfg with its files from /boot, through the launcher's own decision code
//      (tlaunch/spec/check.h), with the reason and a diff for each module that would fail;
//   4. TXT status from /proc, sysfs and securityfs when present.
// Every host path is under --root (default /) so that tests can point it at a fake tree.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "nv_common.h"
#include "spec_common.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/io/secret.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/vlp.h"
#include "tlaunch/spec/check.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/content.h"
#include "tlaunch/tpmnv/esys.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {

using nlohmann::json;

struct DoctorOptions {
  nv::CommonOptions common;  // --tcti, --auth; --json
  std::string root = "/";
  std::string grub_cfg;    // default ROOT/boot/grub/grub.cfg
  std::string state_dir;   // default ROOT/var/lib/tlaunch
  std::string boot_dir;    // default ROOT (the host directory GRUB's root device holds)
  std::string handle_set;  // default: the installed build's, else tcg
};

std::string under(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string read_small(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// tboot's error codes in words: what happened at the last launch and what usually helps
// (docs/reference/vlp.md §7.1 meanings; tboot common/tb_error.c).
std::string error_words(uint32_t code) {
  using vlp::TbError;
  switch (static_cast<TbError>(code)) {
    case TbError::kNone:
      return "the last launch verified every module (or no error was recorded)";
    case TbError::kFixed:
      return "a previous error has been fixed";
    case TbError::kGeneric:
      return "a non-fatal generic error";
    case TbError::kDmaCorruptionDetected:
      return "DMA corruption was detected";
    case TbError::kTpmNotReady:
      return "the TPM was not ready (no TPM, or it did not answer)";
    case TbError::kSmxNotSupported:
      return "the CPU has no SMX (TXT) support";
    case TbError::kVmxNotSupported:
      return "the CPU has no VMX support";
    case TbError::kVtdNotSupported:
      return "no VT-d (DMAR table missing)";
    case TbError::kTxtNotSupported:
      return "TXT is not supported or not enabled";
    case TbError::kModuleVerificationFailed:
      return "a module's measurement was not among its policy entry's hashes (a kernel, initrd or "
             "command line changed after the policy was built)";
    case TbError::kModulesNotInPolicy:
      return "a module had no policy entry (more modules loaded than the policy describes)";
    case TbError::kPolicyInvalid:
      return "the policy in NV was invalid";
    case TbError::kPolicyNotPresent:
      return "no policy in NV: the launcher used its built-in default policy";
    case TbError::kSinitNotPresent:
      return "no SINIT ACM was found";
    case TbError::kAcmodVerifyFailed:
      return "the SINIT ACM did not verify";
    case TbError::kPostLaunchVerification:
      return "post-launch verification failed";
    case TbError::kS3Integrity:
      return "the S3 resume integrity check failed";
    case TbError::kFatal:
      return "a fatal error (malformed boot information, no module, ...)";
    case TbError::kNvVerificationFailed:
      return "an NV index measured by the policy did not verify";
    case TbError::kPrevTxtError:
      return "the previous measured launch failed (TXT error registers)";
    default:
      return "an unknown error code";
  }
}

// -------------------------------------------------------------------------------- TXT status
json txt_status(const std::string& root) {
  json t;
  t["dev_mem_used"] = false;
  std::string cpuinfo = read_small(under(root, "/proc/cpuinfo"));
  if (cpuinfo.empty()) {
    t["cpu_smx"] = nullptr;
    t["cpu_vmx"] = nullptr;
  } else {
    // The flags line of the first CPU: "flags : fpu vme ... vmx smx ...".
    size_t f = cpuinfo.find("\nflags");
    std::string flags;
    if (f != std::string::npos) flags = cpuinfo.substr(f, cpuinfo.find('\n', f + 1) - f) + " ";
    t["cpu_smx"] = flags.find(" smx ") != std::string::npos;
    t["cpu_vmx"] = flags.find(" vmx ") != std::string::npos;
  }
  // VT-d: the ACPI DMAR table (tboot requires it: TB_ERR_VTD_NOT_SUPPORTED).
  std::string acpi = under(root, "/sys/firmware/acpi/tables");
  t["dmar"] = exists(acpi) ? json(exists(acpi + "/DMAR")) : json(nullptr);
  std::string sec = under(root, "/sys/kernel/security");
  t["securityfs"] = exists(sec);
  t["tpm_event_log"] = exists(sec + "/tpm0/binary_bios_measurements");
  // Linux Secure Launch exposes the TXT status registers in securityfs (slaunch/txt/*), the
  // only way to see them without /dev/mem.
  std::string sl = sec + "/slaunch/txt";
  if (exists(sl)) {
    json regs;
    for (const char* r : {"sts", "ests", "errorcode", "e2sts", "didvid", "ver_emif"}) {
      std::string p = sl + "/" + r;
      if (exists(p)) regs[r] = read_small(p);
    }
    t["slaunch_txt"] = regs;
  } else {
    t["slaunch_txt"] = nullptr;
  }
  return t;
}

// ------------------------------------------------------------------------- launch PCRs
// The PCRs the launcher extends first under the installed build's mapping: 17-19 mapped by its
// pcr_map= (the launcher line in reference.json, read with the launcher's own option parser;
// without a reference, the default DA mapping; docs/reference/vlp.md §6.4).
std::vector<uint8_t> launch_pcr_list(const json& reference) {
  std::string cmdline;
  if (reference.is_object() && reference.contains("launcher"))
    cmdline = reference["launcher"].value("cmdline", std::string());
  const launch::LauncherOptions o = launch::parse_launcher_options(host::as_bytes(cmdline));
  std::vector<uint8_t> out;
  for (uint8_t p = 17; p <= 19; ++p) {
    const uint8_t m = launch::map_pcr(o.pcr_map, p);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::string pcr_list_text(const std::vector<uint8_t>& pcrs) {
  std::string t;
  for (uint8_t p : pcrs) t += (t.empty() ? "" : ", ") + std::to_string(p);
  return t;
}

// ---------------------------------------------------------------------------------- doctor
struct Report {
  json j;
  std::vector<std::string> problems;
  void problem(const std::string& p) { problems.push_back(p); }
};

// One doctor run: what it found so far, filled in step by step, then printed.
class Doctor {
 public:
  explicit Doctor(const DoctorOptions& o)
      : o_(o),
        state_dir_(o.state_dir.empty() ? under(o.root, "/var/lib/tlaunch") : o.state_dir),
        grub_cfg_(o.grub_cfg.empty() ? under(o.root, "/boot/grub/grub.cfg") : o.grub_cfg),
        boot_dir_(o.boot_dir.empty() ? o.root : o.boot_dir) {}

  int run() {
    r_.j["$schema"] = "https://tlaunch.invalid/schemas/doctor.v1.schema.json";
    r_.j["version"] = 1;
    load_reference();
    check_tpm();
    if (dev_) check_launch_pcrs();
    if (dev_) {
      auto st = check_indices();
      if (!st) return report(st.failure());
    }
    r_.j["indices"] = indices_;
    r_.j["last_launch_error"] = last_error_;
    r_.j["policy_source"] = launch::policy_source_name(source_);
    check_boot();
    // Reported, not a problem: the tlaunch launcher verifies and measures without TXT (a VM, the
    // boot lab); only tboot proper needs SMX.
    r_.j["txt"] = txt_status(o_.root);
    r_.j["problems"] = r_.problems;
    r_.j["ok"] = r_.problems.empty();
    if (o_.common.json)
      std::printf("%s\n", r_.j.dump(2).c_str());
    else
      print_text();
    if (!dev_) return kExitTpmUnreachable;
    return r_.problems.empty() ? kExitOk : kExitFailed;
  }

 private:
  // The installed build (tlaunch apply), if any: which handle set and what the policy was built
  // from.
  void load_reference() {
    const std::string ref_path = state_dir_ + "/" + host::spec::kReferenceFile;
    if (exists(ref_path)) {
      try {
        reference_ = json::parse(read_small(ref_path));
      } catch (const json::exception&) {
        r_.problem(ref_path + " is not valid JSON");
      }
    }
    r_.j["state_dir"] = state_dir_;
    r_.j["reference"] = reference_.is_object() ? json(ref_path) : json(nullptr);
    set_name_ = o_.handle_set;
    if (set_name_.empty() && reference_.is_object() && reference_.contains("nv"))
      set_name_ = reference_["nv"].value("handle_set", std::string("tcg"));
    if (set_name_.empty()) set_name_ = "tcg";
    in_use_ = set_name_ == "legacy" ? tpmnv::HandleSet::kLegacy : tpmnv::HandleSet::kTcg;
    r_.j["handle_set"] = set_name_;
    launch_pcrs_ = launch_pcr_list(reference_);
  }

  // 1. The TPM, through the device (one connection; tpm2-tss's own log lines are off).
  void check_tpm() {
    conf_ = tpmnv::choose_tcti(o_.common.tcti);
    json tpm;
    tpm["tcti"] = conf_;
    auto d = nv::open_device(o_.common);
    host::Expected<tpmnv::TpmInfo> info =
        d ? (*d)->info() : host::Expected<tpmnv::TpmInfo>(d.failure());
    tpm["reachable"] = static_cast<bool>(info);
    if (!info) {
      tpm["error"] = info.failure().message;
      r_.problem("no TPM reachable through " + conf_ + ": " + info.failure().message);
      r_.j["tpm"] = tpm;
      return;
    }
    dev_ = std::move(*d);
    info_ = *info;
    tpm["manufacturer"] = info_.manufacturer;
    json banks = json::array();
    for (size_t b = 0; b < info_.banks.count; ++b) {
      const tpm::PcrBank& bank = info_.banks.banks[b];
      const int pcrs = __builtin_popcount(bank.pcrs);
      if (pcrs == 0) continue;  // allocated but no PCR selected
      const HashAlgInfo* a = find_hash_alg(bank.alg);
      banks.push_back({{"alg", a ? a->name : tpmnv::format_handle(bank.alg)}, {"pcrs", pcrs}});
    }
    tpm["banks"] = banks;
    tpm["nv_buffer_max"] = info_.limits.nv_buffer_max;
    tpm["nv_index_max"] = info_.limits.nv_index_max;
    tpm["nv_indices_defined"] = info_.nv_indices;
    tpm["persistent_avail"] = info_.persistent_avail;
    tpm["nv_counters_avail"] = info_.nv_counters_avail;
    if (banks.empty()) r_.problem("the TPM has no active PCR bank");
    if (info_.persistent_avail == 0)
      r_.problem("the TPM reports no NV room left (TPM_PT_HR_PERSISTENT_AVAIL = 0)");
    r_.j["tpm"] = tpm;
  }

  // 1b. Was this boot measured? Every measured launch extends the first launch PCR (PCR 17, or
  // 11 under pcr_map=loc0) with its own command line and the policy-control value in the bank(s)
  // it measures for, so the launch PCRs all at a reset value in every bank they are allocated in
  // — all 0xFF (PCR 17-19: no dynamic launch reset them and nothing extended them: an unmeasured
  // launch, or no launcher at all) or all zero (reset by a DRTM, or PCR 11-13 after a TPM reset,
  // then never extended) — mean this boot's PCRs vouch for nothing. Read with PCR_Read through
  // the device (TPM 2.0 Part 3 §22.4).
  void check_launch_pcrs() {
    json values = json::array();
    bool measured = false;
    std::vector<std::string> reset_banks;  // banks whose launch PCRs all hold a reset value
    for (size_t b = 0; b < info_.banks.count; ++b) {
      const tpm::PcrBank& bank = info_.banks.banks[b];
      const HashAlgInfo* a = find_hash_alg(bank.alg);
      bool all = a != nullptr;
      for (uint8_t p : launch_pcrs_) all = all && (bank.pcrs >> p & 1);
      if (!all) continue;
      bool bank_measured = false;
      for (uint8_t p : launch_pcrs_) {
        auto v = dev_->pcr_read(p, static_cast<HashAlg>(bank.alg));
        if (!v) {
          r_.problem("reading PCR " + std::to_string(p) + " (" + a->name +
                     ") failed: " + v.failure().message);
          return;
        }
        const ByteSpan d = v->span();
        const bool ff = std::all_of(d.data, d.data + d.size, [](uint8_t x) { return x == 0xFF; });
        const bool zero = std::all_of(d.data, d.data + d.size, [](uint8_t x) { return x == 0; });
        bank_measured = bank_measured || (!ff && !zero);
        values.push_back({{"bank", a->name},
                          {"pcr", p},
                          {"value", host::hex(d.data, d.size)},
                          {"state", ff     ? "reset-ff"
                                    : zero ? "reset-zero"
                                           : "extended"}});
      }
      measured = measured || bank_measured;
      if (!bank_measured) reset_banks.push_back(a->name);
    }
    if (values.empty()) return;  // no bank holds all the launch PCRs
    const std::string list = pcr_list_text(launch_pcrs_);
    if (!measured)
      r_.problem("this boot was not measured: PCR " + list +
                 " hold their reset values in every bank (all 0xFF: no launcher extended them, "
                 "e.g. an unmeasured launch after a TPM failure; all zero: reset, then never "
                 "extended) — do not seal secrets to PCR " +
                 list + " of this boot");
    // The installed build's launcher runs with all_banks=on (reference.json): every allocated
    // bank it can hash was extended, so a bank left at its reset value was not measured by it.
    const bool all_banks = reference_.is_object() && reference_.value("all_banks", false);
    if (measured && all_banks)
      for (const std::string& bank : reset_banks)
        r_.problem("PCR " + list + " of the " + bank +
                   " bank hold their reset values although the installed build's launcher "
                   "extends every bank (all_banks=on): this boot's launcher did not run with "
                   "that build's command line, or cannot hash " +
                   bank);
    r_.j["launch_pcrs"] = {{"measured", measured}, {"pcrs", values}};
  }

  // 2. Catalogue indices, both handle sets; the one in use is what the launcher reads.
  host::HostStatus check_indices() {
    source_ = launch::PolicySource::kNvAbsent;
    auto handles = dev_->list_indices();
    if (!handles) return handles.failure();
    size_t n = 0;
    const tpmnv::IndexSpec* cat = tpmnv::catalogue(&n);
    for (tpmnv::HandleSet set : {tpmnv::HandleSet::kTcg, tpmnv::HandleSet::kLegacy}) {
      for (size_t i = 0; i < n; ++i) {
        tpmnv::Target t;
        t.spec = &cat[i];
        t.handle = tpmnv::handle_of(cat[i], set);
        const bool defined =
            std::find(handles->begin(), handles->end(), t.handle) != handles->end();
        auto st = check_index(t, set, defined);
        if (!st) return st.failure();
      }
    }
    return host::host_ok();
  }

  host::HostStatus check_index(const tpmnv::Target& t, tpmnv::HandleSet set, bool defined) {
    const std::string name = t.spec->name;
    const bool in_use = set == in_use_;
    json e;
    e["name"] = name;
    e["handle"] = tpmnv::format_handle(t.handle);
    e["handle_set"] = tpmnv::handle_set_name(set);
    e["in_use"] = in_use;
    e["present"] = defined;
    if (!defined) {
      if (in_use && name == "vlp")
        r_.problem("no VLP index at " + tpmnv::format_handle(t.handle) +
                   ": the launcher falls back to its built-in default policy, which verifies "
                   "nothing");
      if (in_use) indices_.push_back(e);  // absent in the other set: not worth a line
      return host::host_ok();
    }
    auto pub = dev_->read_public(t.handle);
    if (!pub) return pub.failure();
    if (!*pub) return host::host_ok();
    const tpmnv::NvPublic& p = **pub;
    const std::vector<std::string> problems =
        tpmnv::check_definition(t.spec, tpmnv::definition_of(p), false);
    e["attributes"] = tpmnv::attributes_to_string(p.attributes);
    e["attributes_value"] = tpmnv::format_handle(p.attributes);
    e["size"] = p.size;
    e["written"] = (p.attributes & tpmnv::attr::kWritten) != 0;
    e["launcher_accepts"] = problems.empty();
    e["problems"] = problems;
    e["content"] = nullptr;
    if (!in_use)
      r_.problem(name + " index present in the " + tpmnv::handle_set_name(set) + " set at " +
                 tpmnv::format_handle(t.handle) + ", but the launcher reads the " + set_name_ +
                 " set");
    for (const auto& pr : problems)
      if (in_use) r_.problem(name + " index " + tpmnv::format_handle(t.handle) + ": " + pr);
    std::optional<host::Bytes> data = read_content(t, p, e);
    if (!data && in_use && (name == "vlp" || name == "error") &&
        !(p.attributes & tpmnv::attr::kWritten))
      r_.problem(name + " index " + tpmnv::format_handle(t.handle) + " was never written");
    if (in_use && name == "vlp") judge_vlp(t, p, data);
    if (in_use && name == "error" && data && data->size() >= 4) judge_error_index(*data);
    indices_.push_back(e);
    return host::host_ok();
  }

  // The content of a written index, decoded into e["content"] (or e["content_error"]).
  std::optional<host::Bytes> read_content(const tpmnv::Target& t, const tpmnv::NvPublic& p,
                                          json& e) {
    if (!(p.attributes & tpmnv::attr::kWritten)) return std::nullopt;
    // The VLP as the launcher reads it: at most 2124 bytes (docs/reference/vlp.md §5.2).
    std::optional<size_t> size;
    if (std::string(t.spec->name) == "vlp") size = std::min<size_t>(p.size, vlp::kMaxPolicySize);
    auto d = tpmnv::read_index(*dev_, t, p, 0, size);
    if (!d) {
      e["content_error"] = d.failure().message;
      return std::nullopt;
    }
    tpmnv::ContentView view = tpmnv::describe_content(t.spec->content, *d, t.label());
    e["content"] = view.json;
    content_text_[t.handle] = view.text;
    return std::move(*d);
  }

  // What the launcher makes of the VLP index in use.
  void judge_vlp(const tpmnv::Target& t, const tpmnv::NvPublic& p,
                 const std::optional<host::Bytes>& data) {
    if (p.attributes & tpmnv::attr::kPpWrite) {
      source_ = launch::PolicySource::kNvPpWrite;
      return;
    }
    if (!data) {
      source_ = launch::PolicySource::kNvUnreadable;
      return;
    }
    source_ = launch::PolicySource::kNvRead;
    policy_ = *data;
    // The launcher decodes what it read; an invalid VLP (e.g. an interrupted update: tlaunch nv
    // write clears byte 0 first) means tboot's default policy.
    auto dec = vlp::decode(ByteSpan(data->data(), data->size()));
    if (dec.ok()) return;
    nv_policy_invalid_ = true;
    r_.problem("vlp index " + tpmnv::format_handle(t.handle) + " does not hold a valid VLP (" +
               host::describe(dec.error(), "") +
               "): the launcher falls back to its built-in default policy "
               "(TB_ERR_POLICY_NOT_PRESENT), which verifies nothing; an interrupted "
               "update? `tlaunch nv provision` rewrites it");
  }

  void judge_error_index(const host::Bytes& data) {
    const uint32_t code = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                          (static_cast<uint32_t>(data[2]) << 16) |
                          (static_cast<uint32_t>(data[3]) << 24);
    const char* en = vlp::tb_error_name(code);
    last_error_ = {{"code", code}, {"name", en ? en : "unknown"}, {"meaning", error_words(code)}};
    if (code != 0)
      r_.problem(std::string("last launch error: ") + (en ? en : "unknown") + ": " +
                 error_words(code));
  }

  // 3. Policy vs. grub.cfg and /boot. Without a TPM, the installed build's vlp.pol stands in.
  void check_boot() {
    bi_.grub_cfg = grub_cfg_;
    bi_.root = boot_dir_;
    bi_.source = dev_ ? source_ : launch::PolicySource::kTpmNotReady;
    bi_.policy = policy_;
    bi_.reference = reference_;
    std::vector<HashAlg> banks(tpm::kMaxBanks);
    banks.resize(tpm::allocated_banks(info_.banks, banks.data(), banks.size()));
    if (!banks.empty()) bi_.banks = banks;
    const std::string vlp_file = state_dir_ + "/" + host::spec::kVlpFile;
    if (!dev_ && exists(vlp_file)) {
      auto b = host::read_file(vlp_file, vlp::kMaxPolicySize);
      if (b) {
        bi_.source = launch::PolicySource::kNvRead;
        bi_.policy = *b;
        boot_note_ = "no TPM: checked against " + vlp_file + " instead of the policy in NV";
      }
    }
    r_.j["boot"] = nullptr;
    if (!exists(grub_cfg_)) {
      r_.problem(grub_cfg_ + " does not exist: cannot check what GRUB would boot");
      return;
    }
    auto bc = host::spec::check_boot(bi_);
    if (!bc) {
      r_.problem(bc.failure().message);
      return;
    }
    boot_ = host::spec::boot_check_json(*bc);
    if (!boot_note_.empty()) boot_["note"] = boot_note_;
    boot_["grub_cfg"] = grub_cfg_;
    if (bc->policy_state != "nv") r_.problem(bc->policy_note);
    for (const auto& note : bc->notes) r_.problem(note);
    for (const auto& e : bc->entries) {
      if (e.verdict == "pass") continue;
      std::string p = "grub.cfg entry '" + e.title + "' (line " + std::to_string(e.line) +
                      "): the launcher would answer " + e.error + " (" + e.action + ")";
      for (const auto& m : e.modules)
        if (m.status != "ok")
          p += "\n    module " + std::to_string(m.index) + " " + m.grub_path + ": " + m.status +
               ": " + m.reason;
      r_.problem(p);
    }
    r_.j["boot"] = boot_;
  }

  // ------------------------------------------------------------------------ text report
  void print_text() const {
    print_tpm();
    print_indices();
    print_policy();
    print_boot();
    print_txt();
    if (r_.problems.empty()) {
      std::printf("\nhealthy: the installed policy accepts every launcher entry of grub.cfg\n");
    } else {
      std::printf("\n%zu problem(s):\n", r_.problems.size());
      for (const auto& p : r_.problems) std::printf("  - %s\n", p.c_str());
    }
  }

  void print_tpm() const {
    const json& t = r_.j["tpm"];
    std::printf("TPM (%s):\n", conf_.c_str());
    if (!t["reachable"].get<bool>()) {
      std::printf("  not reachable: %s\n", t["error"].get<std::string>().c_str());
      return;
    }
    std::string banks;
    for (const auto& b : t["banks"])
      banks += (banks.empty() ? "" : ", ") + b["alg"].get<std::string>();
    std::printf(
        "  %s, banks %s; NV_BUFFER_MAX %u, NV_INDEX_MAX %u; %u NV indices defined, "
        "room for about %u more persistent objects\n",
        info_.manufacturer.c_str(), banks.c_str(), info_.limits.nv_buffer_max,
        info_.limits.nv_index_max, info_.nv_indices, info_.persistent_avail);
    if (r_.j.contains("launch_pcrs")) {
      const std::string list = pcr_list_text(launch_pcrs_);
      std::printf("  this boot: %s\n",
                  r_.j["launch_pcrs"]["measured"].get<bool>()
                      ? ("measured (PCR " + list + " extended)").c_str()
                      : ("NOT measured (PCR " + list + " at their reset values)").c_str());
    }
  }

  void print_indices() const {
    std::printf("NV indices (%s handle set in use):\n", set_name_.c_str());
    for (const auto& e : indices_) {
      if (!e["present"].get<bool>()) {
        std::printf("  %-6s %s  not defined\n", e["name"].get<std::string>().c_str(),
                    e["handle"].get<std::string>().c_str());
        continue;
      }
      std::printf("  %-6s %s  %u bytes, %s%s%s%s\n", e["name"].get<std::string>().c_str(),
                  e["handle"].get<std::string>().c_str(), e["size"].get<unsigned>(),
                  e["attributes"].get<std::string>().c_str(),
                  e["written"].get<bool>() ? "" : ", never written",
                  e["launcher_accepts"].get<bool>() ? "" : ", REFUSED by the launcher",
                  e["in_use"].get<bool>() ? "" : " (other handle set)");
      for (const auto& p : e.value("problems", json::array()))
        std::printf("         PROBLEM: %s\n", p.get<std::string>().c_str());
      const uint32_t handle =
          static_cast<uint32_t>(std::stoul(e["handle"].get<std::string>(), nullptr, 16));
      auto text = content_text_.find(handle);
      if (text != content_text_.end()) std::printf("%s", text->second.c_str());
    }
    if (last_error_.is_object())
      std::printf("Last launch error: %s: %s\n", last_error_["name"].get<std::string>().c_str(),
                  last_error_["meaning"].get<std::string>().c_str());
  }

  void print_policy() const {
    if (bi_.source == launch::PolicySource::kNvRead && nv_policy_invalid_)
      std::printf(
          "Policy in force: the launcher's built-in default (the VLP in NV is not valid)\n");
    else if (bi_.source == launch::PolicySource::kNvRead)
      std::printf(
          "Policy in force: the VLP read from NV%s\n",
          boot_.is_object() && boot_["policy"] == "default" ? " (invalid: default policy)" : "");
    else
      std::printf("Policy in force: the launcher's built-in default (%s)\n",
                  launch::policy_source_name(bi_.source));
  }

  void print_boot() const {
    if (!boot_.is_object()) return;
    const std::string note = boot_note_.empty() ? "" : " (" + boot_note_ + ")";
    std::printf("Boot entries in %s%s:\n", grub_cfg_.c_str(), note.c_str());
    for (const auto& e : boot_["entries"]) {
      std::printf("  [%s] %s (line %zu): %s, %s\n", e["verdict"].get<std::string>().c_str(),
                  e["title"].get<std::string>().c_str(), e["line"].get<size_t>(),
                  e["error"].get<std::string>().c_str(), e["action"].get<std::string>().c_str());
      for (const auto& m : e["modules"]) print_module(m);
    }
  }

  static void print_module(const json& m) {
    std::printf("      module %zu %-40s %s\n", m["index"].get<size_t>(),
                m["grub_path"].get<std::string>().c_str(), m["status"].get<std::string>().c_str());
    if (m["status"] != "ok" && !m["reason"].get<std::string>().empty())
      std::printf("        %s\n", m["reason"].get<std::string>().c_str());
    if (m.contains("cmdline_diff") && !m["cmdline_diff"].empty()) {
      std::printf("        command line (- policy, + grub.cfg):\n");
      for (const auto& w : m["cmdline_diff"])
        std::printf("          %s\n", w.get<std::string>().c_str());
    }
  }

  void print_txt() const {
    const json& x = r_.j["txt"];
    auto yes_no = [](const json& v) {
      return v.is_null() ? "unknown" : v.get<bool>() ? "yes" : "no";
    };
    std::printf(
        "TXT: CPU smx %s, VT-d (DMAR) %s, securityfs %s, TPM event log %s, Secure "
        "Launch registers %s; /dev/mem not used\n",
        yes_no(x["cpu_smx"]), yes_no(x["dmar"]), x["securityfs"].get<bool>() ? "mounted" : "absent",
        x["tpm_event_log"].get<bool>() ? "present" : "absent",
        x["slaunch_txt"].is_null() ? "absent" : "present");
  }

  const DoctorOptions& o_;
  const std::string state_dir_, grub_cfg_, boot_dir_;
  Report r_;
  json reference_;
  std::vector<uint8_t> launch_pcrs_;  // the launcher's PCRs under the installed build's pcr_map
  std::string set_name_;
  tpmnv::HandleSet in_use_ = tpmnv::HandleSet::kTcg;
  std::string conf_;
  std::unique_ptr<tpmnv::EsysDevice> dev_;
  tpmnv::TpmInfo info_;
  json indices_ = json::array();
  launch::PolicySource source_ = launch::PolicySource::kTpmNotReady;
  host::Bytes policy_;
  bool nv_policy_invalid_ = false;
  json last_error_ = nullptr;
  std::map<uint32_t, std::string> content_text_;  // decoded content for the text report
  host::spec::BootCheckInput bi_;
  json boot_ = nullptr;
  std::string boot_note_;
};

int run_doctor(const DoctorOptions& o) { return Doctor(o).run(); }

}  // namespace

void setup_doctor(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<DoctorOptions>();
  auto* sub = parent.add_subcommand(
      "doctor",
      "Read-only health check: TPM, NV indices, last launch error, policy vs. grub.cfg "
      "and /boot, TXT status");
  sub->add_flag("--json", o->common.json,
                "Machine-readable output (schemas/doctor.v1.schema.json)");
  sub->add_option("--tcti", o->common.tcti,
                  "TCTI configuration (default: $TPM2TOOLS_TCTI, $TCTI, device:/dev/tpmrm0)");
  sub->add_option("--auth", o->common.auth,
                  std::string("Owner authorization for indices only the owner can read: ") +
                      host::kSecretForms + " (man tlaunch, SECRETS)");
  sub->add_option("--root", o->root, "Prefix of every host path read (tests)")
      ->capture_default_str();
  sub->add_option("--grub-cfg", o->grub_cfg, "grub.cfg to check (default ROOT/boot/grub/grub.cfg)");
  sub->add_option("--boot-dir", o->boot_dir,
                  "Host directory GRUB's root device holds (default ROOT; GRUB paths are also "
                  "tried under its /boot)");
  sub->add_option("--state-dir", o->state_dir,
                  "Where tlaunch apply wrote the build (default ROOT/var/lib/tlaunch)");
  sub->add_option("--handle-set", o->handle_set,
                  "NV handle set the launcher reads (default: the installed build's, else tcg)")
      ->check(CLI::IsMember({"tcg", "legacy"}));
  on_run(sub, inv, [o]() { return run_doctor(*o); });
}

}  // namespace tlaunch::cli
