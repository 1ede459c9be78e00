// The launcher's TCG event logs (docs/attestation.md §3, docs/reference/eventlog.md): its own log,
// handed to Linux in a setup_data entry, and the firmware's log area (ACPI TPM2 LASA/LAML), which
// it appends to when that log declares exactly the banks the launcher extends and has room for all
// of its events (all or nothing: a firmware log with only some of them would not replay to the
// PCRs). record() runs right after the PCR_Extend of an event, with that event: a log holds the
// digests that were extended (launch::log_launch_event(), the code `tlaunch predict --log` runs
// too). A firmware log that is unusable or full is a state reported on the console, never a reason
// to stop the launch.
// Pure code (no I/O): the host unit tests drive it with buffers.
#pragma once

#include "boot_info.h"
#include "tlaunch/policy/eventlog.h"
#include "tlaunch/policy/launch_log.h"

namespace tlaunch::launcher {

enum class FirmwareLog : uint8_t {
  kNoArea = 0,   // no ACPI TPM2 table with a log area (or not looked at)
  kEmptyArea,    // the area holds only zero bytes (OVMF leaves QEMU's area empty: UEFI keeps its
                 // log in UEFI memory)
  kNotALog,      // the area holds something else than a crypto-agile log
  kBanksDiffer,  // the firmware's log declares other banks than the launcher extends
  kAppending,    // the launcher's events go there too
  kFull,         // no room for all of the launcher's events: none is appended
};
const char* firmware_log_name(FirmwareLog s);

class LaunchLogs {
 public:
  // `own`: the buffer of the launcher's own log; `area`: the firmware's log area, or empty; the
  // decision whose extended events will be recorded.
  void begin(MutableByteSpan own, MutableByteSpan area, Hasher& h, const launch::Config& config,
             const launch::Input& input, const launch::Outcome& outcome);
  // Logs outcome.events[index], which has just been extended, in both logs.
  void record(Hasher& h, const launch::Config& config, const launch::Input& input,
              const launch::Outcome& outcome, size_t index);

  bool own_ok() const { return own_error_.ok(); }
  const Error& own_error() const { return own_error_; }  // why the own log is incomplete
  ByteSpan own_log() const { return own_.written(); }
  size_t own_events() const { return own_events_; }

  FirmwareLog firmware() const { return fw_state_; }
  const Error& firmware_error() const { return fw_error_; }
  const eventlog::SpecId& firmware_spec() const { return fw_.spec_id(); }
  size_t firmware_events_before() const { return fw_.events_before(); }
  size_t firmware_appended() const { return fw_appended_; }
  size_t firmware_size() const { return fw_.size(); }

 private:
  eventlog::Writer own_;
  Error own_error_ = make_error(Errc::kInternal, "log not started");
  size_t own_events_ = 0;
  eventlog::Writer fw_;
  FirmwareLog fw_state_ = FirmwareLog::kNoArea;
  Error fw_error_;
  size_t fw_appended_ = 0;
  uint8_t data_[launch::kEventDataFixedMax + kMaxStringLength];
};

}  // namespace tlaunch::launcher
