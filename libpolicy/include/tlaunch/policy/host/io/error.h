// Host-side errors: a core Error plus the context a user needs (file name, etc.) as text.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "tlaunch/policy/result.h"

namespace tlaunch::host {

struct Failure {
  Errc code = Errc::kInternal;
  std::string message;  // complete, user-facing: names the file/field/offset concerned
  uint32_t tpm_rc = 0;
};

// Renders a core decode error: "<context>: <message> (field 'f', entry 2, byte offset 13, value
// 128)".
std::string describe(const Error& e, const std::string& context);
inline Failure fail(const Error& e, const std::string& context) {
  return Failure{e.code, describe(e, context), e.tpm_rc};
}
inline Failure fail(Errc code, std::string message) { return Failure{code, std::move(message), 0}; }

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T v) : v_(std::move(v)) {}        // NOLINT(google-explicit-constructor)
  Expected(Failure f) : v_(std::move(f)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

struct Unit {};
using HostStatus = Expected<Unit>;
inline HostStatus host_ok() { return Unit{}; }

}  // namespace tlaunch::host
