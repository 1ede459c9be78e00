// lzop as GRUB 2.06 loads it (grub-core/io/lzopio.c, tag grub-2.06). Facts this follows:
//
//  * test_header() reads a fixed 34-byte header (struct lzop_header: magic 89 4C 5A 4F 00 0D 0A
//    1A 0A, version, lib_version, version_needed, method, level, flags, mode, mtime_lo, mtime_hi,
//    name_len; all big-endian), i.e. it assumes the "new" lzop layout without a filter field.
//    "Not lzop" (file loaded as it is) when: fewer than 34 bytes, magic differs, lib_version <
//    0x0940, version_needed > 0x2080 (MINILZO_VERSION of GRUB's minilzo), the name is cut off, or
//    the header checksum (CRC32 with flag F_H_CRC32 0x1000, else Adler-32, over the bytes after
//    the magic and the name) does not match. The method byte is not checked: every block goes
//    through lzo1x_decompress_safe().
//  * Still at open time, calculate_uncompressed_size() walks every block header: usize (BE32),
//    0 = end of stream, which must be exactly at the end of the file; csize > usize is
//    corrupt; a 4-byte data check follows if F_ADLER32_D (1) or F_CRC32_D (0x100); a 4-byte
//    compressed-data check if F_ADLER32_C (2) or F_CRC32_C (0x200) and csize != usize (for a
//    stored block the uncompressed-data check field is reused, read_block_header()). Any failure
//    here (truncation, trailing bytes, csize > usize) also means "not lzop": loaded as it is.
//  * Reading (uncompress_block()): compressed-data check over the stored bytes, then (csize !=
//    usize) lzo1x_decompress_safe() and the data check; a stored block (csize == usize) is taken
//    as it is and its data check is NOT verified. Any failure fails the load ("lzop file
//    corrupted"). CRC32 wins over Adler-32 when both flags are set.
//
// Here: the same header test and block walk (fallback only once the whole walk is known, because
// GRUB walks all block headers before decoding anything), liblzo2's lzo1x_decompress_safe(), and
// two stricter rules: a block must decompress to exactly usize bytes (GRUB would hand over
// uninitialised memory for the rest) and blocks are limited to lzop's own 64 MiB maximum.
#include <lzo/lzo1x.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tlaunch/policy/host/grubio/decompress_codecs.h"

namespace tlaunch::host::grubio {
namespace {

constexpr uint8_t kMagic[9] = {0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A};
constexpr size_t kFixedHeader = 34;  // sizeof(struct lzop_header), packed
constexpr uint32_t kAdler32D = 0x1, kAdler32C = 0x2, kCrc32D = 0x100, kCrc32C = 0x200;
constexpr uint32_t kHeaderCrc32 = 0x1000;
constexpr uint16_t kNewLib = 0x0940, kMinilzoVersion = 0x2080;
constexpr uint32_t kMaxBlock = uint32_t{64} << 20;  // lzop's MAX_BLOCK_SIZE

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
std::string hex(uint32_t v, int width) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%0*x", width, v);
  return b;
}

uint32_t checksum(bool crc, const uint8_t* p, size_t n) {
  return crc ? static_cast<uint32_t>(crc32_z(0, p, n)) : static_cast<uint32_t>(adler32_z(1, p, n));
}

class LzopDecoder final : public Decoder {
 public:
  Sniff sniff(ByteSpan h, bool eof) override {
    if (h.size == 0) return Sniff{eof ? SniffKind::kAbsent : SniffKind::kNeedMore, {}};
    if (std::memcmp(h.data, kMagic, std::min(h.size, sizeof(kMagic))) != 0)
      return Sniff{SniffKind::kAbsent, {}};
    const Sniff more{SniffKind::kNeedMore, {}};
    if (h.size < sizeof(kMagic)) return eof ? Sniff{SniffKind::kAbsent, {}} : more;
    if (h.size < kFixedHeader)
      return eof ? fallback("the data is shorter than the 34-byte lzop header GRUB 2.06 reads")
                 : more;
    const uint16_t lib = be16(h.data + 11), needed = be16(h.data + 13);
    if (lib < kNewLib)
      return fallback("the header's LZO library version " + hex(lib, 4) + " is older than " +
                      hex(kNewLib, 4));
    if (needed > kMinilzoVersion)
      return fallback("the header needs LZO " + hex(needed, 4) + " to extract; GRUB 2.06 has " +
                      hex(kMinilzoVersion, 4));
    const uint32_t flags = be32(h.data + 17);
    const size_t name_len = h[33];
    const size_t end = kFixedHeader + name_len + 4;
    if (h.size < end)
      return eof ? fallback("the lzop header (file name, checksum) is cut off") : more;
    const uint32_t want = be32(h.data + kFixedHeader + name_len);
    const uint32_t got = checksum(flags & kHeaderCrc32, h.data + 9, kFixedHeader - 9 + name_len);
    if (want != got)
      return fallback("lzop header checksum mismatch (stored " + hex(want, 8) + ", computed " +
                      hex(got, 8) + "; a header with a filter field also ends up here)");
    has_ucheck_ = flags & (kCrc32D | kAdler32D);
    ucheck_crc_ = flags & kCrc32D;
    has_ccheck_ = flags & (kCrc32C | kAdler32C);
    ccheck_crc_ = flags & kCrc32C;
    header_len_ = end;
    return Sniff{SniffKind::kDecode, {}};
  }

  void feed(ByteSpan in, ByteSink& out) override {
    const uint64_t base = in_off_;
    in_off_ += in.size;
    size_t pos = 0;
    while (pos < in.size && walk_error_.empty()) {
      switch (st_) {
        case St::kHeader: {
          const size_t take =
              static_cast<size_t>(std::min<uint64_t>(in.size - pos, header_len_ - skipped_));
          skipped_ += take;
          pos += take;
          if (skipped_ == header_len_) begin_field(St::kUsize, 4, base + pos);
          break;
        }
        case St::kUsize:
          if (!collect(in, pos)) break;
          usize_ = be32(field_);
          if (usize_ == 0) {
            end_off_ = base + pos;
            st_ = St::kEnd;
          } else {
            begin_field(St::kCsize, 4, block_off_);
          }
          break;
        case St::kCsize: {
          if (!collect(in, pos)) break;
          csize_ = be32(field_);
          if (csize_ > usize_) {
            walk_error_ = "block " + std::to_string(block_) + " at byte offset " +
                          std::to_string(block_off_) + " claims " + std::to_string(csize_) +
                          " compressed bytes for " + std::to_string(usize_) + " bytes";
            break;
          }
          const size_t checks = (has_ucheck_ ? 4 : 0) + (has_ccheck_ && csize_ != usize_ ? 4 : 0);
          begin_field(St::kChecks, checks, block_off_);
          if (checks == 0) start_data();
          break;
        }
        case St::kChecks:
          if (!collect(in, pos)) break;
          if (has_ucheck_) ucheck_ = be32(field_);
          // read_block_header(): a stored block reuses the data check as its compressed check
          // (a stale value when the file has no data check).
          ccheck_ = !has_ccheck_       ? 0
                    : csize_ == usize_ ? ucheck_
                                       : be32(field_ + (has_ucheck_ ? 4 : 0));
          start_data();
          break;
        case St::kData: {
          const size_t take =
              static_cast<size_t>(std::min<uint64_t>(in.size - pos, csize_ - data_have_));
          if (!skip_ && take != 0) std::memcpy(cbuf_.data() + data_have_, in.data + pos, take);
          data_have_ += take;
          pos += take;
          if (data_have_ == csize_) {
            if (!skip_) process_block(out);
            ++block_;
            begin_field(St::kUsize, 4, base + pos);
          }
          break;
        }
        case St::kEnd:
          trailing_ += in.size - pos;
          pos = in.size;
          break;
      }
    }
  }

  DecodeEnd end(ByteSink&) override {
    DecodeEnd e;
    if (walk_error_.empty() && st_ == St::kEnd && trailing_ != 0)
      walk_error_ = std::to_string(trailing_) +
                    " bytes follow the lzop end-of-stream marker at byte offset " +
                    std::to_string(end_off_ - 4);
    if (walk_error_.empty() && st_ != St::kEnd)
      walk_error_ = "the lzop data is cut off by the end of the data at byte offset " +
                    std::to_string(in_off_) + " (block " + std::to_string(block_) +
                    ") before the end-of-stream marker";
    if (!walk_error_.empty()) {
      e.kind = EndKind::kFallback;
      e.message = walk_error_;
      if (!data_error_.empty()) e.message += " (and: " + data_error_ + ")";
      return e;
    }
    if (!data_error_.empty()) {
      e.kind = EndKind::kFailed;
      e.code = data_code_;
      e.message = "lzop: " + data_error_;
      return e;
    }
    e.kind = EndKind::kDecoded;
    if (bad_stored_ != 0)
      e.quirks.push_back(first_bad_stored_ +
                         " is stored (incompressible) and its data checksum "
                         "does not match (" +
                         std::to_string(bad_stored_) +
                         " such blocks); GRUB 2.06 does not verify stored blocks and loads the "
                         "damaged bytes");
    return e;
  }

  bool hopeless() const override { return false; }  // the block walk may still fall back

 private:
  enum class St : uint8_t { kHeader, kUsize, kCsize, kChecks, kData, kEnd };

  static Sniff fallback(std::string why) { return Sniff{SniffKind::kFallback, std::move(why)}; }

  void begin_field(St st, size_t need, uint64_t block_off) {
    st_ = st;
    field_need_ = need;
    field_have_ = 0;
    if (st == St::kUsize) block_off_ = block_off;
  }

  bool collect(ByteSpan in, size_t& pos) {
    const size_t take = std::min(in.size - pos, field_need_ - field_have_);
    std::memcpy(field_ + field_have_, in.data + pos, take);
    field_have_ += take;
    pos += take;
    return field_have_ == field_need_;
  }

  void start_data() {
    st_ = St::kData;
    data_have_ = 0;
    if (!skip_ && usize_ > kMaxBlock)
      data_fail(Errc::kTooLarge,
                "block " + std::to_string(block_) + " at byte offset " +
                    std::to_string(block_off_) + " holds " + std::to_string(usize_) +
                    " bytes, more than lzop's 64 MiB block maximum; not supported by tlaunch");
    if (!skip_) cbuf_.resize(csize_);
  }

  void data_fail(Errc code, std::string what) {
    if (data_error_.empty()) {
      data_code_ = code;
      data_error_ = std::move(what);
    }
    skip_ = true;  // keep walking the block headers: a walk failure makes GRUB fall back
    std::vector<uint8_t>().swap(cbuf_);
    std::vector<uint8_t>().swap(ubuf_);
  }

  void process_block(ByteSink& out) {
    const std::string where =
        "block " + std::to_string(block_) + " at byte offset " + std::to_string(block_off_);
    const char* gfail = "; GRUB 2.06 fails to load it (lzop file corrupted)";
    if (has_ccheck_ && checksum(ccheck_crc_, cbuf_.data(), csize_) != ccheck_)
      return data_fail(Errc::kBadValue,
                       where + ": checksum of the compressed data does not match" + gfail);
    if (csize_ == usize_) {
      // GRUB takes a stored block as it is: its data check is never compared.
      if (has_ucheck_ && checksum(ucheck_crc_, cbuf_.data(), csize_) != ucheck_) {
        if (bad_stored_++ == 0) first_bad_stored_ = where;
      }
      out.write(ByteSpan(cbuf_.data(), csize_));
      return;
    }
    if (!lzo_ok_) return data_fail(Errc::kInternal, "liblzo2 does not match its headers");
    ubuf_.resize(usize_);
    lzo_uint out_len = usize_;
    const int r = lzo1x_decompress_safe(cbuf_.data(), csize_, ubuf_.data(), &out_len, nullptr);
    if (r != LZO_E_OK)
      return data_fail(Errc::kBadValue, where + ": corrupt LZO1X data (liblzo2 error " +
                                            std::to_string(r) + ")" + gfail);
    if (out_len != usize_)
      return data_fail(
          Errc::kBadValue,
          where + ": decompresses to " + std::to_string(out_len) + " bytes, not the " +
              std::to_string(usize_) +
              " its header says; GRUB 2.06 would hand over uninitialised memory for the rest");
    if (has_ucheck_ && checksum(ucheck_crc_, ubuf_.data(), usize_) != ucheck_)
      return data_fail(Errc::kBadValue,
                       where + ": checksum of the decompressed data does not match" + gfail);
    out.write(ByteSpan(ubuf_.data(), usize_));
  }

  bool has_ucheck_ = false, ucheck_crc_ = false, has_ccheck_ = false, ccheck_crc_ = false;
  size_t header_len_ = 0;
  uint64_t skipped_ = 0;
  uint64_t in_off_ = 0;
  St st_ = St::kHeader;
  uint8_t field_[8] = {};
  size_t field_need_ = 0, field_have_ = 0;
  uint32_t usize_ = 0, csize_ = 0, ucheck_ = 0, ccheck_ = 0;
  uint64_t block_ = 0, block_off_ = 0, end_off_ = 0, trailing_ = 0;
  bool lzo_ok_ = lzo_init() == LZO_E_OK;  // checks the library matches its headers (lzoconf.h)
  uint32_t data_have_ = 0;
  bool skip_ = false;
  uint64_t bad_stored_ = 0;
  std::string first_bad_stored_;
  std::vector<uint8_t> cbuf_, ubuf_;
  std::string walk_error_;
  Errc data_code_ = Errc::kOk;
  std::string data_error_;
};

}  // namespace

std::unique_ptr<Decoder> make_lzop_decoder() { return std::make_unique<LzopDecoder>(); }

}  // namespace tlaunch::host::grubio
