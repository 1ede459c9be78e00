// Shared pieces of the `tlaunch log` verbs (man/tlaunch-log.1): which log to read (a file, or the
// running system's places) and the options every verb takes.
#pragma once

#include <string>

#include "command.h"
#include "tlaunch/policy/host/eventlog/eventlog_host.h"

namespace tlaunch::cli::logcmd {

struct SourceOptions {
  std::string file;             // LOG argument; empty: the running system's log
  std::string source = "auto";  // auto | firmware | launcher
  std::string root = "/";       // where /sys is (tests point it at a fake tree)
  bool json = false;
};

// Adds LOG, --source, --root and --json.
void add_source_options(CLI::App* sub, SourceOptions& o);

// The log to work on. Without a file: "firmware" is binary_bios_measurements, "launcher" the
// launcher's setup_data entry, "auto" the firmware log if the launcher's events are in it, else
// the launcher's entry, else the firmware log. kIo naming every place looked at when none exists.
host::Expected<host::log::Log> load_source(const SourceOptions& o);

// --pcr-start ff|zero (the start of PCRs 17-22, as `tlaunch predict --pcr-start`).
void add_pcr_start_option(CLI::App* sub, std::string& value);
launch::PcrStart pcr_start(const std::string& value);

}  // namespace tlaunch::cli::logcmd
