// Helpers for the lcptools drop-ins (see lcp_list_compat.h).
#include "tlaunch/policy/host/lcp/lcp_list_compat.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tlaunch::lcp::host {

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
