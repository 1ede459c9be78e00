// LCP_POLICY_2, LCP_POLICY_DATA and PolicyHash against the upstream golden files and
// docs/reference/lcp.md.
#include "tlaunch/policy/lcp_policy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"

namespace tlaunch::lcp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_vec(const std::string& rel) {
  std::ifstream f(std::string(TLAUNCH_VECTORS_DIR) + "/" + rel, std::ios::binary);
  EXPECT_TRUE(f.good()) << rel;
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

Bytes unhex(const char* s) {
  Bytes out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  while (*s) {
    if (*s == ' ') {
      ++s;
      continue;
    }
    out.push_back(static_cast<uint8_t>(nib(s[0]) * 16 + nib(s[1])));
    s += 2;
  }
  return out;
}

Bytes encode(const Policy& p) {
  Bytes out(128);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto n = encode_policy(w, p);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

// docs/reference/lcp.md §10 "Results the tools produced": --type any --alg sha256
// --sign rsa-2048-sha256.
TEST(LcpPolicy, AnyPolicyDefaultsMatchLcp2Crtpol) {
  Policy p;
  p.hash_alg = kAlgSha256;
  p.policy_type = kPolicyTypeAny;
  p.lcp_hash_alg_mask = 0x08;
  p.lcp_sign_alg_mask = 0x08;
  p.aux_hash_alg_mask = 0x08;
  Bytes want = unhex(
      "0003 0b00 0100 00000000000000000000000000000000 00000000 ff00 0800 08000000"
      "0800 0000 0000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(encode(p), want);
  EXPECT_EQ(encode(p), read_vec("pol-any-sha256/any.pol"));
  auto d = decode_policy(span(want));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_sinit_min_ver, 0xFF);
  EXPECT_EQ(d->size(), 70u);
}

TEST(LcpPolicy, DecodeEncodeRoundTripOfVectors) {
  for (const char* f :
       {"pol-any-sha256/any.pol", "pol-list-30-unsigned-300/p.pol",
        "pol-list-31-two-rsa-lists/p.pol", "pol-list-32-ecdsa-300/p.pol", "pol-errors/ok.pol"}) {
    SCOPED_TRACE(f);
    Bytes b = read_vec(f);
    auto p = decode_policy(span(b));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(encode(*p), b);
  }
  auto p31 = decode_policy(span(read_vec("pol-list-31-two-rsa-lists/p.pol")));
  ASSERT_TRUE(p31.ok());
  EXPECT_EQ(p31->version, 0x301);
  EXPECT_EQ(p31->hash_alg, kAlgSha384);
  EXPECT_EQ(p31->size(), 86u);
  EXPECT_EQ(p31->sinit_min_version, 0x20);
  EXPECT_EQ(p31->data_revocation_counters[1], 2);
  EXPECT_EQ(p31->max_sinit_min_ver, 0x30);
  EXPECT_EQ(p31->lcp_sign_alg_mask, 0x88u);
}

// PolicyHash recomputed from the data file equals the one lcp2_crtpol stored (SHA-256 and
// SHA-384; unsigned 0x300, RSA-signed 0x200 and ECDSA-signed 0x300 lists).
TEST(LcpPolicy, PolicyHashOfVectorDataFiles) {
  host::OpenSslHasher h;
  for (const char* dir : {"pol-list-30-unsigned-300", "pol-list-31-two-rsa-lists",
                          "pol-list-32-ecdsa-300", "pol-errors"}) {
    SCOPED_TRACE(dir);
    std::string d(dir);
    Bytes pb = read_vec(d + (d == "pol-errors" ? "/ok.pol" : "/p.pol"));
    Bytes db = read_vec(d + (d == "pol-errors" ? "/ok.dat" : "/p.dat"));
    auto p = decode_policy(span(pb));
    ASSERT_TRUE(p.ok());
    auto data = decode_policy_data(span(db));
    ASSERT_TRUE(data.ok()) << data.error().message << " @" << data.error().offset;
    auto ph = policy_hash(h, static_cast<HashAlg>(p->hash_alg), *data);
    ASSERT_TRUE(ph.ok());
    ASSERT_EQ(ph->size, p->digest_size());
    EXPECT_EQ(0, std::memcmp(ph->bytes, p->policy_hash, ph->size));
  }
}

// The data file is the header plus the lists exactly as their files (docs/reference/lcp.md §4).
TEST(LcpPolicy, DataFileIsHeaderPlusListFiles) {
  Bytes a = read_vec("pol-list-31-two-rsa-lists/a.lst");
  Bytes b = read_vec("pol-list-31-two-rsa-lists/b.lst");
  Bytes want = read_vec("pol-list-31-two-rsa-lists/p.dat");
  Bytes out(36);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  ASSERT_TRUE(encode_policy_data_header(w, 2).ok());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  EXPECT_EQ(out, want);
}

TEST(LcpPolicy, BadPoliciesNameFieldAndOffset) {
  Bytes good = read_vec("pol-any-sha256/any.pol");
  struct Case {
    size_t at;
    uint8_t value;
    const char* field;
  } cases[] = {
      {1, 0x02, "Version"}, {2, 0x04, "HashAlg"}, {4, 2, "PolicyType"}, {36, 1, "Reserved2"}};
  for (const Case& c : cases) {
    Bytes t = good;
    t[c.at] = c.value;
    auto p = decode_policy(span(t));
    ASSERT_FALSE(p.ok()) << c.field;
    EXPECT_EQ(std::string(p.error().field), c.field);
    EXPECT_EQ(p.error().offset, c.at == 1 ? 0u : c.at);
  }
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes t(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_FALSE(decode_policy(span(t)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_policy(span(longer)).ok());
  EXPECT_TRUE(decode_policy(span(longer), true).ok());
}

TEST(LcpPolicy, DataFileChecks) {
  const Bytes good = read_vec("pol-list-31-two-rsa-lists/p.dat");
  ASSERT_TRUE(decode_policy_data(span(good)).ok());
  {
    Bytes t = good;
    t[30] = 'x';  // inside the NUL padding of FileSignature
    auto d = decode_policy_data(span(t));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(std::string(d.error().field), "FileSignature");
  }
  for (uint8_t n : {0, 9}) {
    Bytes t = good;
    t[35] = n;
    auto d = decode_policy_data(span(t));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(std::string(d.error().field), "NumLists");
  }
  {
    Bytes t = good;
    t[35] = 3;  // count overruns the file
    auto d = decode_policy_data(span(t));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().item, 2);
    EXPECT_EQ(d.error().offset, good.size());
  }
  {
    Bytes t = good;
    t[35] = 1;  // the second list is left over
    auto d = decode_policy_data(span(t));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, Errc::kTooLarge);
  }
  {
    Bytes t = good;
    t[33] = 1;
    EXPECT_FALSE(decode_policy_data(span(t)).ok());
  }
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes t(good.begin(), good.begin() + static_cast<long>(n));
    auto d = decode_policy_data(span(t));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_LE(d.error().offset, n);
  }
}

// Eight lists: the maximum (LCP_MAX_LISTS); lcptools writes it but its reader refuses it
// (docs/reference/upstream-quirks.md#q42). Mixed versions are refused.
TEST(LcpPolicy, EightListsDecodeNineDoNot) {
  Bytes l = read_vec("pol-errors/a200.lst");
  Bytes file(36);
  ByteWriter w(MutableByteSpan(file.data(), file.size()));
  ASSERT_TRUE(encode_policy_data_header(w, 8).ok());
  for (int i = 0; i < 8; ++i) file.insert(file.end(), l.begin(), l.end());
  auto d = decode_policy_data(span(file));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->num_lists, 8);
  host::OpenSslHasher h;
  EXPECT_TRUE(policy_hash(h, HashAlg::kSha256, *d).ok());
  Bytes nine(36);
  ByteWriter w9(MutableByteSpan(nine.data(), nine.size()));
  EXPECT_FALSE(encode_policy_data_header(w9, 9).ok());

  Bytes mixed(36);
  ByteWriter wm(MutableByteSpan(mixed.data(), mixed.size()));
  ASSERT_TRUE(encode_policy_data_header(wm, 2).ok());
  Bytes b300 = read_vec("pol-errors/b300.lst");
  mixed.insert(mixed.end(), l.begin(), l.end());
  mixed.insert(mixed.end(), b300.begin(), b300.end());
  auto m = decode_policy_data(span(mixed));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().item, 1);
  EXPECT_EQ(std::string(m.error().field), "Version");
}

// docs/reference/lcp.md §6 verified example: PolicyHash over one unsigned LIST2 and the same list
// RSA-signed.
TEST(LcpPolicy, PolicyHashFormula) {
  // L1 = an unsigned 0x200 list; L2 = RSA-2048-signed. The example's exact lists are not shipped,
  // so check the formula on a vector pair instead: H(H(L1) || H(modulus(L2))).
  Bytes l1 = read_vec("pol-errors/a200.lst");
  Bytes l2 = read_vec("pol-list-31-two-rsa-lists/a.lst");
  auto v1 = decode_list_file(span(l1));
  auto v2 = decode_list_file(span(l2));
  ASSERT_TRUE(v1.ok() && v2.ok());
  ListView lists[2] = {*v1, *v2};
  host::OpenSslHasher h;
  auto ph = policy_hash(h, HashAlg::kSha256, lists, 2);
  ASSERT_TRUE(ph.ok());
  auto h1 = hash_once(h, HashAlg::kSha256, span(l1));
  auto h2 = hash_once(h, HashAlg::kSha256, v2->signature.modulus);
  Bytes cat(h1->bytes, h1->bytes + 32);
  cat.insert(cat.end(), h2->bytes, h2->bytes + 32);
  auto want = hash_once(h, HashAlg::kSha256, span(cat));
  EXPECT_EQ(*ph, *want);
}

}  // namespace
}  // namespace tlaunch::lcp
