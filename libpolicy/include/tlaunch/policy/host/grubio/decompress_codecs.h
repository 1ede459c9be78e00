// The three GRUB 2.06 decompression filters as push decoders (used by GrubFilterChain,
// decompress.h; exposed for unit tests and tools that need one filter alone).
//
// A decoder sees one stream: first sniff() with the bytes buffered so far (the stream's head),
// which decides as GRUB's open-time test does; then, if it decodes, feed() with every byte of the
// stream from offset 0 (the head included) and end() at end of input. Messages are relative
// ("gzip: ... (byte offset N)"); the chain prefixes the file name and the enclosing layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/decompress.h"

namespace tlaunch::host::grubio {

enum class SniffKind : uint8_t {
  kNeedMore,  // the head is too short to decide; call again with more bytes (or eof)
  kAbsent,    // not this format (magic bytes differ): GRUB passes the stream through
  kFallback,  // magic matched but GRUB's header test fails: GRUB passes the stream through
  kDecode,    // GRUB decompresses this stream
};

struct Sniff {
  SniffKind kind = SniffKind::kNeedMore;
  std::string reason;  // for kFallback: why GRUB does not decompress
};

enum class EndKind : uint8_t {
  kDecoded,   // GRUB hands over exactly what the decoder produced
  kFallback,  // GRUB's open-time test fails on data only seen at the end (xz footer, lzop walk):
              // GRUB passes the stream through undecompressed
  kFailed,    // GRUB fails the load, or would hand over bytes we refuse to digest (a prefix)
};

struct DecodeEnd {
  EndKind kind = EndKind::kDecoded;
  Errc code = Errc::kOk;  // kFailed: kBadValue (corrupt), kTruncated, kTooLarge, kUnsupported
  std::string message;    // kFailed: what is wrong and what GRUB would do; kFallback: reason
  std::vector<std::string> notes;  // kDecoded: remarks (e.g. data after the stream GRUB ignores)
  // kDecoded: GRUB silently hands over bytes a careful decoder would reject (an lzop stored block
  // whose checksum GRUB does not verify). An error unless allow_fallback, then a warning.
  std::vector<std::string> quirks;
};

// Size of the output buffer decoders fill before writing to the sink.
inline constexpr size_t kDecodeChunk = size_t{1} << 20;

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Sniff sniff(ByteSpan head, bool eof) = 0;
  virtual void feed(ByteSpan in, ByteSink& out) = 0;
  virtual DecodeEnd end(ByteSink& out) = 0;
  // True once the outcome is certainly kFailed whatever follows.
  virtual bool hopeless() const = 0;
};

std::unique_ptr<Decoder> make_gzip_decoder();
std::unique_ptr<Decoder> make_xz_decoder();
std::unique_ptr<Decoder> make_lzop_decoder();
std::unique_ptr<Decoder> make_decoder(Codec c);

// GRUB 2.06 xzio.c test_footer(), over the last tail.size bytes of a stream of total_size bytes:
// the size GRUB announces for an xz file (the sum of the Uncompressed Size fields of the index
// the footer at the END of the file points to), or why the test fails (GRUB then loads the file
// undecompressed), or kUnknown when the bytes it reads lie before `tail`.
struct XzFooterProbe {
  enum Kind : uint8_t { kOk, kFallback, kUnknown } kind = kUnknown;
  uint64_t size = 0;
  std::string reason;
};
XzFooterProbe grub_xz_footer_test(ByteSpan tail, uint64_t total_size);

// Keeps the last `capacity` bytes of a stream (constant memory).
class TailBuffer {
 public:
  explicit TailBuffer(size_t capacity) : buf_(capacity) {}
  void append(ByteSpan data);
  uint64_t total() const { return total_; }
  // The kept bytes, oldest first (at most capacity; fewer at the start of the stream).
  std::vector<uint8_t> bytes() const;

 private:
  std::vector<uint8_t> buf_;
  size_t head_ = 0;  // next write position
  uint64_t total_ = 0;
};

}  // namespace tlaunch::host::grubio
