// lcp2_mlehash's measurement on ELF32 MLE images this test builds itself, checked against digests
// computed independently (OpenSSL EVP over bytes the test lays out), and on the golden vectors.
#include "tlaunch/policy/host/lcp/mlehash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace tlaunch::lcp {
namespace {

using Bytes = std::vector<uint8_t>;
namespace h = host;

void put32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
void put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}

struct Segment {
  uint32_t type = 1;  // PT_LOAD
  uint32_t paddr = 0;
  Bytes data;  // p_filesz bytes
  uint32_t memsz = 0;
};

// A minimal ELF32 i386 ET_EXEC: header, program headers, then each segment's bytes.
Bytes make_elf(const std::vector<Segment>& segs) {
  size_t phoff = 52;
  size_t off = phoff + 32 * segs.size();
  Bytes elf(off, 0);
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(elf.data(), ident, 16);
  put16(elf, 16, 2);  // ET_EXEC
  put16(elf, 18, 3);  // EM_386
  put32(elf, 20, 1);  // EV_CURRENT
  put32(elf, 24, 0x100000);
  put32(elf, 28, static_cast<uint32_t>(phoff));
  put16(elf, 40, 52);  // e_ehsize
  put16(elf, 42, 32);  // e_phentsize
  put16(elf, 44, static_cast<uint16_t>(segs.size()));
  for (size_t i = 0; i < segs.size(); ++i) {
    size_t ph = phoff + 32 * i;
    put32(elf, ph, segs[i].type);
    put32(elf, ph + 4, static_cast<uint32_t>(elf.size()));
    put32(elf, ph + 8, segs[i].paddr);
    put32(elf, ph + 12, segs[i].paddr);
    put32(elf, ph + 16, static_cast<uint32_t>(segs[i].data.size()));
    put32(elf, ph + 20, segs[i].memsz);
    put32(elf, ph + 24, 7);
    put32(elf, ph + 28, 0x1000);
    elf.insert(elf.end(), segs[i].data.begin(), segs[i].data.end());
  }
  return elf;
}

struct MleFields {
  uint32_t start = 0, end = 0, cmd_start = 0, cmd_end = 0;
};
// Writes an mle_hdr_t (include/mle.h) at `at` of a segment.
void put_mle_header(Bytes& seg, size_t at, const MleFields& f) {
  const uint8_t uuid[16] = {0x5a, 0xac, 0x82, 0x90, 0x6f, 0x47, 0xa7, 0x74,
                            0x0f, 0x5c, 0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42};
  std::memcpy(seg.data() + at, uuid, 16);
  put32(seg, at + 16, 0x34);
  put32(seg, at + 20, 0x00020003);
  put32(seg, at + 24, 0x10);
  put32(seg, at + 28, 0);
  put32(seg, at + 32, f.start);
  put32(seg, at + 36, f.end);
  put32(seg, at + 40, 0x4627);
  put32(seg, at + 44, f.cmd_start);
  put32(seg, at + 48, f.cmd_end);
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x = x * 1103515245u + 12345u;
    v = static_cast<uint8_t>(x >> 16);
  }
  return b;
}

Bytes evp(const EVP_MD* md, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr), 1);
  out.resize(n);
  return out;
}

Bytes digest_bytes(const Digest& d) { return Bytes(d.bytes, d.bytes + d.size); }

Bytes gzip(const Bytes& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string write_temp(const std::string& name, const Bytes& data) {
  std::string path = ::testing::TempDir() + "/lcpelt_mlehash_" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return path;
}

h::MleHashResult hash_of(const Bytes& file, HashAlg alg = HashAlg::kSha256,
                         const std::optional<std::string>& cmdline = std::nullopt) {
  auto img = h::expand_mle_image(file, "test.elf");
  EXPECT_TRUE(img.ok()) << (img.ok() ? "" : img.failure().message);
  if (!img.ok()) return {};
  auto r = h::mle_hash(std::move(*img), alg, cmdline);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : h::MleHashResult{};
}

// One segment: 0x600 file bytes + 0x200 bss, MLE range [0x20, 0x700) covering bss.
struct Simple {
  Bytes seg = pattern(0x600, 1);
  Bytes elf;
  Simple() {
    put_mle_header(seg, 0x40, {0x20, 0x700, 0x400, 0x4ff});
    elf = make_elf({{1, 0x100000, seg, 0x800}});
  }
  Bytes expanded() const {
    Bytes img = seg;
    img.resize(0x800, 0);
    return img;
  }
};

TEST(MleHash, SingleSegmentIncludingBss) {
  Simple s;
  Bytes img = s.expanded();
  Bytes want = evp(EVP_sha256(), Bytes(img.begin() + 0x20, img.begin() + 0x700));
  auto r = hash_of(s.elf);
  EXPECT_EQ(digest_bytes(r.digest), want);
  EXPECT_EQ(h::mle_hash_line(r.digest).size(), 32 * 3u);
  auto r384 = hash_of(s.elf, HashAlg::kSha384);
  EXPECT_EQ(digest_bytes(r384.digest),
            evp(EVP_sha384(), Bytes(img.begin() + 0x20, img.begin() + 0x700)));
}

TEST(MleHash, CommandLineIsWrittenIntoTheArea) {
  Simple s;
  Bytes img = s.expanded();
  std::fill(img.begin() + 0x400, img.begin() + 0x4ff, 0);
  std::memcpy(img.data() + 0x400, "console=ttyS0", 13);
  Bytes want = evp(EVP_sha256(), Bytes(img.begin() + 0x20, img.begin() + 0x700));
  auto r = hash_of(s.elf, HashAlg::kSha256, std::string("console=ttyS0"));
  EXPECT_EQ(digest_bytes(r.digest), want);
  EXPECT_FALSE(r.cmdline_truncated);
  // An empty command line still zero-fills the area: differs from no --cmdline.
  EXPECT_NE(digest_bytes(hash_of(s.elf, HashAlg::kSha256, std::string()).digest),
            digest_bytes(hash_of(s.elf).digest));
}

// docs/reference/upstream-quirks.md#q53: a command line that fills or overflows the area keeps its
// first End-Start characters.
TEST(MleHash, LongCommandLineIsTruncatedLikeTboot) {
  Simple s;
  const size_t area = 0x4ff - 0x400;
  std::string exact(area, 'x');
  Bytes img = s.expanded();
  std::fill(img.begin() + 0x400, img.begin() + 0x4ff, 'x');
  Bytes want = evp(EVP_sha256(), Bytes(img.begin() + 0x20, img.begin() + 0x700));
  auto r1 = hash_of(s.elf, HashAlg::kSha256, exact);
  EXPECT_EQ(digest_bytes(r1.digest), want);
  EXPECT_FALSE(r1.cmdline_truncated);
  auto r2 = hash_of(s.elf, HashAlg::kSha256, exact + "yyyyy");
  EXPECT_EQ(digest_bytes(r2.digest), want);
  EXPECT_TRUE(r2.cmdline_truncated);
  EXPECT_EQ(r2.cmdline_area, area);
  auto r3 = hash_of(s.elf, HashAlg::kSha256, std::string(5000, 'x'));
  EXPECT_EQ(digest_bytes(r3.digest), want);
}

// docs/reference/upstream-quirks.md#q50: segments are packed back to back whatever their p_paddr.
TEST(MleHash, SegmentsArePackedBackToBack) {
  Bytes s1 = pattern(0x300, 2);
  Bytes s2 = pattern(0x180, 3);
  put_mle_header(s2, 0x20, {0x100, 0x560, 0x3a0, 0x3e0});  // header at packed 0x320
  Segment note{4, 0, pattern(0x40, 9), 0x40};              // PT_NOTE: ignored
  Bytes elf = make_elf({{1, 0x200000, s1, 0x300}, note, {1, 0x280000, s2, 0x280}});
  Bytes packed = s1;
  packed.insert(packed.end(), s2.begin(), s2.end());
  packed.resize(0x300 + 0x280, 0);
  auto img = h::expand_mle_image(elf, "b.elf");
  ASSERT_TRUE(img.ok()) << img.failure().message;
  EXPECT_EQ(img->header.image_offset, 0x320u);
  EXPECT_EQ(img->image, packed);
  auto r = hash_of(elf);
  EXPECT_EQ(digest_bytes(r.digest),
            evp(EVP_sha256(), Bytes(packed.begin() + 0x100, packed.begin() + 0x560)));
}

TEST(MleHash, GzipInputHashesLikeThePlainFile) {
  Simple s;
  Bytes plain_digest = digest_bytes(hash_of(s.elf).digest);
  Bytes gz = gzip(s.elf);
  auto read = h::read_mle_file(write_temp("a.elf.gz", gz));
  ASSERT_TRUE(read.ok()) << read.failure().message;
  EXPECT_EQ(*read, s.elf);
  // Two members, and trailing non-gzip bytes after the last member (zlib gzread ignores them).
  size_t half = s.elf.size() / 2;
  Bytes two = gzip(Bytes(s.elf.begin(), s.elf.begin() + static_cast<long>(half)));
  Bytes second = gzip(Bytes(s.elf.begin() + static_cast<long>(half), s.elf.end()));
  two.insert(two.end(), second.begin(), second.end());
  two.push_back('J');
  two.push_back('K');
  auto read2 = h::read_mle_file(write_temp("two.elf.gz", two));
  ASSERT_TRUE(read2.ok()) << read2.failure().message;
  EXPECT_EQ(*read2, s.elf);
  EXPECT_EQ(digest_bytes(hash_of(*read2).digest), plain_digest);
}

// docs/reference/upstream-quirks.md#q52: a truncated image is an error, never a hash of whatever
// memory follows.
TEST(MleHash, TruncatedInputIsAnError) {
  Simple s;
  Bytes gz = gzip(s.elf);
  Bytes cut_gz(gz.begin(), gz.end() - 20);
  auto r = h::read_mle_file(write_temp("cut.elf.gz", cut_gz));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, Errc::kTruncated);
  Bytes corrupt = gz;
  corrupt[gz.size() / 2] ^= 0xFF;
  corrupt[gz.size() / 2 + 1] ^= 0xFF;
  EXPECT_FALSE(h::read_mle_file(write_temp("corrupt.elf.gz", corrupt)).ok());

  for (size_t n = 0; n < s.elf.size(); ++n) {
    Bytes cut(s.elf.begin(), s.elf.begin() + static_cast<long>(n));
    auto img = h::expand_mle_image(cut, "cut.elf");
    ASSERT_FALSE(img.ok()) << "cut at " << n;
  }
  auto img = h::expand_mle_image(Bytes(s.elf.begin(), s.elf.end() - 1), "cut.elf");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.failure().code, Errc::kTruncated);
  EXPECT_NE(img.failure().message.find("PT_LOAD segment 0"), std::string::npos)
      << img.failure().message;
}

TEST(MleHash, HeaderChecks) {
  // No header at all.
  Bytes plain = pattern(0x200, 5);
  auto none = h::expand_mle_image(make_elf({{1, 0, plain, 0x200}}), "x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.failure().code, Errc::kNotFound);
  // A header that is not 16-byte aligned is not found (upstream scans in 16-byte steps).
  Bytes mis = pattern(0x200, 5);
  put_mle_header(mis, 0x48, {0, 0x100, 0, 0});
  EXPECT_EQ(h::expand_mle_image(make_elf({{1, 0, mis, 0x200}}), "x").failure().code,
            Errc::kNotFound);
  // MleEndOff beyond the image; end not above start; cmdline area beyond the image.
  for (MleFields f : {MleFields{0, 0x201, 0, 0}, MleFields{0x80, 0x80, 0, 0},
                      MleFields{0, 0x100, 0x100, 0x300}}) {
    Bytes seg = pattern(0x200, 6);
    put_mle_header(seg, 0x40, f);
    EXPECT_FALSE(h::expand_mle_image(make_elf({{1, 0, seg, 0x200}}), "x").ok());
  }
  // p_filesz larger than p_memsz.
  Bytes seg = pattern(0x200, 7);
  put_mle_header(seg, 0x40, {0, 0x100, 0, 0});
  EXPECT_FALSE(h::expand_mle_image(make_elf({{1, 0, seg, 0x100}}), "x").ok());
  // ELF header checks as upstream: machine, type; ELFCLASS64 flag not looked at
  // (docs/reference/upstream-quirks.md#q55).
  Bytes good = make_elf({{1, 0, seg, 0x200}});
  Bytes class64 = good;
  class64[4] = 2;
  EXPECT_TRUE(h::expand_mle_image(class64, "x").ok());
  Bytes x86_64 = good;
  x86_64[18] = 62;
  EXPECT_FALSE(h::expand_mle_image(x86_64, "x").ok());
  Bytes dyn = good;
  dyn[16] = 3;
  EXPECT_FALSE(h::expand_mle_image(dyn, "x").ok());
  Bytes be = good;
  be[5] = 2;
  EXPECT_FALSE(h::expand_mle_image(be, "x").ok());
}

std::vector<std::string> vector_lines(const std::string& rel) {
  std::ifstream f(std::string(TLAUNCH_VECTORS_DIR) + "/" + rel);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) lines.push_back(l + "\n");
  return lines;
}

Bytes vector_file(const std::string& rel) {
  std::ifstream f(std::string(TLAUNCH_VECTORS_DIR) + "/" + rel, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST(MleHash, GoldenVectors) {
  auto a = vector_lines("mle-elfA-algs-cmdline/stdout");
  ASSERT_EQ(a.size(), 5u);
  Bytes elf_a = vector_file("mle-elfA-algs-cmdline/mle_a.elf");
  EXPECT_EQ(h::mle_hash_line(hash_of(elf_a).digest), a[0]);
  EXPECT_EQ(h::mle_hash_line(hash_of(elf_a, HashAlg::kSha384).digest), a[1]);
  EXPECT_EQ(h::mle_hash_line(hash_of(elf_a, HashAlg::kSha512).digest), a[2]);
  EXPECT_EQ(h::mle_hash_line(hash_of(elf_a, HashAlg::kSha256, std::string()).digest), a[3]);
  EXPECT_EQ(
      h::mle_hash_line(
          hash_of(elf_a, HashAlg::kSha256, std::string("console=ttyS0 intel_iommu=on")).digest),
      a[4]);
  auto b = vector_lines("mle-elfB-multiseg-gz/stdout");
  ASSERT_EQ(b.size(), 3u);
  auto gz =
      h::read_mle_file(std::string(TLAUNCH_VECTORS_DIR) + "/mle-elfB-multiseg-gz/mle_b.elf.gz");
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(*gz, vector_file("mle-elfB-multiseg-gz/mle_b.elf"));
  EXPECT_EQ(h::mle_hash_line(hash_of(*gz).digest), b[1]);
  EXPECT_EQ(h::mle_hash_line(hash_of(*gz, HashAlg::kSha384, std::string("x y")).digest), b[2]);
}

}  // namespace
}  // namespace tlaunch::lcp
