// TSC calibration against the PIT (see clock.h). i8254: port 0x43 mode/command, 0x42 channel 2
// data; port 0x61 bit 0 = channel 2 gate, bit 1 = speaker enable, bit 5 = OUT2. Input clock
// 1193182 Hz, so 11932 counts = 10 ms in mode 0 (interrupt on terminal count).
#include "clock.h"

#include "arch.h"

namespace tlaunch::launcher {

void Clock::calibrate() {
  const uint8_t saved = inb(0x61);
  outb(0x61, static_cast<uint8_t>((saved & ~0x02) | 0x01));  // gate on, speaker off
  outb(0x43, 0xB0);                                          // ch2, lo/hi byte, mode 0, binary
  outb(0x42, 11932 & 0xFF);
  outb(0x42, 11932 >> 8);
  const uint64_t t0 = rdtsc();
  bool done = false;
  for (uint32_t i = 0; i < 50000000; ++i) {
    if (inb(0x61) & 0x20) {
      done = true;
      break;
    }
  }
  const uint64_t t1 = rdtsc();
  outb(0x61, saved);
  if (done && t1 > t0 + 10000) {
    ticks_per_ms_ = (t1 - t0) / 10;
    calibrated_ = true;
  }
}

uint64_t Clock::now() const { return rdtsc(); }

uint32_t Clock::ms_since(uint64_t start) const {
  const uint64_t d = rdtsc() - start;
  const uint64_t ms = d / ticks_per_ms_;
  return ms > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<uint32_t>(ms);
}

}  // namespace tlaunch::launcher
