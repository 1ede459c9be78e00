// tlaunch predict: the PCR values and the measurement list the launcher will produce, computed
// offline with the launcher's own decision code (libpolicy launch.h) and its own option parser
// and configuration rule (launch_options.h) — man/tlaunch-predict.1, JSON shape:
// schemas/predict.v1.schema.json.
//
//   tlaunch predict [--policy VL.POL] --module 'FILE[ CMDLINE]' [--module ...] [--alg sha256,...]
//                   [--launcher-cmdline 'OPTIONS'] [--pcr-map da|legacy|loc0]
//                   [--extpol sha256|sha384|sha512|embedded] [--pcr-start ff|zero]
//                   [--locality 0-4] [--as-loaded grub|raw] [--log FILE] [--json]
//
// --policy is the VLP as it sits in NV (what the launcher reads, capped at 2124 bytes); without
// it the launcher finds no policy and uses tboot's built-in default. --launcher-cmdline is the
// launcher's own command line (the multiboot2 arguments in grub.cfg); --pcr-map and --extpol are
// short forms of its pcr_map= and extpol= options; the launcher measures that line first, so it
// must be the exact line (grub.cfg's multiboot2 arguments). --alg (alias --bank) lists the TPM's
// allocated PCR banks: the banks printed, and the banks extpol=embedded and all_banks=on measure
// for. Module digests are of the bytes as GRUB loads them (gzip/xz/lzop decompressed by module2)
// unless
// --as-loaded raw. SINIT ACMs and an LCP policy-data file among the modules are left out before
// numbering, as tboot and the launcher do (txt_modules.h). --locality is the highest TPM locality
// the launcher gets (2 by default; 0 on platforms that give software locality 0 only).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/grubio/stream_hash.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_log.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/txt_modules.h"

namespace tlaunch::cli {
namespace {

using nlohmann::json;

struct PredictOptions {
  std::string policy;
  std::vector<std::string> modules;
  std::vector<std::string> banks;
  std::string launcher_cmdline;
  std::string pcr_start = "ff";
  std::string as_loaded = "grub";
  std::string pcr_map;
  std::string extpol;
  int locality = 2;
  std::string log;
  bool json = false;
};

struct ModuleArg {
  std::string path;
  std::string cmdline;
};

// Everything the decision needs, read from the command line and the files.
struct Prediction {
  std::vector<ModuleArg> mods;
  std::vector<HashAlg> banks;
  launch::LauncherOptions launcher;
  std::string cmdline;  // the launcher's command line, measured first
  launch::ConfigNotes notes;
  launch::Config config;
  std::vector<HashAlg> algs;  // measurement algorithms, in event digest order
  host::Bytes policy;
  launch::Input input;
  std::vector<host::LoadedDigests> digests;
  std::vector<launch::TxtModule> txt;  // per --module: removed by tboot's layout or not
  std::vector<int> number;             // per --module: its number for the VLP, -1 when removed
  std::vector<launch::ModuleInput> inputs;
  launch::PcrStart start = launch::PcrStart::kAllOnes;
  std::unique_ptr<launch::Outcome> outcome = std::make_unique<launch::Outcome>();
  std::unique_ptr<launch::PcrValues> pcrs = std::make_unique<launch::PcrValues>();
};

const char* alg_name(HashAlg a) {
  const HashAlgInfo* i = find_hash_alg(static_cast<uint16_t>(a));
  return i != nullptr ? i->name : "?";
}
std::string hexd(const Digest& d) { return host::hex(d.bytes, d.size); }
std::string err_name(vlp::TbError e) {
  const char* n = vlp::tb_error_name(static_cast<uint32_t>(e));
  return n != nullptr ? n : "TB_ERR_UNKNOWN";
}

host::Expected<std::vector<ModuleArg>> parse_modules(const std::vector<std::string>& args) {
  std::vector<ModuleArg> mods;
  for (const auto& m : args) {
    const size_t sp = m.find(' ');
    ModuleArg a{m.substr(0, sp), sp == std::string::npos ? std::string() : m.substr(sp + 1)};
    if (a.path.empty())
      return host::fail(Errc::kUsage, "--module '" + m + "': expected 'FILE[ CMDLINE]'");
    mods.push_back(std::move(a));
  }
  if (mods.empty()) return host::fail(Errc::kUsage, "predict: at least one --module is needed");
  if (mods.size() > launch::kMaxModules)
    return host::fail(Errc::kUsage, "predict: more than 128 modules");
  return mods;
}

// The launcher's command line as the launcher would see it: --launcher-cmdline, then the short
// forms (appended, so they win: the last value of an option counts).
std::string effective_cmdline(const PredictOptions& o) {
  std::string cl = o.launcher_cmdline;
  if (!o.pcr_map.empty()) cl += " pcr_map=" + o.pcr_map;
  if (!o.extpol.empty()) cl += " extpol=" + o.extpol;
  return cl;
}

host::HostStatus configure(const PredictOptions& o, Prediction& p) {
  std::string bank_text;
  for (const auto& b : o.banks) bank_text += (bank_text.empty() ? "" : ",") + b;
  auto banks = host::parse_bank_list(bank_text.empty() ? "sha256" : bank_text);
  if (!banks) return banks.failure();
  p.banks = std::move(*banks);
  p.cmdline = effective_cmdline(o);
  p.config = launch::config_from_cmdline(host::as_bytes(p.cmdline), p.banks.data(), p.banks.size(),
                                         &p.launcher, &p.notes);
  p.input.has_launcher_cmdline = true;
  p.input.launcher_cmdline = host::as_bytes(p.cmdline);
  p.input.tpm_locality = static_cast<uint8_t>(o.locality);
  if (p.launcher.num_bad != 0)
    return host::fail(Errc::kUsage, "--launcher-cmdline: the launcher does not understand \"" +
                                        host::as_string(p.launcher.first_bad) +
                                        "\" (launcher/README.md lists its options)");
  HashAlg algs[launch::kMaxBanks];
  p.algs.assign(algs, algs + launch::measurement_algs(p.config, algs));
  p.start = o.pcr_start == "zero" ? launch::PcrStart::kZero : launch::PcrStart::kAllOnes;
  return host::host_ok();
}

// The policy as the launcher would read it from NV.
host::HostStatus read_policy(const PredictOptions& o, Prediction& p) {
  if (o.policy.empty()) {
    p.input.source = launch::PolicySource::kNvAbsent;
    return host::host_ok();
  }
  auto bytes = host::read_file_prefix(o.policy, vlp::kMaxPolicySize);
  if (!bytes) return bytes.failure();
  p.policy = std::move(*bytes);
  // tboot: 0 bytes read = the read failed.
  p.input.source =
      p.policy.empty() ? launch::PolicySource::kNvUnreadable : launch::PolicySource::kNvRead;
  p.input.policy_bytes = ByteSpan(p.policy.data(), p.policy.size());
  return host::host_ok();
}

// Module digests as loaded, in the measurement algorithms.
host::HostStatus hash_modules(const PredictOptions& o, Prediction& p) {
  host::LoadOptions lo;
  lo.mode = o.as_loaded == "raw" ? host::LoadMode::kRaw : host::LoadMode::kGrub;
  std::vector<std::string> paths;
  for (const auto& m : p.mods) paths.push_back(m.path);
  auto digests = host::digest_many_as_loaded(paths, p.algs, lo,
                                             std::max(1u, std::thread::hardware_concurrency()));
  std::vector<launch::ModuleHead> heads;
  for (size_t i = 0; i < p.mods.size(); ++i) {
    if (!digests[i]) return digests[i].failure();
    for (const auto& w : digests[i]->warnings)
      std::fprintf(stderr, "tlaunch: warning: %s: %s\n", p.mods[i].path.c_str(), w.c_str());
    p.digests.push_back(std::move(*digests[i]));
  }
  for (const auto& d : p.digests)
    heads.push_back({ByteSpan(d.head.data(), d.head.size()), d.loaded_size});
  // tboot's module layout: SINIT ACMs and LCP policy data leave the list before numbering.
  p.txt.resize(p.mods.size());
  launch::classify_txt_modules(heads.data(), heads.size(), p.txt.data());
  for (size_t i = 0; i < p.mods.size(); ++i) {
    if (p.txt[i] != launch::TxtModule::kNone) {
      p.number.push_back(-1);
      continue;
    }
    p.number.push_back(static_cast<int>(p.inputs.size()));
    launch::ModuleInput in;
    in.cmdline = host::as_bytes(p.mods[i].cmdline);
    in.num_digests = p.algs.size();
    for (size_t a = 0; a < p.algs.size(); ++a) in.image[a] = p.digests[i].image[a];
    p.inputs.push_back(in);
  }
  p.input.modules = p.inputs.data();
  p.input.num_modules = p.inputs.size();
  return host::host_ok();
}

host::HostStatus decide(Prediction& p) {
  host::OpenSslHasher h;
  Status st = launch::evaluate(h, p.config, p.input, p.outcome.get());
  if (!st.ok()) return host::fail(st.error(), "predict");
  st = launch::predict_pcrs(h, *p.outcome, p.banks.data(), p.banks.size(), p.start, p.pcrs.get());
  if (!st.ok()) return host::fail(st.error(), "predict");
  return host::host_ok();
}

// --log: the event log the launcher writes for this outcome (launch_log.h, the launcher's own
// code) in the form it hands to Linux on its own: the Spec ID event and one event per extended
// measurement (none when the launch does not continue).
host::HostStatus write_log(const std::string& path, const Prediction& p) {
  std::vector<uint8_t> buf(size_t{1} << 20);
  auto w = launch::create_launch_log(MutableByteSpan(buf.data(), buf.size()), p.config);
  if (!w.ok()) return host::fail(w.error(), "--log");
  std::vector<uint8_t> data(launch::kEventDataFixedMax + 65536);
  host::OpenSslHasher h;
  for (size_t i = 0; i < launch::extended_events(*p.outcome); ++i) {
    Status s = launch::log_launch_event(*w, h, p.config, p.input, *p.outcome, i,
                                        MutableByteSpan(data.data(), data.size()));
    if (!s.ok()) return host::fail(s.error(), "--log: event " + std::to_string(i));
  }
  return host::write_file_atomic(path, w->written().data, w->size());
}

json policy_json(const PredictOptions& o, const Prediction& p) {
  const launch::Outcome& out = *p.outcome;
  json pj;
  pj["source"] = out.policy_from_nv ? "nv" : "default";
  if (!o.policy.empty()) pj["file"] = o.policy;
  if (!out.policy_from_nv) {
    pj["reason"] = p.input.source == launch::PolicySource::kNvRead
                       ? std::string("invalid")
                       : std::string(launch::policy_source_name(p.input.source));
    if (p.input.source == launch::PolicySource::kNvRead)
      pj["decode_error"] = host::describe(out.policy_error, o.policy);
  }
  uint8_t pbytes[vlp::kMaxPolicySize];
  auto pn = vlp::encode(out.policy, MutableByteSpan(pbytes, sizeof(pbytes)));
  const char* kw = vlp::policy_type_keyword(out.policy.policy_type);
  pj["type"] = kw != nullptr ? kw : "unsupported";
  pj["hash_alg"] = out.policy.hash_alg;
  pj["control"] = out.policy.policy_control;
  pj["entries"] = out.policy.num_entries();
  if (pn.ok()) pj["size"] = *pn;
  return pj;
}

json config_json(const PredictOptions& o, const Prediction& p) {
  json c = {{"pcr_map", launch::pcr_map_name(p.launcher.pcr_map)},
            {"extpol", launch::extpol_name(p.launcher.extpol)},
            {"all_banks", p.config.all_banks},
            {"fail_closed", p.config.fail_closed},
            {"launcher_cmdline", p.cmdline},
            {"locality", o.locality},
            {"pcr_start", o.pcr_start},
            {"as_loaded", o.as_loaded},
            {"banks", json::array()},
            {"measurement_algs", json::array()}};
  for (HashAlg b : p.banks) c["banks"].push_back(alg_name(b));
  for (HashAlg a : p.algs) c["measurement_algs"].push_back(alg_name(a));
  return c;
}

json step_json(const launch::Step& s) {
  json sj = {{"kind", launch::step_kind_name(s.kind)},
             {"error", err_name(s.error)},
             {"action", vlp::action_name(s.action)}};
  if (s.kind == launch::StepKind::kModule || s.kind == launch::StepKind::kModule0)
    sj["module"] = s.module;
  if (s.kind == launch::StepKind::kLocality) sj["pcr"] = s.pcr;
  if (s.kind == launch::StepKind::kModule) {
    sj["entry"] = s.entry >= 0 ? json(s.entry) : json(nullptr);
    sj["verified"] = s.verified;
    sj["matched_hash"] = s.matched >= 0 ? json(s.matched) : json(nullptr);
  }
  return sj;
}

json event_json(size_t i, const launch::Event& e) {
  json ej = {{"index", i},
             {"pcr", e.pcr},
             {"kind", launch::event_kind_name(e.kind)},
             {"digests", json::object()}};
  if (e.kind == launch::EventKind::kModule0 || e.kind == launch::EventKind::kModule)
    ej["module"] = e.module;
  if (e.entry >= 0) ej["entry"] = e.entry;
  for (size_t k = 0; k < e.num_digests; ++k)
    ej["digests"][alg_name(e.digests[k].alg)] = hexd(e.digests[k]);
  return ej;
}

json to_json(const PredictOptions& o, const Prediction& p) {
  const launch::Outcome& out = *p.outcome;
  json j;
  j["version"] = 1;
  j["policy"] = policy_json(o, p);
  j["config"] = config_json(o, p);
  j["modules"] = json::array();
  for (size_t i = 0; i < p.mods.size(); ++i) {
    json mj = {{"index", i},
               {"number", p.number[i] >= 0 ? json(p.number[i]) : json(nullptr)},
               {"path", p.mods[i].path},
               {"cmdline", p.mods[i].cmdline},
               {"loaded_size", p.digests[i].loaded_size},
               {"image", json::object()}};
    if (p.txt[i] != launch::TxtModule::kNone) mj["removed"] = launch::txt_module_name(p.txt[i]);
    for (size_t a = 0; a < p.algs.size(); ++a)
      mj["image"][alg_name(p.algs[a])] = hexd(p.digests[i].image[a]);
    j["modules"].push_back(std::move(mj));
  }
  j["verdict"] = out.pass() ? "pass" : "fail";
  j["action"] = vlp::action_name(out.action);
  j["error"] = err_name(out.error);
  j["error_value"] = static_cast<uint32_t>(out.error);
  j["steps"] = json::array();
  for (size_t i = 0; i < out.num_steps; ++i) j["steps"].push_back(step_json(out.steps[i]));
  j["extended"] = launch::extended_events(out) > 0;
  j["dropped_events"] = out.dropped_events;
  j["events"] = json::array();
  for (size_t i = 0; i < out.num_events; ++i) j["events"].push_back(event_json(i, out.events[i]));
  j["pcrs"] = json::array();
  for (size_t i = 0; i < p.pcrs->count; ++i) {
    const launch::PcrValue& v = p.pcrs->values[i];
    j["pcrs"].push_back({{"pcr", v.pcr},
                         {"bank", alg_name(v.value.alg)},
                         {"value", hexd(v.value)},
                         {"extends", v.extends}});
  }
  return j;
}

void print_events(const launch::Outcome& out) {
  const bool extended = launch::extended_events(out) > 0;
  std::printf("events%s:\n", extended ? "" : " (not extended: the launch does not continue)");
  for (size_t i = 0; i < out.num_events; ++i) {
    const launch::Event& e = out.events[i];
    std::string what = launch::event_kind_name(e.kind);
    if (e.kind == launch::EventKind::kModule0) what = "module 0 (always)";
    if (e.kind == launch::EventKind::kModule)
      what = "module " + std::to_string(e.module) + " (entry " + std::to_string(e.entry) + ")";
    for (size_t k = 0; k < e.num_digests; ++k)
      std::printf("  %2zu PCR-%-2u %-19s %s %s\n", i, static_cast<unsigned>(e.pcr),
                  k == 0 ? what.c_str() : "", alg_name(e.digests[k].alg),
                  hexd(e.digests[k]).c_str());
  }
  if (out.dropped_events)
    std::printf("  (%zu more dropped: tboot records at most 32)\n", out.dropped_events);
}

void print_text(const PredictOptions& o, const Prediction& p, const json& j) {
  const launch::Outcome& out = *p.outcome;
  for (size_t i = 0; i < p.pcrs->count; ++i) {
    const launch::PcrValue& v = p.pcrs->values[i];
    std::printf("PCR-%u %s %s\n", static_cast<unsigned>(v.pcr), alg_name(v.value.alg),
                hexd(v.value).c_str());
  }
  std::printf("verdict=%s action=%s error=%s\n", out.pass() ? "pass" : "fail",
              vlp::action_name(out.action), err_name(out.error).c_str());
  if (out.policy_from_nv) {
    std::printf("policy: %s (%s, %zu entries)\n", o.policy.c_str(),
                j["policy"]["type"].get<std::string>().c_str(), out.policy.num_entries());
  } else {
    std::printf("policy: built-in default (%s mapping): %s\n",
                p.config.pcr_map == launch::PcrMap::kLegacy ? "legacy" : "DA",
                j["policy"]["reason"].get<std::string>().c_str());
    if (p.input.source == launch::PolicySource::kNvRead)
      std::printf("  %s\n", j["policy"]["decode_error"].get<std::string>().c_str());
  }
  for (size_t i = 0; i < p.mods.size(); ++i)
    if (p.txt[i] != launch::TxtModule::kNone)
      std::printf("--module %zu (%s): %s, removed before numbering as tboot does\n", i,
                  p.mods[i].path.c_str(),
                  p.txt[i] == launch::TxtModule::kSinit ? "SINIT ACM" : "LCP policy data");
  print_events(out);
  for (size_t i = 0; i < out.num_steps; ++i) {
    const launch::Step& s = out.steps[i];
    if (s.error == vlp::TbError::kNone) continue;
    std::string where = launch::step_kind_name(s.kind);
    if (s.kind == launch::StepKind::kModule) where += " " + std::to_string(s.module);
    if (s.kind == launch::StepKind::kLocality)
      where += " (PCR " + std::to_string(s.pcr) + " needs locality " +
               std::to_string(launch::pcr_extend_locality(s.pcr)) + ")";
    std::printf("%s: %s -> %s\n", where.c_str(), err_name(s.error).c_str(),
                vlp::action_name(s.action));
  }
}

int run_predict(const PredictOptions& o) {
  Prediction p;
  auto mods = parse_modules(o.modules);
  if (!mods) return report(mods.failure());
  p.mods = std::move(*mods);
  for (auto step : {configure, read_policy, hash_modules}) {
    auto st = step(o, p);
    if (!st) return report(st.failure());
  }
  if (p.notes.fallback_bank)
    std::fprintf(stderr,
                 "tlaunch: warning: extpol=embedded and no SHA-1/256/384/512 bank among --alg: "
                 "the launcher measures SHA-256 digests, which the TPM ignores for the banks it "
                 "has; the PCRs keep their start values\n");
  auto st = decide(p);
  if (!st) return report(st.failure());
  if (!o.log.empty()) {
    auto written = write_log(o.log, p);
    if (!written) return report(written.failure());
  }
  const json j = to_json(o, p);
  if (o.json)
    std::printf("%s\n", j.dump(2).c_str());
  else
    print_text(o, p, j);
  return kExitOk;
}

}  // namespace

void setup_predict(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand(
      "predict", "PCR values and measurement list the tlaunch launcher will produce");
  auto o = std::make_shared<PredictOptions>();
  sub->add_option("--policy", o->policy,
                  "The VLP as provisioned in NV (omit: no policy in NV, tboot's default is used)");
  sub->add_option("--module", o->modules,
                  "'FILE[ CMDLINE]': module N in boot order; CMDLINE is the module's string as the "
                  "loader passes it (GRUB: the module2 arguments); repeatable")
      ->required();
  // --alg as in `tlaunch hash`; --bank is the older spelling, kept for scripts.
  sub->add_option("--alg,--bank", o->banks,
                  "The TPM's allocated PCR banks: sha1, sha256, sha384, sha512 (default sha256); "
                  "printed, and measured for with extpol=embedded")
      ->delimiter(',');
  sub->add_option("--launcher-cmdline", o->launcher_cmdline,
                  "The launcher's command line (its multiboot2 arguments in grub.cfg)");
  sub->add_option(
         "--pcr-start", o->pcr_start,
         "Value of PCRs 17-22 before the launcher: ff (default: no DRTM, e.g. QEMU) or zero "
         "(after a TXT launch)")
      ->check(CLI::IsMember({"ff", "zero"}));
  sub->add_option("--as-loaded", o->as_loaded,
                  "grub: module bytes as GRUB's module2 hands them over (decompressed); raw: as is")
      ->check(CLI::IsMember({"grub", "raw"}));
  sub->add_option("--pcr-map", o->pcr_map,
                  "Short for the launcher option pcr_map=: da (TPM 2.0, default), legacy, or loc0 "
                  "(PCR 11-13, for platforms that give software locality 0 only)")
      ->check(CLI::IsMember({"da", "legacy", "loc0"}));
  sub->add_option("--extpol", o->extpol,
                  "Short for the launcher option extpol=: sha256 (default), sha384, sha512, "
                  "embedded (one digest per bank, no verification) or agile (= sha256)")
      ->check(CLI::IsMember({"sha256", "sha384", "sha512", "embedded", "agile"}));
  sub->add_option("--locality", o->locality,
                  "The highest TPM locality the launcher gets: 2 (default), or 0 on a platform "
                  "without a measured launch that gives software locality 0 only")
      ->check(CLI::Range(0, 4));
  sub->add_option("--log", o->log,
                  "Also write the TCG event log the launcher will hand to Linux (its own "
                  "setup_data log) to FILE");
  sub->add_flag("--json", o->json, "JSON output (schemas/predict.v1.schema.json)");
  on_run(sub, inv, [o]() { return run_predict(*o); });
}

}  // namespace tlaunch::cli
