// tlaunch doctor [--json] [--tcti T]: a read-only health check of a machine set up for a tlaunch
// (or tboot) measured launch. It never writes to the TPM or to a file and never opens /dev/mem:
//   1. the TPM: reachable, PCR banks, TPM_PT_NV_BUFFER_MAX, NV limits and room left;
//   2. the TXT/tboot NV indices of the catalogue (libtpmnv): present, attributes, whether a
//      launcher accepts them, decoded content; the last launch error in words;
//   3. whether the installed policy accepts what GRUB would boot: every multiboot2 entry of
//      grub.cfg with its files from /boot, through the launcher's own decision code
//      (tlaunch/spec/check.h), with the reason and a diff for each module that would fail;
//   4. TXT status from /proc, sysfs and securityfs when present.
// Every host path is under --root (default /) so that tests can point it at a fake tree.
#include <sys/stat.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "nv_common.h"
#include "spec_common.h"
#include "tlaunch/policy/host/io/file_io.h"
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

// ------------------------------------------------------------------------------------- TPM
struct TpmCaps {
  std::string manufacturer;
  json banks = json::array();  // [{"alg": "sha256", "pcrs": 24}] of active banks
  uint32_t nv_buffer_max = 0, nv_index_max = 0;
  uint32_t nv_indices = 0, persistent_avail = 0, nv_counters_avail = 0;
  // The launcher's PCRs (17-19 under the DA and legacy mappings, vlp.md §6.4; 11-13 under loc0)
  // of every active bank.
  struct LaunchPcr {
    std::string bank;
    int pcr = 0;
    host::Bytes value;
  };
  std::vector<LaunchPcr> launch_pcrs;
};

// The PCRs the launcher extends first under the installed build's mapping: 17-19 mapped by its
// pcr_map= (the launcher line in reference.json, read with the launcher's own option parser;
// without a reference, the default DA mapping).
std::vector<int> launch_pcr_list(const json& reference) {
  std::string cmdline;
  if (reference.is_object() && reference.contains("launcher"))
    cmdline = reference["launcher"].value("cmdline", std::string());
  const launch::LauncherOptions o = launch::parse_launcher_options(host::as_bytes(cmdline));
  std::vector<int> out;
  for (uint8_t p = 17; p <= 19; ++p) {
    const int m = launch::map_pcr(o.pcr_map, p);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::string pcr_list_text(const std::vector<int>& pcrs) {
  std::string t;
  for (int p : pcrs) t += (t.empty() ? "" : ", ") + std::to_string(p);
  return t;
}

// PCR_Read of the launch PCRs in one bank (TPM 2.0 Part 3 §22.4; one bank per call keeps the
// answer within TPML_DIGEST's 8 digests).
host::Expected<std::vector<host::Bytes>> read_launch_pcrs(ESYS_CONTEXT* ctx, uint16_t alg,
                                                          const std::vector<int>& pcrs) {
  TPML_PCR_SELECTION sel = {};
  sel.count = 1;
  sel.pcrSelections[0].hash = alg;
  sel.pcrSelections[0].sizeofSelect = 3;
  for (int p : pcrs) sel.pcrSelections[0].pcrSelect[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
  UINT32 counter = 0;
  TPML_PCR_SELECTION* out_sel = nullptr;
  TPML_DIGEST* values = nullptr;
  TSS2_RC rc = Esys_PCR_Read(ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
                             &out_sel, &values);
  tpmnv::EsysPtr<TPML_PCR_SELECTION> owned_sel(out_sel);
  tpmnv::EsysPtr<TPML_DIGEST> owned_values(values);
  if (rc != TSS2_RC_SUCCESS)
    return host::fail(Errc::kTpm, std::string("TPM2_PCR_Read: ") + Tss2_RC_Decode(rc));
  std::vector<host::Bytes> out;
  for (UINT32 i = 0; i < values->count; ++i)
    out.emplace_back(values->digests[i].buffer,
                     values->digests[i].buffer + values->digests[i].size);
  if (out.size() != pcrs.size())
    return host::fail(Errc::kTpm, "TPM2_PCR_Read did not return PCR " + pcr_list_text(pcrs));
  return out;
}

// GetCapability through ESAPI on its own connection, before the NV device opens its own (a
// swtpm socket serves one client at a time). TPM 2.0 Part 2 §6.13 (TPM_PT), §10.9 (PCR banks).
host::Expected<TpmCaps> query_caps(const std::string& conf, const std::vector<int>& launch_pcrs) {
  auto tcti = tpmnv::Tcti::open(conf);
  if (!tcti) return tcti.failure();
  auto ctx = tpmnv::EsysContext::open(*tcti);
  if (!ctx) return ctx.failure();
  TpmCaps caps;
  auto props = [&](uint32_t first,
                   uint32_t count) -> host::Expected<std::vector<TPMS_TAGGED_PROPERTY>> {
    TPMI_YES_NO more = 0;
    TPMS_CAPABILITY_DATA* data = nullptr;
    TSS2_RC rc = Esys_GetCapability(ctx->get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    TPM2_CAP_TPM_PROPERTIES, first, count, &more, &data);
    tpmnv::EsysPtr<TPMS_CAPABILITY_DATA> owned(data);
    if (rc != TSS2_RC_SUCCESS)
      return host::fail(Errc::kTpm,
                        std::string("TPM2_GetCapability(TPM_PROPERTIES): ") + Tss2_RC_Decode(rc));
    std::vector<TPMS_TAGGED_PROPERTY> out;
    for (UINT32 i = 0; i < data->data.tpmProperties.count; ++i)
      out.push_back(data->data.tpmProperties.tpmProperty[i]);
    return out;
  };
  auto fixed = props(TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES);
  if (!fixed) return fixed.failure();
  auto var = props(TPM2_PT_VAR, TPM2_MAX_TPM_PROPERTIES);
  if (!var) return var.failure();
  for (const auto& p : *fixed) {
    if (p.property == TPM2_PT_MANUFACTURER) {
      // Four ASCII characters, big-endian ("IBM ", "INTC", "MSFT").
      for (int s = 24; s >= 0; s -= 8) {
        char c = static_cast<char>((p.value >> s) & 0xFF);
        if (c >= 0x20 && c < 0x7F) caps.manufacturer += c;
      }
      while (!caps.manufacturer.empty() && caps.manufacturer.back() == ' ')
        caps.manufacturer.pop_back();
    }
    if (p.property == TPM2_PT_NV_BUFFER_MAX) caps.nv_buffer_max = p.value;
    if (p.property == TPM2_PT_NV_INDEX_MAX) caps.nv_index_max = p.value;
  }
  for (const auto& p : *var) {
    if (p.property == TPM2_PT_HR_NV_INDEX) caps.nv_indices = p.value;
    if (p.property == TPM2_PT_HR_PERSISTENT_AVAIL) caps.persistent_avail = p.value;
    if (p.property == TPM2_PT_NV_COUNTERS_AVAIL) caps.nv_counters_avail = p.value;
  }
  TPMI_YES_NO more = 0;
  TPMS_CAPABILITY_DATA* data = nullptr;
  TSS2_RC rc = Esys_GetCapability(ctx->get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  TPM2_CAP_PCRS, 0, 1, &more, &data);
  tpmnv::EsysPtr<TPMS_CAPABILITY_DATA> owned(data);
  if (rc != TSS2_RC_SUCCESS)
    return host::fail(Errc::kTpm, std::string("TPM2_GetCapability(PCRS): ") + Tss2_RC_Decode(rc));
  for (UINT32 i = 0; i < data->data.assignedPCR.count; ++i) {
    const TPMS_PCR_SELECTION& s = data->data.assignedPCR.pcrSelections[i];
    int pcrs = 0;
    for (int b = 0; b < s.sizeofSelect; ++b)
      for (int bit = 0; bit < 8; ++bit) pcrs += (s.pcrSelect[b] >> bit) & 1;
    if (pcrs == 0) continue;  // allocated but inactive
    const HashAlgInfo* info = find_hash_alg(s.hash);
    caps.banks.push_back(
        {{"alg", info ? info->name : tpmnv::format_handle(s.hash)}, {"pcrs", pcrs}});
    bool all = info != nullptr && s.sizeofSelect >= 3;
    for (int p : launch_pcrs) all = all && (s.pcrSelect[p / 8] >> (p % 8) & 1);
    if (!all) continue;
    auto v = read_launch_pcrs(ctx->get(), s.hash, launch_pcrs);
    if (!v) return v.failure();
    for (size_t k = 0; k < launch_pcrs.size(); ++k)
      caps.launch_pcrs.push_back({info->name, launch_pcrs[k], (*v)[k]});
  }
  return caps;
}

// A launch the launcher did not measure: every measured launch extends PCR 17 (mapped: 11 under
// loc0) with its own command line and the policy-control value (vlp.md §6.3) in the bank(s) it
// measures for, so the launch PCRs all at a reset value in every bank — all 0xFF (PCR 17-19: no
// dynamic launch reset them, nothing extended them: an unmeasured launch or no launcher at all)
// or all zero (reset by a DRTM, or PCR 11-13 after TPM reset, then never extended) — mean this
// boot's PCRs vouch for nothing. Returns the JSON view and adds the problem.
json assess_launch_pcrs(const TpmCaps& caps, const std::vector<int>& pcrs,
                        std::vector<std::string>* problems) {
  json values = json::array();
  bool measured = false;
  for (const auto& p : caps.launch_pcrs) {
    const bool ff =
        std::all_of(p.value.begin(), p.value.end(), [](uint8_t b) { return b == 0xFF; });
    const bool zero = std::all_of(p.value.begin(), p.value.end(), [](uint8_t b) { return b == 0; });
    const char* state = ff ? "reset-ff" : zero ? "reset-zero" : "extended";
    measured = measured || (!ff && !zero);
    values.push_back({{"bank", p.bank},
                      {"pcr", p.pcr},
                      {"value", host::hex(p.value.data(), p.value.size())},
                      {"state", state}});
  }
  const std::string list = pcr_list_text(pcrs);
  if (!caps.launch_pcrs.empty() && !measured)
    problems->push_back("this boot was not measured: PCR " + list +
                        " hold their reset values in every bank (all 0xFF: no launcher extended "
                        "them, e.g. an unmeasured launch after a TPM failure; all zero: reset, "
                        "then never extended) — do not seal secrets to PCR " +
                        list + " of this boot");
  return {{"measured", measured}, {"pcrs", values}};
}

// tboot's error codes in words: what happened at the last launch and what usually helps
// (vlp.md §7.1 meanings; tboot common/tb_error.c).
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

// ---------------------------------------------------------------------------------- doctor
struct Report {
  json j;
  std::vector<std::string> problems;
  void problem(const std::string& p) { problems.push_back(p); }
};

int run_doctor(const DoctorOptions& o) {
  using namespace tpmnv;
  Report r;
  r.j["$schema"] = "https://tlaunch.invalid/schemas/doctor.v1.schema.json";
  r.j["version"] = 1;
  const std::string state_dir =
      o.state_dir.empty() ? under(o.root, "/var/lib/tlaunch") : o.state_dir;
  const std::string grub_cfg =
      o.grub_cfg.empty() ? under(o.root, "/boot/grub/grub.cfg") : o.grub_cfg;
  const std::string boot_dir = o.boot_dir.empty() ? o.root : o.boot_dir;

  // The installed build (tlaunch apply), if any: which handle set and what the policy was built
  // from.
  json reference;
  std::string ref_path = state_dir + "/" + host::spec::kReferenceFile;
  if (exists(ref_path)) {
    try {
      reference = json::parse(read_small(ref_path));
    } catch (const json::exception&) {
      r.problem(ref_path + " is not valid JSON");
    }
  }
  r.j["state_dir"] = state_dir;
  r.j["reference"] = reference.is_object() ? json(ref_path) : json(nullptr);
  std::string set_name = o.handle_set;
  if (set_name.empty() && reference.is_object() && reference.contains("nv"))
    set_name = reference["nv"].value("handle_set", std::string("tcg"));
  if (set_name.empty()) set_name = "tcg";
  const HandleSet in_use = set_name == "legacy" ? HandleSet::kLegacy : HandleSet::kTcg;
  r.j["handle_set"] = set_name;

  // 1. TPM.
  std::string origin;
  std::string conf = choose_tcti(o.common.tcti, &origin);
  json tpm;
  tpm["tcti"] = conf;
  const std::vector<int> launch_pcrs = launch_pcr_list(reference);
  auto caps = query_caps(conf, launch_pcrs);
  std::unique_ptr<EsysDevice> dev;
  if (caps) {
    auto d = nv::open_device(o.common);
    if (d)
      dev = std::move(*d);
    else
      caps = d.failure();
  }
  tpm["reachable"] = static_cast<bool>(dev);
  if (!dev) {
    tpm["error"] = caps ? std::string() : caps.failure().message;
    r.problem("no TPM reachable through " + conf + ": " + tpm["error"].get<std::string>());
  } else {
    tpm["manufacturer"] = caps->manufacturer;
    tpm["banks"] = caps->banks;
    tpm["nv_buffer_max"] = caps->nv_buffer_max;
    tpm["nv_index_max"] = caps->nv_index_max;
    tpm["nv_indices_defined"] = caps->nv_indices;
    tpm["persistent_avail"] = caps->persistent_avail;
    tpm["nv_counters_avail"] = caps->nv_counters_avail;
    if (caps->banks.empty()) r.problem("the TPM has no active PCR bank");
    r.j["launch_pcrs"] = assess_launch_pcrs(*caps, launch_pcrs, &r.problems);
    if (caps->persistent_avail == 0)
      r.problem("the TPM reports no NV room left (TPM_PT_HR_PERSISTENT_AVAIL = 0)");
  }
  r.j["tpm"] = tpm;

  // 2. Catalogue indices, both handle sets; the one in use is what the launcher reads.
  json indices = json::array();
  launch::PolicySource source =
      dev ? launch::PolicySource::kNvAbsent : launch::PolicySource::kTpmNotReady;
  host::Bytes policy;
  bool nv_policy_invalid = false;
  json last_error = nullptr;
  std::map<uint32_t, std::string> content_text;  // decoded content for the text report
  if (dev) {
    auto handles = dev->list_indices();
    if (!handles) return report(handles.failure());
    size_t n = 0;
    const IndexSpec* cat = catalogue(&n);
    for (HandleSet set : {HandleSet::kTcg, HandleSet::kLegacy}) {
      for (size_t i = 0; i < n; ++i) {
        Target t;
        t.spec = &cat[i];
        t.handle = handle_of(cat[i], set);
        const std::string name = cat[i].name;
        json e;
        e["name"] = name;
        e["handle"] = format_handle(t.handle);
        e["handle_set"] = handle_set_name(set);
        e["in_use"] = set == in_use;
        bool defined = std::find(handles->begin(), handles->end(), t.handle) != handles->end();
        e["present"] = defined;
        if (!defined) {
          if (set == in_use && name == "vlp")
            r.problem("no VLP index at " + format_handle(t.handle) +
                      ": the launcher falls back to its built-in default policy, which verifies "
                      "nothing");
          if (set != in_use) continue;  // absent in the other set: not worth a line
          indices.push_back(e);
          continue;
        }
        auto pub = dev->read_public(t.handle);
        if (!pub) return report(pub.failure());
        if (!*pub) continue;
        const NvPublic& p = **pub;
        std::vector<std::string> problems = check_definition(t.spec, definition_of(p), false);
        e["attributes"] = attributes_to_string(p.attributes);
        e["attributes_value"] = format_handle(p.attributes);
        e["size"] = p.size;
        e["written"] = (p.attributes & attr::kWritten) != 0;
        e["launcher_accepts"] = problems.empty();
        e["problems"] = problems;
        e["content"] = nullptr;
        if (set != in_use)
          r.problem(name + " index present in the " + handle_set_name(set) + " set at " +
                    format_handle(t.handle) + ", but the launcher reads the " + set_name + " set");
        for (const auto& pr : problems)
          if (set == in_use) r.problem(name + " index " + format_handle(t.handle) + ": " + pr);
        host::Bytes data;
        bool have = false;
        if (p.attributes & attr::kWritten) {
          // The VLP as the launcher reads it: at most 2124 bytes (vlp.md §5.2).
          std::optional<size_t> size;
          if (name == "vlp") size = std::min<size_t>(p.size, vlp::kMaxPolicySize);
          auto d = read_index(*dev, t, p, 0, size);
          if (d) {
            data = std::move(*d);
            have = true;
            ContentView view = describe_content(cat[i].content, data, t.label());
            e["content"] = view.json;
            content_text[t.handle] = view.text;
          } else {
            e["content_error"] = d.failure().message;
          }
        } else if (set == in_use && (name == "vlp" || name == "error")) {
          r.problem(name + " index " + format_handle(t.handle) + " was never written");
        }
        if (set == in_use && name == "vlp") {
          if (p.attributes & attr::kPpWrite)
            source = launch::PolicySource::kNvPpWrite;
          else if (!have)
            source = launch::PolicySource::kNvUnreadable;
          else {
            source = launch::PolicySource::kNvRead;
            policy = data;
            // The launcher decodes what it read; an invalid VLP (e.g. an interrupted update:
            // tlaunch nv write clears byte 0 first) means tboot's default policy.
            auto dec = vlp::decode(ByteSpan(data.data(), data.size()));
            if (!dec.ok()) {
              nv_policy_invalid = true;
              r.problem("vlp index " + format_handle(t.handle) + " does not hold a valid VLP (" +
                        host::describe(dec.error(), "") +
                        "): the launcher falls back to its built-in default policy "
                        "(TB_ERR_POLICY_NOT_PRESENT), which verifies nothing; an interrupted "
                        "update? `tlaunch nv provision` rewrites it");
            }
          }
        }
        if (set == in_use && name == "error" && have && data.size() >= 4) {
          uint32_t code = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                          (static_cast<uint32_t>(data[2]) << 16) |
                          (static_cast<uint32_t>(data[3]) << 24);
          const char* en = vlp::tb_error_name(code);
          last_error = {
              {"code", code}, {"name", en ? en : "unknown"}, {"meaning", error_words(code)}};
          if (code != 0)
            r.problem(std::string("last launch error: ") + (en ? en : "unknown") + ": " +
                      error_words(code));
        }
        indices.push_back(e);
      }
    }
  }
  r.j["indices"] = indices;
  r.j["last_launch_error"] = last_error;
  r.j["policy_source"] = launch::policy_source_name(source);

  // 3. Policy vs. grub.cfg and /boot. Without a TPM, the installed build's vlp.pol stands in.
  host::spec::BootCheckInput bi;
  bi.grub_cfg = grub_cfg;
  bi.root = boot_dir;
  bi.source = source;
  bi.policy = policy;
  bi.reference = reference;
  if (caps) {
    std::vector<HashAlg> tpm_banks;
    for (const json& b : caps->banks) {
      const HashAlgInfo* info = find_hash_alg_by_name(b["alg"].get<std::string>().c_str());
      if (info) tpm_banks.push_back(info->id);
    }
    if (!tpm_banks.empty()) bi.banks = tpm_banks;
  }
  std::string boot_note;
  if (!dev && exists(state_dir + "/" + host::spec::kVlpFile)) {
    auto b = host::read_file(state_dir + "/" + host::spec::kVlpFile, vlp::kMaxPolicySize);
    if (b) {
      bi.source = launch::PolicySource::kNvRead;
      bi.policy = *b;
      boot_note = "no TPM: checked against " + state_dir + "/" + host::spec::kVlpFile +
                  " instead of the policy in NV";
    }
  }
  json boot = nullptr;
  if (!exists(grub_cfg)) {
    r.problem(grub_cfg + " does not exist: cannot check what GRUB would boot");
  } else {
    auto bc = host::spec::check_boot(bi);
    if (!bc) {
      r.problem(bc.failure().message);
    } else {
      boot = host::spec::boot_check_json(*bc);
      if (!boot_note.empty()) boot["note"] = boot_note;
      boot["grub_cfg"] = grub_cfg;
      if (bc->policy_state != "nv") r.problem(bc->policy_note);
      for (const auto& note : bc->notes) r.problem(note);
      for (const auto& e : bc->entries) {
        if (e.verdict == "pass") continue;
        std::string p = "grub.cfg entry '" + e.title + "' (line " + std::to_string(e.line) +
                        "): the launcher would answer " + e.error + " (" + e.action + ")";
        for (const auto& m : e.modules)
          if (m.status != "ok")
            p += "\n    module " + std::to_string(m.index) + " " + m.grub_path + ": " + m.status +
                 ": " + m.reason;
        r.problem(p);
      }
    }
  }
  r.j["boot"] = boot;

  // 4. TXT.
  // Reported, not a problem: the tlaunch launcher verifies and measures without TXT (a VM, the
  // boot lab); only tboot proper needs SMX.
  r.j["txt"] = txt_status(o.root);

  r.j["problems"] = r.problems;
  r.j["ok"] = r.problems.empty();
  if (o.common.json) {
    std::printf("%s\n", r.j.dump(2).c_str());
  } else {
    const json& t = r.j["tpm"];
    std::printf("TPM (%s):\n", conf.c_str());
    if (t["reachable"].get<bool>()) {
      std::string banks;
      for (const auto& b : t["banks"])
        banks += (banks.empty() ? "" : ", ") + b["alg"].get<std::string>();
      std::printf(
          "  %s, banks %s; NV_BUFFER_MAX %u, NV_INDEX_MAX %u; %u NV indices defined, "
          "room for about %u more persistent objects\n",
          t["manufacturer"].get<std::string>().c_str(), banks.c_str(),
          t["nv_buffer_max"].get<unsigned>(), t["nv_index_max"].get<unsigned>(),
          t["nv_indices_defined"].get<unsigned>(), t["persistent_avail"].get<unsigned>());
    } else {
      std::printf("  not reachable: %s\n", t["error"].get<std::string>().c_str());
    }
    if (r.j.contains("launch_pcrs")) {
      const json& lp = r.j["launch_pcrs"];
      const std::string list = pcr_list_text(launch_pcrs);
      std::printf("  this boot: %s\n",
                  lp["measured"].get<bool>()
                      ? ("measured (PCR " + list + " extended)").c_str()
                      : ("NOT measured (PCR " + list + " at their reset values)").c_str());
    }
    std::printf("NV indices (%s handle set in use):\n", set_name.c_str());
    for (const auto& e : r.j["indices"]) {
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
      uint32_t handle =
          static_cast<uint32_t>(std::stoul(e["handle"].get<std::string>(), nullptr, 16));
      auto text = content_text.find(handle);
      if (text != content_text.end()) std::printf("%s", text->second.c_str());
    }
    if (last_error.is_object())
      std::printf("Last launch error: %s: %s\n", last_error["name"].get<std::string>().c_str(),
                  last_error["meaning"].get<std::string>().c_str());
    if (bi.source == launch::PolicySource::kNvRead && nv_policy_invalid)
      std::printf(
          "Policy in force: the launcher's built-in default (the VLP in NV is not valid)\n");
    else if (bi.source == launch::PolicySource::kNvRead)
      std::printf(
          "Policy in force: the VLP read from NV%s\n",
          boot.is_object() && boot["policy"] == "default" ? " (invalid: default policy)" : "");
    else
      std::printf("Policy in force: the launcher's built-in default (%s)\n",
                  launch::policy_source_name(bi.source));
    if (boot.is_object()) {
      std::string note = boot_note.empty() ? "" : " (" + boot_note + ")";
      std::printf("Boot entries in %s%s:\n", grub_cfg.c_str(), note.c_str());
      for (const auto& e : boot["entries"]) {
        std::printf("  [%s] %s (line %zu): %s, %s\n", e["verdict"].get<std::string>().c_str(),
                    e["title"].get<std::string>().c_str(), e["line"].get<size_t>(),
                    e["error"].get<std::string>().c_str(), e["action"].get<std::string>().c_str());
        for (const auto& m : e["modules"]) {
          std::printf("      module %zu %-40s %s\n", m["index"].get<size_t>(),
                      m["grub_path"].get<std::string>().c_str(),
                      m["status"].get<std::string>().c_str());
          if (m["status"] != "ok" && !m["reason"].get<std::string>().empty())
            std::printf("        %s\n", m["reason"].get<std::string>().c_str());
          if (m.contains("cmdline_diff") && !m["cmdline_diff"].empty()) {
            std::printf("        command line (- policy, + grub.cfg):\n");
            for (const auto& w : m["cmdline_diff"])
              std::printf("          %s\n", w.get<std::string>().c_str());
          }
        }
      }
    }
    const json& x = r.j["txt"];
    std::printf(
        "TXT: CPU smx %s, VT-d (DMAR) %s, securityfs %s, TPM event log %s, Secure "
        "Launch registers %s; /dev/mem not used\n",
        x["cpu_smx"].is_null()     ? "unknown"
        : x["cpu_smx"].get<bool>() ? "yes"
                                   : "no",
        x["dmar"].is_null()     ? "unknown"
        : x["dmar"].get<bool>() ? "yes"
                                : "no",
        x["securityfs"].get<bool>() ? "mounted" : "absent",
        x["tpm_event_log"].get<bool>() ? "present" : "absent",
        x["slaunch_txt"].is_null() ? "absent" : "present");
    if (r.problems.empty()) {
      std::printf("\nhealthy: the installed policy accepts every launcher entry of grub.cfg\n");
    } else {
      std::printf("\n%zu problem(s):\n", r.problems.size());
      for (const auto& p : r.problems) std::printf("  - %s\n", p.c_str());
    }
  }
  if (!dev) return kExitTpmUnreachable;
  return r.problems.empty() ? kExitOk : kExitFailed;
}

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
                  "Owner authorization for indices only the owner can read (file:, env:, ...)");
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
