#include "tlaunch/policy/number.h"

namespace tlaunch {

bool parse_number(ByteSpan s, uint64_t max, uint64_t* out) {
  if (s.size == 0) return false;
  uint64_t base = 10;
  size_t i = 0;
  if (s.size > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  uint64_t v = 0;
  for (; i < s.size; ++i) {
    const uint8_t c = s[i];
    uint64_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = static_cast<uint64_t>((c | 0x20) - 'a' + 10);
    } else {
      return false;
    }
    if (d > max || v > (max - d) / base) return false;  // v * base + d > max
    v = v * base + d;
  }
  *out = v;
  return true;
}

}  // namespace tlaunch
