// Serial console and log lines. 16550 UART (COM1 0x3F8 by default), polled with a bounded wait so
// a missing UART never hangs the launcher. Human log lines start with "tlaunch: ", the lines
// tests parse start with "TLAUNCH: " (launcher/README.md lists them).
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/launch_options.h"

namespace tlaunch::launcher {

using Level = launch::LogLevel;

class Serial {
 public:
  void init(uint16_t port, uint32_t baud);
  void put(char c);
  bool ready() const { return port_ != 0; }

 private:
  uint16_t port_ = 0;
};

struct Hex {
  uint64_t v;
  int digits;  // minimum digits (zero-padded)
};
inline Hex hex8(uint32_t v) { return Hex{v, 8}; }
inline Hex hex(uint64_t v) { return Hex{v, 1}; }
struct Dec {
  uint32_t v;
};
inline Dec dec(uint32_t v) { return Dec{v}; }
struct HexBytes {
  ByteSpan b;
};
// Bytes shown as text, with anything not printable ASCII written as \xNN.
struct Text {
  ByteSpan b;
};

class Console;

// One log line; the line ends (newline) when the object goes away.
class Line {
 public:
  Line(Console* c, const char* prefix);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  Line& operator<<(const char* s);
  Line& operator<<(Hex h);
  Line& operator<<(Dec d);
  Line& operator<<(HexBytes h);
  Line& operator<<(Text t);

 private:
  Console* c_;  // null when the line is filtered out
};

class Console {
 public:
  Console(Serial* serial, bool enabled, Level level)
      : serial_(serial), on_(enabled), level_(level) {}
  Line err() { return line(Level::kErr, "tlaunch: error: "); }
  Line warn() { return line(Level::kWarn, "tlaunch: warning: "); }
  Line info() { return line(Level::kInfo, "tlaunch: "); }
  Line detail() { return line(Level::kDetail, "tlaunch: "); }
  // Machine-readable lines: printed whenever serial logging is on, whatever loglvl says.
  Line machine() { return Line(on_ ? this : nullptr, "TLAUNCH: "); }
  void put(char c);

 private:
  Line line(Level l, const char* prefix) {
    return Line(on_ && static_cast<uint8_t>(l) <= static_cast<uint8_t>(level_) ? this : nullptr,
                prefix);
  }
  Serial* serial_;
  bool on_;
  Level level_;
};

}  // namespace tlaunch::launcher
