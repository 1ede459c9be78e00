// Time for timeouts and the timing log: the TSC, calibrated once against PIT channel 2 (the
// i8254 gate/OUT2 bits in port 0x61, as PC firmware and Linux's quick_pit_calibrate do). If the
// PIT does not answer, a conservative 3 GHz is assumed so that timeouts still end.
#pragma once

#include <stdint.h>

namespace tlaunch::launcher {

// What a bounded wait needs: a monotonic tick count and the ticks in a millisecond. The TPM
// drivers take this interface so the host tests can run them on a simulated clock.
class TimeSource {
 public:
  virtual uint64_t now() const = 0;
  virtual uint64_t ms_to_ticks(uint32_t ms) const = 0;

 protected:
  ~TimeSource() = default;
};

class Clock final : public TimeSource {
 public:
  void calibrate();
  uint64_t now() const override;
  bool calibrated() const { return calibrated_; }
  uint32_t khz() const { return static_cast<uint32_t>(ticks_per_ms_); }
  uint64_t ms_to_ticks(uint32_t ms) const override { return ticks_per_ms_ * ms; }
  uint32_t ms_since(uint64_t start) const;

 private:
  uint64_t ticks_per_ms_ = 3000000;
  bool calibrated_ = false;
};

// A point in time after which a wait gives up.
class Deadline {
 public:
  Deadline(const TimeSource& c, uint32_t ms) : c_(c), end_(c.now() + c.ms_to_ticks(ms)) {}
  bool expired() const { return c_.now() >= end_; }

 private:
  const TimeSource& c_;
  uint64_t end_;
};

}  // namespace tlaunch::launcher
