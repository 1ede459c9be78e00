// The launcher's event logs (see event_log.h).
#include "event_log.h"

namespace tlaunch::launcher {

const char* firmware_log_name(FirmwareLog s) {
  switch (s) {
    case FirmwareLog::kNoArea:
      return "no-area";
    case FirmwareLog::kEmptyArea:
      return "empty";
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

void LaunchLogs::begin(MutableByteSpan own, MutableByteSpan area, Hasher& h,
                       const launch::Config& config, const launch::Input& input,
                       const launch::Outcome& outcome) {
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
    bool zero = true;
    for (size_t i = 0; i < area.size && zero; ++i) zero = area.data[i] == 0;
    fw_state_ = zero ? FirmwareLog::kEmptyArea : FirmwareLog::kNotALog;
    fw_error_ = a.error();
    return;
  }
  fw_ = *a;
  if (!launch::log_takes_launch_events(fw_.spec_id(), config)) {
    fw_state_ = FirmwareLog::kBanksDiffer;
    return;
  }
  auto need = launch::launch_events_size(fw_, h, config, input, outcome,
                                         MutableByteSpan(data_, sizeof(data_)));
  if (!need.ok() || *need > fw_.room()) {
    fw_state_ = FirmwareLog::kFull;
    fw_error_ =
        need.ok()
            ? with_value(make_error(Errc::kTooLarge, "no room for the launcher's events"), *need)
            : need.error();
    return;
  }
  fw_state_ = FirmwareLog::kAppending;
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
