// The launcher's event logs (see event_log.h).
#include "event_log.h"

namespace tlaunch::launcher {

const char* firmware_log_name(FirmwareLog s) {
  switch (s) {
    case FirmwareLog::kNoArea:
      return "no-area";
    case FirmwareLog::kNotALog:
      return "not-a-log";
    case FirmwareLog::kBanksDiffer:
      return "banks-differ";
    case FirmwareLog::kAppending:
      return "appended";
    case FirmwareLog::kFull:
      return "full";
  }
  return "unknown";
}

void LaunchLogs::begin(MutableByteSpan own, MutableByteSpan area, const launch::Config& config) {
  own_events_ = 0;
  fw_appended_ = 0;
  fw_error_ = Error();
  fw_ = eventlog::Writer();
  auto w = launch::create_launch_log(own, config);
  if (w.ok()) {
    own_ = *w;
    own_error_ = Error();
  } else {
    own_error_ = w.error();
  }
  fw_state_ = FirmwareLog::kNoArea;
  if (area.size == 0) return;
  auto a = eventlog::Writer::attach(area);
  if (!a.ok()) {
    fw_state_ = FirmwareLog::kNotALog;
    fw_error_ = a.error();
    return;
  }
  fw_ = *a;
  fw_state_ = launch::log_takes_launch_events(fw_.spec_id(), config) ? FirmwareLog::kAppending
                                                                     : FirmwareLog::kBanksDiffer;
}

void LaunchLogs::record(Hasher& h, const launch::Config& config, const launch::Input& input,
                        const launch::Outcome& outcome, size_t index) {
  const MutableByteSpan data(data_, sizeof(data_));
  if (own_error_.ok()) {
    Status s = launch::log_launch_event(own_, h, config, input, outcome, index, data);
    if (s.ok())
      ++own_events_;
    else
      own_error_ = with_item(s.error(), static_cast<int32_t>(index));
  }
  if (fw_state_ != FirmwareLog::kAppending) return;
  Status s = launch::log_launch_event(fw_, h, config, input, outcome, index, data);
  if (s.ok()) {
    ++fw_appended_;
  } else {
    fw_state_ = FirmwareLog::kFull;
    fw_error_ = with_item(s.error(), static_cast<int32_t>(index));
  }
}

}  // namespace tlaunch::launcher
