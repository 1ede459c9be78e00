// xz as GRUB 2.06 loads it (grub-core/io/xzio.c and grub-core/lib/xzembed/, tag grub-2.06).
// Facts this follows:
//
//  * xzio.c test_header(): the first 12 bytes go through xz_dec_run(); anything but XZ_OK means
//    "not xz" and the file is loaded as it is. xz_dec_stream.c dec_stream_header() returns an
//    error for: magic != FD 37 7A 58 5A 00 (format error), a CRC32 mismatch over the 2 flag
//    bytes, flag byte 0 != 0, or a check type other than none (0), CRC32 (1), CRC64 (4),
//    SHA-256 (0x0A) (options error).
//  * xzio.c test_footer(), also before any decoding, also "not xz" on failure: the last 2 bytes
//    of the FILE must be "YZ"; Backward Size is read at file_size - 8; the index is parsed at
//    file_size - 12 - backward_size (a failing seek is ignored); its records' Uncompressed Size
//    fields are summed into file->size. So GRUB sizes the file from the LAST stream's index.
//  * grub_xzio_read() decodes with one xz_dec (single stream): it stops at the end of the first
//    stream and never reads more than file->size bytes; loader/multiboot.c fails the load when
//    fewer than file->size bytes come out ("premature end of file").
//  * Any xz_dec_run() error while reading fails the load ("xz file corrupted or unsupported
//    block options"). Block rules (xz_dec_stream.c dec_block_header()): header CRC32; block flag
//    bits 0x3E must be 0 (at most two filters, no reserved bits); with two filters the first is a
//    BCJ filter 0x04..0x09 (x86, PowerPC, IA-64, ARM, ARM-Thumb, SPARC; xz_config.h enables all
//    of them outside the embedded decompressor) with no properties (no start offset); the last
//    is LZMA2 (0x21) with one property byte <= 30 (xz_dec_lzma2.c xz_dec_lzma2_reset(): props >
//    min(DICT_BIT_SIZE = 30, 39) -> options error), i.e. a dictionary of at most 128 MiB. No
//    Delta or ARM64 filter.
//
// Here: the header and footer tests are GRUB's; the stream is decoded block by block with
// liblzma's low-level block/index API (so the GRUB block rules can be applied and every check is
// verified) and accepted only when the first stream is complete and valid and GRUB's size equals
// its length. The footer test needs the end of the data, so it runs at end() over a 64 KiB tail.
#include <lzma.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tlaunch/policy/host/grubio/decompress_codecs.h"

namespace tlaunch::host::grubio {
namespace {

constexpr uint8_t kMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
constexpr size_t kHeaderSize = 12;  // STREAM_HEADER_SIZE
constexpr size_t kTailKeep = size_t{64} << 10;

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

std::string hex(uint64_t v, int width = 2) {
  char b[32];
  std::snprintf(b, sizeof(b), "0x%0*llx", width, static_cast<unsigned long long>(v));
  return b;
}

const char* lzma_ret_text(lzma_ret r) {
  switch (r) {
    case LZMA_DATA_ERROR:
      return "compressed data is corrupt";
    case LZMA_FORMAT_ERROR:
      return "not in the .xz format";
    case LZMA_OPTIONS_ERROR:
      return "unsupported options";
    case LZMA_MEM_ERROR:
      return "out of memory";
    case LZMA_MEMLIMIT_ERROR:
      return "memory limit reached";
    case LZMA_BUF_ERROR:
      return "unexpected end of input";
    case LZMA_UNSUPPORTED_CHECK:
      return "unsupported integrity check";
    case LZMA_PROG_ERROR:
      return "internal error in liblzma";
    default:
      return "liblzma error";
  }
}

// xzio.c decode_vli(): at most 9 bytes; a continuation byte of 0x00 is invalid; returns the
// number of bytes used, 0 on failure.
size_t grub_decode_vli(const uint8_t* buf, size_t size_max, uint64_t* num) {
  if (size_max == 0) return 0;
  if (size_max > 9) size_max = 9;
  *num = buf[0] & 0x7F;
  size_t i = 0;
  while (buf[i++] & 0x80) {
    if (i >= size_max || buf[i] == 0x00) return 0;
    *num |= static_cast<uint64_t>(buf[i] & 0x7F) << (i * 7);
  }
  return i;
}

}  // namespace

XzFooterProbe grub_xz_footer_test(ByteSpan tail, uint64_t total) {
  XzFooterProbe p;
  const uint64_t tail_start = total - tail.size;
  bool unknown = false;
  // grub_file_read() at `pos`: copies min(n, total - pos) bytes, or flags that they are older
  // than the kept tail.
  auto read_at = [&](uint64_t pos, uint8_t* dst, size_t n) -> size_t {
    if (pos >= total) return 0;
    const size_t got = static_cast<size_t>(std::min<uint64_t>(n, total - pos));
    if (pos < tail_start) {
      unknown = true;
      return 0;
    }
    std::memcpy(dst, tail.data + (pos - tail_start), got);
    return got;
  };
  auto fallback = [&](std::string why) {
    p.kind = unknown ? XzFooterProbe::kUnknown : XzFooterProbe::kFallback;
    p.reason = std::move(why);
    return p;
  };
  uint8_t yz[2];
  if (total < 2 || read_at(total - 2, yz, 2) != 2 || yz[0] != 'Y' || yz[1] != 'Z')
    return fallback("the data does not end with an xz stream footer (last 2 bytes are not \"YZ\")");
  uint8_t bs[4];
  if (total < 12 || read_at(total - 8, bs, 4) != 4)
    return fallback("the xz stream footer is cut off");
  const uint32_t backsize = (le32(bs) + 1u) * 4u;  // 32-bit arithmetic as in test_footer()
  uint64_t pos = total - 4;                        // after reading Backward Size
  const uint64_t target = total - 12 - backsize;   // grub_off_t arithmetic, may wrap
  if (target <= total) pos = target;               // grub_file_seek() fails beyond the end
  uint8_t marker;
  pos += read_at(pos, &marker, 1);  // the index indicator is read but not checked
  auto read_vli = [&](uint64_t* v) -> size_t {
    uint8_t buf[9];
    const size_t got = read_at(pos, buf, 9);
    const size_t used = grub_decode_vli(buf, got, v);
    pos += used;
    return used;
  };
  uint64_t records = 0;
  if (read_vli(&records) == 0)
    return fallback("the xz index the stream footer points to cannot be parsed");
  uint64_t sum = 0;
  for (; records != 0; --records) {
    uint64_t v = 0;
    if (read_vli(&v) == 0 || read_vli(&v) == 0)
      return fallback("the xz index the stream footer points to cannot be parsed");
    sum += v;
  }
  if (unknown) return fallback("the xz index lies more than 64 KiB before the end");
  p.kind = XzFooterProbe::kOk;
  p.size = sum;
  return p;
}

namespace {

class XzDecoder final : public Decoder {
 public:
  XzDecoder() : out_buf_(kDecodeChunk), tail_(kTailKeep) {}
  ~XzDecoder() override {
    lzma_end(&strm_);
    if (index_hash_ != nullptr) lzma_index_hash_end(index_hash_, nullptr);
  }

  Sniff sniff(ByteSpan h, bool eof) override {
    if (h.size == 0) return Sniff{eof ? SniffKind::kAbsent : SniffKind::kNeedMore, {}};
    const size_t n = std::min(h.size, sizeof(kMagic));
    if (std::memcmp(h.data, kMagic, n) != 0) return Sniff{SniffKind::kAbsent, {}};
    if (h.size < kHeaderSize) {
      if (!eof) return Sniff{SniffKind::kNeedMore, {}};
      if (h.size < sizeof(kMagic)) return Sniff{SniffKind::kAbsent, {}};
      return Sniff{SniffKind::kFallback, "the data is shorter than the 12-byte xz stream header"};
    }
    if (lzma_crc32(h.data + 6, 2, 0) != le32(h.data + 8))
      return Sniff{SniffKind::kFallback, "xz stream header CRC32 mismatch"};
    const uint8_t check = h[7];
    if (h[6] != 0 || !(check == 0 || check == 1 || check == 4 || check == 0x0A))
      return Sniff{
          SniffKind::kFallback,
          "xz stream flags " + hex(h[6]) + " " + hex(check) +
              ": GRUB 2.06 supports only the integrity checks none, CRC32, CRC64 and SHA-256"};
    if (lzma_stream_header_decode(&header_flags_, h.data) != LZMA_OK)
      return Sniff{SniffKind::kFallback, "xz stream header rejected by liblzma"};
    return Sniff{SniffKind::kDecode, {}};
  }

  void feed(ByteSpan in, ByteSink& out) override {
    tail_.append(in);
    const uint64_t base = in_off_;
    in_off_ += in.size;
    size_t pos = 0;
    while (pos < in.size && !failed_) {
      switch (st_) {
        case St::kHeader: {
          const size_t take = std::min(in.size - pos, kHeaderSize - skipped_);
          skipped_ += take;
          pos += take;
          if (skipped_ == kHeaderSize) {
            index_hash_ = lzma_index_hash_init(nullptr, nullptr);
            if (index_hash_ == nullptr) fail(Errc::kInternal, base + pos, "out of memory");
            st_ = St::kBlockStart;
          }
          break;
        }
        case St::kBlockStart:
          if (in[pos] == 0x00) {  // Index Indicator
            st_ = St::kIndex;
            part_off_ = base + pos;
            break;
          }
          part_.clear();
          part_need_ = (size_t{in[pos]} + 1) * 4;
          part_off_ = base + pos;
          st_ = St::kBlockHeader;
          break;
        case St::kBlockHeader:
          if (collect(in, pos)) start_block();
          break;
        case St::kBlockData:
          decode_block(in, pos, base, out);
          break;
        case St::kIndex: {
          const lzma_ret r = lzma_index_hash_decode(index_hash_, in.data, &pos, in.size);
          if (r == LZMA_STREAM_END) {
            part_.clear();
            part_need_ = 12;
            part_off_ = base + pos;
            st_ = St::kFooter;
          } else if (r != LZMA_OK) {
            fail(Errc::kBadValue, part_off_,
                 "the index does not match the blocks or is corrupt (" +
                     std::string(lzma_ret_text(r)) + ")");
          }
          break;
        }
        case St::kFooter:
          if (collect(in, pos)) check_footer(base + pos);
          break;
        case St::kAfter:
          trailing_ += in.size - pos;
          pos = in.size;
          break;
      }
    }
  }

  DecodeEnd end(ByteSink& out) override {
    flush(out);
    DecodeEnd e;
    e.kind = EndKind::kFailed;
    const bool complete = st_ == St::kAfter && !failed_;
    const std::vector<uint8_t> tail = tail_.bytes();
    XzFooterProbe probe = grub_xz_footer_test(ByteSpan(tail.data(), tail.size()), tail_.total());
    const bool clean = complete && trailing_ == 0;
    if (probe.kind == XzFooterProbe::kFallback) {
      e.kind = EndKind::kFallback;
      e.message = probe.reason;
      if (failed_)
        e.message += " (and the stream itself: " + error_ + ")";
      else if (!complete)
        e.message += " (the stream is cut off by the end of the data at byte offset " +
                     std::to_string(in_off_) + ")";
      return e;
    }
    if (probe.kind == XzFooterProbe::kUnknown && !clean) {
      e.code = Errc::kUnsupported;
      e.message = "xz: " + (failed_ ? error_ + "; also, " : std::string()) +
                  "cannot tell what GRUB 2.06 does with this file: " + probe.reason;
      return e;
    }
    if (failed_) {
      e.code = error_code_;
      e.message = "xz: " + error_ + "; GRUB 2.06 fails to load it";
      return e;
    }
    if (!complete) {
      e.code = Errc::kTruncated;
      e.message = "xz: truncated: the stream is cut off by the end of the data at byte offset " +
                  std::to_string(in_off_) + " (in " + where() + "); GRUB 2.06 fails to load it";
      return e;
    }
    const uint64_t grub_size = probe.kind == XzFooterProbe::kOk ? probe.size : total_out_;
    std::string trailing;
    if (trailing_ != 0)
      trailing = std::to_string(trailing_) +
                 " bytes follow the xz stream, which ends at byte offset " +
                 std::to_string(stream_end_) +
                 " (stream padding or another stream: GRUB 2.06 decodes only the first stream)";
    if (grub_size != total_out_) {
      std::string m = "xz: ";
      m += trailing.empty() ? std::string("the index") : trailing + "; the index at the end";
      m += " announces " + std::to_string(grub_size) + " bytes but the first stream holds " +
           std::to_string(total_out_) + " bytes";
      if (total_out_ < grub_size)
        m += "; GRUB 2.06 fails to load it (premature end of file)";
      else
        m += "; GRUB 2.06 would load only the first " + std::to_string(grub_size) +
             " bytes: refusing to report the digest of a prefix";
      e.code = Errc::kBadValue;
      e.message = m;
      return e;
    }
    e.kind = EndKind::kDecoded;
    e.code = Errc::kOk;
    if (!trailing.empty()) e.notes.push_back(trailing);
    return e;
  }

  bool hopeless() const override { return false; }  // the footer test may still fall back

 private:
  enum class St : uint8_t {
    kHeader,
    kBlockStart,
    kBlockHeader,
    kBlockData,
    kIndex,
    kFooter,
    kAfter
  };

  std::string where() const {
    switch (st_) {
      case St::kHeader:
        return "the stream header";
      case St::kBlockStart:
      case St::kBlockHeader:
        return "the header of block " + std::to_string(blocks_);
      case St::kBlockData:
        return "block " + std::to_string(blocks_ - 1);
      case St::kIndex:
        return "the index";
      case St::kFooter:
        return "the stream footer";
      case St::kAfter:
        return "the data after the stream";
    }
    return "?";
  }

  void fail(Errc code, uint64_t offset, const std::string& what, const char* at = nullptr) {
    if (failed_) return;
    failed_ = true;
    error_code_ = code;
    error_ = at != nullptr
                 ? what + " (" + at + std::to_string(offset) + ")"
                 : what + " (" + where() + ", byte offset " + std::to_string(offset) + ")";
  }

  // Appends bytes of a fixed-size part (block header, footer) to part_; true when complete.
  bool collect(ByteSpan in, size_t& pos) {
    const size_t take = std::min(in.size - pos, part_need_ - part_.size());
    part_.insert(part_.end(), in.data + pos, in.data + pos + take);
    pos += take;
    return part_.size() == part_need_;
  }

  // GRUB 2.06 dec_block_header() rules, then liblzma's own decoding of the header.
  void start_block() {
    const uint8_t* h = part_.data();
    const size_t n = part_need_ - 4;
    if (lzma_crc32(h, n, 0) != le32(h + n))
      return fail(Errc::kBadValue, part_off_, "block header CRC32 mismatch");
    const uint8_t flags = h[1];
    if (flags & 0x3E)
      return fail(Errc::kBadValue, part_off_,
                  "block flags " + hex(flags) +
                      ": GRUB 2.06 supports one or two filters and no reserved bits");
    size_t p = 2;
    auto vli = [&](uint64_t* v) {
      const size_t used = grub_decode_vli(h + p, n - p, v);
      p += used;
      return used != 0;
    };
    uint64_t v = 0, id = 0, props = 0;
    bool ok = (!(flags & 0x40) || vli(&v)) && (!(flags & 0x80) || vli(&v));
    if (ok && (flags & 0x01)) {
      ok = vli(&id) && vli(&props);
      if (ok && (id < LZMA_FILTER_X86 || id > LZMA_FILTER_SPARC))
        return fail(Errc::kBadValue, part_off_,
                    "filter " + hex(id) +
                        " before LZMA2 is not one of the BCJ filters GRUB 2.06 has (x86, PowerPC, "
                        "IA-64, ARM, ARM-Thumb, SPARC)");
      if (ok && props != 0)
        return fail(Errc::kBadValue, part_off_,
                    "BCJ filter with a start offset: not supported by GRUB 2.06");
    }
    if (ok && vli(&id) && vli(&props)) {
      if (id != LZMA_FILTER_LZMA2)
        return fail(
            Errc::kBadValue, part_off_,
            "filter " + hex(id) + ": GRUB 2.06 decodes only LZMA2 (after at most one BCJ filter)");
      if (props == 1 && p < n && h[p] > 30 && h[p] <= 40) {
        const uint64_t dict =
            h[p] == 40 ? 0xFFFFFFFFull : uint64_t{2u | (h[p] & 1u)} << (h[p] / 2 + 11);
        return fail(Errc::kBadValue, part_off_,
                    "LZMA2 dictionary of " + std::to_string(dict >> 20) +
                        " MiB: GRUB 2.06 supports at most 128 MiB");
      }
    }
    // Anything the quick parse did not understand is left to liblzma, which rejects it.
    block_ = lzma_block{};
    block_.version = 1;
    block_.check = header_flags_.check;
    block_.header_size = static_cast<uint32_t>(part_need_);
    lzma_filter filters[LZMA_FILTERS_MAX + 1];
    block_.filters = filters;
    lzma_ret r = lzma_block_header_decode(&block_, nullptr, h);
    if (r != LZMA_OK)
      return fail(Errc::kBadValue, part_off_,
                  std::string("invalid block header: ") + lzma_ret_text(r));
    r = lzma_block_decoder(&strm_, &block_);
    lzma_filters_free(filters, nullptr);
    block_.filters = nullptr;
    if (r != LZMA_OK)
      return fail(r == LZMA_MEM_ERROR ? Errc::kInternal : Errc::kBadValue, part_off_,
                  std::string("cannot decode block: ") + lzma_ret_text(r));
    block_off_ = part_off_ + part_need_;
    ++blocks_;
    st_ = St::kBlockData;
  }

  void decode_block(ByteSpan in, size_t& pos, uint64_t base, ByteSink& out) {
    strm_.next_in = in.data + pos;
    strm_.avail_in = in.size - pos;
    for (;;) {
      strm_.next_out = out_buf_.data() + out_len_;
      strm_.avail_out = out_buf_.size() - out_len_;
      const lzma_ret r = lzma_code(&strm_, LZMA_RUN);
      const size_t produced = out_buf_.size() - out_len_ - strm_.avail_out;
      out_len_ += produced;
      total_out_ += produced;
      if (out_len_ == out_buf_.size()) flush(out);
      if (r == LZMA_STREAM_END) {
        if (lzma_index_hash_append(index_hash_, lzma_block_unpadded_size(&block_),
                                   block_.uncompressed_size) != LZMA_OK)
          fail(Errc::kBadValue, base + (in.size - strm_.avail_in), "block sizes out of range");
        st_ = St::kBlockStart;
        break;
      }
      if (r != LZMA_OK) {
        // liblzma often notices damage only at the block's check: say where the block starts.
        fail(r == LZMA_MEM_ERROR ? Errc::kInternal : Errc::kBadValue,
             base + (in.size - strm_.avail_in),
             std::string(lzma_ret_text(r)) + " in block " + std::to_string(blocks_ - 1) +
                 ", which starts at byte offset " + std::to_string(block_off_),
             "detected at byte offset ");
        break;
      }
      if (strm_.avail_in == 0 && strm_.avail_out != 0) break;  // needs more input
    }
    pos = in.size - strm_.avail_in;
  }

  void check_footer(uint64_t offset) {
    lzma_stream_flags footer{};
    const lzma_ret r = lzma_stream_footer_decode(&footer, part_.data());
    if (r != LZMA_OK)
      return fail(Errc::kBadValue, part_off_,
                  std::string("invalid stream footer: ") + lzma_ret_text(r));
    if (lzma_stream_flags_compare(&header_flags_, &footer) != LZMA_OK)
      return fail(Errc::kBadValue, part_off_, "stream footer flags differ from the header");
    if (footer.backward_size != lzma_index_hash_size(index_hash_))
      return fail(Errc::kBadValue, part_off_,
                  "Backward Size in the stream footer does not match the index");
    stream_end_ = offset;
    st_ = St::kAfter;
  }

  void flush(ByteSink& out) {
    if (out_len_ == 0) return;
    out.write(ByteSpan(out_buf_.data(), out_len_));
    out_len_ = 0;
  }

  lzma_stream strm_ = LZMA_STREAM_INIT;
  lzma_stream_flags header_flags_{};
  lzma_block block_{};
  lzma_index_hash* index_hash_ = nullptr;
  St st_ = St::kHeader;
  size_t skipped_ = 0;
  std::vector<uint8_t> part_;
  size_t part_need_ = 0;
  uint64_t part_off_ = 0;
  uint64_t block_off_ = 0;
  uint64_t blocks_ = 0;
  uint64_t in_off_ = 0;
  uint64_t stream_end_ = 0;
  uint64_t trailing_ = 0;
  std::vector<uint8_t> out_buf_;
  size_t out_len_ = 0;
  uint64_t total_out_ = 0;
  TailBuffer tail_;
  bool failed_ = false;
  Errc error_code_ = Errc::kOk;
  std::string error_;
};

}  // namespace

std::unique_ptr<Decoder> make_xz_decoder() { return std::make_unique<XzDecoder>(); }

}  // namespace tlaunch::host::grubio
