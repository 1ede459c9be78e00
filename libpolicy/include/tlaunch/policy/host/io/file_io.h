// File access for the host tools: errors name the file, writes are atomic (CONVENTIONS §9).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

using Bytes = std::vector<uint8_t>;

// Reads a whole regular file. Errors (kIo) for missing, unreadable, directory, or larger than
// max_size (kTooLarge) say which.
Expected<Bytes> read_file(const std::string& path, size_t max_size = SIZE_MAX);
// Reads at most max_size bytes of a file (like fread into a fixed buffer); the rest is ignored.
Expected<Bytes> read_file_prefix(const std::string& path, size_t max_size);
// Writes data to path atomically: temp file in the same directory, fsync, rename, fsync dir.
// On failure the existing file is untouched and no temp file is left behind. New files get
// mode 0644 (& umask); an existing file keeps its mode.
HostStatus write_file_atomic(const std::string& path, const uint8_t* data, size_t size);
inline HostStatus write_file_atomic(const std::string& path, const Bytes& data) {
  return write_file_atomic(path, data.data(), data.size());
}
// Several files that belong together (a policy and its data file, a build's outputs): every
// file is first written to a temporary file next to it and fsynced, and only when all of them
// are (no error of space, permission or a missing directory) does any of them replace its
// target, by rename. So a failure while writing changes no file. A rename failing in the second
// step (which needs no space) is reported with the files already replaced.
struct FileWrite {
  std::string path;
  Bytes data;
};
HostStatus write_files_atomic(const std::vector<FileWrite>& files);
bool file_exists(const std::string& path);

std::string hex(const uint8_t* data, size_t size);
inline std::string hex(const Bytes& b) { return hex(b.data(), b.size()); }

// A string's bytes as a core ByteSpan (valid while the string lives), and back.
inline ByteSpan as_bytes(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string as_string(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.size);
}

}  // namespace tlaunch::host
