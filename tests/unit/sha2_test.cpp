// The freestanding SHA code (both SHA-256 block functions, SHA-384, SHA-512, and SHA-1 for PCR
// banks) against OpenSSL on random buffers of many lengths, fed in one piece and in random pieces.
#include "tlaunch/policy/sha2.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch {
namespace {

std::string hexd(const Digest& d) { return host::hex(d.bytes, d.size); }

Digest reference(HashAlg alg, const std::vector<uint8_t>& data) {
  host::OpenSslHasher h;
  auto d = hash_once(h, alg, ByteSpan(data.data(), data.size()));
  EXPECT_TRUE(d.ok());
  return d.ok() ? *d : Digest{};
}

// Lengths around every block and padding boundary (55/56/63/64 for SHA-256, 111/112/127/128 for
// SHA-512), several blocks, and a few larger odd sizes.
std::vector<size_t> lengths() {
  std::vector<size_t> v;
  for (size_t i = 0; i <= 300; ++i) v.push_back(i);
  for (size_t n : {511u, 512u, 513u, 1000u, 4095u, 4096u, 4097u, 65537u, 1000003u}) v.push_back(n);
  return v;
}

struct Case {
  HashAlg alg;
  Sha256Impl impl;
  const char* name;
};

class Sha2VsOpenSsl : public ::testing::TestWithParam<Case> {};

TEST_P(Sha2VsOpenSsl, OneShotAndStreamingMatch) {
  const Case c = GetParam();
  if (c.impl == Sha256Impl::kShaNi && !cpu_has_sha_ni())
    GTEST_SKIP() << "this CPU has no SHA extensions";
  std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(c.alg) * 7 +
                      static_cast<unsigned>(c.impl));
  SoftHasher soft(c.impl);
  EXPECT_EQ(soft.uses_sha_ni(),
            (c.impl == Sha256Impl::kAuto || c.impl == Sha256Impl::kShaNi) && cpu_has_sha_ni());
  EXPECT_EQ(soft.uses_bmi2(), c.impl != Sha256Impl::kPortable && cpu_has_bmi2());
  for (size_t len : lengths()) {
    std::vector<uint8_t> data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const Digest want = reference(c.alg, data);

    auto one = hash_once(soft, c.alg, ByteSpan(data.data(), data.size()));
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(hexd(*one), hexd(want)) << c.name << " one-shot, length " << len;

    // The same data in random-sized pieces (including empty ones).
    ASSERT_TRUE(soft.begin(c.alg).ok());
    size_t off = 0;
    while (off < len) {
      size_t n = static_cast<size_t>(rng() % 200);
      if (n > len - off) n = len - off;
      soft.update(ByteSpan(data.data() + off, n));
      off += n;
    }
    const Digest streamed = soft.finish();
    ASSERT_EQ(hexd(streamed), hexd(want)) << c.name << " streamed, length " << len;
    EXPECT_EQ(streamed.alg, c.alg);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, Sha2VsOpenSsl,
    ::testing::Values(Case{HashAlg::kSha256, Sha256Impl::kGeneric, "sha256-generic"},
                      Case{HashAlg::kSha256, Sha256Impl::kPortable, "sha256-portable"},
                      Case{HashAlg::kSha256, Sha256Impl::kShaNi, "sha256-shani"},
                      Case{HashAlg::kSha384, Sha256Impl::kAuto, "sha384"},
                      Case{HashAlg::kSha384, Sha256Impl::kPortable, "sha384-portable"},
                      Case{HashAlg::kSha512, Sha256Impl::kAuto, "sha512"},
                      Case{HashAlg::kSha512, Sha256Impl::kPortable, "sha512-portable"},
                      Case{HashAlg::kSha1, Sha256Impl::kAuto, "sha1"},
                      Case{HashAlg::kSha1, Sha256Impl::kPortable, "sha1-portable"}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n = i.param.name;
      for (auto& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

// FIPS 180-4 example "abc" (NIST CSRC example values), independent of OpenSSL.
TEST(Sha2, KnownAnswerAbc) {
  const uint8_t abc[] = {'a', 'b', 'c'};
  SoftHasher h(Sha256Impl::kPortable);
  auto d256 = hash_once(h, HashAlg::kSha256, ByteSpan(abc, 3));
  ASSERT_TRUE(d256.ok());
  EXPECT_EQ(hexd(*d256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto d384 = hash_once(h, HashAlg::kSha384, ByteSpan(abc, 3));
  ASSERT_TRUE(d384.ok());
  EXPECT_EQ(
      hexd(*d384),
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
      "34c825a7");
  auto d1 = hash_once(h, HashAlg::kSha1, ByteSpan(abc, 3));
  ASSERT_TRUE(d1.ok());
  EXPECT_EQ(hexd(*d1), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(d1->size, 20);
  // The two-block example "abcdbcde...nopq" (56 bytes: the length goes into a second block).
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  auto d1b = hash_once(h, HashAlg::kSha1,
                       ByteSpan(reinterpret_cast<const uint8_t*>(two.data()), two.size()));
  ASSERT_TRUE(d1b.ok());
  EXPECT_EQ(hexd(*d1b), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

// The SHA-256 block functions agree on multi-block input with any starting state.
TEST(Sha2, Sha256BlockFunctionsAgree) {
  if (!cpu_has_sha_ni() && !cpu_has_bmi2()) GTEST_SKIP() << "no SHA extensions and no BMI2";
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    uint32_t a[8], b[8], c[8];
    for (int i = 0; i < 8; ++i) a[i] = b[i] = c[i] = rng();
    std::vector<uint8_t> data(64 * (1 + round % 5));
    for (auto& x : data) x = static_cast<uint8_t>(rng());
    sha256_blocks_generic(a, data.data(), data.size() / 64);
    if (cpu_has_sha_ni()) sha256_blocks_shani(b, data.data(), data.size() / 64);
    if (cpu_has_bmi2()) sha256_blocks_bmi2(c, data.data(), data.size() / 64);
    for (int i = 0; i < 8; ++i) {
      if (cpu_has_sha_ni()) {
        ASSERT_EQ(a[i], b[i]) << "SHA-NI, round " << round << " word " << i;
      }
      if (cpu_has_bmi2()) {
        ASSERT_EQ(a[i], c[i]) << "BMI2, round " << round << " word " << i;
      }
    }
  }
}

TEST(Sha2, Sha512BlockFunctionsAgree) {
  if (!cpu_has_bmi2()) GTEST_SKIP() << "this CPU has no BMI2";
  std::mt19937_64 rng(43);
  for (int round = 0; round < 30; ++round) {
    uint64_t a[8], b[8];
    for (int i = 0; i < 8; ++i) a[i] = b[i] = rng();
    std::vector<uint8_t> data(128 * (1 + round % 4));
    for (auto& x : data) x = static_cast<uint8_t>(rng());
    sha512_blocks_generic(a, data.data(), data.size() / 128);
    sha512_blocks_bmi2(b, data.data(), data.size() / 128);
    for (int i = 0; i < 8; ++i) ASSERT_EQ(a[i], b[i]) << "round " << round << " word " << i;
  }
}

TEST(Sha2, UnsupportedAlgorithmIsAnError) {
  SoftHasher h;
  auto s = h.begin(HashAlg::kSm3_256);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kUnsupported);
  EXPECT_EQ(h.finish().size, 0);
}

}  // namespace
}  // namespace tlaunch
