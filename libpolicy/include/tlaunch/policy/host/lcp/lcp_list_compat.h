// Small helpers shared by the lcptools drop-ins. Library code never prints: the file helpers
// that print lcptools' messages live with the drop-ins (cli/compat/common/compat_io.h).
#pragma once

#include <optional>
#include <string>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {

// strtoul(s, NULL, base) as the upstream tools call it, but strict: the whole text must be a
// number no larger than max (upstream silently takes 0 or truncates; docs/compat.md).
std::optional<unsigned long> parse_unsigned(const char* s, int base, unsigned long max);

}  // namespace tlaunch::lcp::host
