// Compressed streams built in the tests, in the layouts GRUB 2.06 reads (grub-core/io/gzio.c,
// xzio.c, lzopio.c): gzip members and xz streams made with zlib and liblzma, lzop files assembled
// here around liblzo2 (GRUB's lzopio reads no filter field). Used by the decompression unit tests
// (tests/unit/hash_decompress_test.cpp) and fuzz target (tests/fuzz/fuzz_decompress.cpp), which
// then damage them on purpose. A library failure aborts: these inputs are always encodable.
#pragma once

#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

namespace tlaunch::testing {

using StreamBytes = std::vector<uint8_t>;

inline void require(bool ok) {
  if (!ok) std::abort();
}

// Byte by byte on purpose: GCC 12 -O2 reports false -Warray-bounds / -Wstringop-overflow for
// std::vector range inserts into small vectors, which breaks Release builds with -Werror.
inline void append(StreamBytes& b, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) b.push_back(p[i]);
}
inline void append(StreamBytes& b, std::initializer_list<uint8_t> l) {
  for (uint8_t x : l) b.push_back(x);
}

inline void put_le32(StreamBytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_be32(StreamBytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_be16(StreamBytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

inline StreamBytes raw_deflate(const StreamBytes& data, int level = 6) {
  z_stream z{};
  require(deflateInit2(&z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  StreamBytes out(deflateBound(&z, data.size()) + 16);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  require(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct GzOpts {
  uint8_t magic2 = 0x8B;
  uint8_t method = 8;
  uint8_t flags = 0;
  std::string name;
  int level = 6;
};

// A gzip member (RFC 1952): header, raw deflate, CRC32, ISIZE.
inline StreamBytes gzip(const StreamBytes& data, const GzOpts& o = {}) {
  StreamBytes g;
  append(g, {0x1F, o.magic2, o.method, o.flags, 0, 0, 0, 0, 0, 3});
  if (o.flags & 0x04) append(g, {4, 0, 'a', 'b', 'c', 'd'});
  if (o.flags & 0x08) {
    append(g, reinterpret_cast<const uint8_t*>(o.name.data()), o.name.size());
    g.push_back(0);
  }
  if (o.flags & 0x02) append(g, {0x12, 0x34});  // FHCRC (value irrelevant to GRUB)
  const StreamBytes d = raw_deflate(data, o.level);
  append(g, d.data(), d.size());
  put_le32(g, static_cast<uint32_t>(crc32_z(0, data.data(), data.size())));
  put_le32(g, static_cast<uint32_t>(data.size()));
  return g;
}

// One xz stream; `bcj`: a branch filter before LZMA2 (LZMA_FILTER_X86, ...) or none.
inline StreamBytes xz(const StreamBytes& data, lzma_check check = LZMA_CHECK_CRC64,
                      lzma_vli bcj = LZMA_VLI_UNKNOWN, uint32_t dict = 1u << 20,
                      uint32_t preset = 1) {
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, preset);
  opt.dict_size = dict;
  lzma_filter filters[3];
  size_t i = 0;
  if (bcj != LZMA_VLI_UNKNOWN) filters[i++] = {bcj, nullptr};
  filters[i++] = {LZMA_FILTER_LZMA2, &opt};
  filters[i] = {LZMA_VLI_UNKNOWN, nullptr};
  StreamBytes out(lzma_stream_buffer_bound(data.size()) + 64);
  size_t pos = 0;
  require(lzma_stream_buffer_encode(filters, check, nullptr, data.data(), data.size(), out.data(),
                                    &pos, out.size()) == LZMA_OK);
  out.resize(pos);
  return out;
}

struct LzopOpts {
  // F_ADLER32_D 0x1 (lzop's default), F_ADLER32_C 0x2, F_CRC32_D 0x100, F_CRC32_C 0x200,
  // F_H_CRC32 0x1000.
  uint32_t flags = 0x1;
  uint16_t lib_version = 0x20a0;
  uint16_t needed = 0x0940;
  size_t block = 256 * 1024;
  bool corrupt_header_checksum = false;
};

inline uint32_t lz_check(bool crc, const uint8_t* p, size_t n) {
  return crc ? static_cast<uint32_t>(crc32_z(0, p, n)) : static_cast<uint32_t>(adler32_z(1, p, n));
}

// An lzop file: 9-byte magic, 25-byte header + name "a.b", header check (the first block header
// starts at byte 41), blocks (usize, csize, checks, data; stored when compression does not
// help), a zero usize at the end.
inline StreamBytes lzop(const StreamBytes& data, const LzopOpts& o = {}) {
  static const bool init = lzo_init() == LZO_E_OK;
  require(init);
  StreamBytes f;
  append(f, {0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A});
  StreamBytes h;
  put_be16(h, 0x1040);
  put_be16(h, o.lib_version);
  put_be16(h, o.needed);
  h.push_back(1);  // method M_LZO1X_1
  h.push_back(5);  // level
  put_be32(h, o.flags);
  put_be32(h, 0100644);  // mode
  put_be32(h, 0);        // mtime low
  put_be32(h, 0);        // mtime high
  h.push_back(3);
  append(h, {'a', '.', 'b'});
  uint32_t hc = lz_check((o.flags & 0x1000) != 0, h.data(), h.size());
  if (o.corrupt_header_checksum) hc ^= 1;
  append(f, h.data(), h.size());
  put_be32(f, hc);
  std::vector<uint8_t> wrk(LZO1X_1_MEM_COMPRESS);
  for (size_t off = 0; off < data.size(); off += o.block) {
    const size_t n = std::min(o.block, data.size() - off);
    StreamBytes c(n + n / 16 + 64 + 3);
    lzo_uint clen = 0;
    require(lzo1x_1_compress(data.data() + off, n, c.data(), &clen, wrk.data()) == LZO_E_OK);
    const bool stored = clen >= n;
    put_be32(f, static_cast<uint32_t>(n));
    put_be32(f, static_cast<uint32_t>(stored ? n : clen));
    if (o.flags & 0x101) put_be32(f, lz_check((o.flags & 0x100) != 0, data.data() + off, n));
    if ((o.flags & 0x202) && !stored) put_be32(f, lz_check((o.flags & 0x200) != 0, c.data(), clen));
    const uint8_t* src = stored ? data.data() + off : c.data();
    append(f, src, stored ? n : clen);
  }
  put_be32(f, 0);
  return f;
}

}  // namespace tlaunch::testing
