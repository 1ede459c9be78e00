// gzip as GRUB 2.06 loads it (grub-core/io/gzio.c at tag grub-2.06). Facts this follows:
//
//  * test_gzip_header(): reads 10 bytes; fewer, or a magic other than 1F 8B / 1F 9E (the old
//    gzip magic), means "not gzip". Then, still "not gzip" (the file is loaded as it is): method
//    != 8 (deflate); flag bits 0x02 (RFC 1952's FHCRC, which GRUB calls "continuation"), 0x20
//    (encrypted) or 0xC0 (reserved); an FEXTRA/FNAME/FCOMMENT field cut off by the end of file.
//  * The uncompressed size is NOT taken from the member: test_gzip_header() seeks to
//    file_size - 8 and reads CRC32 and ISIZE from the LAST 8 BYTES OF THE FILE; file->size =
//    ISIZE (32 bits). loader/multiboot.c reads exactly that many bytes.
//  * inflate_window() stops at the end of the first deflate stream: later members are never
//    decoded. grub_gzio_read() fails with "premature end of compressed" when the stream ends
//    before ISIZE bytes; it never reads beyond ISIZE, so longer data is cut to ISIZE bytes.
//  * The CRC32 is compared only when the decoded offset equals ISIZE exactly at the end of a
//    32 KiB window (inflate_window(): saved_offset == orig_len); a mismatch fails the load.
//  * Input past the end of the file is not an error: get_byte() then returns stale buffer bytes.
//
// Here: GRUB's header test decides decode/fallback exactly; the deflate stream is decoded with
// zlib (raw inflate) and the result is accepted only when GRUB would hand over exactly the whole
// verified first stream: stream complete, ISIZE (last 4 bytes of the file) == its length and CRC32
// (bytes -8..-4) == its CRC. Everything else is an error saying what GRUB would do; streams zlib
// rejects are errors even where GRUB's older inflate might decode something.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tlaunch/policy/host/grubio/decompress_codecs.h"

namespace tlaunch::host::grubio {
namespace {

// gzio.c flag bits and the set GRUB_GZ_UNSUPPORTED_FLAGS.
constexpr uint8_t kFlagHcrc = 0x02, kFlagExtra = 0x04, kFlagName = 0x08, kFlagComment = 0x10;
constexpr uint8_t kUnsupportedFlags = 0x02 | 0x20 | 0xC0;

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "%08x", v);
  return b;
}

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

Sniff fallback(std::string reason) { return Sniff{SniffKind::kFallback, std::move(reason)}; }

class GzipDecoder final : public Decoder {
 public:
  GzipDecoder() : out_buf_(kDecodeChunk) {}
  ~GzipDecoder() override {
    if (inflate_ready_) inflateEnd(&z_);
  }

  Sniff sniff(ByteSpan h, bool eof) override {
    const Sniff more{eof ? SniffKind::kAbsent : SniffKind::kNeedMore, {}};
    if (h.size < 2) return more;
    if (h[0] != 0x1F || (h[1] != 0x8B && h[1] != 0x9E)) return Sniff{SniffKind::kAbsent, {}};
    if (h.size < 10)
      return eof ? fallback("the file is shorter than the 10-byte gzip header")
                 : Sniff{SniffKind::kNeedMore, {}};
    const uint8_t method = h[2], flags = h[3];
    if (method != 8)
      return fallback("compression method " + std::to_string(method) + " is not deflate (8)");
    if (flags & kUnsupportedFlags) {
      char b[8];
      std::snprintf(b, sizeof(b), "0x%02x", flags);
      std::string why = std::string("header flags ") + b + " include ";
      why += (flags & kFlagHcrc)
                 ? "FHCRC (0x02), which GRUB 2.06 treats as an unsupported 'continuation' flag"
                 : "encrypted/reserved bits (0xe0)";
      return fallback(why);
    }
    size_t pos = 10;
    const Sniff cut{eof ? SniffKind::kFallback : SniffKind::kNeedMore,
                    "an optional gzip header field is cut off by the end of the file"};
    if (flags & kFlagExtra) {
      if (h.size < pos + 2) return cut;
      const size_t xlen = size_t{h[pos]} | size_t{h[pos + 1]} << 8;
      pos += 2;
      if (h.size < pos + xlen) return cut;
      pos += xlen;
    }
    for (uint8_t f : {kFlagName, kFlagComment}) {
      if (!(flags & f)) continue;
      const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(h.data + pos, 0, h.size - pos));
      if (nul == nullptr) return cut;
      pos = static_cast<size_t>(nul - h.data) + 1;
    }
    header_len_ = pos;
    return Sniff{SniffKind::kDecode, {}};
  }

  void feed(ByteSpan in, ByteSink& out) override {
    constexpr size_t kSlice = size_t{1} << 30;  // z_stream counts input in 32-bit uInt
    if (in.size > kSlice) {
      for (size_t off = 0; off < in.size; off += kSlice)
        feed(in.subspan(off, std::min(kSlice, in.size - off)), out);
      return;
    }
    // The last 8 bytes of the stream: GRUB's CRC32 and ISIZE.
    keep_tail(in);
    size_t pos = 0;
    if (in_off_ < header_len_)
      pos = static_cast<size_t>(std::min<uint64_t>(in.size, header_len_ - in_off_));
    in_off_ += in.size;
    if (pos == in.size || error_) return;
    const ByteSpan body = in.subspan(pos, in.size - pos);
    if (stream_end_) {
      after_end(body);
      return;
    }
    if (!start()) return;
    z_.next_in = const_cast<Bytef*>(body.data);
    z_.avail_in = static_cast<uInt>(body.size);
    while (z_.avail_in > 0 && !stream_end_ && !error_) {
      z_.next_out = out_buf_.data() + out_len_;
      z_.avail_out = static_cast<uInt>(out_buf_.size() - out_len_);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const size_t produced = out_buf_.size() - out_len_ - z_.avail_out;
      if (produced != 0) {
        crc_ = crc32_z(crc_, out_buf_.data() + out_len_, produced);
        out_len_ += produced;
        total_out_ += produced;
      }
      if (out_len_ == out_buf_.size()) flush(out);
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
        member_end_ = header_len_ + z_.total_in;
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR) {
        error_ = true;
        // total_in counts the byte in which zlib found the error.
        error_offset_ = header_len_ + (z_.total_in != 0 ? z_.total_in - 1 : 0);
        error_text_ = rc == Z_MEM_ERROR   ? "out of memory in zlib"
                      : z_.msg != nullptr ? z_.msg
                                          : "invalid deflate data";
      }
      // Z_OK / Z_BUF_ERROR: continue while input remains.
    }
    if (stream_end_ && z_.avail_in > 0)
      after_end(body.subspan(body.size - z_.avail_in, z_.avail_in));
    // Output stays buffered up to a full chunk: fewer, larger writes downstream.
  }

  DecodeEnd end(ByteSink& out) override {
    flush(out);
    DecodeEnd e;
    e.kind = EndKind::kFailed;
    if (error_) {
      e.code = Errc::kBadValue;
      e.message = "gzip: corrupt deflate data near byte offset " + std::to_string(error_offset_) +
                  ": " + error_text_ + "; GRUB 2.06 fails to load it";
      return e;
    }
    if (!stream_end_) {
      e.code = Errc::kTruncated;
      e.message =
          "gzip: truncated: the deflate stream is cut off by the end of the data at byte offset " +
          std::to_string(in_off_) +
          " before its last block; GRUB 2.06 fails to load it or loads garbage";
      return e;
    }
    const uint64_t after = in_off_ - member_end_;
    if (after < 8) {
      e.code = Errc::kTruncated;
      e.message =
          "gzip: truncated: the 8-byte CRC32/ISIZE trailer after the deflate stream (which ends at "
          "byte offset " +
          std::to_string(member_end_) + ") has only " + std::to_string(after) +
          " bytes; GRUB 2.06 reads CRC32 and size from the last 8 bytes of the file, which here "
          "are compressed data";
      return e;
    }
    const uint32_t file_crc = le32(tail_), file_isize = le32(tail_ + 4);
    const uint64_t len = total_out_;
    std::string trailing;
    if (after > 8) {
      trailing = std::to_string(after - 8) +
                 " bytes follow the gzip member, which ends at byte offset " +
                 std::to_string(member_end_ + 8);
      if (member_trailer_len_ >= 10 && member_trailer_[8] == 0x1F && member_trailer_[9] == 0x8B)
        trailing += " (another gzip member: GRUB 2.06 decodes only the first)";
    }
    if (len != file_isize) {
      std::string m = "gzip: ";
      if (!trailing.empty())
        m += trailing + "; GRUB 2.06 takes the size from the last 4 bytes of the file (" +
             std::to_string(file_isize) + "), but the first member holds " + std::to_string(len) +
             " bytes";
      else
        m += "the size field (ISIZE, last 4 bytes of the file) says " + std::to_string(file_isize) +
             " bytes but the data decompresses to " + std::to_string(len) + " bytes";
      if (len > 0xFFFFFFFFull)
        m += " (ISIZE holds the size modulo 4 GiB: GRUB 2.06 cannot load 4 GiB or more from a gzip "
             "file)";
      if (len < file_isize)
        m += "; GRUB 2.06 fails to load it (premature end of compressed data)";
      else if (file_isize == 0)
        m += "; GRUB 2.06 would load an empty module";
      else
        m += "; GRUB 2.06 would load only the first " + std::to_string(file_isize) +
             " bytes (or fail its CRC check): refusing to report the digest of a prefix";
      e.code = Errc::kBadValue;
      e.message = m;
      return e;
    }
    if (crc_ != file_crc) {
      e.code = Errc::kBadValue;
      e.message = "gzip: CRC32 mismatch: the trailer (bytes -8..-4 of the file) says " +
                  hex32(file_crc) + ", the data gives " + hex32(crc_) +
                  (trailing.empty() ? std::string() : " (" + trailing + ")") +
                  "; GRUB 2.06 fails to load it (checksum mismatch)";
      return e;
    }
    e.kind = EndKind::kDecoded;
    e.code = Errc::kOk;
    if (!trailing.empty()) e.notes.push_back(trailing + "; GRUB 2.06 ignores them");
    return e;
  }

  bool hopeless() const override { return error_; }

 private:
  bool start() {
    if (inflate_ready_) return true;
    std::memset(&z_, 0, sizeof(z_));
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) {
      error_ = true;
      error_offset_ = header_len_;
      error_text_ = "zlib initialisation failed";
      return false;
    }
    inflate_ready_ = true;
    return true;
  }

  void keep_tail(ByteSpan in) {
    if (in.size >= 8) {
      std::memcpy(tail_, in.data + in.size - 8, 8);
    } else {
      std::memmove(tail_, tail_ + in.size, 8 - in.size);
      std::memcpy(tail_ + 8 - in.size, in.data, in.size);
    }
  }

  // Bytes after the deflate stream: remember the first 10 (the member's own trailer and the
  // next magic) for messages.
  void after_end(ByteSpan rest) {
    const size_t take = std::min(rest.size, sizeof(member_trailer_) - member_trailer_len_);
    std::memcpy(member_trailer_ + member_trailer_len_, rest.data, take);
    member_trailer_len_ += take;
  }

  void flush(ByteSink& out) {
    if (out_len_ == 0) return;
    out.write(ByteSpan(out_buf_.data(), out_len_));
    out_len_ = 0;
  }

  z_stream z_{};
  bool inflate_ready_ = false;
  size_t header_len_ = 0;
  uint64_t in_off_ = 0;
  std::vector<uint8_t> out_buf_;
  size_t out_len_ = 0;
  uint64_t total_out_ = 0;
  uLong crc_ = 0;
  bool stream_end_ = false;
  uint64_t member_end_ = 0;
  bool error_ = false;
  uint64_t error_offset_ = 0;
  std::string error_text_;
  uint8_t tail_[8] = {};
  uint8_t member_trailer_[10] = {};
  size_t member_trailer_len_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_gzip_decoder() { return std::make_unique<GzipDecoder>(); }

}  // namespace tlaunch::host::grubio
