// Bounds-checked readers/writers (CONVENTIONS §3). TXT/LCP/VLP structures are little-endian;
// the TPM 2.0 wire format is big-endian (TCG TPM 2.0 Library Part 1, "Marshaling").
// Every read names the field it reads so that a decode error carries the field and byte offset.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/result.h"

namespace tlaunch {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(ByteSpan in, size_t base_offset = 0) : in_(in), base_(base_offset) {}

  size_t offset() const { return pos_; }
  // Offset in the outermost input (for nested readers), used in error reports.
  uint32_t abs_offset() const { return static_cast<uint32_t>(base_ + pos_); }
  size_t remaining() const { return in_.size - pos_; }
  bool at_end() const { return pos_ == in_.size; }
  ByteSpan input() const { return in_; }

  Result<uint8_t> u8(const char* field) {
    if (remaining() < 1) return truncated(field);
    return in_[pos_++];
  }
  Result<uint16_t> le16(const char* field) {
    if (remaining() < 2) return truncated(field);
    uint16_t v = static_cast<uint16_t>(in_[pos_] | (in_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  Result<uint32_t> le32(const char* field) {
    if (remaining() < 4) return truncated(field);
    uint32_t v = static_cast<uint32_t>(in_[pos_]) | (static_cast<uint32_t>(in_[pos_ + 1]) << 8) |
                 (static_cast<uint32_t>(in_[pos_ + 2]) << 16) |
                 (static_cast<uint32_t>(in_[pos_ + 3]) << 24);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> le64(const char* field) {
    if (remaining() < 8) return truncated(field);
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | in_[pos_ + static_cast<size_t>(i)];
    pos_ += 8;
    return v;
  }
  Result<uint16_t> be16(const char* field) {
    if (remaining() < 2) return truncated(field);
    uint16_t v = static_cast<uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  Result<uint32_t> be32(const char* field) {
    if (remaining() < 4) return truncated(field);
    uint32_t v = (static_cast<uint32_t>(in_[pos_]) << 24) |
                 (static_cast<uint32_t>(in_[pos_ + 1]) << 16) |
                 (static_cast<uint32_t>(in_[pos_ + 2]) << 8) | static_cast<uint32_t>(in_[pos_ + 3]);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> be64(const char* field) {
    if (remaining() < 8) return truncated(field);
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | in_[pos_ + i];
    pos_ += 8;
    return v;
  }
  // A view of the next n bytes.
  Result<ByteSpan> bytes(size_t n, const char* field) {
    if (remaining() < n) return truncated(field);
    ByteSpan s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Status skip(size_t n, const char* field) {
    if (remaining() < n) return truncated(field);
    pos_ += n;
    return ok_status();
  }
  // A reader over the next n bytes whose error offsets stay absolute.
  Result<ByteReader> sub(size_t n, const char* field) {
    if (remaining() < n) return truncated(field);
    ByteReader r(in_.subspan(pos_, n), base_ + pos_);
    pos_ += n;
    return r;
  }
  Status seek(size_t pos, const char* field) {
    if (pos > in_.size) return truncated(field);
    pos_ = pos;
    return ok_status();
  }

  Error error_here(Errc code, const char* message, const char* field) const {
    return make_error(code, message, field, abs_offset());
  }

 private:
  Error truncated(const char* field) const {
    return make_error(Errc::kTruncated, "input ends inside this field", field, abs_offset());
  }
  ByteSpan in_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

// Writer into a caller-provided fixed buffer; overflow is an error, never a wild write.
class ByteWriter {
 public:
  explicit ByteWriter(MutableByteSpan out) : out_(out) {}
  size_t size() const { return pos_; }
  ByteSpan written() const { return ByteSpan(out_.data, pos_); }
  bool overflowed() const { return overflow_; }
  Status status() const {
    if (overflow_) return make_error(Errc::kTooLarge, "output does not fit its buffer");
    return ok_status();
  }

  void u8(uint8_t v) { put(&v, 1); }
  void le16(uint16_t v) {
    uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
    put(b, 2);
  }
  void le32(uint32_t v) {
    uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                    static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    put(b, 4);
  }
  void le64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void be16(uint16_t v) {
    uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 2);
  }
  void be32(uint32_t v) {
    uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                    static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 4);
  }
  void be64(uint64_t v) {
    for (int i = 7; i >= 0; --i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void bytes(ByteSpan s) { put(s.data, s.size); }
  void zeros(size_t n) {
    for (size_t i = 0; i < n; ++i) u8(0);
  }
  // Overwrite already-written bytes (e.g. a size field known only at the end).
  void patch_le32(size_t at, uint32_t v) {
    if (at + 4 > pos_) {
      overflow_ = true;
      return;
    }
    for (int i = 0; i < 4; ++i)
      out_.data[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  }
  void patch_be16(size_t at, uint16_t v) {
    if (at + 2 > pos_) {
      overflow_ = true;
      return;
    }
    out_.data[at] = static_cast<uint8_t>(v >> 8);
    out_.data[at + 1] = static_cast<uint8_t>(v);
  }
  void patch_be32(size_t at, uint32_t v) {
    if (at + 4 > pos_) {
      overflow_ = true;
      return;
    }
    for (int i = 0; i < 4; ++i)
      out_.data[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
  }

 private:
  void put(const uint8_t* p, size_t n) {
    if (overflow_ || n > out_.size - pos_) {
      overflow_ = true;
      return;
    }
    copy_bytes(out_.data + pos_, p, n);
    pos_ += n;
  }
  MutableByteSpan out_;
  size_t pos_ = 0;
  bool overflow_ = false;
};

}  // namespace tlaunch
