// tb_polgen --show text (docs/reference/tb_polgen.md §4) for valid and invalid policies, the zlib
// image hashing of tb_polgen (docs/reference/tb_polgen.md §2.3,
// docs/reference/upstream-quirks.md#q5-#q7) and the tlaunch policy-file helpers (vlp_text.h).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/grubio/tbpolgen_image.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"

namespace tlaunch {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes header(uint8_t type, uint8_t alg, uint32_t ctrl, uint8_t n) {
  return {2,
          type,
          alg,
          static_cast<uint8_t>(ctrl),
          static_cast<uint8_t>(ctrl >> 8),
          static_cast<uint8_t>(ctrl >> 16),
          static_cast<uint8_t>(ctrl >> 24),
          0,
          0,
          0,
          0,
          n};
}

void add_entry(Bytes& b, uint8_t mod, uint8_t pcr, uint8_t ht, uint32_t nv, uint8_t nh,
               const Bytes& hashes = {}) {
  Bytes e = {mod,
             pcr,
             ht,
             static_cast<uint8_t>(nv),
             static_cast<uint8_t>(nv >> 8),
             static_cast<uint8_t>(nv >> 16),
             static_cast<uint8_t>(nv >> 24),
             nh};
  b.insert(b.end(), e.begin(), e.end());
  b.insert(b.end(), hashes.begin(), hashes.end());
}

std::string text_of(const Bytes& b) {
  return host::tb_polgen_text(ByteSpan(b.data(), b.size())).out;
}

const char* kHead =
    "policy:\n\t version: 2\n\t policy_type: TB_POLTYPE_CONT_NON_FATAL\n\t hash_alg: "
    "TB_HALG_SHA256\n\t policy_control: 00000001 (EXTEND_PCR17)\n";

TEST(TbPolgenText, ValidPolicyWithSpecialEntries) {
  Bytes b = header(0, 0x0B, 1, 3);
  add_entry(b, 129, 19, 0, 0, 0);
  add_entry(b, 130, 22, 0, 0x40000010, 0);
  Bytes h(32);
  for (size_t i = 0; i < 32; ++i) h[i] = static_cast<uint8_t>(i * 7);
  add_entry(b, 131, 255, 1, 0x01c10150, 1, h);
  auto t = host::tb_polgen_text(ByteSpan(b.data(), b.size()));
  EXPECT_TRUE(t.valid);
  EXPECT_EQ(t.err, "");
  std::string want = std::string(kHead) +
                     "\t num_entries: 3\n"
                     "\t policy entry[0]:\n\t\t mod_num: any\n\t\t pcr: 19\n"
                     "\t\t hash_type: TB_HTYPE_ANY\n\t\t num_hashes: 0\n"
                     "\t policy entry[1]:\n\t\t mod_num: nv\n\t\t nv_index: 40000010\n"
                     "\t\t pcr: 22\n\t\t hash_type: TB_HTYPE_ANY\n\t\t num_hashes: 0\n"
                     "\t policy entry[2]:\n\t\t mod_num: nv_raw\n\t\t nv_index: 01c10150\n"
                     "\t\t pcr: none\n\t\t hash_type: TB_HTYPE_IMAGE\n\t\t num_hashes: 1\n"
                     "\t\t hashes[0]: ";
  char buf[4];
  for (uint8_t x : h) {
    std::snprintf(buf, sizeof(buf), "%02x ", x);
    want += buf;
  }
  want += "\n";
  EXPECT_EQ(t.out, want);
}

TEST(TbPolgenText, ControlWithoutExtendBit) {
  Bytes b = header(2, 0x0C, 0xFFFFFFFE, 0);
  EXPECT_EQ(text_of(b),
            "policy:\n\t version: 2\n\t policy_type: TB_POLTYPE_HALT\n\t hash_alg: "
            "TB_HALG_SHA384\n\t policy_control: fffffffe ()\n\t num_entries: 0\n");
}

// print_hash() knows only SHA-256/384/512: other algorithms leave the line unterminated and
// complain on stderr once per digest.
TEST(TbPolgenText, UnprintableAlgorithms) {
  Bytes sm3 = header(0, 0x12, 1, 1);
  add_entry(sm3, 0, 18, 1, 0, 2, Bytes(64, 0xAA));
  auto t = host::tb_polgen_text(ByteSpan(sm3.data(), sm3.size()));
  EXPECT_TRUE(t.valid);
  EXPECT_NE(t.out.find("\t hash_alg: TB_HALG_SM3\n"), std::string::npos);
  EXPECT_NE(t.out.find("\t\t num_hashes: 2\n\t\t hashes[0]: \t\t hashes[1]: "), std::string::npos);
  EXPECT_EQ(t.err, "unsupported hash alg (18)\nunsupported hash alg (18)\n");
  // Unknown algorithm: digests are 0 bytes (tboot HEAD get_hash_size()), name "unsupported".
  Bytes unk = header(0, 0x99, 1, 1);
  add_entry(unk, 0, 18, 1, 0, 1);
  auto u = host::tb_polgen_text(ByteSpan(unk.data(), unk.size()));
  EXPECT_TRUE(u.valid);
  EXPECT_NE(u.out.find("\t hash_alg: unsupported\n"), std::string::npos);
  EXPECT_EQ(u.err, "unsupported hash alg (153)\n");
}

// Invalid policies: the dump stops where verify_policy() stops, with its message.
TEST(TbPolgenText, InvalidPolicies) {
  Bytes shortb = {2, 0, 0x0B};
  EXPECT_EQ(text_of(shortb), "policy:\nsize of policy is too small (3)\n");
  EXPECT_FALSE(host::tb_polgen_text(ByteSpan(shortb.data(), shortb.size())).valid);

  Bytes v1 = header(0, 0x0B, 1, 0);
  v1[0] = 1;
  EXPECT_EQ(text_of(v1), "policy:\nunsupported version (1)\n");

  Bytes t3 = header(3, 0x0B, 1, 0);
  EXPECT_EQ(text_of(t3), "policy:\n\t version: 2\n\t policy_type: unsupported\n");

  Bytes noent = header(0, 0x0B, 1, 1);
  EXPECT_EQ(text_of(noent),
            std::string(kHead) + "\t num_entries: 1\nsize of policy entry is too small (12)\n");

  Bytes mod = header(0, 0x0B, 1, 2);
  add_entry(mod, 0, 1, 0, 0, 0);
  add_entry(mod, 128, 1, 0, 0, 0);
  EXPECT_EQ(text_of(mod), std::string(kHead) +
                              "\t num_entries: 2\n\t policy entry[0]:\n\t\t mod_num: 0\n\t\t pcr: "
                              "1\n\t\t hash_type: TB_HTYPE_ANY\n\t\t num_hashes: 0\n\t policy "
                              "entry[1]:\nmod_num invalid (128)\n");

  Bytes pcr = header(0, 0x0B, 1, 1);
  add_entry(pcr, 5, 24, 0, 0, 0);
  EXPECT_EQ(text_of(pcr), std::string(kHead) +
                              "\t num_entries: 1\n\t policy entry[0]:\n\t\t mod_num: 5\npcr "
                              "invalid (24)\n");

  Bytes ht = header(0, 0x0B, 1, 1);
  add_entry(ht, 5, 255, 2, 0, 0);
  EXPECT_EQ(text_of(ht), std::string(kHead) +
                             "\t num_entries: 1\n\t policy entry[0]:\n\t\t mod_num: 5\n\t\t pcr: "
                             "none\n\t\t hash_type: unsupported\n");

  Bytes nh = header(0, 0x0B, 1, 1);
  add_entry(nh, 5, 255, 1, 0, 2, Bytes(40, 1));
  EXPECT_EQ(text_of(nh), std::string(kHead) +
                             "\t num_entries: 1\n\t policy entry[0]:\n\t\t mod_num: 5\n\t\t pcr: "
                             "none\n\t\t hash_type: TB_HTYPE_IMAGE\n\t\t num_hashes: 2\nsize of "
                             "policy entry is too small (60)\n");
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tbp-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const Bytes& data) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    return p;
  }
  std::string dir_;
};

Bytes gzip_bytes(const Bytes& in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(compressBound(in.size()) + 64);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

Digest sha256(const Bytes& b) {
  host::OpenSslHasher h;
  return *hash_once(h, HashAlg::kSha256, ByteSpan(b.data(), b.size()));
}

using TbPolgenImage = TempDir;

TEST_F(TbPolgenImage, PlainGzipMultiMemberAndTrailingGarbage) {
  Bytes content(100000);
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i * 31 + i / 7);
  auto plain = host::hash_image_gzread(write("p.bin", content), HashAlg::kSha256);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, sha256(content));
  Bytes gz = gzip_bytes(content);
  auto g = host::hash_image_gzread(write("p.gz", gz), HashAlg::kSha256);
  ASSERT_TRUE(g.ok()) << g.failure().message;
  EXPECT_EQ(*g, sha256(content));
  // Two members: zlib concatenates them (gzip -d does too).
  Bytes two = gz;
  two.insert(two.end(), gz.begin(), gz.end());
  Bytes twice = content;
  twice.insert(twice.end(), content.begin(), content.end());
  auto t = host::hash_image_gzread(write("two.gz", two), HashAlg::kSha256);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, sha256(twice));
  // Non-gzip bytes after a member are ignored by gzread.
  Bytes trail = gz;
  for (char c : std::string("trailing garbage")) trail.push_back(static_cast<uint8_t>(c));
  auto tg = host::hash_image_gzread(write("trail.gz", trail), HashAlg::kSha256);
  ASSERT_TRUE(tg.ok());
  EXPECT_EQ(*tg, sha256(content));
  // An empty file is an empty image.
  auto e = host::hash_image_gzread(write("empty", {}), HashAlg::kSha256);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, sha256({}));
}

TEST_F(TbPolgenImage, CorruptTruncatedMissing) {
  Bytes content(50000, 0x41);
  Bytes gz = gzip_bytes(content);
  Bytes cut(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2));
  auto c = host::hash_image_gzread(write("cut.gz", cut), HashAlg::kSha256);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.failure().code, Errc::kTruncated);
  EXPECT_NE(c.failure().message.find("cut.gz"), std::string::npos);
  Bytes notrailer(gz.begin(), gz.end() - 4);
  auto nt = host::hash_image_gzread(write("nt.gz", notrailer), HashAlg::kSha256);
  ASSERT_FALSE(nt.ok());
  EXPECT_EQ(nt.failure().code, Errc::kTruncated);
  Bytes crc = gz;
  crc[crc.size() - 6] ^= 0xFF;  // CRC32 in the trailer
  auto bc = host::hash_image_gzread(write("crc.gz", crc), HashAlg::kSha256);
  ASSERT_FALSE(bc.ok());
  EXPECT_EQ(bc.failure().code, Errc::kBadValue);
  Bytes junk = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  auto j = host::hash_image_gzread(write("junk.gz", junk), HashAlg::kSha256);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.failure().code, Errc::kBadValue);
  auto m = host::hash_image_gzread(dir_ + "/missing", HashAlg::kSha256);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.failure().code, Errc::kNotFound);
  auto d = host::hash_image_gzread(dir_, HashAlg::kSha256);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.failure().code, Errc::kIo);
}

using VlpFiles = TempDir;

TEST_F(VlpFiles, LoadRefusesAndSaveRoundTrips) {
  auto missing = host::load_vlp_file(dir_ + "/none.pol");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure().code, Errc::kIo);
  auto empty = host::load_vlp_file(write("e.pol", {}));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.failure().message.find("empty"), std::string::npos);
  auto big = host::load_vlp_file(write("big.pol", Bytes(2125, 0)));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.failure().code, Errc::kTooLarge);
  Bytes bad = header(0, 0x0B, 1, 1);
  add_entry(bad, 0, 30, 0, 0, 0);
  auto b = host::load_vlp_file(write("bad.pol", bad));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.failure().code, Errc::kBadValue);
  EXPECT_NE(b.failure().message.find("bad.pol"), std::string::npos);
  EXPECT_NE(b.failure().message.find("byte offset 13"), std::string::npos);

  Bytes good = header(1, 0x0D, 0, 1);
  add_entry(good, 3, 18, 1, 0, 1, Bytes(64, 0x5C));
  Bytes with_tail = good;
  with_tail.push_back(0xEE);
  auto g = host::load_vlp_file(write("g.pol", with_tail));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->file_size, good.size() + 1);
  std::string out = dir_ + "/out.pol";
  ASSERT_TRUE(host::save_vlp_file(out, g->policy).ok());
  auto back = host::read_file(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, good);
  auto j = host::vlp_json(g->policy, "g.pol", g->file_size);
  EXPECT_EQ(j["trailing_bytes"], 1);
  EXPECT_EQ(j["policy_type"], "continue");
  EXPECT_EQ(j["hash_alg"], "sha512");
  EXPECT_EQ(j["extend_pcr17"], false);
  std::string hex5c;
  for (int i = 0; i < 64; ++i) hex5c += "5c";
  EXPECT_EQ(j["entries"][0]["hashes"][0], hex5c);
}

}  // namespace
}  // namespace tlaunch
