// What the upstream-compatible front ends (cli/compat/*) all do the same way: print upstream's
// messages, take one command option, read the little-endian fields a file starts with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::cli::compat {

// Text to stdout / stderr as it is (upstream's messages carry their own newlines, or none).
void out(const std::string& s);
void err(const std::string& s);

// err(msg) and 1, the exit status of every failure of the upstream LCP tools.
int fail(const std::string& msg);

// err(msg) and false: a check of the command line (or of an input) refused it.
bool refuse(const std::string& msg);

// Records the command option `c` (--create, --show, ...) in *cmd, 0 meaning none yet. The upstream
// LCP tools take one command: a second one is "Error: only one command can be specified" (false).
bool take_command(int* cmd, int c);

// lcputils.c, used by lcp2_crtpolelt and lcp2_mlehash: an --alg value a tool cannot hash with.
void err_unsupported_hash_alg(const std::string& name);

// errno of opening path for reading, 0 if it opens (upstream opens a file before it reads it,
// and some of its messages depend on which of the two failed).
int open_errno(const std::string& path);

// The little-endian 16-bit field at offset 0 (a policy list's Version), 0 if data is shorter.
uint16_t le16_at0(const host::Bytes& data);

// The little-endian 32-bit field at offset 0 (a policy element's Size, docs/reference/lcp.md §8),
// 0 if data is shorter.
uint32_t le32_at0(const host::Bytes& data);

// lcputils.c read_file()/write_file() with their messages, but writing atomically.
// Reads a whole file. On failure prints lcputils.c read_file()'s message to stderr
// ("Error: failed to open file F: <strerror>" / "Error: failed to get file length or file is
// empty.") and returns nothing.
std::optional<host::Bytes> upstream_read_file(const std::string& path);
// Writes a file atomically (temp file + rename); on failure prints
// "Error: failed to open file F for writing: <reason>" and returns false.
bool upstream_write_file(const std::string& path, const host::Bytes& data);

}  // namespace tlaunch::cli::compat
