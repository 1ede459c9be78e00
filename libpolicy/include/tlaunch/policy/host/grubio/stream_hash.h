// Streaming hashing for the host tools: one read loop feeding every bank (one EVP context per
// hash algorithm), large aligned sequential reads, optional helper threads that hash some banks
// in parallel with the reading thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/grubio/decompress.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

// Every byte written goes into one digest per bank. write() returns once all banks consumed the
// bytes (or, after start_pipeline(), a copy of them), so the caller may reuse its buffer. Not
// thread-safe (one writer).
class MultiHasher final : public ByteSink {
 public:
  // helpers: threads that take over some banks (0: everything in the writing thread). Useful
  // when there are several banks and idle cores. Fails (kUnsupported) for an algorithm this
  // OpenSSL lacks (e.g. SM3 in a FIPS-only build) and for kNull.
  static Expected<std::unique_ptr<MultiHasher>> create(std::span<const HashAlg> banks,
                                                       unsigned helpers = 0);
  ~MultiHasher();
  MultiHasher(const MultiHasher&) = delete;
  MultiHasher& operator=(const MultiHasher&) = delete;

  // From now on write() copies the bytes into a small ring (4 slots of slot_size) and returns;
  // every bank is hashed on its own helper thread (one more thread than `helpers`), so the
  // writer (a decompressor, a reader) runs in parallel with hashing. Memory: 4 slots.
  void start_pipeline(size_t slot_size = size_t{1} << 20);
  void write(ByteSpan data) override;
  // The digests, one per bank in the order given to create(). Call once.
  Expected<std::vector<Digest>> finish();
  uint64_t size() const { return size_; }

  struct Impl;

 private:
  explicit MultiHasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint64_t size_ = 0;
};

// Reads a file front to back in `buffer_size` chunks (page-aligned buffer, posix_fadvise
// SEQUENTIAL, each chunk filled completely except the last). "-" reads standard input.
class FileReader {
 public:
  static inline constexpr size_t kDefaultBuffer = size_t{1} << 20;

  // Errors (kIo) name the file: missing, unreadable, a directory.
  static Expected<std::unique_ptr<FileReader>> open(const std::string& path,
                                                    size_t buffer_size = kDefaultBuffer);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // The next chunk; an empty span at end of file. The span is valid until the next call.
  Expected<ByteSpan> next();
  uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }

 private:
  FileReader(std::string path, int fd, bool owns_fd, size_t buffer_size);
  struct FreeDeleter {
    void operator()(uint8_t* p) const;
  };
  std::string path_;
  int fd_;
  bool owns_fd_;
  size_t buffer_size_;
  std::unique_ptr<uint8_t, FreeDeleter> buffer_;
  uint64_t offset_ = 0;
  bool eof_ = false;
};

// Parses "sha256,sha384" (case-insensitive names of hash_alg.h; duplicates removed, order kept).
// Errors (kUsage) name the bad item; an algorithm this OpenSSL lacks is kUnsupported.
Expected<std::vector<HashAlg>> parse_bank_list(const std::string& text);

}  // namespace tlaunch::host
