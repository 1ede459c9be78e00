// LCP list signatures over OpenSSL: keys (passphrases, sizes, types, pairs), signing and
// verification for every scheme and list version, every signed upstream vector verifies (RSA-3072
// PKCS#1 too, docs/reference/upstream-quirks.md#q26), any flipped byte of a signed list fails,
// detached signing.
#include "tlaunch/policy/host/lcp/lcp_sign.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tlaunch/policy/host/lcp/lcp_list_ops.h"

namespace tlaunch::lcp::host {
namespace {

const std::string kVec = TLAUNCH_VECTORS_DIR;
const std::string kKeys = std::string(TLAUNCH_SOURCE_DIR) + "/tests/cli/lcplist/keys/";
const std::string kVecKeys = kVec + "/keys/";

Bytes read_vec(const std::string& rel) {
  std::ifstream f(kVec + "/" + rel, std::ios::binary);
  EXPECT_TRUE(f.good()) << rel;
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

PassphraseSource no_passphrase() {
  PassphraseSource p;
  p.env_var = "TLAUNCH_TEST_UNSET_PASSPHRASE_VARIABLE";
  p.allow_prompt = false;
  return p;
}

PublicKey pub(const std::string& path) {
  auto k = load_public_key(path);
  EXPECT_TRUE(k.ok()) << (k.ok() ? "" : k.failure().message);
  return std::move(*k);
}
PrivateKey priv(const std::string& path) {
  auto k = load_private_key(path, no_passphrase());
  EXPECT_TRUE(k.ok()) << (k.ok() ? "" : k.failure().message);
  return std::move(*k);
}

TEST(LcpSign, LoadsTheVectorKeys) {
  EXPECT_EQ(pub(kVecKeys + "rsa2048_a.pub.pem").describe(), "RSA-2048");
  EXPECT_EQ(pub(kVecKeys + "rsa3072_a.pub.pem").describe(), "RSA-3072");
  EXPECT_EQ(pub(kVecKeys + "ec256_a.pub.pem").describe(), "ECC P-256");
  EXPECT_EQ(pub(kVecKeys + "ec384_a.pub.pem").describe(), "ECC P-384");
  EXPECT_EQ(pub(kKeys + "sm2.pub.pem").describe(), "SM2");
  // The public half of a private key equals the public key file.
  auto p = public_key_of(priv(kVecKeys + "ec384_a.priv.pem"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->x, pub(kVecKeys + "ec384_a.pub.pem").x);
}

TEST(LcpSign, RejectsKeysLcpCannotUse) {
  auto small = load_public_key(kKeys + "rsa1024.pub.pem");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.failure().message.find("too small"), std::string::npos);
  EXPECT_NE(small.failure().message.find("rsa1024.pub.pem"), std::string::npos);
  auto e3 = load_public_key(kKeys + "rsa2048_e3.pub.pem");
  ASSERT_FALSE(e3.ok());
  EXPECT_NE(e3.failure().message.find("65537"), std::string::npos);
  auto p521 = load_public_key(kKeys + "ec521.pub.pem");
  ASSERT_FALSE(p521.ok());
  EXPECT_NE(p521.failure().message.find("secp521r1"), std::string::npos);
  auto junk = load_public_key(kKeys + "passphrase.txt");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.failure().code, Errc::kCrypto);
  auto missing = load_public_key(kKeys + "no-such-key.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure().code, Errc::kIo);
  auto pub_as_priv = load_private_key(kVecKeys + "rsa2048_a.pub.pem", no_passphrase());
  ASSERT_FALSE(pub_as_priv.ok());
}

TEST(LcpSign, RawKeyFallbacksAsLcptools) {
  PublicKey rsa = pub(kVecKeys + "rsa2048_a.pub.pem");
  // Raw RSA modulus, big-endian.
  auto k = rsa_public_key(span(rsa.modulus), "raw");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->modulus, rsa.modulus);
  PublicKey ec = pub(kVecKeys + "ec256_a.pub.pem");
  std::string path = ::testing::TempDir() + "/raw_ec.bin";
  {
    std::ofstream f(path, std::ios::binary);
    Bytes raw = ec.x_le();
    Bytes y = ec.y_le();
    raw.insert(raw.end(), y.begin(), y.end());  // Qx_LE || Qy_LE
    f.write(reinterpret_cast<const char*>(raw.data()), static_cast<long>(raw.size()));
  }
  PublicKey raw_ec = pub(path);
  EXPECT_EQ(raw_ec.x, ec.x);
  EXPECT_EQ(raw_ec.y, ec.y);
}

TEST(LcpSign, PassphraseFromFileEnvironmentOrNothing) {
  PassphraseSource none = no_passphrase();
  auto no = load_private_key(kKeys + "rsa2048_b.enc.pem", none);
  ASSERT_FALSE(no.ok());
  EXPECT_NE(no.failure().message.find("--passphrase-file"), std::string::npos);

  PassphraseSource file = none;
  file.file = kKeys + "passphrase.txt";
  auto yes = load_private_key(kKeys + "rsa2048_b.enc.pem", file);
  ASSERT_TRUE(yes.ok()) << yes.failure().message;
  EXPECT_TRUE(check_key_pair(pub(kKeys + "rsa2048_b.pub.pem"), *yes).ok());

  std::string wrong = ::testing::TempDir() + "/wrong_pass.txt";
  std::ofstream(wrong) << "not the passphrase\n";
  PassphraseSource bad = none;
  bad.file = wrong;
  auto w = load_private_key(kKeys + "ec256_b.enc.pem", bad);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.failure().message.find("wrong passphrase"), std::string::npos);

  ::setenv("TLAUNCH_TEST_PASSPHRASE", "correct horse battery staple", 1);
  PassphraseSource env = none;
  env.env_var = "TLAUNCH_TEST_PASSPHRASE";
  auto e = load_private_key(kKeys + "ec256_b.enc.pem", env);
  ::unsetenv("TLAUNCH_TEST_PASSPHRASE");
  ASSERT_TRUE(e.ok()) << e.failure().message;
}

TEST(LcpSign, MismatchedKeyPairIsRefused) {
  PublicKey a = pub(kVecKeys + "rsa2048_a.pub.pem");
  PrivateKey b = priv(kKeys + "rsa2048_b.priv.pem");
  auto s = check_key_pair(a, b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.failure().message.find("rsa2048_b.priv.pem"), std::string::npos);
  EXPECT_NE(s.failure().message.find("rsa2048_a.pub.pem"), std::string::npos);
  Bytes list = read_vec("list-create-300/list.lst");
  auto l = list_from_bytes(list, "list");
  ASSERT_TRUE(l.ok());
  SignRequest req{kAlgRsaPss, kAlgSha256, 0};
  EXPECT_FALSE(sign_list(l->view, a, b, req).ok());
}

// Every signed upstream list verifies, including RSA-3072 PKCS#1 (lcptools cannot,
// docs/reference/upstream-quirks.md#q26).
TEST(LcpSign, EverySignedVectorListVerifies) {
  for (const char* f :
       {"list-sign-200-rsa2048-sha256/list.lst", "list-sign-201-rsa3072-sha384-rev7/list.lst",
        "list-sign-300-rsapss2048-sha256/list.lst", "list-sign-300-ecdsa-p256/list.lst",
        "list-sign-200-ecdsa-p384/list.lst", "pol-list-31-two-rsa-lists/a.lst",
        "pol-list-31-two-rsa-lists/b.lst", "pol-list-32-ecdsa-300/list.lst"}) {
    SCOPED_TRACE(f);
    auto l = list_from_bytes(read_vec(f), f);
    ASSERT_TRUE(l.ok()) << l.failure().message;
    auto c = verify_list(l->view);
    ASSERT_TRUE(c.ok()) << c.failure().message;
    EXPECT_TRUE(c->is_signed);
    EXPECT_TRUE(c->valid) << c->reason;
  }
  auto l = list_from_bytes(read_vec("list-sign-201-rsa3072-sha384-rev7/list.lst"), "l");
  auto c = verify_list(l->view);
  EXPECT_EQ(c->hash_alg, kAlgSha384);
}

// Flip every byte of signed lists: the list either fails to decode or fails to verify.
TEST(LcpSign, AnyFlippedByteBreaksTheSignature) {
  for (const char* f :
       {"list-sign-200-rsa2048-sha256/list.lst", "list-sign-300-ecdsa-p256/list.lst",
        "list-sign-300-rsapss2048-sha256/list.lst", "list-sign-201-rsa3072-sha384-rev7/list.lst"}) {
    SCOPED_TRACE(f);
    const Bytes good = read_vec(f);
    for (size_t i = 0; i < good.size(); ++i) {
      Bytes t = good;
      t[i] ^= 0x01;
      auto l = list_from_bytes(t, f);
      if (!l.ok()) continue;
      auto c = verify_list(l->view);
      ASSERT_TRUE(c.ok()) << c.failure().message;
      EXPECT_FALSE(c->valid) << "byte " << i << " flipped still verifies";
    }
  }
}

struct SignCase {
  uint16_t version;
  uint16_t scheme;
  uint16_t hash;
  const char* pub;
  const char* priv;
};

TEST(LcpSign, SignAndVerifyEverySchemeAndVersion) {
  const std::string v = kVecKeys, k = kKeys;
  const SignCase cases[] = {
      {0x200, kAlgRsaSsa, kAlgSha256, "rsa2048_a.pub.pem", "rsa2048_a.priv.pem"},
      {0x201, kAlgRsaSsa, kAlgSha384, "rsa3072_a.pub.pem", "rsa3072_a.priv.pem"},
      {0x200, kAlgEcdsa, kAlgNull, "ec256_a.pub.pem", "ec256_a.priv.pem"},
      {0x200, kAlgEcdsa, kAlgNull, "ec384_a.pub.pem", "ec384_a.priv.pem"},
      {0x300, kAlgRsaPss, kAlgSha256, "rsa2048_a.pub.pem", "rsa2048_a.priv.pem"},
      {0x300, kAlgRsaPss, kAlgSha384, "rsa3072_a.pub.pem", "rsa3072_a.priv.pem"},
      {0x300, kAlgRsaSsa, kAlgSha256, "rsa2048_a.pub.pem", "rsa2048_a.priv.pem"},
      {0x300, kAlgEcdsa, kAlgNull, "ec256_a.pub.pem", "ec256_a.priv.pem"},
      {0x300, kAlgEcdsa, kAlgNull, "ec384_a.pub.pem", "ec384_a.priv.pem"},
  };
  Bytes base300 = read_vec("list-create-300/list.lst");
  Bytes base200 = read_vec("list-create-200/list.lst");
  for (const SignCase& c : cases) {
    SCOPED_TRACE(std::string(c.pub) + " scheme " + std::to_string(c.scheme));
    Bytes base = c.version == 0x300 ? base300 : base200;
    base[0] = static_cast<uint8_t>(c.version);
    auto l = list_from_bytes(base, "list");
    ASSERT_TRUE(l.ok());
    PublicKey p = pub(v + c.pub);
    PrivateKey s = priv(v + c.priv);
    auto out = sign_list(l->view, p, s, SignRequest{c.scheme, c.hash, 5});
    ASSERT_TRUE(out.ok()) << out.failure().message;
    auto back = list_from_bytes(*out, "signed");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->view.signature.revocation_counter, 5);
    EXPECT_EQ(back->view.version, c.version);
    auto check = verify_list(back->view);
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->valid) << check->reason;
    // Re-signing a signed list replaces its signature (0x300 too, unlike lcptools,
    // docs/reference/upstream-quirks.md#q37).
    auto again = sign_list(back->view, p, s, SignRequest{c.scheme, c.hash, 6});
    ASSERT_TRUE(again.ok()) << again.failure().message;
    EXPECT_EQ(again->size(), out->size());
  }
}

TEST(LcpSign, Sm2ListsWithEmptyUserId) {
  if (!sm2_supported()) GTEST_SKIP() << "SM2 not in this OpenSSL";
  PublicKey p = pub(kKeys + "sm2.pub.pem");
  PrivateKey s = priv(kKeys + "sm2.priv.pem");
  for (uint16_t version : {0x200, 0x300}) {
    Bytes base =
        read_vec(version == 0x300 ? "list-create-300/list.lst" : "list-create-200/list.lst");
    auto l = list_from_bytes(base, "list");
    ASSERT_TRUE(l.ok());
    auto out = sign_list(l->view, p, s, SignRequest{kAlgSm2, kAlgNull, 0});
    ASSERT_TRUE(out.ok()) << out.failure().message;
    auto back = list_from_bytes(*out, "signed");
    ASSERT_TRUE(back.ok());
    auto c = verify_list(back->view);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->valid) << c->reason;
    EXPECT_EQ(c->hash_alg, kAlgSm3_256);
    if (version == 0x300) {
      EXPECT_EQ(back->view.signature.hash_alg, kAlgSm3_256);
    }
  }
}

TEST(LcpSign, WrongKeyTypeForTheAlgorithm) {
  auto l = list_from_bytes(read_vec("list-create-300/list.lst"), "list");
  ASSERT_TRUE(l.ok());
  PublicKey rsa = pub(kVecKeys + "rsa2048_a.pub.pem");
  PublicKey ec = pub(kVecKeys + "ec256_a.pub.pem");
  auto a = prepare_signed_list(l->view, rsa, SignRequest{kAlgEcdsa, kAlgNull, 0});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.failure().message.find("RSA-2048"), std::string::npos);
  auto b = prepare_signed_list(l->view, ec, SignRequest{kAlgRsaPss, kAlgSha256, 0});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.failure().message.find("ECC P-256"), std::string::npos);
  auto c = prepare_signed_list(l->view, ec, SignRequest{kAlgSm2, kAlgNull, 0});
  ASSERT_FALSE(c.ok());
  auto d = prepare_signed_list(l->view, ec, SignRequest{kAlgEcdsa, kAlgSha384, 0});
  ASSERT_FALSE(d.ok());  // P-256 signs with SHA-256
}

// Detached signing: the bytes to sign, a signature made elsewhere, attached and verified.
TEST(LcpSign, DetachedSignatureRoundTrip) {
  for (uint16_t version : {0x200, 0x300}) {
    SCOPED_TRACE(version);
    auto l = list_from_bytes(
        read_vec(version == 0x300 ? "list-create-300/list.lst" : "list-create-200/list.lst"),
        "list");
    ASSERT_TRUE(l.ok());
    PublicKey p = pub(kVecKeys + "ec384_a.pub.pem");
    PrivateKey s = priv(kVecKeys + "ec384_a.priv.pem");
    SignRequest req{kAlgEcdsa, kAlgNull, 3};
    auto prep = prepare_signed_list(l->view, p, req);
    ASSERT_TRUE(prep.ok());
    auto sig = sign_message(s, p, kAlgEcdsa, kAlgSha384, prep->tbs());
    ASSERT_TRUE(sig.ok());
    auto attached = attach_signature(l->view, p, req, span(*sig));
    ASSERT_TRUE(attached.ok()) << attached.failure().message;
    Bytes bad = *sig;
    bad[5] ^= 1;
    auto refused = attach_signature(l->view, p, req, span(bad));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.failure().code, Errc::kVerifyFailed);
    // A signature over other bytes (different revocation counter) does not attach.
    auto other = attach_signature(l->view, p, SignRequest{kAlgEcdsa, kAlgNull, 4}, span(*sig));
    EXPECT_FALSE(other.ok());
  }
}

}  // namespace
}  // namespace tlaunch::lcp::host
