// tlaunch log replay [LOG] [--pcr-start ff|zero] [--json]: the PCR values the log's events lead
// to, in every bank the log declares. man/tlaunch-log.1; JSON: schemas/log-replay.v1.schema.json.
#include <cstdio>

#include "log_common.h"
#include "nv_common.h"

namespace tlaunch::cli {

namespace {

struct ReplayOptions {
  logcmd::SourceOptions source;
  std::string pcr_start = "ff";
};

int run_replay(const ReplayOptions& o) {
  auto log = logcmd::load_source(o.source);
  if (!log) return report(log.failure());
  const launch::PcrStart start = logcmd::pcr_start(o.pcr_start);
  auto r = host::log::replay(*log, start);
  if (!r) return report(r.failure());
  if (o.source.json)
    nv::print_json("log-replay", host::log::replay_json(*log, *r, start));
  else
    std::fputs(host::log::replay_text(*log, *r, start).c_str(), stdout);
  return kExitOk;
}

}  // namespace

void setup_log_replay(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<ReplayOptions>();
  auto* sub = parent.add_subcommand("replay", "Compute the PCR values a TCG event log leads to");
  logcmd::add_source_options(sub, o->source);
  logcmd::add_pcr_start_option(sub, o->pcr_start);
  on_run(sub, inv, [o]() { return run_replay(*o); });
}

}  // namespace tlaunch::cli
