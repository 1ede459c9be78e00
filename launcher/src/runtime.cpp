// The few symbols a freestanding C++ image must provide itself: the compiler may emit calls to
// memcpy/memmove/memset/memcmp for copies and zeroing (GCC manual, "Standards": freestanding
// environments must still provide these four), __cxa_pure_virtual fills pure-virtual vtable
// slots (Itanium C++ ABI §3.2.6), and 32-bit x86 has no 64-bit divide instruction, so GCC calls
// the libgcc helpers __udivdi3/__umoddi3 (there is no 32-bit libgcc on the build host).
// This file is compiled with -fno-tree-loop-distribute-patterns so that these loops are not
// turned back into calls to themselves.
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else if (d > s) {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

void* memset(void* dst, int v, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(v);
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const uint8_t*>(a);
  const auto* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

[[noreturn]] void __cxa_pure_virtual() { tlaunch::launcher::halt_forever(); }

// Shift-and-subtract 64-bit unsigned division.
static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t* rem) {
  if (d == 0) tlaunch::launcher::halt_forever();
  uint64_t q = 0, r = 0;
  for (int i = 63; i >= 0; --i) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= uint64_t{1} << i;
    }
  }
  if (rem) *rem = r;
  return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) { return udivmod64(n, d, nullptr); }
uint64_t __umoddi3(uint64_t n, uint64_t d) {
  uint64_t r;
  udivmod64(n, d, &r);
  return r;
}
int64_t __divdi3(int64_t n, int64_t d) {
  const bool neg = (n < 0) != (d < 0);
  uint64_t q = udivmod64(n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n),
                         d < 0 ? -static_cast<uint64_t>(d) : static_cast<uint64_t>(d), nullptr);
  return neg ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
}
int64_t __moddi3(int64_t n, int64_t d) {
  uint64_t r;
  udivmod64(n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n),
            d < 0 ? -static_cast<uint64_t>(d) : static_cast<uint64_t>(d), &r);
  return n < 0 ? -static_cast<int64_t>(r) : static_cast<int64_t>(r);
}

}  // extern "C"
