#include "tlaunch/tpmnv/secret.h"

#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::tpmnv {
namespace {

// Wipes a std::string's characters before it is freed.
struct StringWiper {
  std::string* s;
  ~StringWiper() {
    if (!s->empty()) explicit_bzero(s->data(), s->size());
  }
};

host::Expected<Secret> make_secret(const uint8_t* data, size_t size, const std::string& what) {
  if (size > Secret::kCapacity)
    return host::fail(Errc::kTooLarge, what + ": authorization value is " + std::to_string(size) +
                                           " bytes; a TPM accepts at most 64");
  return Secret(data, size);
}

int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads one line from the terminal with echo off. Falls back to stdin when there is no
// terminal (so scripts can pipe a secret in), still without echo.
host::Expected<Secret> prompt_secret(const std::string& what) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  bool own_fd = fd >= 0;
  if (!own_fd) fd = STDIN_FILENO;
  termios saved{};
  bool restore = false;
  if (::isatty(fd) && ::tcgetattr(fd, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    std::string text = "Enter " + what + ": ";
    if (::write(fd, text.data(), text.size()) < 0) { /* a prompt that cannot be shown is OK */
    }
  }
  uint8_t buf[Secret::kCapacity + 2];
  size_t n = 0;
  bool too_long = false;
  for (;;) {
    char c;
    ssize_t r = ::read(fd, &c, 1);
    if (r <= 0 || c == '\n') break;
    if (n < sizeof(buf))
      buf[n++] = static_cast<uint8_t>(c);
    else
      too_long = true;
  }
  if (restore) {
    ::tcsetattr(fd, TCSAFLUSH, &saved);
    if (::write(fd, "\n", 1) < 0) { /* cosmetic */
    }
  }
  if (own_fd) ::close(fd);
  if (n > 0 && buf[n - 1] == '\r') --n;
  host::Expected<Secret> s =
      too_long || n > Secret::kCapacity
          ? host::Expected<Secret>(host::fail(Errc::kTooLarge, what + ": longer than 64 bytes"))
          : make_secret(buf, n, what);
  explicit_bzero(buf, sizeof(buf));
  return s;
}

}  // namespace

Secret::Secret(const uint8_t* data, size_t size) {
  size_ = size > kCapacity ? kCapacity : size;
  for (size_t i = 0; i < size_; ++i) bytes_[i] = data[i];
}

Secret::~Secret() { clear(); }

Secret::Secret(Secret&& other) noexcept { *this = std::move(other); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    for (size_t i = 0; i < other.size_; ++i) bytes_[i] = other.bytes_[i];
    size_ = other.size_;
    other.clear();
  }
  return *this;
}

void Secret::clear() {
  explicit_bzero(bytes_, sizeof(bytes_));
  size_ = 0;
}

host::Expected<Secret> read_secret(const std::string& spec, const std::string& what,
                                   AuthSource* source) {
  AuthSource local;
  AuthSource& src = source ? *source : local;
  src = AuthSource{};
  if (spec.empty()) {
    src.description = "empty authorization";
    return Secret();
  }
  if (spec == "prompt" || spec == "-") {
    src.description = "terminal prompt";
    return prompt_secret(what);
  }
  size_t colon = spec.find(':');
  std::string kind = colon == std::string::npos ? spec : spec.substr(0, colon);
  std::string arg = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (kind == "file") {
    src.description = "file " + arg;
    host::Expected<host::Bytes> data = host::read_file(arg, 4096);
    if (!data) return host::Failure{data.failure().code, what + ": " + data.failure().message, 0};
    host::Bytes& b = *data;
    if (!b.empty() && b.back() == '\n') b.pop_back();
    if (!b.empty() && b.back() == '\r') b.pop_back();
    host::Expected<Secret> s = make_secret(b.data(), b.size(), what);
    explicit_bzero(b.data(), b.size());
    return s;
  }
  if (kind == "env") {
    src.description = "environment variable " + arg;
    const char* v = std::getenv(arg.c_str());
    if (arg.empty() || v == nullptr)
      return host::fail(Errc::kUsage, what + ": environment variable '" + arg + "' is not set");
    return make_secret(reinterpret_cast<const uint8_t*>(v), strlen(v), what);
  }
  if (kind == "str") {
    src.description = "command line (str:)";
    src.visible_in_ps = true;
    return make_secret(reinterpret_cast<const uint8_t*>(arg.data()), arg.size(), what);
  }
  if (kind == "hex") {
    src.description = "command line (hex:)";
    src.visible_in_ps = true;
    std::string h = arg;
    StringWiper wipe{&h};
    if (h.rfind("0x", 0) == 0) h = h.substr(2);
    if (h.size() % 2 != 0)
      return host::fail(Errc::kUsage, what + ": hex: needs an even number of hex digits");
    uint8_t buf[Secret::kCapacity];
    if (h.size() / 2 > sizeof(buf))
      return host::fail(Errc::kTooLarge, what + ": authorization value is " +
                                             std::to_string(h.size() / 2) +
                                             " bytes; a TPM accepts at most 64");
    for (size_t i = 0; i < h.size(); i += 2) {
      int hi = hex_nibble(h[i]), lo = hex_nibble(h[i + 1]);
      if (hi < 0 || lo < 0) {
        explicit_bzero(buf, sizeof(buf));
        return host::fail(Errc::kUsage, what + ": hex: contains a non-hex character");
      }
      buf[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
    }
    host::Expected<Secret> s = make_secret(buf, h.size() / 2, what);
    explicit_bzero(buf, sizeof(buf));
    return s;
  }
  return host::fail(Errc::kUsage, what + ": unknown authorization form '" + kind +
                                      "' (use file:PATH, env:NAME, hex:HEX, str:TEXT or prompt)");
}

}  // namespace tlaunch::tpmnv
