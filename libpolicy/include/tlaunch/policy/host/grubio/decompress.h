// GRUB 2.06-compatible decompression as a streaming filter chain: the bytes `module2 FILE` hands
// over (and `multiboot2`/`linux`/`initrd` too: they open files through the same filters).
//
// GRUB facts (grub-2.06 tag, files under grub-core/):
//  * kern/file.c grub_file_open(): after the file system opened the file, every registered filter
//    is applied IN ORDER to the result of the previous one. The order is the enum in
//    include/grub/file.h: VERIFY, GZIO, XZIO, LZOPIO. So a gzip file holding an xz file is
//    decompressed twice, an xz file holding a gzip file only once (gzio looked before xzio).
//  * Each filter returns the file unchanged when its test fails ("not compressed") -- also when
//    the magic matched but a later header/footer test failed: GRUB then silently loads the
//    compressed bytes ("fallback"). Errors inside the compressed data make the load fail.
//  * `module2 --nounzip` opens with GRUB_FILE_TYPE_NO_DECOMPRESS: every filter returns the file
//    unchanged (loader/multiboot.c grub_cmd_module). That is LoadMode::kRaw.
//  * loader/multiboot.c grub_cmd_module(): size = grub_file_size(file) (the size the filter
//    announced), then ONE grub_file_read(size); fewer bytes -> "premature end of file".
//
// This chain reproduces the decision rules of the three filters exactly (each decoder's file cites
// them) but is stricter where GRUB would hand over something other than the complete, verified
// content: a prefix (size field smaller than the data), a stream it cannot reproduce (uninitialised
// memory), or a fallback the user did not ask for. Those are errors that say what GRUB would do.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

// Receives the bytes a stage produces.
class ByteSink {
 public:
  virtual void write(ByteSpan data) = 0;

 protected:
  ~ByteSink() = default;
};

// The three GRUB 2.06 decompression filters, in GRUB's order (include/grub/file.h).
enum class Codec : uint8_t { kGzip = 0, kXz = 1, kLzop = 2 };
inline constexpr size_t kCodecCount = 3;
const char* codec_name(Codec c);  // "gzip", "xz", "lzop"

// What one filter whose magic bytes matched did.
struct FilterLayer {
  Codec codec = Codec::kGzip;
  bool decompressed = true;  // false: GRUB falls back and passes the bytes through unchanged
  uint64_t input_size = 0;   // bytes of this filter's input
  uint64_t output_size = 0;  // bytes it hands on (== input_size when it fell back)
  std::string note;          // why GRUB falls back, or a remark (data after the stream, ...)
};

struct GrubChainOptions {
  // GRUB silently loads a file undecompressed when its magic matches but the header or footer
  // test fails (a truncated xz file, an lzop file with trailing bytes, a gzip file with the FHCRC
  // flag ...). false (default): that is an error explaining it. true: emulate GRUB, record the
  // fallback in FilterLayer::note and a warning.
  bool allow_fallback = false;
  // Where the bytes come from, for messages ("vmlinuz").
  std::string name;
};

// Outcome of a chain: which stream GRUB loads and what each filter did.
struct GrubChainResult {
  // -1: the chain's output (`out`); k >= 1: the input of filter k fell back, so the loaded bytes
  // are what was written to taps[k] (filter 0's input is the raw file the caller fed).
  int loaded_from = -1;
  uint64_t loaded_size = 0;
  std::vector<FilterLayer> layers;  // filters whose magic matched, outermost first
  std::vector<std::string> warnings;
};

class FilterStage;

// Push raw file bytes in with push(); decoded bytes come out of `out` as they are produced.
// Constant memory: only the decoders' windows/dictionaries and one block (lzop) are buffered.
//
//   GrubFilterChain chain(out, opts, taps);
//   while (read chunk) { chain.push(chunk); if (chain.failed()) break; }
//   auto r = chain.finish();
//
// taps[k] (k = 1, 2; optional) receives every byte of filter k's input; when a late fallback
// happens (GRUB's xz footer test or lzop block walk fails only at the end of the stream) the
// loaded bytes are that input and `out` received a partial decode to be discarded. Without taps
// and with allow_fallback, such a late fallback is reported as an error.
class GrubFilterChain {
 public:
  GrubFilterChain(ByteSink& out, GrubChainOptions options,
                  std::array<ByteSink*, kCodecCount> taps = {});
  ~GrubFilterChain();
  GrubFilterChain(const GrubFilterChain&) = delete;
  GrubFilterChain& operator=(const GrubFilterChain&) = delete;

  void push(ByteSpan data);
  // True once the result is certain to be an error whatever follows (callers may stop reading).
  bool failed() const;
  // True once every filter decided the data is not in its format (no magic matched): the output
  // is the input, byte for byte, and there is nothing to report (callers may then hash once).
  bool passthrough() const;
  // End of input. The failure names the filter, the byte offset and what GRUB would do.
  Expected<GrubChainResult> finish();

 private:
  GrubChainOptions options_;
  std::array<std::unique_ptr<FilterStage>, kCodecCount> stages_;
  std::array<ByteSink*, kCodecCount> taps_{};
  uint64_t pushed_ = 0;
};

}  // namespace tlaunch::host
