// tlaunch log export [LOG] --format cel-json [-o FILE]
// tlaunch log export --format keylime --reference reference.json [--entry E] [--pcr-start ff|zero]
//                    [-o FILE]
// Formats verifiers load (docs/attestation.md): the log as TCG Canonical Event Log JSON, and the
// PCR values a launch spec's boot entries lead to as Keylime's `tpm_policy`. man/tlaunch-log.1.
#include <cstdio>

#include "log_common.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::cli {

namespace {

using nlohmann::json;

struct ExportOptions {
  logcmd::SourceOptions source;
  std::string format;
  std::string output;
  std::string reference;
  std::string entry;
  std::string pcr_start = "ff";
};

host::Expected<json> keylime(const ExportOptions& o) {
  if (o.reference.empty())
    return host::fail(Errc::kUsage, "log export --format keylime needs --reference reference.json");
  if (!o.source.file.empty())
    return host::fail(Errc::kUsage,
                      "log export --format keylime reads reference.json, not a log: drop LOG");
  auto bytes = host::read_file(o.reference, size_t{64} << 20);
  if (!bytes) return bytes.failure();
  json ref = json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (ref.is_discarded()) return host::fail(Errc::kBadValue, o.reference + ": not JSON");
  std::vector<std::string> notes;
  auto policy = host::log::keylime_tpm_policy(ref, logcmd::pcr_start(o.pcr_start), o.entry, &notes);
  for (const auto& n : notes) std::fprintf(stderr, "tlaunch: note: %s\n", n.c_str());
  return policy;
}

int run_export(const ExportOptions& o) {
  json doc;
  if (o.format == "keylime") {
    auto k = keylime(o);
    if (!k) return report(k.failure());
    doc = std::move(*k);
  } else {
    if (!o.reference.empty() || !o.entry.empty())
      return report(host::fail(Errc::kUsage, "--reference and --entry go with --format keylime"));
    auto log = logcmd::load_source(o.source);
    if (!log) return report(log.failure());
    doc = host::log::cel_json(*log);
  }
  const std::string text = doc.dump(2) + "\n";
  if (o.output.empty()) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  auto st =
      host::write_file_atomic(o.output, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (!st) return report(st.failure());
  std::fprintf(stderr, "tlaunch: wrote %s (%s)\n", o.output.c_str(), o.format.c_str());
  return kExitOk;
}

}  // namespace

void setup_log_export(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<ExportOptions>();
  auto* sub = parent.add_subcommand(
      "export", "Write a log as CEL-JSON, or a reference.json's PCR values as Keylime tpm_policy");
  sub->add_option("LOG", o->source.file, "Event log file (default: the running system's)");
  sub->add_option("--source", o->source.source, "Without LOG: auto, firmware or launcher")
      ->check(CLI::IsMember({"auto", "firmware", "launcher"}))
      ->capture_default_str();
  sub->add_option("--root", o->source.root, "Directory that holds /sys (default /)");
  sub->add_option("--format", o->format, "cel-json (TCG Canonical Event Log) or keylime")
      ->check(CLI::IsMember({"cel-json", "keylime"}))
      ->required();
  sub->add_option("-o,--output", o->output, "Write to FILE (atomically) instead of stdout");
  sub->add_option("--reference", o->reference, "reference.json of `tlaunch build` (keylime)");
  sub->add_option("--entry", o->entry, "Only this boot entry (index, id or title; keylime)");
  logcmd::add_pcr_start_option(sub, o->pcr_start);
  on_run(sub, inv, [o]() { return run_export(*o); });
}

}  // namespace tlaunch::cli
