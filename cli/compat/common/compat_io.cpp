#include "compat_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tlaunch::cli::compat {

void out(const std::string& s) { std::fputs(s.c_str(), stdout); }
void err(const std::string& s) { std::fputs(s.c_str(), stderr); }

int fail(const std::string& msg) {
  err(msg);
  return 1;
}

bool refuse(const std::string& msg) {
  err(msg);
  return false;
}

bool take_command(int* cmd, int c) {
  if (*cmd != 0) {
    err("Error: only one command can be specified\n");
    return false;
  }
  *cmd = c;
  return true;
}

void err_unsupported_hash_alg(const std::string& name) {
  err("Error: unsupported hash algorithm '" + name + "' (use sha256, sha384, sha512 or sm3)\n");
}

int open_errno(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return errno != 0 ? errno : ENOENT;
  std::fclose(f);
  return 0;
}

uint16_t le16_at0(const host::Bytes& data) {
  return data.size() >= 2 ? static_cast<uint16_t>(data[0] | (data[1] << 8)) : 0;
}

uint32_t le32_at0(const host::Bytes& data) {
  if (data.size() < 4) return 0;
  return static_cast<uint32_t>(data[0] | (data[1] << 8) | (data[2] << 16) |
                               (static_cast<uint32_t>(data[3]) << 24));
}

std::optional<host::Bytes> upstream_read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "Error: failed to open file %s: %s\n", path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  host::Bytes data;
  unsigned char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.insert(data.end(), buf, buf + n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad || data.empty()) {
    // A directory or an empty file: lcputils.c's ftell() check says this for both.
    std::fprintf(stderr, "Error: failed to get file length or file is empty.\n");
    return std::nullopt;
  }
  return data;
}

bool upstream_write_file(const std::string& path, const host::Bytes& data) {
  auto st = tlaunch::host::write_file_atomic(path, data);
  if (!st.ok()) {
    std::fprintf(stderr, "Error: failed to open file %s for writing: %s\n", path.c_str(),
                 st.failure().message.c_str());
    return false;
  }
  return true;
}

}  // namespace tlaunch::cli::compat
