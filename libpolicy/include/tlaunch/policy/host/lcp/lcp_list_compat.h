// Small helpers shared by the lcp2_crtpollist and lcp2_crtpol drop-ins: file access that reports
// problems with lcptools' messages (lcputils.c read_file()/write_file()), but writes atomically.
#pragma once

#include <optional>
#include <string>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {

// Reads a whole file. On failure prints lcputils.c read_file()'s message to stderr
// ("Error: failed to open file F: <strerror>" / "Error: failed to get file length or file is
// empty.") and returns nothing.
std::optional<tlaunch::host::Bytes> upstream_read_file(const std::string& path);
// Writes a file atomically (temp file + rename); on failure prints
// "Error: failed to open file F for writing: <reason>" and returns false.
bool upstream_write_file(const std::string& path, const tlaunch::host::Bytes& data);

// strtoul(s, NULL, base) as the upstream tools call it, but strict: the whole text must be a
// number no larger than max (upstream silently takes 0 or truncates; docs/compat.md).
std::optional<unsigned long> parse_unsigned(const char* s, int base, unsigned long max);

}  // namespace tlaunch::lcp::host
