// tlaunch predict: the PCR values and the measurement list the launcher will produce, computed
// offline with the launcher's own decision code (libpolicy launch.h) — man/tlaunch-predict.1,
// JSON shape: schemas/predict.v1.schema.json.
//
//   tlaunch predict [--policy VL.POL] --module 'FILE[ CMDLINE]' [--module ...] [--bank sha256,...]
//                   [--pcr-start ff|zero] [--as-loaded grub|raw] [--pcr-map da|legacy]
//                   [--extpol sha256|sha384|sha512|embedded] [--log FILE] [--json]
//
// --policy is the VLP as it sits in NV (what the launcher reads, capped at 2124 bytes); without
// it the launcher finds no policy and uses tboot's built-in default. Module digests are of the
// bytes as GRUB loads them (gzip/xz/lzop decompressed by module2) unless --as-loaded raw.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "tlaunch/policy/host/file_io.h"
#include "tlaunch/policy/host/loaded_image.h"
#include "tlaunch/policy/host/openssl_hasher.h"
#include "tlaunch/policy/host/stream_hash.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_log.h"

namespace tlaunch::cli {
namespace {

struct PredictOptions {
  std::string policy;
  std::vector<std::string> modules;
  std::vector<std::string> banks;
  std::string pcr_start = "ff";
  std::string as_loaded = "grub";
  std::string pcr_map = "da";
  std::string extpol = "sha256";
  std::string log;
  bool json = false;
};

struct ModuleArg {
  std::string path;
  std::string cmdline;
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
bool hashable(HashAlg a) {
  return a == HashAlg::kSha256 || a == HashAlg::kSha384 || a == HashAlg::kSha512;
}

// --log: the event log the launcher writes for this outcome (launch_log.h, the launcher's own
// code), in the form it hands to Linux on its own: the Spec ID event and one event per extend;
// only the header when nothing is extended.
host::HostStatus write_log(const std::string& path, const launch::Config& config,
                           const launch::Input& input, const launch::Outcome& out, bool extended) {
  std::vector<uint8_t> buf(size_t{1} << 20);
  auto w = launch::create_launch_log(MutableByteSpan(buf.data(), buf.size()), config);
  if (!w.ok()) return host::fail(w.error(), "--log");
  std::vector<uint8_t> data(launch::kEventDataFixedMax + 65536);
  host::OpenSslHasher h;
  for (size_t i = 0; extended && i < out.num_events; ++i) {
    Status s = launch::log_launch_event(*w, h, config, input, out, i,
                                        MutableByteSpan(data.data(), data.size()));
    if (!s.ok()) return host::fail(s.error(), "--log: event " + std::to_string(i));
  }
  return host::write_file_atomic(path, w->written().data, w->size());
}

int run_predict(const PredictOptions& o) {
  // ---- arguments
  std::vector<ModuleArg> mods;
  for (const auto& m : o.modules) {
    const size_t sp = m.find(' ');
    ModuleArg a{m.substr(0, sp), sp == std::string::npos ? std::string() : m.substr(sp + 1)};
    if (a.path.empty())
      return report(host::fail(Errc::kUsage, "--module '" + m + "': expected 'FILE[ CMDLINE]'"));
    mods.push_back(std::move(a));
  }
  if (mods.empty())
    return report(host::fail(Errc::kUsage, "predict: at least one --module is needed"));
  if (mods.size() > launch::kMaxModules)
    return report(host::fail(Errc::kUsage, "predict: more than 128 modules"));

  std::string bank_text;
  for (const auto& b : o.banks) bank_text += (bank_text.empty() ? "" : ",") + b;
  if (bank_text.empty()) bank_text = "sha256";
  auto banks = host::parse_bank_list(bank_text);
  if (!banks) return report(banks.failure());

  launch::Config config;
  config.pcr_map = o.pcr_map == "legacy" ? launch::PcrMap::kLegacy : launch::PcrMap::kDa;
  if (o.extpol == "embedded") {
    // Like the launcher: one digest per bank it can compute (SHA-256/384/512).
    config.embedded = true;
    for (HashAlg b : *banks)
      if (hashable(b) && config.num_banks < launch::kMaxBanks) config.banks[config.num_banks++] = b;
    if (config.num_banks == 0)
      return report(host::fail(Errc::kUnsupported,
                               "--extpol embedded needs a sha256, sha384 or sha512 bank"));
  } else {
    config.cur_alg = o.extpol == "sha384"   ? HashAlg::kSha384
                     : o.extpol == "sha512" ? HashAlg::kSha512
                                            : HashAlg::kSha256;
  }
  HashAlg algs[launch::kMaxBanks];
  const size_t num_algs = launch::measurement_algs(config, algs);

  // ---- the policy, as the launcher would read it from NV
  host::Bytes policy;
  launch::Input input;
  if (!o.policy.empty()) {
    auto p = host::read_file_prefix(o.policy, vlp::kMaxPolicySize);
    if (!p) return report(p.failure());
    policy = std::move(*p);
    if (policy.empty()) {
      input.source = launch::PolicySource::kNvUnreadable;  // tboot: 0 bytes read = read failed
    } else {
      input.source = launch::PolicySource::kNvRead;
      input.policy_bytes = ByteSpan(policy.data(), policy.size());
    }
  } else {
    input.source = launch::PolicySource::kNvAbsent;
  }

  // ---- module digests as loaded
  host::LoadOptions lo;
  lo.mode = o.as_loaded == "raw" ? host::LoadMode::kRaw : host::LoadMode::kGrub;
  std::vector<std::string> paths;
  for (const auto& m : mods) paths.push_back(m.path);
  const std::vector<HashAlg> alg_vec(algs, algs + num_algs);
  auto digests = host::digest_many_as_loaded(paths, alg_vec, lo,
                                             std::max(1u, std::thread::hardware_concurrency()));
  std::vector<launch::ModuleInput> inputs(mods.size());
  for (size_t i = 0; i < mods.size(); ++i) {
    if (!digests[i]) return report(digests[i].failure());
    for (const auto& w : digests[i]->warnings)
      std::fprintf(stderr, "tlaunch: warning: %s: %s\n", mods[i].path.c_str(), w.c_str());
    inputs[i].cmdline =
        ByteSpan(reinterpret_cast<const uint8_t*>(mods[i].cmdline.data()), mods[i].cmdline.size());
    inputs[i].num_digests = num_algs;
    for (size_t a = 0; a < num_algs; ++a) inputs[i].image[a] = digests[i]->image[a];
  }
  input.modules = inputs.data();
  input.num_modules = inputs.size();

  // ---- the decision and the PCRs
  host::OpenSslHasher h;
  auto outcome = std::make_unique<launch::Outcome>();
  Status st = launch::evaluate(h, config, input, outcome.get());
  if (!st.ok()) return report(host::fail(st.error(), "predict"));
  const launch::Outcome& out = *outcome;
  const bool extended = out.action == vlp::Action::kContinue;
  const launch::PcrStart start =
      o.pcr_start == "zero" ? launch::PcrStart::kZero : launch::PcrStart::kAllOnes;
  auto pcrs = std::make_unique<launch::PcrValues>();
  Status ps = launch::predict_pcrs(h, out, banks->data(), banks->size(), start, pcrs.get());
  if (!ps.ok()) return report(host::fail(ps.error(), "predict"));
  if (!extended) {
    // A halt or an unmeasured launch extends nothing: the PCRs keep their start values.
    for (size_t i = 0; i < pcrs->count; ++i) {
      launch::PcrValue& v = pcrs->values[i];
      v.value = launch::pcr_start_value(v.pcr, v.value.alg, start);
      v.extends = 0;
    }
  }

  if (!o.log.empty()) {
    auto written = write_log(o.log, config, input, out, extended);
    if (!written) return report(written.failure());
  }

  // ---- report
  nlohmann::json j;
  j["version"] = 1;
  nlohmann::json pj;
  pj["source"] = out.policy_from_nv ? "nv" : "default";
  if (!o.policy.empty()) pj["file"] = o.policy;
  if (!out.policy_from_nv) {
    pj["reason"] = input.source == launch::PolicySource::kNvRead
                       ? std::string("invalid")
                       : std::string(launch::policy_source_name(input.source));
    if (input.source == launch::PolicySource::kNvRead)
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
  j["policy"] = pj;
  j["config"] = {{"pcr_map", o.pcr_map},
                 {"extpol", o.extpol},
                 {"pcr_start", o.pcr_start},
                 {"as_loaded", o.as_loaded},
                 {"banks", nlohmann::json::array()}};
  for (HashAlg b : *banks) j["config"]["banks"].push_back(alg_name(b));
  j["modules"] = nlohmann::json::array();
  for (size_t i = 0; i < mods.size(); ++i) {
    nlohmann::json mj = {{"index", i},
                         {"path", mods[i].path},
                         {"cmdline", mods[i].cmdline},
                         {"loaded_size", digests[i]->loaded_size},
                         {"image", nlohmann::json::object()}};
    for (size_t a = 0; a < num_algs; ++a) mj["image"][alg_name(algs[a])] = hexd(inputs[i].image[a]);
    j["modules"].push_back(std::move(mj));
  }
  j["verdict"] = out.pass() ? "pass" : "fail";
  j["action"] = vlp::action_name(out.action);
  j["error"] = err_name(out.error);
  j["error_value"] = static_cast<uint32_t>(out.error);
  j["steps"] = nlohmann::json::array();
  for (size_t i = 0; i < out.num_steps; ++i) {
    const launch::Step& s = out.steps[i];
    nlohmann::json sj = {{"kind", launch::step_kind_name(s.kind)},
                         {"error", err_name(s.error)},
                         {"action", vlp::action_name(s.action)}};
    if (s.kind == launch::StepKind::kModule || s.kind == launch::StepKind::kModule0)
      sj["module"] = s.module;
    if (s.kind == launch::StepKind::kModule) {
      sj["entry"] = s.entry >= 0 ? nlohmann::json(s.entry) : nlohmann::json(nullptr);
      sj["verified"] = s.verified;
      sj["matched_hash"] = s.matched >= 0 ? nlohmann::json(s.matched) : nlohmann::json(nullptr);
    }
    j["steps"].push_back(std::move(sj));
  }
  j["extended"] = extended;
  j["dropped_events"] = out.dropped_events;
  j["events"] = nlohmann::json::array();
  for (size_t i = 0; i < out.num_events; ++i) {
    const launch::Event& e = out.events[i];
    nlohmann::json ej = {{"index", i},
                         {"pcr", e.pcr},
                         {"kind", launch::event_kind_name(e.kind)},
                         {"digests", nlohmann::json::object()}};
    if (e.kind != launch::EventKind::kPolicyControl) ej["module"] = e.module;
    if (e.entry >= 0) ej["entry"] = e.entry;
    for (size_t k = 0; k < e.num_digests; ++k)
      ej["digests"][alg_name(e.digests[k].alg)] = hexd(e.digests[k]);
    j["events"].push_back(std::move(ej));
  }
  j["pcrs"] = nlohmann::json::array();
  for (size_t i = 0; i < pcrs->count; ++i) {
    const launch::PcrValue& v = pcrs->values[i];
    j["pcrs"].push_back({{"pcr", v.pcr},
                         {"bank", alg_name(v.value.alg)},
                         {"value", hexd(v.value)},
                         {"extends", v.extends}});
  }

  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  for (size_t i = 0; i < pcrs->count; ++i) {
    const launch::PcrValue& v = pcrs->values[i];
    std::printf("PCR-%u %s %s\n", static_cast<unsigned>(v.pcr), alg_name(v.value.alg),
                hexd(v.value).c_str());
  }
  std::printf("verdict=%s action=%s error=%s\n", out.pass() ? "pass" : "fail",
              vlp::action_name(out.action), err_name(out.error).c_str());
  if (out.policy_from_nv) {
    std::printf("policy: %s (%s, %zu entries)\n", o.policy.c_str(), kw != nullptr ? kw : "?",
                out.policy.num_entries());
  } else {
    std::printf("policy: built-in default (%s mapping): %s\n",
                config.pcr_map == launch::PcrMap::kDa ? "DA" : "legacy",
                j["policy"]["reason"].get<std::string>().c_str());
    if (input.source == launch::PolicySource::kNvRead)
      std::printf("  %s\n", j["policy"]["decode_error"].get<std::string>().c_str());
  }
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
  for (size_t i = 0; i < out.num_steps; ++i) {
    const launch::Step& s = out.steps[i];
    if (s.error == vlp::TbError::kNone) continue;
    std::string where = launch::step_kind_name(s.kind);
    if (s.kind == launch::StepKind::kModule) where += " " + std::to_string(s.module);
    std::printf("%s: %s -> %s\n", where.c_str(), err_name(s.error).c_str(),
                vlp::action_name(s.action));
  }
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
  sub->add_option("--bank", o->banks,
                  "PCR banks to print: sha1, sha256, sha384, sha512 (default sha256)")
      ->delimiter(',');
  sub->add_option("--pcr-start", o->pcr_start,
                  "Value of PCRs 17-22 before the launcher: ff (no DRTM, e.g. QEMU) or zero")
      ->check(CLI::IsMember({"ff", "zero"}));
  sub->add_option("--as-loaded", o->as_loaded,
                  "grub: module bytes as GRUB's module2 hands them over (decompressed); raw: as is")
      ->check(CLI::IsMember({"grub", "raw"}));
  sub->add_option("--pcr-map", o->pcr_map,
                  "da (TPM 2.0, default) or legacy, as the launcher's pcr_map=")
      ->check(CLI::IsMember({"da", "legacy"}));
  sub->add_option("--extpol", o->extpol,
                  "Measurement algorithm as the launcher's extpol=: sha256 (default), sha384, "
                  "sha512, or embedded (one digest per bank, no verification)")
      ->check(CLI::IsMember({"sha256", "sha384", "sha512", "embedded", "agile"}));
  sub->add_option("--log", o->log,
                  "Also write the TCG event log the launcher will hand to Linux (as its own "
                  "setup_data log) to FILE");
  sub->add_flag("--json", o->json, "JSON output (schemas/predict.v1.schema.json)");
  on_run(sub, inv, [o]() {
    if (o->extpol == "agile") o->extpol = "sha256";  // tboot: deprecated alias
    return run_predict(*o);
  });
}

}  // namespace tlaunch::cli
