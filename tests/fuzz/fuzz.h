// Shared helpers of the fuzz targets (tests/fuzz/fuzz_*.cpp). Every target defines
// LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang, -fsanitize=fuzzer) or with
// tests/fuzz/standalone_driver.cpp (any compiler: corpus replay plus a fixed number of
// deterministic mutations, the CI configuration). A target checks a property, not only "no crash":
// a violated property calls fuzz_fail(), which prints what failed and aborts, so that libFuzzer
// (or the standalone driver) saves the input as a crash reproducer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/result.h"
#include "tlaunch/policy/vlp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace tlaunch::fuzz {

[[noreturn]] inline void fuzz_fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "\n==fuzz property violated== %s:%d: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond)                                                \
  do {                                                                  \
    if (!(cond)) ::tlaunch::fuzz::fuzz_fail(__FILE__, __LINE__, #cond); \
  } while (0)

using Bytes = std::vector<uint8_t>;

inline bool same(ByteSpan a, ByteSpan b) {
  return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}
inline ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

// True when `inner` lies inside `outer` (pointer range), the property that a decoder's views
// never point outside the bytes it was given.
inline bool inside(ByteSpan inner, ByteSpan outer) {
  if (inner.size == 0) return true;
  const auto lo = reinterpret_cast<uintptr_t>(outer.data);
  const auto p = reinterpret_cast<uintptr_t>(inner.data);
  return p >= lo && p - lo <= outer.size && inner.size <= outer.size - (p - lo);
}

// An error value must say something and, when it names an offset, one inside (or just at the end
// of) the input: CONVENTIONS §2 promises "field and byte offset" of a decode error.
inline void check_error(const Error& e, size_t input_size) {
  FUZZ_CHECK(e.code != Errc::kOk);
  FUZZ_CHECK(e.message != nullptr && e.message[0] != '\0');
  if (e.offset != kNoOffset) FUZZ_CHECK(e.offset <= input_size);
}

// A VLP's bytes (vlp::encode), which must succeed and take exactly Policy::size() bytes.
inline Bytes encode_vlp(const vlp::Policy& p) {
  Bytes out(vlp::kMaxPolicySize);
  auto n = vlp::encode(p, MutableByteSpan(out.data(), out.size()));
  FUZZ_CHECK(n.ok());
  FUZZ_CHECK(*n == p.size());
  out.resize(*n);
  return out;
}

// Splits fuzz input into typed pieces (like LLVM's FuzzedDataProvider, which gcc does not ship).
// Reads past the end give zeros / empty spans, so a target never has to check.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t remaining() const { return size_ - pos_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  bool flag() { return (u8() & 1) != 0; }
  // n bytes or fewer at the end of the input.
  ByteSpan bytes(size_t n) {
    if (n > remaining()) n = remaining();
    ByteSpan s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  // A length-prefixed piece (u16 length, capped by what is left).
  ByteSpan piece() { return bytes(u16()); }
  ByteSpan rest() { return bytes(remaining()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace tlaunch::fuzz
