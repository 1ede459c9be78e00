#include "tlaunch/policy/host/io/secret.h"

#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::host {

const char kSecretForms[] = "file:PATH, env:NAME, prompt or - (standard input)";

namespace {

// A fixed buffer that is wiped when it goes out of scope.
struct WipedBuffer {
  std::vector<uint8_t> bytes;
  explicit WipedBuffer(size_t n) : bytes(n) {}
  ~WipedBuffer() {
    if (!bytes.empty()) explicit_bzero(bytes.data(), bytes.size());
  }
};

Expected<SecretBytes> finish(const uint8_t* data, size_t size, const SecretRequest& req,
                             const std::string& from) {
  if (size == 0)
    return fail(Errc::kUsage, req.what + ": " + from +
                                  " gave an empty secret (leave the option out for the empty "
                                  "authorization)");
  if (size > req.max_size)
    return fail(Errc::kTooLarge, req.what + ": " + from + " holds " + std::to_string(size) +
                                     " bytes; at most " + std::to_string(req.max_size) +
                                     " are accepted");
  return SecretBytes(data, size);
}

size_t without_newline(const uint8_t* data, size_t n) {
  if (n > 0 && data[n - 1] == '\n') --n;
  if (n > 0 && data[n - 1] == '\r') --n;
  return n;
}

// Reads fd to its end (at most max + 2 bytes are kept: enough to tell "too large").
Expected<SecretBytes> read_stream(int fd, const SecretRequest& req, const std::string& from) {
  WipedBuffer buf(req.max_size + 3);
  size_t n = 0;
  bool more = false;
  for (;;) {
    uint8_t c;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(Errc::kIo, req.what + ": cannot read " + from + ": " + strerror(errno));
    if (r == 0) break;
    if (n < buf.bytes.size())
      buf.bytes[n++] = c;
    else
      more = true;
  }
  if (n == 0) return fail(Errc::kIo, req.what + ": " + from + " ended before a secret was read");
  if (more) n = buf.bytes.size();
  return finish(buf.bytes.data(), without_newline(buf.bytes.data(), n), req, from);
}

// One line from the terminal with echo off; from standard input when there is no terminal.
Expected<SecretBytes> read_prompt(const SecretRequest& req) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  const bool own_fd = fd >= 0;
  if (!own_fd) fd = STDIN_FILENO;
  const std::string from = own_fd ? "the terminal" : "standard input";
  termios saved{};
  bool restore = false;
  if (::isatty(fd) && ::tcgetattr(fd, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    std::string text = "Enter " + req.what + ": ";
    (void)!::write(fd, text.data(), text.size());  // a prompt that cannot be shown is harmless
  }
  WipedBuffer buf(req.max_size + 3);
  size_t n = 0;
  bool got_any = false, more = false;
  for (;;) {
    char c;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got_any = true;
    if (c == '\n') break;
    if (n < buf.bytes.size())
      buf.bytes[n++] = static_cast<uint8_t>(c);
    else
      more = true;
  }
  if (restore) {
    ::tcsetattr(fd, TCSAFLUSH, &saved);
    (void)!::write(fd, "\n", 1);
  }
  if (own_fd) ::close(fd);
  if (!got_any)
    return fail(Errc::kIo, req.what + ": " + from + " ended before a secret was entered");
  if (more) n = buf.bytes.size();
  if (n > 0 && buf.bytes[n - 1] == '\r') --n;
  return finish(buf.bytes.data(), n, req, from);
}

int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Expected<SecretBytes> read_hex(const std::string& arg, const SecretRequest& req) {
  size_t start = arg.rfind("0x", 0) == 0 ? 2 : 0;
  size_t digits = arg.size() - start;
  if (digits % 2 != 0)
    return fail(Errc::kUsage, req.what + ": hex: needs an even number of hex digits");
  WipedBuffer buf(digits / 2);
  for (size_t i = 0; i < digits; i += 2) {
    int hi = hex_nibble(arg[start + i]), lo = hex_nibble(arg[start + i + 1]);
    if (hi < 0 || lo < 0)
      return fail(Errc::kUsage, req.what + ": hex: contains a non-hex character");
    buf.bytes[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return finish(buf.bytes.data(), buf.bytes.size(), req, "hex:");
}

Expected<SecretBytes> read_secret_file(const std::string& arg, const SecretRequest& req) {
  if (arg == "-") return read_stream(STDIN_FILENO, req, "standard input");
  const std::string path =
      arg.empty() || arg[0] == '/' || req.base_dir.empty() ? arg : req.base_dir + "/" + arg;
  // Larger than any secret we accept, so "too large" can still be told from "cut off".
  Expected<Bytes> data = read_file(path, req.max_size + 2);
  if (!data) return Failure{data.failure().code, req.what + ": " + data.failure().message, 0};
  Bytes& b = *data;
  Expected<SecretBytes> s =
      finish(b.data(), without_newline(b.data(), b.size()), req, "file " + path);
  if (!b.empty()) explicit_bzero(b.data(), b.size());
  return s;
}

}  // namespace

SecretBytes::SecretBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}

SecretBytes::~SecretBytes() { clear(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

void SecretBytes::clear() {
  if (!bytes_.empty()) explicit_bzero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

Expected<SecretBytes> read_secret(const std::string& spec, const SecretRequest& req,
                                  SecretOrigin* origin) {
  SecretOrigin local;
  SecretOrigin& src = origin ? *origin : local;
  src = SecretOrigin{};
  if (spec == "prompt") {
    src.description = "terminal prompt";
    return read_prompt(req);
  }
  if (spec == "-") {
    src.description = "standard input";
    return read_stream(STDIN_FILENO, req, "standard input");
  }
  const size_t colon = spec.find(':');
  const std::string kind = colon == std::string::npos ? spec : spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (colon != std::string::npos && kind == "file") {
    src.description = arg == "-" ? "standard input" : "file " + arg;
    if (arg.empty()) return fail(Errc::kUsage, req.what + ": file: needs a path (file:PATH)");
    return read_secret_file(arg, req);
  }
  if (colon != std::string::npos && kind == "env") {
    src.description = "environment variable " + arg;
    const char* v = arg.empty() ? nullptr : std::getenv(arg.c_str());
    if (v == nullptr)
      return fail(Errc::kUsage, req.what + ": environment variable '" + arg + "' is not set");
    return finish(reinterpret_cast<const uint8_t*>(v), strlen(v), req,
                  "environment variable " + arg);
  }
  if (colon != std::string::npos && kind == "str") {
    src.description = "command line (str:)";
    src.visible_in_ps = true;
    return finish(reinterpret_cast<const uint8_t*>(arg.data()), arg.size(), req, "str:");
  }
  if (colon != std::string::npos && kind == "hex") {
    src.description = "command line (hex:)";
    src.visible_in_ps = true;
    return read_hex(arg, req);
  }
  // The value is not repeated: it may be the secret itself, typed where its source belongs.
  return fail(Errc::kUsage, req.what + ": the value given is not a secret source; use " +
                                std::string(kSecretForms) +
                                " (hex:HEX and str:TEXT work but are visible to other users)");
}

}  // namespace tlaunch::host
