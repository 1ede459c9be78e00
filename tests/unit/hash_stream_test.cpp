// stream_hash.h / loaded_image.h: every bank in one pass equals OpenSSL one-shot digests (with and
// without helper threads), file errors name the file, files in parallel come back in order, and
// the module measurement follows tboot's formula.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/grubio/stream_hash.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::host {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng() % 7);  // compressible
  return out;
}

Digest one_shot(HashAlg alg, const Bytes& data) {
  OpenSslHasher h;
  auto d = hash_once(h, alg, ByteSpan(data.data(), data.size()));
  EXPECT_TRUE(d.ok());
  return *d;
}

std::vector<HashAlg> available_banks() {
  std::vector<HashAlg> v = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};
  if (evp_md(HashAlg::kSm3_256) != nullptr) v.push_back(HashAlg::kSm3_256);
  return v;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tlaunch-hash-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name, const Bytes& data) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Bytes gzip_bytes(const Bytes& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);  // gzip
  Bytes out(deflateBound(&z, data.size()) + 64);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(MultiHasher, EveryBankMatchesOneShotDigests) {
  const std::vector<HashAlg> banks = available_banks();
  const Bytes data = random_bytes(3 * 1000 * 1000 + 17, 1);
  for (int mode = 0; mode < 6; ++mode) {
    const unsigned helpers = mode % 3 == 0 ? 0u : mode % 3 == 1 ? 1u : 3u;
    const bool pipeline = mode >= 3;
    auto mh = MultiHasher::create(banks, helpers);
    ASSERT_TRUE(mh) << mh.failure().message;
    // Pipeline slots smaller than some writes: those are split over several slots.
    if (pipeline) (*mh)->start_pipeline(300000);
    // Pieces below and above the parallel threshold.
    size_t off = 0;
    for (size_t piece : {size_t{1}, size_t{1000}, size_t{1} << 20, size_t{200000}}) {
      (*mh)->write(ByteSpan(data.data() + off, piece));
      off += piece;
    }
    (*mh)->write(ByteSpan(data.data() + off, data.size() - off));
    EXPECT_EQ((*mh)->size(), data.size());
    auto d = (*mh)->finish();
    ASSERT_TRUE(d);
    ASSERT_EQ(d->size(), banks.size());
    for (size_t i = 0; i < banks.size(); ++i)
      EXPECT_EQ((*d)[i], one_shot(banks[i], data)) << "bank " << i << " mode " << mode;
  }
}

TEST(MultiHasher, RejectsNull) {
  const std::vector<HashAlg> banks = {HashAlg::kNull};
  auto mh = MultiHasher::create(banks);
  ASSERT_FALSE(mh);
  EXPECT_EQ(mh.failure().code, Errc::kUnsupported);
}

TEST(ParseBankList, NamesOrderAndErrors) {
  auto b = parse_bank_list("SHA384, sha256,sha384");
  ASSERT_TRUE(b) << b.failure().message;
  EXPECT_EQ(*b, (std::vector<HashAlg>{HashAlg::kSha384, HashAlg::kSha256}));
  auto bad = parse_bank_list("sha256,md5");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().code, Errc::kUsage);
  EXPECT_NE(bad.failure().message.find("'md5'"), std::string::npos);
  EXPECT_FALSE(parse_bank_list("sha256,"));
  EXPECT_FALSE(parse_bank_list(""));
}

TEST(DigestAsLoaded, RawAndGrubModes) {
  TempDir dir;
  const Bytes data = random_bytes(2500000, 2);
  const Bytes gz = gzip_bytes(data);
  const std::string plain = dir.file("plain", data), packed = dir.file("packed.gz", gz);
  const std::vector<HashAlg> banks = {HashAlg::kSha256, HashAlg::kSha384};

  auto p = digest_as_loaded(plain, LoadMode::kGrub, banks);
  ASSERT_TRUE(p) << p.failure().message;
  EXPECT_EQ(p->raw_size, data.size());
  EXPECT_EQ(p->loaded_size, data.size());
  EXPECT_TRUE(p->layers.empty());
  EXPECT_EQ(*p->image_digest(HashAlg::kSha384), one_shot(HashAlg::kSha384, data));
  EXPECT_EQ(p->raw, p->image);

  auto g = digest_as_loaded(packed, LoadMode::kGrub, banks);
  ASSERT_TRUE(g) << g.failure().message;
  EXPECT_EQ(g->raw_size, gz.size());
  EXPECT_EQ(g->loaded_size, data.size());
  ASSERT_EQ(g->layers.size(), 1u);
  EXPECT_EQ(*g->image_digest(HashAlg::kSha256), one_shot(HashAlg::kSha256, data));
  EXPECT_EQ(*g->raw_digest(HashAlg::kSha256), one_shot(HashAlg::kSha256, gz));

  auto r = digest_as_loaded(packed, LoadMode::kRaw, banks);
  ASSERT_TRUE(r) << r.failure().message;
  EXPECT_EQ(*r->image_digest(HashAlg::kSha256), one_shot(HashAlg::kSha256, gz));
  EXPECT_EQ(r->loaded_size, gz.size());
  EXPECT_TRUE(r->layers.empty());

  // Small read buffers: many chunks through the chain.
  LoadOptions small;
  small.buffer_size = 4096;
  auto s = digest_as_loaded(packed, banks, small);
  ASSERT_TRUE(s) << s.failure().message;
  EXPECT_EQ(s->image, g->image);
}

TEST(DigestAsLoaded, FileErrorsNameTheFile) {
  TempDir dir;
  const std::vector<HashAlg> banks = {HashAlg::kSha256};
  auto missing = digest_as_loaded(dir.path() + "/nope", LoadMode::kGrub, banks);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().code, Errc::kIo);
  EXPECT_NE(missing.failure().message.find("/nope: cannot open"), std::string::npos);
  auto d = digest_as_loaded(dir.path(), LoadMode::kGrub, banks);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.failure().code, Errc::kIo);
  EXPECT_NE(d.failure().message.find("is a directory"), std::string::npos);
  if (geteuid() != 0) {
    const std::string locked = dir.file("locked", {1, 2, 3});
    chmod(locked.c_str(), 0);
    auto u = digest_as_loaded(locked, LoadMode::kGrub, banks);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.failure().code, Errc::kIo);
  }
  // A truncated gzip file: an error naming the file, never a digest.
  Bytes gz = gzip_bytes(random_bytes(100000, 3));
  gz.resize(gz.size() / 2);
  auto t = digest_as_loaded(dir.file("t.gz", gz), LoadMode::kGrub, banks);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.failure().code, Errc::kTruncated);
  EXPECT_NE(t.failure().message.find("t.gz: gzip: truncated"), std::string::npos)
      << t.failure().message;
}

TEST(DigestAsLoaded, AllowFallbackGivesTheRawDigest) {
  TempDir dir;
  const std::vector<HashAlg> banks = {HashAlg::kSha256};
  Bytes odd = gzip_bytes(random_bytes(5000, 4));
  odd[3] |= 0x02;  // FHCRC flag: GRUB 2.06 does not decompress this file
  const std::string f = dir.file("odd.gz", odd);
  auto strict = digest_as_loaded(f, LoadMode::kGrub, banks);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.failure().code, Errc::kBadValue);
  LoadOptions o;
  o.allow_fallback = true;
  auto fb = digest_as_loaded(f, banks, o);
  ASSERT_TRUE(fb) << fb.failure().message;
  EXPECT_EQ(fb->image[0], one_shot(HashAlg::kSha256, odd));
  EXPECT_EQ(fb->loaded_size, odd.size());
  EXPECT_FALSE(fb->warnings.empty());
}

TEST(DigestManyAsLoaded, ResultsInInputOrder) {
  TempDir dir;
  std::vector<std::string> paths;
  std::vector<Bytes> contents;
  for (uint32_t i = 0; i < 7; ++i) {
    // Decreasing sizes so later files tend to finish first.
    contents.push_back(random_bytes((7 - i) * 300000 + i, 10 + i));
    paths.push_back(
        dir.file("f" + std::to_string(i), i % 2 ? gzip_bytes(contents.back()) : contents.back()));
  }
  paths.insert(paths.begin() + 3, dir.path() + "/missing");
  const std::vector<HashAlg> banks = {HashAlg::kSha256, HashAlg::kSha512};
  std::vector<size_t> seen;
  auto res =
      digest_many_as_loaded(paths, banks, LoadOptions{}, 3,
                            [&](size_t i, const Expected<LoadedDigests>&) { seen.push_back(i); });
  ASSERT_EQ(res.size(), paths.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(seen.size(), paths.size());
  size_t c = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i == 3) {
      EXPECT_FALSE(res[i]);
      continue;
    }
    ASSERT_TRUE(res[i]) << res[i].failure().message;
    EXPECT_EQ(res[i]->path, paths[i]);
    EXPECT_EQ(*res[i]->image_digest(HashAlg::kSha512), one_shot(HashAlg::kSha512, contents[c]));
    ++c;
  }
  // One file, two banks, two jobs: the spare job hashes (pipeline, one thread per bank).
  for (size_t i : {size_t{0}, size_t{1}}) {  // plain, gzip
    auto one = digest_many_as_loaded({paths[i]}, banks, LoadOptions{}, 2);
    ASSERT_TRUE(one[0]) << one[0].failure().message;
    EXPECT_EQ(one[0]->image, res[i]->image);
    EXPECT_EQ(one[0]->raw, res[i]->raw);
  }
  LoadOptions raw_pipe;
  raw_pipe.mode = LoadMode::kRaw;
  raw_pipe.pipeline = true;
  auto rp = digest_as_loaded(paths[1], banks, raw_pipe);
  ASSERT_TRUE(rp) << rp.failure().message;
  EXPECT_EQ(rp->image, res[1]->raw);
  EXPECT_NE(rp->image, res[1]->image);  // f1 is gzip: raw differs from as-loaded
}

TEST(ModuleMeasurements, TbootFormula) {
  TempDir dir;
  const Bytes data = random_bytes(1000, 5);
  const std::vector<HashAlg> banks = {HashAlg::kSha256, HashAlg::kSha384};
  auto d = digest_as_loaded(dir.file("m", data), LoadMode::kGrub, banks);
  ASSERT_TRUE(d);
  const std::string cmdline = "console=ttyS0 quiet";
  auto m = module_measurements(*d, cmdline);
  ASSERT_TRUE(m) << m.failure().message;
  ASSERT_EQ(m->size(), 2u);
  for (size_t i = 0; i < banks.size(); ++i) {
    const Bytes cl(cmdline.begin(), cmdline.end());
    const Digest hc = one_shot(banks[i], cl);
    Bytes cat(hc.bytes, hc.bytes + hc.size);
    const Digest hi = one_shot(banks[i], data);
    cat.insert(cat.end(), hi.bytes, hi.bytes + hi.size);
    EXPECT_EQ((*m)[i].cmdline, hc);
    EXPECT_EQ((*m)[i].module, one_shot(banks[i], cat));
  }
  // Empty cmdline: H("") (tboot hashes zero bytes, no NUL).
  auto e = module_measurements(*d, "");
  ASSERT_TRUE(e);
  EXPECT_EQ(hex((*e)[0].cmdline.bytes, 32),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace tlaunch::host
