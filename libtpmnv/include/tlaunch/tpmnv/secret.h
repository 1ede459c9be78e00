// Authorization values: a buffer that wipes itself, and the `--auth SPEC` forms
// (file:PATH, env:NAME, hex:HEX, str:TEXT, prompt). Secrets never need to be on a command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::tpmnv {

// Move-only owner of secret bytes; the bytes are wiped (explicit_bzero) when replaced or
// destroyed. Capacity is fixed (TPM2B_AUTH holds at most 64 bytes, the largest digest).
class Secret {
 public:
  static constexpr size_t kCapacity = 64;

  Secret() = default;
  Secret(const uint8_t* data, size_t size);  // truncates nothing: size must be <= kCapacity
  ~Secret();
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;

  const uint8_t* data() const { return bytes_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear();

 private:
  uint8_t bytes_[kCapacity] = {};
  size_t size_ = 0;
};

// Where a secret came from (for messages; never the secret itself).
struct AuthSource {
  std::string description;     // "file /root/owner.pw", "environment variable OWNER_PW", ...
  bool visible_in_ps = false;  // hex:/str: forms: the caller should warn
};

// Reads a secret per SPEC:
//   file:PATH   the file's bytes; one trailing newline (\n or \r\n) is dropped
//   env:NAME    the environment variable's value
//   hex:HEX     the bytes HEX encodes        (visible in process lists)
//   str:TEXT    the bytes of TEXT            (visible in process lists)
//   prompt      asks on the terminal with echo off (the prompt text names `what`)
//   ""          empty authorization
// Errors: kUsage for a malformed SPEC, kIo for an unreadable file/terminal, kTooLarge above 64
// bytes.
host::Expected<Secret> read_secret(const std::string& spec, const std::string& what,
                                   AuthSource* source = nullptr);

}  // namespace tlaunch::tpmnv
