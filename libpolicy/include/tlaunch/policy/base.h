// Minimal freestanding utilities shared by core code (CONVENTIONS §1): core code includes only
// <stdint.h>, <stddef.h> and headers of this project, so that it compiles with -ffreestanding
// -nostdinc++ for the launcher.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tlaunch {

template <class T>
struct RemoveRef {
  using type = T;
};
template <class T>
struct RemoveRef<T&> {
  using type = T;
};
template <class T>
struct RemoveRef<T&&> {
  using type = T;
};

template <class T>
constexpr typename RemoveRef<T>::type&& move(T&& t) noexcept {
  return static_cast<typename RemoveRef<T>::type&&>(t);
}

// Non-owning view of bytes. Like std::span<const uint8_t>, usable freestanding.
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;

  constexpr ByteSpan() = default;
  constexpr ByteSpan(const uint8_t* d, size_t n) : data(d), size(n) {}
  constexpr const uint8_t& operator[](size_t i) const { return data[i]; }
  constexpr const uint8_t* begin() const { return data; }
  constexpr const uint8_t* end() const { return data + size; }
  constexpr bool empty() const { return size == 0; }
  constexpr ByteSpan subspan(size_t off, size_t n) const { return ByteSpan(data + off, n); }
};

struct MutableByteSpan {
  uint8_t* data = nullptr;
  size_t size = 0;
  constexpr MutableByteSpan() = default;
  constexpr MutableByteSpan(uint8_t* d, size_t n) : data(d), size(n) {}
  constexpr operator ByteSpan() const { return ByteSpan(data, size); }
};

// Byte helpers that do not depend on libc.
inline void copy_bytes(uint8_t* dst, const uint8_t* src, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}
inline void move_bytes(uint8_t* dst, const uint8_t* src, size_t n) {
  if (dst < src) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if (dst > src) {
    for (size_t i = n; i > 0; --i) dst[i - 1] = src[i - 1];
  }
}
inline void fill_bytes(uint8_t* dst, uint8_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = v;
}
inline bool equal_bytes(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}
inline size_t cstr_len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}
inline ByteSpan cstr_bytes(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), cstr_len(s));
}

}  // namespace tlaunch
