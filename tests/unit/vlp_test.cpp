#include "tlaunch/policy/vlp.h"

#include <gtest/gtest.h>

#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/measure.h"

namespace tlaunch {
namespace {

std::vector<uint8_t> unhex(const char* s) {
  std::vector<uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (; s[0] && s[1]; s += 2) {
    while (*s == ' ') ++s;
    if (!s[0] || !s[1]) break;
    out.push_back(static_cast<uint8_t>(nib(s[0]) * 16 + nib(s[1])));
  }
  return out;
}

std::vector<uint8_t> encode_vec(const vlp::Policy& p) {
  std::vector<uint8_t> buf(vlp::kMaxPolicySize);
  auto n = vlp::encode(p, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_TRUE(n.ok());
  buf.resize(n.ok() ? *n : 0);
  return buf;
}

// docs/reference/vlp.md §5.4: serialized default policies and their SHA-256.
TEST(Vlp, DefaultPoliciesMatchTboot) {
  auto legacy = encode_vec(vlp::default_policy(false));
  EXPECT_EQ(legacy, unhex("02000b01000000000000000300ff000000000000811300000000000083160010000040"
                          "00"));
  auto da = encode_vec(vlp::default_policy(true));
  EXPECT_EQ(da.size(), 36u);
  EXPECT_EQ(da[0x15], 0x11);
  host::OpenSslHasher h;
  auto d = hash_once(h, HashAlg::kSha256, ByteSpan(legacy.data(), legacy.size()));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, make_digest(HashAlg::kSha256, [] {
    static auto v = unhex("45c82b6a9f259424f78e8a8b7ae58528f78b8dfdb3d9fdc6c1318f119a7b39a2");
    return ByteSpan(v.data(), v.size());
  }()));
}

// docs/reference/vlp.md §6.3: PCR17 entry digest of the legacy default policy, control = 1 and 0.
TEST(Vlp, PolicyControlMeasurement) {
  host::OpenSslHasher h;
  vlp::Policy p = vlp::default_policy(false);
  auto d = policy_control_measurement(h, p, HashAlg::kSha256, HashAlg::kSha256);
  ASSERT_TRUE(d.ok());
  auto want = unhex("9f6449ddf2b1dda0ac1df6f42b4f96e50f66bbd41aeb6ee49766432f1e328052");
  EXPECT_EQ(*d, make_digest(HashAlg::kSha256, ByteSpan(want.data(), want.size())));
  p.policy_control = 0;
  auto z = policy_control_measurement(h, p, HashAlg::kSha256, HashAlg::kSha256);
  ASSERT_TRUE(z.ok());
  auto want0 = unhex("6db65fd59fd356f6729140571b5bcd6bb3b83492a16e1bf0a3884442fc3c8a0e");
  EXPECT_EQ(*z, make_digest(HashAlg::kSha256, ByteSpan(want0.data(), want0.size())));
}

// docs/reference/vlp.md §9 worked example: build it with the model, compare bytes and module
// measurement.
TEST(Vlp, WorkedExampleRoundTrip) {
  host::OpenSslHasher h;
  vlp::Policy p = vlp::Policy::create(vlp::kContNonFatal, 0x0B, 1);
  const char* img = "hello kernel image";
  auto di = hash_once(h, HashAlg::kSha256, cstr_bytes(img));
  ASSERT_TRUE(di.ok());
  auto m = module_measurement(h, HashAlg::kSha256, cstr_bytes("root=/dev/sda1 ro"), *di);
  ASSERT_TRUE(m.ok());
  auto want = unhex("9d14a9fac234f9e7fa9ad84f045b3869fb551d25fbd350bc35efe7479a761d35");
  EXPECT_EQ(m->span().size, 32u);
  EXPECT_TRUE(equal_bytes(m->bytes, want.data(), 32));
  vlp::Entry e0;
  e0.mod_num = 0;
  e0.pcr = vlp::kPcrNone;
  e0.hash_type = vlp::kHashImage;
  auto i0 = p.add_entry(e0);
  ASSERT_TRUE(i0.ok());
  ASSERT_TRUE(p.add_hash(*i0, m->span()).ok());
  auto di1 = hash_once(h, HashAlg::kSha256, cstr_bytes("initrd-bytes"));
  auto m1 = module_measurement(h, HashAlg::kSha256, cstr_bytes(""), *di1);
  vlp::Entry e1;
  e1.mod_num = 1;
  e1.pcr = 19;
  e1.hash_type = vlp::kHashImage;
  auto i1 = p.add_entry(e1);
  ASSERT_TRUE(p.add_hash(*i1, m1->span()).ok());
  vlp::Entry e2;
  e2.mod_num = vlp::kModNumAny;
  e2.pcr = 19;
  ASSERT_TRUE(p.add_entry(e2).ok());
  auto bytes = encode_vec(p);
  ASSERT_EQ(bytes.size(), 100u);
  auto sum = hash_once(h, HashAlg::kSha256, ByteSpan(bytes.data(), bytes.size()));
  auto want_file = unhex("ef03ff11a4f81a4487c2543760e69ddc718a19191a3e810980960d3ec039ae5c");
  EXPECT_TRUE(equal_bytes(sum->bytes, want_file.data(), 32));
  auto pc = policy_control_measurement(h, p, HashAlg::kSha256, HashAlg::kSha256);
  auto want_pc = unhex("80c29ce9ff8804fc09dc5a3975593f39379e921aabafef6edd1523128e100512");
  EXPECT_TRUE(equal_bytes(pc->bytes, want_pc.data(), 32));

  auto back = vlp::decode(ByteSpan(bytes.data(), bytes.size()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(encode_vec(*back), bytes);
  EXPECT_EQ(back->num_entries(), 3u);
  EXPECT_EQ(back->find_entry(5), 2);  // ANY matches
}

struct BadCase {
  const char* name;
  const char* hex;
  Errc code;
  const char* field;
  uint32_t offset;
};

class VlpMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(VlpMalformed, RejectedWithFieldAndOffset) {
  auto bytes = unhex(GetParam().hex);
  auto r = vlp::decode(ByteSpan(bytes.data(), bytes.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, GetParam().code);
  ASSERT_NE(r.error().field, nullptr);
  EXPECT_STREQ(r.error().field, GetParam().field);
  EXPECT_EQ(r.error().offset, GetParam().offset);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, VlpMalformed,
    ::testing::Values(
        BadCase{"empty", "", Errc::kTruncated, "size", 0},
        BadCase{"short_header", "02000b0100000000000000", Errc::kTruncated, "size", 11},
        BadCase{"version1", "01000b01000000000000000000", Errc::kUnsupported, "version", 0},
        BadCase{"type3", "02030b010000000000000000", Errc::kBadValue, "policy_type", 1},
        BadCase{"entries_past_end", "02000b010000000000000001", Errc::kTruncated, "entry", 12},
        BadCase{"entry_header_cut", "02000b01000000000000000100ff0000", Errc::kTruncated, "entry",
                12},
        BadCase{"mod128", "02000b0100000000000000018000000000000000", Errc::kBadValue, "mod_num",
                12},
        BadCase{"mod132", "02000b0100000000000000018400000000000000", Errc::kBadValue, "mod_num",
                12},
        BadCase{"pcr24", "02000b0100000000000000010018000000000000", Errc::kBadValue, "pcr", 13},
        BadCase{"htype2", "02000b01000000000000000100ff020000000000", Errc::kBadValue, "hash_type",
                14},
        BadCase{"hashes_past_end", "02000b01000000000000000100ff010000000001aabb", Errc::kTruncated,
                "num_hashes", 19},
        BadCase{"second_entry_bad",
                "02000b01000000000000000200ff00000000000000ff0300000000"
                "00",
                Errc::kBadValue, "hash_type", 22}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(Vlp, AcceptedOddities) {
  // Unknown hash_alg: H = 0, entries carry zero-length digests (docs/reference/vlp.md §4 "Not
  // checked").
  auto b = unhex("02007701000000000000000100ff010000000005");
  auto r = vlp::decode(ByteSpan(b.data(), b.size()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entry(0).num_hashes, 5);
  EXPECT_EQ(r->size(), 20u);
  // Trailing bytes after the last entry are ignored.
  auto t = unhex("02000b010000000000000000deadbeef");
  auto rt = vlp::decode(ByteSpan(t.data(), t.size()));
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->size(), 12u);
}

TEST(Vlp, CapacityLimits) {
  vlp::Policy p = vlp::Policy::create(vlp::kHalt, 0x0D, 1);  // sha512: 8 x (8 + 4 x 64) fits
  uint8_t d[64] = {};
  for (int e = 0; e < 8; ++e) {
    vlp::Entry en;
    en.mod_num = static_cast<uint8_t>(e);
    auto i = p.add_entry(en);
    ASSERT_TRUE(i.ok());
    for (int k = 0; k < 4; ++k) ASSERT_TRUE(p.add_hash(*i, ByteSpan(d, 64)).ok());
  }
  EXPECT_EQ(p.size(), vlp::kMaxPolicySize);
  EXPECT_EQ(p.add_hash(0, ByteSpan(d, 64)).error().code, Errc::kTooLarge);
  vlp::Entry more;
  EXPECT_EQ(p.add_entry(more).error().code, Errc::kTooLarge);
  ASSERT_TRUE(p.del_hash(3, 1).ok());
  EXPECT_EQ(p.entry(3).num_hashes, 3);
  ASSERT_TRUE(p.del_entry(0).ok());
  EXPECT_EQ(p.num_entries(), 7u);
  EXPECT_EQ(p.size(), vlp::kMaxPolicySize - 64 - 8 - 256);
}

TEST(Vlp, ErrorActionMap) {
  using vlp::Action;
  using vlp::TbError;
  EXPECT_EQ(vlp::evaluate_error(vlp::kContNonFatal, TbError::kModuleVerificationFailed),
            Action::kContinue);
  EXPECT_EQ(vlp::evaluate_error(vlp::kContNonFatal, TbError::kFatal), Action::kHalt);
  EXPECT_EQ(vlp::evaluate_error(vlp::kContNonFatal, TbError::kTpmNotReady),
            Action::kUnmeasuredLaunch);
  EXPECT_EQ(vlp::evaluate_error(vlp::kContVerifyFail, TbError::kModuleVerificationFailed),
            Action::kContinue);
  EXPECT_EQ(vlp::evaluate_error(vlp::kContVerifyFail, TbError::kModulesNotInPolicy), Action::kHalt);
  EXPECT_EQ(vlp::evaluate_error(vlp::kHalt, TbError::kPolicyNotPresent), Action::kHalt);
  EXPECT_EQ(vlp::evaluate_error(vlp::kHalt, TbError::kNone), Action::kContinue);
  EXPECT_STREQ(vlp::tb_error_name(9), "TB_ERR_MODULE_VERIFICATION_FAILED");
}

// tboot HEAD's get_hash_size() (include/hash.h) knows only SHA-256, SM3, SHA-384 and SHA-512:
// SHA-1 (0x04) and the legacy 0x00 give H = 0, so their entries carry zero-length digests.
TEST(Vlp, DigestSizeFollowsTbootHead) {
  EXPECT_EQ(vlp::policy_digest_size(0x0B), 32);
  EXPECT_EQ(vlp::policy_digest_size(0x12), 32);
  EXPECT_EQ(vlp::policy_digest_size(0x0C), 48);
  EXPECT_EQ(vlp::policy_digest_size(0x0D), 64);
  EXPECT_EQ(vlp::policy_digest_size(0x04), 0);
  EXPECT_EQ(vlp::policy_digest_size(0x00), 0);
  EXPECT_EQ(vlp::policy_digest_size(0x10), 0);
  // A SHA-1 policy whose entry announces 2 hashes and has no digest bytes is valid for HEAD.
  auto b = unhex("02000401000000000000000100ff010000000002");
  auto r = vlp::decode(ByteSpan(b.data(), b.size()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 20u);
  EXPECT_EQ(encode_vec(*r), b);
}

// tboot 1.10.5 (Debian 12; its include/hash.h) gives SHA-1 and the legacy id 0x00 20 bytes: the
// tb_polgen drop-in reads with vlp::Release::kTboot1105. The same bytes are a different policy
// for HEAD.
TEST(Vlp, DigestSizeOfTboot1105) {
  const auto rel = vlp::Release::kTboot1105;
  EXPECT_EQ(vlp::policy_digest_size(0x04, rel), 20);
  EXPECT_EQ(vlp::policy_digest_size(0x00, rel), 20);
  EXPECT_EQ(vlp::policy_digest_size(0x0B, rel), 32);
  EXPECT_EQ(vlp::policy_digest_size(0x10, rel), 0);
  // One entry with one 20-byte digest, then an ANY entry.
  std::vector<uint8_t> b = unhex("02000401000000000000000200ff010000000001");
  for (uint8_t i = 0; i < 20; ++i) b.push_back(i);
  const auto any = unhex("8113000000000000");
  b.insert(b.end(), any.begin(), any.end());
  auto r = vlp::decode(ByteSpan(b.data(), b.size()), rel);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_entries(), 2u);
  EXPECT_EQ(r->hash(0, 0).size, 20u);
  EXPECT_EQ(r->hash(0, 0)[19], 19);
  EXPECT_EQ(r->entry(1).mod_num, vlp::kModNumAny);
  EXPECT_EQ(encode_vec(*r), b);
  // For HEAD the digest bytes are read as the second entry's header: mod_num 0x00, pcr 0x01,
  // hash_type 2 -> invalid.
  EXPECT_FALSE(vlp::decode(ByteSpan(b.data(), b.size())).ok());
  // A new SHA-1 policy takes 20-byte digests only.
  auto p = vlp::Policy::create(vlp::kHalt, 0x04, 1, rel);
  vlp::Entry e;
  ASSERT_TRUE(p.add_entry(e).ok());
  EXPECT_FALSE(p.add_hash(0, ByteSpan(b.data(), 32)).ok());
  EXPECT_TRUE(p.add_hash(0, ByteSpan(b.data(), 20)).ok());
  EXPECT_EQ(p.size(), 12u + 8 + 20);
}

TEST(Vlp, InsertEntryKeepsDigestsWithTheirEntries) {
  vlp::Policy p = vlp::Policy::create(vlp::kHalt, 0x0B, 1);
  uint8_t d1[32], d2[32];
  for (int i = 0; i < 32; ++i) {
    d1[i] = static_cast<uint8_t>(i);
    d2[i] = static_cast<uint8_t>(0xA0 + i);
  }
  vlp::Entry e;
  e.mod_num = 0;
  e.hash_type = vlp::kHashImage;
  ASSERT_TRUE(p.add_entry(e).ok());
  ASSERT_TRUE(p.add_hash(0, ByteSpan(d1, 32)).ok());
  e.mod_num = vlp::kModNumAny;
  e.hash_type = vlp::kHashAny;
  ASSERT_TRUE(p.add_entry(e).ok());
  e.mod_num = 1;
  e.hash_type = vlp::kHashImage;
  auto at = p.insert_entry(1, e);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, 1u);
  ASSERT_TRUE(p.add_hash(1, ByteSpan(d2, 32)).ok());
  ASSERT_EQ(p.num_entries(), 3u);
  EXPECT_EQ(p.entry(0).mod_num, 0);
  EXPECT_EQ(p.entry(1).mod_num, 1);
  EXPECT_EQ(p.entry(2).mod_num, vlp::kModNumAny);
  EXPECT_TRUE(equal_bytes(p.hash(0, 0).data, d1, 32));
  EXPECT_TRUE(equal_bytes(p.hash(1, 0).data, d2, 32));
  EXPECT_EQ(p.entry(2).num_hashes, 0);
  EXPECT_EQ(p.insert_entry(4, e).error().code, Errc::kNotFound);
  auto bytes = encode_vec(p);
  auto back = vlp::decode(ByteSpan(bytes.data(), bytes.size()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(encode_vec(*back), bytes);
}

// num_entries is a u8: the 256th entry is refused (upstream tb_polgen wraps the count to 0).
TEST(Vlp, EntryCountLimit) {
  vlp::Policy p = vlp::Policy::create(vlp::kHalt, 0x0B, 1);
  vlp::Entry e;
  for (int i = 0; i < 255; ++i) ASSERT_TRUE(p.add_entry(e).ok()) << i;
  EXPECT_EQ(p.size(), 12u + 255u * 8u);
  auto r = p.add_entry(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
}

// A buffer larger than MAX_TB_POLICY_SIZE holding a policy that needs more than 2124 bytes.
TEST(Vlp, DecodeRefusesPolicyLargerThanTbootBuffer) {
  std::vector<uint8_t> b = unhex("02020d010000000000000009");
  for (int e = 0; e < 9; ++e) {
    auto h = unhex("00ff010000000004");
    h[0] = static_cast<uint8_t>(e);
    b.insert(b.end(), h.begin(), h.end());
    b.insert(b.end(), 4 * 64, 0x5A);
  }
  auto r = vlp::decode(ByteSpan(b.data(), b.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
  EXPECT_EQ(r.error().item, 8);
  EXPECT_EQ(r.error().offset, 12u + 8u * (8u + 256u));
}

}  // namespace
}  // namespace tlaunch
