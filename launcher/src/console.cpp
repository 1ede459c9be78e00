// Serial console (see console.h). UART registers: NS16550A data sheet (THR/DLL 0, IER/DLM 1,
// FCR 2, LCR 3, MCR 4, LSR 5).
#include "console.h"

#include "arch.h"

namespace tlaunch::launcher {

void Serial::init(uint16_t port, uint32_t baud) {
  // Scratch register test: no UART at this port → stay silent instead of spinning on LSR.
  outb(static_cast<uint16_t>(port + 7), 0x5A);
  if (inb(static_cast<uint16_t>(port + 7)) != 0x5A) {
    port_ = 0;
    return;
  }
  const uint32_t divisor = 115200 / (baud ? baud : 115200);
  outb(static_cast<uint16_t>(port + 1), 0x00);  // no interrupts
  outb(static_cast<uint16_t>(port + 3), 0x80);  // DLAB
  outb(static_cast<uint16_t>(port + 0), static_cast<uint8_t>(divisor));
  outb(static_cast<uint16_t>(port + 1), static_cast<uint8_t>(divisor >> 8));
  outb(static_cast<uint16_t>(port + 3), 0x03);  // 8N1
  outb(static_cast<uint16_t>(port + 2), 0xC7);  // FIFO on, cleared
  outb(static_cast<uint16_t>(port + 4), 0x03);  // DTR, RTS
  port_ = port;
}

void Serial::put(char c) {
  if (port_ == 0) return;
  // Wait for THR empty, at most ~1M polls (a stuck UART must not hang the boot).
  for (uint32_t i = 0; i < 1000000 && !(inb(static_cast<uint16_t>(port_ + 5)) & 0x20); ++i)
    cpu_relax();
  outb(port_, static_cast<uint8_t>(c));
}

void Console::put(char c) {
  if (c == '\n') serial_->put('\r');
  serial_->put(c);
}

Line::Line(Console* c, const char* prefix) : c_(c) { *this << prefix; }
Line::~Line() {
  if (c_) c_->put('\n');
}

Line& Line::operator<<(const char* s) {
  if (c_)
    for (; *s; ++s) c_->put(*s);
  return *this;
}

Line& Line::operator<<(Hex h) {
  if (!c_) return *this;
  char buf[16];
  int n = 0;
  uint64_t v = h.v;
  do {
    buf[n++] = "0123456789abcdef"[v & 0xF];
    v >>= 4;
  } while (v != 0 && n < 16);
  while (n < h.digits && n < 16) buf[n++] = '0';
  c_->put('0');
  c_->put('x');
  while (n > 0) c_->put(buf[--n]);
  return *this;
}

Line& Line::operator<<(Dec d) {
  if (!c_) return *this;
  char buf[10];
  int n = 0;
  uint32_t v = d.v;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) c_->put(buf[--n]);
  return *this;
}

Line& Line::operator<<(HexBytes h) {
  if (!c_) return *this;
  for (size_t i = 0; i < h.b.size; ++i) {
    c_->put("0123456789abcdef"[h.b[i] >> 4]);
    c_->put("0123456789abcdef"[h.b[i] & 0xF]);
  }
  return *this;
}

Line& Line::operator<<(Text t) {
  if (!c_) return *this;
  for (size_t i = 0; i < t.b.size; ++i) {
    const uint8_t ch = t.b[i];
    if (ch >= 0x20 && ch < 0x7F && ch != '\\') {
      c_->put(static_cast<char>(ch));
    } else {
      c_->put('\\');
      c_->put('x');
      c_->put("0123456789abcdef"[ch >> 4]);
      c_->put("0123456789abcdef"[ch & 0xF]);
    }
  }
  return *this;
}

}  // namespace tlaunch::launcher
