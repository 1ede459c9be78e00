// Upstream-message file helpers for the lcptools drop-ins (see lcp_list_compat.h).
#include "tlaunch/policy/host/lcp/lcp_list_compat.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tlaunch::lcp::host {

std::optional<tlaunch::host::Bytes> upstream_read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "Error: failed to open file %s: %s\n", path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  tlaunch::host::Bytes data;
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

bool upstream_write_file(const std::string& path, const tlaunch::host::Bytes& data) {
  auto st = tlaunch::host::write_file_atomic(path, data);
  if (!st.ok()) {
    std::fprintf(stderr, "Error: failed to open file %s for writing: %s\n", path.c_str(),
                 st.failure().message.c_str());
    return false;
  }
  return true;
}

std::optional<unsigned long> parse_unsigned(const char* s, int base, unsigned long max) {
  while (*s == ' ' || *s == '\t') ++s;
  if (*s == '\0' || *s == '-' || *s == '+') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, base);
  if (errno != 0 || end == s || *end != '\0' || v > max) return std::nullopt;
  return v;
}

}  // namespace tlaunch::lcp::host
