// "Digest of FILE as GRUB loads it, in banks X, Y": the reference digests of boot modules.
//
//   std::vector<HashAlg> banks = {HashAlg::kSha256, HashAlg::kSha384};
//   auto d = host::digest_as_loaded("/boot/vmlinuz", host::LoadMode::kGrub, banks);
//   if (!d) return d.failure();                 // message names the file and byte offset
//   const Digest* img = d->image_digest(HashAlg::kSha256);
//   auto m = host::module_measurements(*d, "console=ttyS0");  // H(H(cmdline) || H(image))
//
// kGrub = what GRUB 2.06's `module2 FILE` (and multiboot2, linux, initrd) hands over: gzip, xz
// and lzop data decompressed by GRUB's rules (decompress.h); kRaw = `module2 --nounzip FILE`,
// the file as it is. One sequential read of the file feeds every bank and the decompressor;
// memory does not grow with the file size.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/grubio/decompress.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

enum class LoadMode : uint8_t { kGrub, kRaw };
const char* load_mode_name(LoadMode m);  // "grub", "raw"

struct LoadOptions {
  LoadMode mode = LoadMode::kGrub;
  // See GrubChainOptions::allow_fallback: emulate GRUB's silent "load it compressed" instead of
  // failing when a file starts with a compression magic that GRUB then does not decompress.
  bool allow_fallback = false;
  size_t buffer_size = size_t{1} << 20;  // read size
  // Threads that hash banks in parallel with the reading thread (0: none).
  unsigned bank_helpers = 0;
  // Hash on helper threads while the reading thread reads and decompresses (MultiHasher::
  // start_pipeline). digest_many_as_loaded sets both from the jobs left over when there are
  // fewer files than jobs.
  bool pipeline = false;
};

struct LoadedDigests {
  std::string path;
  LoadMode mode = LoadMode::kGrub;
  std::vector<HashAlg> banks;       // in request order
  uint64_t raw_size = 0;            // bytes in the file
  uint64_t loaded_size = 0;         // bytes GRUB hands over
  std::vector<Digest> raw;          // H(file bytes), one per bank
  std::vector<Digest> image;        // H(bytes as loaded), one per bank (== raw when not compressed)
  std::vector<FilterLayer> layers;  // compression layers whose magic matched, outermost first
  std::vector<std::string> warnings;  // e.g. data after a stream that GRUB ignores
  // The first bytes as loaded (at most kLoadedHead): what tboot's module layout looks at
  // (txt_modules.h). Empty only when GRUB would load a partly decompressed stream (a late
  // fallback inside a nested layer), which no SINIT or LCP file is.
  std::vector<uint8_t> head;
  static constexpr size_t kLoadedHead = 64 * 1024;

  const Digest* image_digest(HashAlg alg) const;
  const Digest* raw_digest(HashAlg alg) const;
};

// Errors: kIo (missing, unreadable, directory), kBadValue/kTruncated (corrupt or truncated
// compressed data: the message names the layer, the byte offset and what GRUB would do),
// kTooLarge/kUnsupported (a stream tlaunch does not handle), kUnsupported (bank not in OpenSSL).
// Never a digest of a prefix of the data.
Expected<LoadedDigests> digest_as_loaded(const std::string& path, LoadMode mode,
                                         std::span<const HashAlg> banks);
Expected<LoadedDigests> digest_as_loaded(const std::string& path, std::span<const HashAlg> banks,
                                         const LoadOptions& options);

// Several files on up to `jobs` threads (0: one per core). Results are in the order of `paths`;
// `on_result` (optional) is called from the calling thread for each file in that order as soon
// as it and all files before it are done (so output can stream in a deterministic order).
std::vector<Expected<LoadedDigests>> digest_many_as_loaded(
    const std::vector<std::string>& paths, std::span<const HashAlg> banks,
    const LoadOptions& options, unsigned jobs,
    const std::function<void(size_t, const Expected<LoadedDigests>&)>& on_result = {});

// tboot's module measurement (docs/reference/vlp.md §6.1, measure.h): per bank, H(cmdline) and
// M = H(H(cmdline) || H(image as loaded)). `cmdline` is the string as the boot loader stores
// it (GRUB: the module2 arguments after the file name, joined by spaces), without the NUL.
struct ModuleMeasurement {
  HashAlg alg = HashAlg::kNull;
  Digest cmdline;  // H(cmdline)
  Digest module;   // H(H(cmdline) || image)
};
Expected<std::vector<ModuleMeasurement>> module_measurements(const LoadedDigests& d,
                                                             std::string_view cmdline);

}  // namespace tlaunch::host
