// The one secret syntax of tlaunch (man/tlaunch.1, SECRETS): every option and spec field that
// takes a password or passphrase (--auth, --platform-auth, --index-auth, --passphrase, the launch
// spec's signing.passphrase) names where the secret is, never the secret itself:
//   file:PATH   the file's bytes, one trailing newline (\n or \r\n) removed
//   env:NAME    the environment variable's value
//   prompt      one line typed at the terminal, echo off (one line of standard input when there
//               is no terminal)
//   -           standard input (as file:-), one trailing newline removed
//   hex:HEX, str:TEXT   the secret on the command line itself: visible to other users in the
//               process list, so callers warn (SecretOrigin::visible_in_ps)
// A form that yields no bytes is an error, never an empty secret: end of input, an empty line,
// an empty file or variable. (The empty authorization is what a TPM has by default; it is asked
// for by leaving the option out, not by an empty answer that a typo or a closed pipe produces,
// and which would count as a failed authorization against dictionary-attack lockout.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

// Move-only owner of secret bytes, wiped (explicit_bzero) when replaced or destroyed.
class SecretBytes {
 public:
  SecretBytes() = default;
  SecretBytes(const uint8_t* data, size_t size);
  ~SecretBytes();
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }
  void clear();

 private:
  std::vector<uint8_t> bytes_;  // sized once, never reallocated (no unwiped copy is left)
};

struct SecretRequest {
  std::string what;      // "owner authorization (--auth)": in prompts and messages
  size_t max_size = 64;  // larger secrets are an error (kTooLarge)
  // A relative file: path is relative to this directory ("" = the current directory): the
  // launch spec's fields are relative to the spec, like its other paths.
  std::string base_dir;
};

struct SecretOrigin {
  std::string description;     // "file /root/owner.pw", "environment variable OWNER_PW", ...
  bool visible_in_ps = false;  // hex:/str:
};

// "file:PATH, env:NAME, prompt or - (standard input)" for help texts and messages.
extern const char kSecretForms[];

// Reads a secret. Errors: kUsage for an unknown form, an unset variable or an empty secret; kIo
// for an unreadable file or terminal and for input that ends before any byte; kTooLarge above
// max_size. Messages start with req.what.
Expected<SecretBytes> read_secret(const std::string& spec, const SecretRequest& req,
                                  SecretOrigin* origin = nullptr);

}  // namespace tlaunch::host
