// tlaunch log verify [LOG] [--tpm [--tcti T]] [--reference reference.json [--entry E]]
//                         [--pcr-start ff|zero] [--json]
// Checks a TCG event log: the launcher's event data describes the digests it extended; with --tpm
// the log replays to the TPM's PCRs (read through libtpmnv's device: the one transport, with the
// launcher's own PCR_Read marshalling); with --reference the launcher's events are the ones a boot
// entry of `tlaunch build`'s reference.json expects, naming the first event that differs and what
// was expected there. Exit 1 when anything differs. man/tlaunch-log.1; JSON:
// schemas/log-verify.v1.schema.json.
#include <cstdio>

#include "log_common.h"
#include "nv_common.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/tpmnv/esys.h"

namespace tlaunch::cli {

namespace {

using nlohmann::json;

struct VerifyOptions {
  logcmd::SourceOptions source;
  std::string pcr_start = "ff";
  bool tpm = false;
  std::string tcti;
  std::string reference;
  std::string entry;
};

std::string hexd(const Digest& d) { return host::hex(d.bytes, d.size); }

struct VerifyReport {
  json j = json::object();
  std::vector<std::string> lines;     // stdout, in order
  std::vector<std::string> problems;  // what failed, for stderr
};

// Every launcher event's data describes the digests it carries (launch_log.h).
void check_consistency(const host::log::Log& log, VerifyReport& out) {
  host::OpenSslHasher h;
  json bad = json::array();
  for (size_t i = 0; i < log.events.size(); ++i) {
    const eventlog::Event& e = log.events[i];
    if (e.type != eventlog::kEvTbMeasurement || !launch::is_launch_data(e.data)) continue;
    auto d = launch::decode_launch_data(e.data, e.data_offset);
    Status s = d.ok() ? launch::check_launch_event(h, e, *d) : Status(d.error());
    if (s.ok()) continue;
    const std::string msg =
        host::describe(s.error(), "log event " + std::to_string(i) + " (PCR " +
                                      std::to_string(e.pcr) + "): launcher event data");
    bad.push_back({{"log_event", i}, {"message", msg}});
    out.problems.push_back(msg);
  }
  out.j["consistent"] = bad.empty();
  out.j["inconsistent"] = bad;
  out.lines.push_back(log.source + ": " + std::to_string(log.events.size()) + " events, " +
                      std::to_string(log.launcher_events()) + " by the launcher" +
                      (bad.empty() ? "; the launcher's event data describes its digests"
                                   : "; " + std::to_string(bad.size()) +
                                         " launcher event(s) whose data does not describe "
                                         "their digests"));
}

// Why a PCR differs: the TPM value is the log's replay after fewer events, or the replay from
// the other start value, or none of them.
std::string diagnose(const host::log::Log& log, uint32_t pcr, HashAlg bank, const Digest& tpm,
                     launch::PcrStart start, json& jv) {
  auto hist = host::log::pcr_history(log, pcr, bank, start);
  if (hist) {
    for (size_t k = 0; k + 1 < hist->size(); ++k) {
      if (!((*hist)[k] == tpm)) continue;
      jv["matches_after_events"] = k;
      return "the TPM holds the value after the first " + std::to_string(k) + " of " +
             std::to_string(hist->size() - 1) +
             " events: the later ones were logged but not "
             "extended";
    }
  }
  const launch::PcrStart other =
      start == launch::PcrStart::kZero ? launch::PcrStart::kAllOnes : launch::PcrStart::kZero;
  auto alt = host::log::pcr_history(log, pcr, bank, other);
  if (alt && !alt->empty() && alt->back() == tpm && pcr >= 17 && pcr <= 22) {
    jv["matches_with_pcr_start"] = other == launch::PcrStart::kZero ? "zero" : "ff";
    return std::string("the log replays to the TPM's value with --pcr-start ") +
           (other == launch::PcrStart::kZero ? "zero" : "ff");
  }
  return "no prefix of the log gives the TPM's value: something extended PCR " +
         std::to_string(pcr) + " without logging it, or the log is not this boot's";
}

host::HostStatus check_tpm(const host::log::Log& log, const VerifyOptions& o, VerifyReport& out) {
  const launch::PcrStart start = logcmd::pcr_start(o.pcr_start);
  auto r = host::log::replay(log, start);
  if (!r) return r.failure();
  const std::string conf = tpmnv::choose_tcti(o.tcti);
  auto dev = tpmnv::EsysDevice::open(conf, tpmnv::Auths{});  // reading PCRs needs no password
  if (!dev) return dev.failure();
  auto info = (*dev)->info();
  if (!info) return info.failure();
  auto allocated = [&](uint32_t pcr, HashAlg bank) {
    for (size_t i = 0; i < info->banks.count; ++i)
      if (info->banks.banks[i].alg == static_cast<uint16_t>(bank))
        return ((info->banks.banks[i].pcrs >> pcr) & 1) != 0;
    return false;
  };
  json pcrs = json::array();
  size_t matched = 0, differ = 0, skipped = 0;
  for (const auto& v : r->values) {
    const std::string bank = host::log::alg_name(static_cast<uint16_t>(v.value.alg));
    json jv = {{"pcr", v.pcr}, {"bank", bank}, {"log", hexd(v.value)}, {"events", v.extends}};
    if (!allocated(v.pcr, v.value.alg)) {
      jv["tpm"] = nullptr;
      jv["match"] = nullptr;
      ++skipped;
      out.lines.push_back("TPM: PCR " + std::to_string(v.pcr) + " " + bank +
                          ": bank not allocated in the TPM, not compared");
      pcrs.push_back(jv);
      continue;
    }
    auto read = (*dev)->pcr_read(static_cast<uint8_t>(v.pcr), v.value.alg);
    if (!read) return read.failure();
    const Digest* live = &*read;
    jv["tpm"] = hexd(*live);
    const bool same = *live == v.value;
    jv["match"] = same;
    if (same) {
      ++matched;
      out.lines.push_back("TPM: PCR " + std::to_string(v.pcr) + " " + bank + " matches the log (" +
                          std::to_string(v.extends) + " events)");
    } else {
      ++differ;
      const std::string why = diagnose(log, v.pcr, v.value.alg, *live, start, jv);
      const std::string msg = "PCR " + std::to_string(v.pcr) + " " + bank + " differs: TPM " +
                              hexd(*live) + ", log replays to " + hexd(v.value) + " (" +
                              std::to_string(v.extends) + " events); " + why;
      out.lines.push_back("TPM: " + msg);
      out.problems.push_back(msg);
    }
    pcrs.push_back(jv);
  }
  out.j["tpm"] = {{"tcti", conf},       {"pcr_start", o.pcr_start}, {"pcrs", pcrs},
                  {"matched", matched}, {"differ", differ},         {"not_allocated", skipped}};
  if (matched + differ == 0) {
    const std::string msg = "no PCR of the log is allocated in the TPM: nothing compared";
    out.problems.push_back(msg);
    out.lines.push_back("TPM: " + msg);
  }
  return host::host_ok();
}

host::HostStatus check_reference(const host::log::Log& log, const VerifyOptions& o,
                                 VerifyReport& out) {
  auto bytes = host::read_file(o.reference, size_t{64} << 20);
  if (!bytes) return bytes.failure();
  json ref = json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (ref.is_discarded())
    return host::fail(Errc::kBadValue,
                      o.reference + ": not JSON (a reference.json of `tlaunch build`?)");
  host::OpenSslHasher h;
  auto c = host::log::check_reference(log, ref, o.reference, o.entry, h);
  if (!c) return c.failure();
  out.j["reference"] = c->json;
  if (c->mismatches.empty()) {
    out.lines.push_back(o.reference + ": entry " + c->entry + ": the " +
                        std::to_string(c->compared) + " launcher events match");
  } else {
    const std::string msg = o.reference + ": entry " + c->entry + ": " + c->mismatches[0].what;
    out.lines.push_back(msg);
    out.problems.push_back(msg);
  }
  return host::host_ok();
}

int run_verify(const VerifyOptions& o) {
  if (!o.tpm && o.reference.empty())
    return report(host::fail(Errc::kUsage,
                             "log verify: give --tpm (compare with the TPM's PCRs) and/or "
                             "--reference reference.json"));
  auto log = logcmd::load_source(o.source);
  if (!log) return report(log.failure());
  VerifyReport out;
  out.j["source"] = log->source;
  out.j["events"] = log->events.size();
  out.j["launcher_events"] = log->launcher_events();
  check_consistency(*log, out);
  if (o.tpm) {
    auto st = check_tpm(*log, o, out);
    if (!st) return report(st.failure());
  }
  if (!o.reference.empty()) {
    auto st = check_reference(*log, o, out);
    if (!st) return report(st.failure());
  }
  const bool ok = out.problems.empty();
  out.j["verified"] = ok;
  if (o.source.json) {
    nv::print_json("log-verify", out.j);
  } else {
    for (const auto& l : out.lines) std::printf("%s\n", l.c_str());
    std::printf("%s\n", ok ? "verified" : "NOT verified");
  }
  if (!ok) {
    const std::string& first = out.problems[0];
    std::fprintf(stderr, "tlaunch: the event log does not verify: %s\n",
                 first.substr(0, first.find('\n')).c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void setup_log_verify(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<VerifyOptions>();
  auto* sub = parent.add_subcommand(
      "verify", "Check a TCG event log against the TPM's PCRs and/or a reference.json");
  logcmd::add_source_options(sub, o->source);
  sub->add_flag("--tpm", o->tpm, "Compare the log's replay with the TPM's PCRs");
  sub->add_option("--tcti", o->tcti,
                  "TCTI of the TPM (default: $TPM2TOOLS_TCTI, $TCTI, device:/dev/tpmrm0)");
  sub->add_option("--reference", o->reference,
                  "reference.json of `tlaunch build`: the launcher's events must be an entry's");
  sub->add_option("--entry", o->entry,
                  "Boot entry of the reference (index, id or title; default: the one that fits)");
  logcmd::add_pcr_start_option(sub, o->pcr_start);
  on_run(sub, inv, [o]() { return run_verify(*o); });
}

}  // namespace tlaunch::cli
