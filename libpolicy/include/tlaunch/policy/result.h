// Errors are values (CONVENTIONS §2). Freestanding: no exceptions, no heap, no std.
#pragma once

#include "tlaunch/policy/base.h"

namespace tlaunch {

// Stable error categories. The CLI maps them to documented exit codes (cli/common/exit_codes.h).
enum class Errc : uint16_t {
  kOk = 0,
  kTruncated,       // input ends before a structure/field it announces
  kBadValue,        // a field holds a value the format does not allow
  kTooLarge,        // content exceeds a format or buffer limit
  kUnsupported,     // valid but not supported (algorithm, version)
  kNotFound,        // a looked-up item is absent (entry, module, index)
  kIo,              // host I/O failure
  kTpm,             // the TPM answered with an error (tpm_rc set)
  kTpmUnreachable,  // no TPM / transport failure
  kCrypto,          // signature/key failure
  kConflict,        // existing state differs from what is asked
  kVerifyFailed,    // a check (signature, digest, drift) did not pass
  kUsage,           // bad option/argument values
  kInternal,
};

const char* errc_name(Errc e);

inline constexpr uint32_t kNoOffset = 0xFFFFFFFFu;

struct Error {
  Errc code = Errc::kOk;
  const char* message = "";     // static text: what is wrong
  const char* field = nullptr;  // the format field concerned, if any
  uint32_t offset = kNoOffset;  // byte offset in the input where the problem is, if any
  uint32_t tpm_rc = 0;          // raw TPM response code, for kTpm
  uint64_t value = 0;           // the offending value, when has_value
  bool has_value = false;
  int32_t item = -1;  // index of the item (entry, list, element) concerned, or -1

  constexpr bool ok() const { return code == Errc::kOk; }
};

inline constexpr Error make_error(Errc code, const char* message, const char* field = nullptr,
                                  uint32_t offset = kNoOffset) {
  Error e;
  e.code = code;
  e.message = message;
  e.field = field;
  e.offset = offset;
  return e;
}
inline Error with_value(Error e, uint64_t v) {
  e.value = v;
  e.has_value = true;
  return e;
}
inline Error with_item(Error e, int32_t item) {
  e.item = item;
  return e;
}

// Result<T>: a value or an Error. T must be default-constructible (core value types are).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : value_(v) {}            // NOLINT(google-explicit-constructor)
  Result(T&& v) : value_(tlaunch::move(v)) {}  // NOLINT(google-explicit-constructor)
  Result(const Error& e) : error_(e) {}        // NOLINT(google-explicit-constructor)

  bool ok() const { return error_.code == Errc::kOk; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }
  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return tlaunch::move(value_); }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  Error error_{};
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(const Error& e) : error_(e) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return error_.code == Errc::kOk; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_{};
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

#define TLAUNCH_TRY(expr)                                    \
  do {                                                       \
    auto tlaunch_try_r_ = (expr);                            \
    if (!tlaunch_try_r_.ok()) return tlaunch_try_r_.error(); \
  } while (0)

}  // namespace tlaunch
