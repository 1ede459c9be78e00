#include "log_common.h"

#include <cstdio>

namespace tlaunch::cli::logcmd {

namespace {

std::string under(const std::string& root, const char* path) {
  if (root.empty() || root == "/") return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

}  // namespace

void add_source_options(CLI::App* sub, SourceOptions& o) {
  sub->add_option("LOG", o.file,
                  "Event log file (default: the running system's: binary_bios_measurements or "
                  "the launcher's setup_data entry)");
  sub->add_option("--source", o.source,
                  "Without LOG: auto, firmware (binary_bios_measurements) or launcher (setup_data)")
      ->check(CLI::IsMember({"auto", "firmware", "launcher"}))
      ->capture_default_str();
  sub->add_option("--root", o.root, "Directory that holds /sys (default /)")->capture_default_str();
  sub->add_flag("--json", o.json, "JSON output");
}

host::Expected<host::log::Log> load_source(const SourceOptions& o) {
  using host::log::Log;
  if (!o.file.empty()) return host::log::load_log(o.file);
  const std::string fw = under(o.root, host::log::kFirmwareLogPath);
  const std::string sd = host::log::find_setup_data_log(o.root);
  const bool have_fw = host::file_exists(fw);
  if (o.source == "launcher" || (o.source == "auto" && !have_fw && !sd.empty())) {
    if (sd.empty())
      return host::fail(Errc::kIo,
                        "no setup_data entry of type 0x474f4c54 (the launcher's log) "
                        "under " +
                            under(o.root, host::log::kSetupDataDir));
    return host::log::load_log(sd);
  }
  if (!have_fw) {
    return host::fail(
        Errc::kIo,
        "no event log: " + fw + " does not exist" +
            (o.source == "auto" ? " and no setup_data entry holds the launcher's log" : "") +
            " (is securityfs mounted? mount -t securityfs securityfs "
            "/sys/kernel/security)");
  }
  auto firmware = host::log::load_log(fw);
  if (o.source == "firmware" || sd.empty()) return firmware;
  // auto with both: the firmware log when the launcher's events are in it.
  if (firmware && firmware->launcher_events() > 0) return firmware;
  if (!firmware) std::fprintf(stderr, "tlaunch: warning: %s\n", firmware.failure().message.c_str());
  return host::log::load_log(sd);
}

void add_pcr_start_option(CLI::App* sub, std::string& value) {
  sub->add_option("--pcr-start", value,
                  "Start of PCRs 17-22: ff (no DRTM, as under the tlaunch launcher) or zero "
                  "(after a DRTM)")
      ->check(CLI::IsMember({"ff", "zero"}))
      ->capture_default_str();
}

launch::PcrStart pcr_start(const std::string& value) {
  return value == "zero" ? launch::PcrStart::kZero : launch::PcrStart::kAllOnes;
}

}  // namespace tlaunch::cli::logcmd
