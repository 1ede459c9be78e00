// GRUB 2.06-compatible decompression chain (decompress.h): valid streams decode to the original
// bytes whatever the chunking; every GRUB decision rule (fallback vs failure vs prefix) is
// exercised with streams built here with zlib, liblzma and liblzo2 and then damaged on purpose.
#include <gtest/gtest.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../common/compressed_streams.h"
#include "tlaunch/policy/host/grubio/decompress.h"
#include "tlaunch/policy/host/grubio/decompress_codecs.h"

namespace tlaunch::host {
namespace {

using Bytes = std::vector<uint8_t>;

// Compressible but not trivial content: text-like runs with pseudo-random words.
Bytes sample(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  static const char* words[] = {"module2 ", "tboot ", "vmlinuz ",  "initrd ",
                                "0x1000 ",  "\n",     "measured ", "launch "};
  Bytes out;
  out.reserve(n);
  while (out.size() < n) {
    const char* w = words[rng() % 8];
    for (const char* p = w; *p && out.size() < n; ++p) out.push_back(static_cast<uint8_t>(*p));
    if (rng() % 5 == 0 && out.size() < n) out.push_back(static_cast<uint8_t>(rng()));
  }
  return out;
}

Bytes random_bytes(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

using testing::gzip;
using testing::GzOpts;
using testing::lz_check;
using testing::lzop;
using testing::LzopOpts;
using testing::put_be16;
using testing::put_be32;
using testing::put_le32;
using testing::raw_deflate;
using testing::xz;

class VectorSink final : public ByteSink {
 public:
  void write(ByteSpan d) override { bytes.insert(bytes.end(), d.data, d.data + d.size); }
  Bytes bytes;
};

struct Decoded {
  GrubChainResult result;
  Bytes loaded;  // the bytes GRUB hands over according to result.loaded_from
};

Expected<Decoded> run_chain(const Bytes& in, bool allow_fallback = false, size_t chunk = 0) {
  VectorSink out, tap1, tap2;
  GrubChainOptions o;
  o.allow_fallback = allow_fallback;
  o.name = "f";
  GrubFilterChain chain(out, o, {nullptr, &tap1, &tap2});
  if (chunk == 0) chunk = in.size() + 1;
  for (size_t off = 0; off < in.size(); off += chunk)
    chain.push(ByteSpan(in.data() + off, std::min(chunk, in.size() - off)));
  auto r = chain.finish();
  if (!r) return r.failure();
  Decoded d;
  d.result = *r;
  switch (r->loaded_from) {
    case -1:
      d.loaded = out.bytes;
      break;
    case 0:
      d.loaded = in;
      break;
    case 1:
      d.loaded = tap1.bytes;
      break;
    default:
      d.loaded = tap2.bytes;
      break;
  }
  EXPECT_EQ(d.loaded.size(), r->loaded_size);
  return d;
}

// The chain's message, or "" on success.
std::string error_of(const Bytes& in, bool allow = false) {
  auto r = run_chain(in, allow);
  return r ? std::string() : r.failure().message;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ------------------------------------------------------------------------------------- plain

TEST(GrubChain, UncompressedDataPassesThrough) {
  for (const Bytes& in : {Bytes{}, Bytes{0x1F}, Bytes{'h', 'i'}, random_bytes(100000)}) {
    auto r = run_chain(in);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, in);
    EXPECT_TRUE(r->result.layers.empty());
  }
}

// ------------------------------------------------------------------------------------- gzip

TEST(GrubGzip, DecodesWhateverTheChunking) {
  const Bytes data = sample(300000);
  const Bytes gz = gzip(data);
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}, size_t{65536}, size_t{0}}) {
    if (chunk == 1 && gz.size() > 20000) {
      // One byte at a time through the whole file is slow under ASan: a smaller file.
      const Bytes small = sample(5000, 3);
      auto r = run_chain(gzip(small), false, 1);
      ASSERT_TRUE(r) << r.failure().message;
      EXPECT_EQ(r->loaded, small);
      continue;
    }
    auto r = run_chain(gz, false, chunk);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, data);
    ASSERT_EQ(r->result.layers.size(), 1u);
    EXPECT_EQ(r->result.layers[0].codec, Codec::kGzip);
    EXPECT_TRUE(r->result.layers[0].decompressed);
    EXPECT_EQ(r->result.layers[0].input_size, gz.size());
    EXPECT_EQ(r->result.layers[0].output_size, data.size());
  }
}

TEST(GrubGzip, OldMagicNameExtraAndEmpty) {
  const Bytes data = sample(1000);
  GzOpts old;
  old.magic2 = 0x9E;  // gzio.c OLD_GZIP_MAGIC
  auto r = run_chain(gzip(data, old));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, data);
  GzOpts named;
  named.flags = 0x08 | 0x04 | 0x10;
  named.name = "vmlinuz";
  Bytes g = gzip(data, {0x8B, 8, 0x0C, "vmlinuz"});
  r = run_chain(g);
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, data);
  r = run_chain(gzip(Bytes{}));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_TRUE(r->loaded.empty());
  EXPECT_EQ(r->result.layers.size(), 1u);
}

TEST(GrubGzip, HeaderTestFailuresFallBackToTheRawFile) {
  const Bytes data = sample(2000);
  GzOpts hcrc;
  hcrc.flags = 0x02;  // FHCRC: GRUB's "continuation" flag
  GzOpts method;
  method.method = 7;
  const Bytes short_file = {0x1F, 0x8B, 8, 0, 0};
  Bytes name_cut = {0x1F, 0x8B, 8, 0x08, 0, 0, 0, 0, 0, 3, 'a', 'b'};
  for (const Bytes& in : {gzip(data, hcrc), gzip(data, method), short_file, name_cut}) {
    const std::string e = error_of(in);
    EXPECT_TRUE(contains(e, "does not decompress it")) << e;
    EXPECT_TRUE(contains(e, "--allow-fallback")) << e;
    auto r = run_chain(in, true);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, in);  // GRUB loads the file as it is
    ASSERT_EQ(r->result.layers.size(), 1u);
    EXPECT_FALSE(r->result.layers[0].decompressed);
    EXPECT_FALSE(r->result.warnings.empty());
  }
  EXPECT_TRUE(contains(error_of(gzip(data, hcrc)), "FHCRC"));
  EXPECT_TRUE(contains(error_of(gzip(data, method)), "method 7"));
}

TEST(GrubGzip, TruncatedIsAnErrorNeverAPrefix) {
  const Bytes gz = gzip(sample(200000));
  for (size_t cut : {size_t{20}, gz.size() / 2, gz.size() - 9, gz.size() - 3}) {
    Bytes t(gz.begin(), gz.begin() + cut);
    for (bool allow : {false, true}) {
      auto r = run_chain(t, allow);
      ASSERT_FALSE(r) << "cut at " << cut;
      EXPECT_EQ(r.failure().code, Errc::kTruncated) << r.failure().message;
      EXPECT_TRUE(contains(r.failure().message, "truncated")) << r.failure().message;
      EXPECT_TRUE(contains(r.failure().message, "f: gzip:")) << r.failure().message;
    }
  }
}

TEST(GrubGzip, CorruptDeflateDataNamesTheOffset) {
  Bytes gz = gzip(sample(1000));
  gz[10] = 0xFF;  // first deflate block header: BTYPE 11 (reserved)
  auto r = run_chain(gz, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, Errc::kBadValue);
  EXPECT_TRUE(contains(r.failure().message, "corrupt deflate data near byte offset 10"))
      << r.failure().message;
  EXPECT_TRUE(contains(r.failure().message, "invalid block type")) << r.failure().message;
}

TEST(GrubGzip, CrcAndSizeTrailer) {
  const Bytes data = sample(70000);
  Bytes bad_crc = gzip(data);
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  EXPECT_TRUE(contains(error_of(bad_crc, true), "CRC32 mismatch"));
  Bytes big_size = gzip(data);
  big_size[big_size.size() - 4] += 1;  // ISIZE one more than the data
  std::string e = error_of(big_size, true);
  EXPECT_TRUE(contains(e, "premature end")) << e;
  Bytes small_size = gzip(data);
  small_size[small_size.size() - 4] -= 1;  // ISIZE one less: GRUB would load a prefix
  e = error_of(small_size, true);
  EXPECT_TRUE(contains(e, "only the first 69999 bytes")) << e;
  EXPECT_TRUE(contains(e, "prefix")) << e;
}

TEST(GrubGzip, MultiMemberAndTrailingData) {
  const Bytes a = sample(5000, 1), b = sample(6000, 2);
  // Two different members: GRUB decodes only the first but takes ISIZE from the second.
  std::string e = error_of(cat(gzip(a), gzip(b)), true);
  EXPECT_TRUE(contains(e, "another gzip member")) << e;
  EXPECT_TRUE(contains(e, "premature end")) << e;
  // Zero padding after the member: ISIZE read from the padding is 0 -> an empty module in GRUB.
  e = error_of(cat(gzip(a), Bytes(16, 0)), true);
  EXPECT_TRUE(contains(e, "empty module")) << e;
  // Two identical members: the tail matches the first member, GRUB loads it once.
  auto r = run_chain(cat(gzip(a), gzip(a)));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, a);
  ASSERT_EQ(r->result.warnings.size(), 1u);
  EXPECT_TRUE(contains(r->result.warnings[0], "another gzip member")) << r->result.warnings[0];
}

// --------------------------------------------------------------------------------------- xz

TEST(GrubXz, DecodesEveryGrubCheckType) {
  const Bytes data = sample(400000);
  for (lzma_check c : {LZMA_CHECK_NONE, LZMA_CHECK_CRC32, LZMA_CHECK_CRC64, LZMA_CHECK_SHA256}) {
    const Bytes x = xz(data, c);
    for (size_t chunk : {size_t{0}, size_t{777}}) {
      auto r = run_chain(x, false, chunk);
      ASSERT_TRUE(r) << r.failure().message;
      EXPECT_EQ(r->loaded, data);
      ASSERT_EQ(r->result.layers.size(), 1u);
      EXPECT_EQ(r->result.layers[0].codec, Codec::kXz);
    }
  }
  auto r = run_chain(xz(data, LZMA_CHECK_CRC64, LZMA_FILTER_X86));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, data);
}

TEST(GrubXz, TruncatedOrPaddedFallsBackToRaw) {
  const Bytes x = xz(sample(100000));
  const Bytes truncated(x.begin(), x.begin() + x.size() / 2);
  const Bytes padded = cat(x, Bytes(4, 0));  // valid xz stream padding, but not "YZ" at the end
  for (const Bytes& in : {truncated, padded}) {
    const std::string e = error_of(in);
    EXPECT_TRUE(contains(e, "\"YZ\"")) << e;
    EXPECT_TRUE(contains(e, "undecompressed")) << e;
    auto r = run_chain(in, true);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, in);
    EXPECT_FALSE(r->result.layers.at(0).decompressed);
  }
}

TEST(GrubXz, CorruptDataFailsTheLoad) {
  Bytes x = xz(sample(100000));
  x[x.size() / 2] ^= 0x55;  // inside the compressed data; footer intact
  auto r = run_chain(x, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, Errc::kBadValue) << r.failure().message;
  EXPECT_TRUE(contains(r.failure().message, "GRUB 2.06 fails to load it")) << r.failure().message;
  EXPECT_TRUE(contains(r.failure().message, "byte offset")) << r.failure().message;
}

TEST(GrubXz, MultiStream) {
  const Bytes a = sample(3000, 4), b = sample(4000, 5);
  std::string e = error_of(cat(xz(a), xz(b)), true);
  EXPECT_TRUE(contains(e, "announces 4000 bytes but the first stream holds 3000")) << e;
  auto r = run_chain(cat(xz(a), xz(a)));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, a);
  EXPECT_EQ(r->result.warnings.size(), 1u);
}

// Offset of the LZMA2 dictionary byte in the first block header (xz file format 3.1: size,
// flags, optional Compressed/Uncompressed Size VLIs, then Filter Flags: id, props size, props).
size_t lzma2_dict_offset(const Bytes& x) {
  size_t p = 12 + 2;
  auto skip_vli = [&] {
    while (x[p++] & 0x80) {
    }
  };
  const uint8_t flags = x[13];
  if (flags & 0x40) skip_vli();
  if (flags & 0x80) skip_vli();
  EXPECT_EQ(flags & 0x03, 0);  // one filter
  EXPECT_EQ(x[p], 0x21);       // LZMA2
  EXPECT_EQ(x[p + 1], 0x01);   // one property byte
  return p + 2;
}

// Sets a byte of the first block header and fixes its CRC32, as an encoder would write it.
Bytes patch_block_header(Bytes x, size_t offset, uint8_t value) {
  const size_t bh = 12, size = (size_t{x[bh]} + 1) * 4;
  x[offset] = value;
  const uint32_t c = lzma_crc32(x.data() + bh, size - 4, 0);
  for (int i = 0; i < 4; ++i) x[bh + size - 4 + i] = static_cast<uint8_t>(c >> (8 * i));
  return x;
}

TEST(GrubXz, FiltersGrubLacksFailTheLoad) {
  const Bytes data = sample(20000);
  std::string e = error_of(xz(data, LZMA_CHECK_CRC64, LZMA_FILTER_ARM64), true);
  EXPECT_TRUE(contains(e, "not one of the BCJ filters GRUB 2.06 has")) << e;
  // LZMA2 dictionary byte 32 = 256 MiB > GRUB's DICT_BIT_SIZE limit (props <= 30).
  const Bytes x = xz(data);
  e = error_of(patch_block_header(x, lzma2_dict_offset(x), 32), true);
  EXPECT_TRUE(contains(e, "256 MiB")) << e;
  EXPECT_TRUE(contains(e, "at most 128 MiB")) << e;
}

TEST(GrubXz, StreamHeaderTestFailuresFallBack) {
  Bytes x = xz(sample(5000));
  Bytes bad_check = x;
  bad_check[7] = 0x02;  // reserved check id, header CRC fixed below
  const uint32_t c = lzma_crc32(bad_check.data() + 6, 2, 0);
  for (int i = 0; i < 4; ++i) bad_check[8 + i] = static_cast<uint8_t>(c >> (8 * i));
  Bytes bad_crc = x;
  bad_crc[8] ^= 1;
  for (const Bytes& in : {bad_check, bad_crc}) {
    EXPECT_TRUE(contains(error_of(in), "does not decompress it"));
    auto r = run_chain(in, true);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, in);
  }
}

TEST(GrubXz, FooterProbeFollowsGrubTestFooter) {
  const Bytes data = sample(50000);
  const Bytes x = xz(data);
  auto p = grubio::grub_xz_footer_test(ByteSpan(x.data(), x.size()), x.size());
  EXPECT_EQ(p.kind, grubio::XzFooterProbe::kOk);
  EXPECT_EQ(p.size, data.size());
  // Only the last 100 bytes kept: still enough for a one-block index.
  p = grubio::grub_xz_footer_test(ByteSpan(x.data() + x.size() - 100, 100), x.size());
  EXPECT_EQ(p.kind, grubio::XzFooterProbe::kOk);
  EXPECT_EQ(p.size, data.size());
  // Only the footer kept: the index lies before the kept bytes.
  p = grubio::grub_xz_footer_test(ByteSpan(x.data() + x.size() - 12, 12), x.size());
  EXPECT_EQ(p.kind, grubio::XzFooterProbe::kUnknown);
  const Bytes junk = {1, 2, 3, 'Y', 'Z'};
  p = grubio::grub_xz_footer_test(ByteSpan(junk.data(), junk.size()), junk.size());
  EXPECT_EQ(p.kind, grubio::XzFooterProbe::kFallback);
}

// ------------------------------------------------------------------------------------- lzop

TEST(GrubLzop, DecodesWithEveryCheckFlag) {
  Bytes data = sample(700000);
  const Bytes noise = random_bytes(300000);  // incompressible: stored blocks
  data = cat(data, noise);
  for (uint32_t flags : {0x0u, 0x1u, 0x100u, 0x3u, 0x300u, 0x1101u}) {
    LzopOpts o;
    o.flags = flags;
    for (size_t chunk : {size_t{0}, size_t{1000}}) {
      auto r = run_chain(lzop(data, o), false, chunk);
      ASSERT_TRUE(r) << "flags " << flags << ": " << r.failure().message;
      EXPECT_EQ(r->loaded, data);
      ASSERT_EQ(r->result.layers.size(), 1u);
      EXPECT_EQ(r->result.layers[0].codec, Codec::kLzop);
    }
  }
  auto r = run_chain(lzop(Bytes{}));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_TRUE(r->loaded.empty());
}

TEST(GrubLzop, WalkFailuresFallBackToRaw) {
  const Bytes l = lzop(sample(600000));
  const Bytes truncated(l.begin(), l.begin() + l.size() / 2);
  const Bytes trailing = cat(l, Bytes{0});
  LzopOpts bad;
  bad.corrupt_header_checksum = true;
  LzopOpts old;
  old.lib_version = 0x0930;
  LzopOpts newer;
  newer.needed = 0x2090;
  for (const Bytes& in : {truncated, trailing, lzop(sample(1000), bad), lzop(sample(1000), old),
                          lzop(sample(1000), newer)}) {
    const std::string e = error_of(in);
    EXPECT_TRUE(contains(e, "undecompressed")) << e;
    auto r = run_chain(in, true);
    ASSERT_TRUE(r) << r.failure().message;
    EXPECT_EQ(r->loaded, in);
  }
  EXPECT_TRUE(contains(error_of(trailing), "1 bytes follow the lzop end-of-stream marker"));
  EXPECT_TRUE(contains(error_of(truncated), "cut off"));
}

TEST(GrubLzop, CorruptBlockFailsTheLoad) {
  LzopOpts o;
  o.flags = 0x1;  // Adler-32 of the uncompressed data only
  Bytes l = lzop(sample(100000), o);
  // First block data starts after header (9 + 25 + 3 + 4 = 41) and usize, csize, adler (12).
  l[41 + 12 + 100] ^= 0x40;
  auto r = run_chain(l, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, Errc::kBadValue);
  EXPECT_TRUE(contains(r.failure().message, "block 0 at byte offset 41")) << r.failure().message;
  EXPECT_TRUE(contains(r.failure().message, "GRUB 2.06")) << r.failure().message;
}

// Fuzz finding (tests/fuzz/regressions/decompress/lzop-zero-size-block-memcpy-null): a block
// whose compressed size is 0 reached memcpy() with a null buffer (UBSan: undefined behaviour).
// Now, whatever the chunking: block 0 cannot be decoded, and the walk over the following "block
// headers" (read from block 0's data) fails, so GRUB's open-time test loads the file raw. Strict:
// an error naming the blocks; allow_fallback: GRUB's result, the raw file, with a warning.
TEST(GrubLzop, ZeroCompressedSizeBlock) {
  LzopOpts o;
  o.flags = 0x1;
  Bytes l = lzop(sample(3000), o);
  for (int i = 0; i < 4; ++i) l[41 + 4 + i] = 0;  // csize of block 0
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{45}, size_t{49}}) {
    auto strict = run_chain(l, false, chunk);
    ASSERT_FALSE(strict) << chunk;
    EXPECT_TRUE(contains(strict.failure().message, "block 0 at byte offset 41"))
        << strict.failure().message;
    auto grub = run_chain(l, true, chunk);
    ASSERT_TRUE(grub) << chunk << ": " << grub.failure().message;
    EXPECT_EQ(grub->loaded, l);
    EXPECT_FALSE(grub->result.warnings.empty());
  }
}

TEST(GrubLzop, StoredBlockCheckIsNotVerifiedByGrub) {
  // GRUB takes a stored block as it is (uncompress_block()): with a wrong data check it still
  // loads the damaged bytes. An error here unless allow_fallback asks for GRUB's result.
  const Bytes noise = random_bytes(1000);
  LzopOpts o;
  o.flags = 0x1;
  Bytes l = lzop(noise, o);
  ASSERT_EQ(l[41 + 4 + 3], l[41 + 3]);  // csize == usize: stored
  l[41 + 8] ^= 0xFF;                    // the Adler-32 field
  const std::string e = error_of(l);
  EXPECT_TRUE(contains(e, "block 0 at byte offset 41 is stored")) << e;
  EXPECT_TRUE(contains(e, "does not verify stored blocks")) << e;
  auto r = run_chain(l, true);
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, noise);
  EXPECT_EQ(r->result.warnings.size(), 1u);
  // Intact: no warning.
  r = run_chain(lzop(noise, o));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_TRUE(r->result.warnings.empty());
}

// ---------------------------------------------------------------------------- filter order

TEST(GrubChain, FiltersApplyInGrubOrder) {
  const Bytes data = sample(50000);
  // gzio runs before xzio: a gzip file holding xz data is decompressed twice.
  auto r = run_chain(gzip(xz(data)));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, data);
  ASSERT_EQ(r->result.layers.size(), 2u);
  EXPECT_EQ(r->result.layers[0].codec, Codec::kGzip);
  EXPECT_EQ(r->result.layers[1].codec, Codec::kXz);
  // ... but an xz file holding gzip data only once: GRUB hands over the gzip bytes.
  const Bytes inner = gzip(data);
  r = run_chain(xz(inner));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, inner);
  EXPECT_EQ(r->result.layers.size(), 1u);
  // All three: gzip(xz(lzop(data))).
  r = run_chain(gzip(xz(lzop(data))));
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->loaded, data);
  EXPECT_EQ(r->result.layers.size(), 3u);
}

TEST(GrubChain, LateFallbackOfAnInnerLayerLoadsTheOuterOutput) {
  // gzip holding a truncated xz stream: GRUB decompresses the gzip layer, xzio's footer test
  // fails on the decompressed data, so GRUB hands over the (truncated) xz bytes.
  const Bytes x = xz(sample(30000));
  const Bytes inner(x.begin(), x.begin() + x.size() - 5);
  const std::string e = error_of(gzip(inner));
  EXPECT_TRUE(contains(e, "f (gzip-decompressed): xz:")) << e;
  auto r = run_chain(gzip(inner), true);
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(r->result.loaded_from, 1);
  EXPECT_EQ(r->loaded, inner);
  ASSERT_EQ(r->result.layers.size(), 2u);
  EXPECT_TRUE(r->result.layers[0].decompressed);
  EXPECT_FALSE(r->result.layers[1].decompressed);
}

// Damaged streams of every format, fed in random pieces: the chain must answer (a result or a
// message naming the input) without crashing, overflowing (ASan) or hanging. Without
// allow_fallback a result is always the original content: every other outcome is an error.
TEST(GrubChain, RandomDamageNeverCrashes) {
  std::mt19937 rng(2024);
  const Bytes data = sample(20000, 9), noise = random_bytes(5000);
  const std::vector<std::pair<Bytes, Bytes>> streams = {{gzip(data), data},
                                                        {xz(data), data},
                                                        {lzop(data), data},
                                                        {gzip(xz(data)), data},
                                                        {lzop(noise), noise}};
  for (const auto& [clean, original] : streams) {
    for (int iter = 0; iter < 150; ++iter) {
      Bytes in = clean;
      switch (iter % 3) {
        case 0:  // flip a few bytes
          for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
            in[rng() % in.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
          break;
        case 1:  // truncate
          in.resize(rng() % in.size());
          break;
        default:  // append bytes
          for (size_t k = 0, n = 1 + rng() % 40; k < n; ++k)
            in.push_back(static_cast<uint8_t>(rng()));
      }
      const bool allow = rng() % 2;
      auto r = run_chain(in, allow, 1 + rng() % 5000);
      if (!r) {
        EXPECT_NE(r.failure().code, Errc::kOk);
        EXPECT_EQ(r.failure().message.rfind("f", 0), 0u) << r.failure().message;
      } else if (r->loaded != original) {
        // Damage to the magic bytes makes it plain data: no filter applies, GRUB loads it as is.
        if (r->result.layers.empty() && r->loaded == in) continue;
        EXPECT_TRUE(allow) << "strict mode reported other content, iteration " << iter;
        EXPECT_FALSE(r->result.warnings.empty()) << "iteration " << iter;
      }
    }
  }
}

TEST(TailBuffer, KeepsTheLastBytes) {
  grubio::TailBuffer t(8);
  const Bytes a = {1, 2, 3}, b = {4, 5, 6, 7, 8, 9, 10}, c(20, 0xAB);
  t.append(ByteSpan(a.data(), a.size()));
  EXPECT_EQ(t.bytes(), a);
  t.append(ByteSpan(b.data(), b.size()));
  EXPECT_EQ(t.bytes(), (Bytes{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(t.total(), 10u);
  t.append(ByteSpan(c.data(), c.size()));
  EXPECT_EQ(t.bytes(), Bytes(8, 0xAB));
}

}  // namespace
}  // namespace tlaunch::host
