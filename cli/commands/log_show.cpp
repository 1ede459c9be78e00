// tlaunch log show [LOG] [--json]: decodes a TCG event log and prints every event; the launcher's
// events with what they measured (module, command line, image digests) and whether their data
// describes their digests. man/tlaunch-log.1; JSON: schemas/log.v1.schema.json.
#include <cstdio>

#include "log_common.h"
#include "nv_common.h"

namespace tlaunch::cli {

namespace {

int run_show(const logcmd::SourceOptions& o) {
  auto log = logcmd::load_source(o);
  if (!log) return report(log.failure());
  if (o.json)
    nv::print_json("log", host::log::log_json(*log));
  else
    std::fputs(host::log::log_text(*log).c_str(), stdout);
  return kExitOk;
}

}  // namespace

void setup_log_show(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<logcmd::SourceOptions>();
  auto* sub = parent.add_subcommand("show", "Decode a TCG event log and print its events");
  logcmd::add_source_options(sub, *o);
  on_run(sub, inv, [o]() { return run_show(*o); });
}

}  // namespace tlaunch::cli
