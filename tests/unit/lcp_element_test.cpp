// LCP elements: decoding/encoding against the golden vectors (tests/compat/vectors/elt-*), the
// upstream text dump, and rejection of malformed elements with field and byte offset.
#include "tlaunch/policy/lcp_element.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::lcp {
namespace {

using Bytes = std::vector<uint8_t>;

std::string vec_path(const std::string& rel) {
  return std::string(TLAUNCH_VECTORS_DIR) + "/" + rel;
}

Bytes read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
std::string read_text(const std::string& path) {
  Bytes b = read_bytes(path);
  return std::string(b.begin(), b.end());
}
ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

std::vector<Bytes> hashes_of(const HashArray& h) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < h.count; ++i) out.emplace_back(h.at(i).begin(), h.at(i).end());
  return out;
}

// The element dump of `--show`: the vector's step-2 stdout without its "policy element file:" line.
std::string shown_element(const std::string& step_stdout) {
  return step_stdout.substr(step_stdout.find('\n') + 1);
}

Bytes sha(const EVP_MD* md, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr), 1);
  out.resize(n);
  return out;
}

// ------------------------------------------------------------------ golden vectors

TEST(LcpElement, Mle2VectorDecodesReencodesAndPrints) {
  Bytes file = read_bytes(vec_path("elt-mle2-sha256/mle2.elt"));
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->type, kEltMle2);
  EXPECT_EQ(e->size, file.size());
  EXPECT_EQ(e->policy_elt_control, 0u);
  auto m = decode_mle2(*e);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->sinit_min_version, 0x12);
  EXPECT_EQ(m->hashes.hash_alg, kAlgSha256);
  EXPECT_EQ(m->hashes.count, 3);
  auto rebuilt = host::build_mle2(0, 0x12, kAlgSha256, hashes_of(m->hashes));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(*rebuilt, file);
  EXPECT_EQ(host::element_text(*e),
            shown_element(read_text(vec_path("elt-mle2-sha256/steps/02.stdout"))));
}

TEST(LcpElement, Mle2FromHashFilesMatchesVector) {
  // elt-mle2-sha256: a.txt and b.txt hold the three hashes; the upstream element is byte-identical.
  std::vector<Bytes> all;
  for (const char* f : {"elt-mle2-sha256/a.txt", "elt-mle2-sha256/b.txt"}) {
    auto parsed = host::parse_hash_text(read_text(vec_path(f)), 32);
    ASSERT_FALSE(parsed.error) << f;
    for (auto& d : parsed.digests) all.push_back(d);
  }
  auto elt = host::build_mle2(0, 0x12, kAlgSha256, all);
  ASSERT_TRUE(elt.ok());
  EXPECT_EQ(*elt, read_bytes(vec_path("elt-mle2-sha256/mle2.elt")));
}

TEST(LcpElement, Sbios2VectorRoundTripAndText) {
  Bytes file = read_bytes(vec_path("elt-sbios-sha384/sbios.elt"));
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok());
  auto s = decode_sbios2(*e);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->hash_alg, kAlgSha384);
  EXPECT_EQ(s->hashes.count, 2);
  std::vector<Bytes> hs{Bytes(s->fallback_hash.begin(), s->fallback_hash.end())};
  for (auto& h : hashes_of(s->hashes)) hs.push_back(h);
  auto rebuilt = host::build_sbios2(e->policy_elt_control, kAlgSha384, hs);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(*rebuilt, file);
  EXPECT_EQ(host::element_text(*e),
            shown_element(read_text(vec_path("elt-sbios-sha384/steps/02.stdout"))));
}

TEST(LcpElement, Stm2VectorRoundTripAndText) {
  Bytes file = read_bytes(vec_path("elt-stm-sha512-ctrl3/stm.elt"));
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->policy_elt_control, 3u);
  auto s = decode_stm2(*e);
  ASSERT_TRUE(s.ok());
  auto rebuilt = host::build_stm2(3, kAlgSha512, hashes_of(s->hashes));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(*rebuilt, file);
  EXPECT_EQ(host::element_text(*e),
            shown_element(read_text(vec_path("elt-stm-sha512-ctrl3/steps/02.stdout"))));
}

TEST(LcpElement, Pconf2VectorFromPcrValues) {
  // elt-pconf2-sha256/cmd: --pcr0, --pcr2, --pcr5 values.
  PcrValues pcrs;
  const std::pair<int, const char*> given[] = {
      {0, "953ea0ab883f0319dd1e5905323e4d9ce553ce407316c5e448f47a450c7b8ce4"},
      {2, "6622c3490b6260e20c60c44b6628a3e44b808579955e690b1006e1421f2e0734"},
      {5, "9c8c2616483a384e3fdedc9e5f2d7ff0e6daea4b5b8cc29d1dbd91d5629a31f3"}};
  for (auto& [n, hex] : given) {
    auto v = host::parse_pcr_value(hex, 32);
    ASSERT_TRUE(v);
    std::copy(v->begin(), v->end(), pcrs.value[n]);
    pcrs.present[n] = true;
  }
  auto elt = host::build_pconf2(1, kAlgSha256, pcrs);
  ASSERT_TRUE(elt.ok());
  Bytes file = read_bytes(vec_path("elt-pconf2-sha256/pconf2.elt"));
  EXPECT_EQ(*elt, file);
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok());
  auto p = decode_pconf2(*e);
  ASSERT_TRUE(p.ok());
  ByteReader r(p->pcr_infos);
  auto info = read_pcr_info(r);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->count, 1u);
  EXPECT_EQ(info->selections[0].hash, kAlgSha256);
  EXPECT_EQ(info->selections[0].select[0], 0x25);  // PCR 0, 2, 5
  EXPECT_EQ(host::element_text(*e),
            shown_element(read_text(vec_path("elt-pconf2-sha256/steps/02.stdout"))));
}

// docs/reference/upstream-quirks.md#q16: upstream drops PCR 7's value; the composite must be H(PCR0
// || PCR7).
TEST(LcpElement, Pconf2IncludesPcr7) {
  PcrValues pcrs;
  Bytes v0(32, 0x11), v7(32, 0x77);
  std::copy(v0.begin(), v0.end(), pcrs.value[0]);
  std::copy(v7.begin(), v7.end(), pcrs.value[7]);
  pcrs.present[0] = pcrs.present[7] = true;
  auto elt = host::build_pconf2(1, kAlgSha256, pcrs);
  ASSERT_TRUE(elt.ok());
  Bytes composite = v0;
  composite.insert(composite.end(), v7.begin(), v7.end());
  Bytes want = sha(EVP_sha256(), composite);
  ASSERT_EQ(elt->size(), 60u);
  EXPECT_EQ(Bytes(elt->begin() + 28, elt->end()), want);
  EXPECT_EQ((*elt)[23], 0x81);  // select[0]: PCR 0 and PCR 7
  // Upstream's digest (PCR 7 bytes left as zeros) differs.
  Bytes upstream = v0;
  upstream.insert(upstream.end(), 32, 0);
  EXPECT_NE(Bytes(elt->begin() + 28, elt->end()), sha(EVP_sha256(), upstream));
}

TEST(LcpElement, CustomVectorUuidAndText) {
  Bytes file = read_bytes(vec_path("elt-custom-uuid-binary/custom.elt"));
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok());
  auto c = decode_custom(*e);
  ASSERT_TRUE(c.ok());
  auto uuid = host::parse_uuid(
      "{ 0x12345678, 0x9abc,0xdef0 , 0x1122, {0x33, 0x44, 0x55, 0x66, 0x77, 0x88} }");
  ASSERT_TRUE(uuid);
  EXPECT_EQ(c->uuid, *uuid);
  EXPECT_EQ(Bytes(c->data.begin(), c->data.end()),
            read_bytes(vec_path("elt-custom-uuid-binary/blob.bin")));
  auto rebuilt =
      host::build_custom(2, *uuid, read_bytes(vec_path("elt-custom-uuid-binary/blob.bin")));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(*rebuilt, file);
  EXPECT_EQ(host::element_text(*e),
            shown_element(read_text(vec_path("elt-custom-uuid-binary/steps/02.stdout"))));
}

// The same printer inside a list dump (list-create-200: prefix "    " per element).
TEST(LcpElement, TextIsIdenticalInsideListDump) {
  std::string list_show = read_text(vec_path("list-create-200/steps/04.stdout"));
  Bytes mle2 = read_bytes(vec_path("list-create-200/mle2.elt"));
  Bytes sbios = read_bytes(vec_path("list-create-200/sbios.elt"));
  for (const Bytes* b : {&mle2, &sbios}) {
    auto e = read_element_file(span(*b));
    ASSERT_TRUE(e.ok());
    std::string text = host::element_text(*e);
    EXPECT_NE(list_show.find(text), std::string::npos) << text;
  }
}

// lcp2_crtpol --show prints the element with a 12-space prefix; --brief only the header lines.
TEST(LcpElement, PrefixAndBrief) {
  Bytes mle2 = read_bytes(vec_path("pol-list-31-two-rsa-lists/mle2.elt"));
  auto e = read_element_file(span(mle2));
  ASSERT_TRUE(e.ok());
  std::string full = read_text(vec_path("pol-list-31-two-rsa-lists/steps/08.stdout"));
  std::string brief = read_text(vec_path("pol-list-31-two-rsa-lists/steps/09.stdout"));
  EXPECT_NE(full.find(host::element_text(*e, "            ")), std::string::npos);
  std::string b = host::element_text(*e, "            ", true);
  EXPECT_EQ(b.find("data:"), std::string::npos);
  EXPECT_NE(brief.find(b), std::string::npos);
}

// ------------------------------------------------------------------ VLP wrapping

TEST(LcpElement, WrapVlpMatchesUpstreamAndUnwrapsBack) {
  Bytes vlp = read_bytes(vec_path("elt-custom-tboot-wrap/vl.pol"));
  Bytes elt_file = read_bytes(vec_path("elt-custom-tboot-wrap/tbpol.elt"));
  auto wrapped = host::wrap_vlp(vlp, kDefaultPolEltControl);
  ASSERT_TRUE(wrapped.ok()) << wrapped.failure().message;
  EXPECT_EQ(*wrapped, elt_file);
  auto back = host::unwrap_vlp(*wrapped, "tbpol.elt");
  ASSERT_TRUE(back.ok()) << back.failure().message;
  EXPECT_EQ(*back, vlp);
  // Legacy CUSTOM (0x03) is accepted too (tboot accepts both).
  Bytes legacy = *wrapped;
  legacy[4] = 0x03;
  auto back3 = host::unwrap_vlp(legacy, "legacy.elt");
  ASSERT_TRUE(back3.ok());
  EXPECT_EQ(*back3, vlp);
}

TEST(LcpElement, UnwrapRejectsForeignOrCorruptContent) {
  Bytes vlp = read_bytes(vec_path("elt-custom-tboot-wrap/vl.pol"));
  auto wrapped = host::wrap_vlp(vlp, 1);
  ASSERT_TRUE(wrapped.ok());
  Bytes other_uuid = *wrapped;
  other_uuid[12] ^= 1;
  auto r1 = host::unwrap_vlp(other_uuid, "x.elt");
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.failure().message.find("UUID"), std::string::npos);
  Bytes mle_type = *wrapped;
  mle_type[4] = 0x10;  // an MLE2 header over custom data: the MLE2 body check fails first
  EXPECT_FALSE(host::unwrap_vlp(mle_type, "x.elt").ok());
  Bytes bad_version = *wrapped;
  bad_version[28] = 7;  // VLP version byte
  auto r3 = host::unwrap_vlp(bad_version, "x.elt");
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.failure().message.find("byte offset 28"), std::string::npos) << r3.failure().message;
  // Bytes after the policy inside the element are not silently dropped.
  Bytes longer = vlp;
  longer.push_back(0);
  auto w2 = host::build_custom(1, kTbootCustomUuid, longer);
  ASSERT_TRUE(w2.ok());
  auto r4 = host::unwrap_vlp(*w2, "x.elt");
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.failure().message.find("after the end of the VLP"), std::string::npos);
  // wrap refuses what is not a VLP.
  EXPECT_FALSE(host::wrap_vlp(Bytes{1, 2, 3}, 1).ok());
}

// ------------------------------------------------------------------ malformed input

Bytes header(uint32_t size, uint32_t type, uint32_t ctrl = 1) {
  Bytes b;
  for (uint32_t v : {size, type, ctrl})
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}

TEST(LcpElementMalformed, SizeZeroIsRejectedWithOffsetNotLooped) {
  Bytes buf(8, 0xAA);  // something before the element: offsets must be absolute
  Bytes h = header(0, kEltMle2);
  buf.insert(buf.end(), h.begin(), h.end());
  ByteReader r(span(buf));
  ASSERT_TRUE(r.skip(8, "prefix").ok());
  auto e = read_element(r);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kBadValue);
  EXPECT_STREQ(e.error().field, "element.size");
  EXPECT_EQ(e.error().offset, 8u);
}

TEST(LcpElementMalformed, SizeBelowHeaderAndPastEnd) {
  Bytes small = header(11, kEltMle2);
  ByteReader r1(span(small));
  auto e1 = read_element(r1);
  ASSERT_FALSE(e1.ok());
  EXPECT_EQ(e1.error().code, Errc::kBadValue);
  EXPECT_EQ(e1.error().value, 11u);

  Bytes big = header(100, kEltCustom2);
  big.resize(40);
  ByteReader r2(span(big));
  auto e2 = read_element(r2);
  ASSERT_FALSE(e2.ok());
  EXPECT_EQ(e2.error().code, Errc::kTruncated);
  EXPECT_STREQ(e2.error().field, "element.size");
  EXPECT_EQ(e2.error().offset, 0u);

  Bytes shortfile(7, 0);
  ByteReader r3(span(shortfile));
  EXPECT_EQ(read_element(r3).error().code, Errc::kTruncated);
}

TEST(LcpElementMalformed, UnknownTypeNamesField) {
  Bytes b = header(12, 0x15);
  ByteReader r(span(b), 100);  // as if at byte 100 of a list
  auto e = read_element(r);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kUnsupported);
  EXPECT_STREQ(e.error().field, "element.type");
  EXPECT_EQ(e.error().offset, 104u);
  EXPECT_EQ(e.error().value, 0x15u);
}

TEST(LcpElementMalformed, CountsOverrunningTheElement) {
  Bytes file = read_bytes(vec_path("elt-mle2-sha256/mle2.elt"));
  Bytes bad = file;
  bad[16] = 4;  // num_hashes 3 -> 4: needs 32 more bytes than Size gives
  auto e = read_element_file(span(bad));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kTruncated);
  EXPECT_STREQ(e.error().field, "mle2.num_hashes");
  EXPECT_EQ(e.error().offset, 16u);
  bad[16] = 2;  // fewer hashes than bytes: trailing bytes
  auto e2 = read_element_file(span(bad));
  ASSERT_FALSE(e2.ok());
  EXPECT_STREQ(e2.error().field, "element.size");
  EXPECT_EQ(e2.error().offset, 18u + 64u);

  Bytes sb = read_bytes(vec_path("elt-sbios-sha384/sbios.elt"));
  sb[12 + 2 + 2 + 48 + 2] = 9;  // sbios num_hashes
  auto e3 = read_element_file(span(sb));
  ASSERT_FALSE(e3.ok());
  EXPECT_STREQ(e3.error().field, "sbios.num_hashes");
  EXPECT_EQ(e3.error().offset, 66u);

  Bytes stm = read_bytes(vec_path("elt-stm-sha512-ctrl3/stm.elt"));
  stm[14] = 0xFF;
  auto e4 = read_element_file(span(stm));
  ASSERT_FALSE(e4.ok());
  EXPECT_STREQ(e4.error().field, "stm.num_hashes");
}

TEST(LcpElementMalformed, UnknownHashAlgorithm) {
  Bytes file = read_bytes(vec_path("elt-mle2-sha256/mle2.elt"));
  file[14] = 0x99;
  auto e = read_element_file(span(file));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kUnsupported);
  EXPECT_STREQ(e.error().field, "mle2.hash_alg");
  EXPECT_EQ(e.error().offset, 14u);
}

TEST(LcpElementMalformed, Pconf2Structure) {
  Bytes file = read_bytes(vec_path("elt-pconf2-sha256/pconf2.elt"));
  Bytes b1 = file;
  b1[16] = 0x01;  // TPML count (big-endian) huge
  auto e1 = read_element_file(span(b1));
  ASSERT_FALSE(e1.ok());
  EXPECT_STREQ(e1.error().field, "pconf2.pcr_info.pcr_selection.count");
  EXPECT_EQ(e1.error().offset, 16u);
  Bytes b2 = file;
  b2[22] = 9;  // sizeofSelect
  auto e2 = read_element_file(span(b2));
  ASSERT_FALSE(e2.ok());
  EXPECT_STREQ(e2.error().field, "pconf2.pcr_info.pcr_selection.size_of_select");
  Bytes b3 = file;
  b3[26] = 0x01;  // TPM2B size 0x0120
  auto e3 = read_element_file(span(b3));
  ASSERT_FALSE(e3.ok());
  EXPECT_STREQ(e3.error().field, "pconf2.pcr_info.pcr_digest.size");
  Bytes b4 = file;
  b4[14] = 2;  // two PCRInfos announced, one present
  auto e4 = read_element_file(span(b4));
  ASSERT_FALSE(e4.ok());
  EXPECT_EQ(e4.error().code, Errc::kTruncated);
  EXPECT_EQ(e4.error().item, 1);
  Bytes b5 = file;
  b5[14] = 0;
  EXPECT_FALSE(read_element_file(span(b5)).ok());
}

TEST(LcpElementMalformed, FileSizeMustEqualSize) {
  Bytes file = read_bytes(vec_path("elt-mle2-sha256/mle2.elt"));
  Bytes longer = file;
  longer.push_back(0);
  auto e = read_element_file(span(longer));
  ASSERT_FALSE(e.ok());
  EXPECT_STREQ(e.error().field, "element.size");
}

// A list body with an element of size 0 in the middle: walking it stops with an error, it
// does not loop (the upstream C tools loop forever here).
TEST(LcpElementMalformed, WalkingElementsTerminates) {
  Bytes buf = read_bytes(vec_path("elt-mle2-sha256/mle2.elt"));
  Bytes zero = header(0, kEltMle2);
  buf.insert(buf.end(), zero.begin(), zero.end());
  ByteReader r(span(buf));
  int n = 0;
  Error last;
  while (!r.at_end()) {
    auto e = read_element(r);
    if (!e.ok()) {
      last = e.error();
      break;
    }
    ++n;
    ASSERT_LT(n, 10);
  }
  EXPECT_EQ(n, 1);
  EXPECT_EQ(last.offset, 0x72u);
}

// Every truncation and every single-byte change of the vector elements either decodes or fails
// cleanly (ASan/UBSan in the test build catch any out-of-bounds access), and a successful decode
// always prints.
TEST(LcpElementMalformed, TruncationsAndByteFlipsNeverCrash) {
  for (const char* f :
       {"elt-mle2-sha256/mle2.elt", "elt-sbios-sha384/sbios.elt", "elt-stm-sha512-ctrl3/stm.elt",
        "elt-pconf2-sha256/pconf2.elt", "elt-custom-tboot-wrap/tbpol.elt"}) {
    Bytes file = read_bytes(vec_path(f));
    for (size_t n = 0; n < file.size(); ++n) {
      Bytes cut(file.begin(), file.begin() + static_cast<long>(n));
      ByteReader r(span(cut));
      EXPECT_FALSE(read_element(r).ok()) << f << " cut at " << n;
    }
    for (size_t i = 0; i < file.size(); ++i) {
      for (uint8_t x : {0x01, 0x80, 0xFF}) {
        Bytes m = file;
        m[i] ^= x;
        ByteReader r(span(m));
        auto e = read_element(r);
        if (e.ok()) {
          EXPECT_FALSE(host::element_text(*e).empty());
          EXPECT_TRUE(host::element_json(*e).is_object());
        }
      }
    }
  }
}

TEST(LcpElement, LegacyTypesDecodeAndPrintAsUpstreamHead) {
  Bytes vlp = read_bytes(vec_path("elt-custom-tboot-wrap/vl.pol"));
  auto legacy = host::build_custom(1, kTbootCustomUuid, vlp, kEltCustom);
  ASSERT_TRUE(legacy.ok());
  auto e = read_element_file(span(*legacy));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(decode_custom(*e).ok());
  std::string text = host::element_text(*e);
  // lcptools-v2 HEAD has no plugin for 0x03: "unknown" and a raw dump of the data.
  EXPECT_NE(text.find("type: '0x3' (unknown)"), std::string::npos);
  EXPECT_NE(text.find("        41 06 93 c3 cb e3 40 4f d7 91 27 f8 b9 e2 5c 86 \n"),
            std::string::npos);
  EXPECT_EQ(host::element_json(*e)["type_name"], "custom-legacy");

  // Legacy MLE (0x00): SHA-1 hashes.
  Bytes mle = header(12 + 4 + 20, kEltMle);
  mle.push_back(5);
  mle.push_back(0);
  mle.push_back(1);
  mle.push_back(0);
  mle.insert(mle.end(), 20, 0xAB);
  auto m = read_element_file(span(mle));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(decode_mle_legacy(*m)->num_hashes, 1);
  mle[13] = 1;  // not SHA-1
  EXPECT_FALSE(read_element_file(span(mle)).ok());
}

TEST(LcpElement, JsonShape) {
  Bytes file = read_bytes(vec_path("elt-pconf2-sha256/pconf2.elt"));
  auto e = read_element_file(span(file));
  ASSERT_TRUE(e.ok());
  auto j = host::element_json(*e);
  EXPECT_EQ(j["type_name"], "pconf2");
  EXPECT_EQ(j["hash_alg"], "sha256");
  EXPECT_EQ(j["pcr_infos"][0]["pcr_selections"][0]["pcrs"], nlohmann::json::array({0, 2, 5}));
  EXPECT_EQ(j["pcr_infos"][0]["pcr_digest"],
            "70fee03d4abefcd0a87136f3193afc74efb132895efee73a3d15bc26dc2f3c88");
  Bytes c = read_bytes(vec_path("elt-custom-tboot-wrap/tbpol.elt"));
  auto ce = read_element_file(span(c));
  ASSERT_TRUE(ce.ok());
  EXPECT_EQ(host::element_json(*ce)["tboot_policy"], true);
}

// ------------------------------------------------------------------ text parsers

TEST(LcpHashFile, UpstreamTokenRules) {
  std::string h = "";
  for (int i = 0; i < 32; ++i) {
    if (i) h += ' ';
    h += 'a';
    h += static_cast<char>('0' + i % 10);
  }
  auto ok = host::parse_hash_text("  " + h + " \r\n" + h + "\n", 32);
  ASSERT_FALSE(ok.error);
  ASSERT_EQ(ok.digests.size(), 2u);
  EXPECT_EQ(ok.digests[0][1], 0xa1);
  // 0x prefixes, commas, colons, upper case, no final newline.
  std::string sep;
  for (int i = 0; i < 32; ++i) sep += (i ? ", " : "") + std::string("0xF") + std::to_string(i % 10);
  auto s2 = host::parse_hash_text(sep, 32);
  ASSERT_FALSE(s2.error);
  EXPECT_EQ(s2.digests[0][3], 0xF3);
}

TEST(LcpHashFile, ErrorsNameTheLine) {
  // elt-errors inputs: blank line (line 2), one hash written without separators, short hash.
  auto blank = host::parse_hash_text(read_text(vec_path("elt-errors/blank_line.txt")), 32);
  ASSERT_TRUE(blank.error);
  EXPECT_EQ(blank.error->line, 2u);
  EXPECT_EQ(blank.error->kind, host::HashTextError::kWrongByteCount);
  EXPECT_EQ(blank.digests.size(), 1u);
  auto nospace = host::parse_hash_text(read_text(vec_path("elt-errors/nospace.txt")), 32);
  ASSERT_TRUE(nospace.error);
  EXPECT_EQ(nospace.error->kind, host::HashTextError::kWrongByteCount);
  EXPECT_EQ(nospace.error->found, 1u);
  auto shorter = host::parse_hash_text(read_text(vec_path("elt-errors/short.txt")), 32);
  ASSERT_TRUE(shorter.error);
  EXPECT_EQ(shorter.error->found, 31u);
  EXPECT_EQ(host::describe_hash_text_error(*shorter.error, "short.txt"),
            "short.txt:1: expected 32 hex bytes separated by spaces, found 31");
  // A three-digit number is not a byte (upstream kept 0x23 of 0x123).
  std::string wide = "123";
  for (int i = 1; i < 32; ++i) wide += " 00";
  auto w = host::parse_hash_text("\n" + wide, 32);
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->line, 1u);  // the blank first line fails first
  auto w2 = host::parse_hash_text(wide + "\n", 32);
  ASSERT_TRUE(w2.error);
  EXPECT_EQ(w2.error->kind, host::HashTextError::kByteOutOfRange);
  EXPECT_EQ(w2.error->token, "123");
}

TEST(LcpUuid, Syntax) {
  EXPECT_EQ(*host::parse_uuid("tboot"), kTbootCustomUuid);
  EXPECT_EQ(*host::parse_uuid("  tboot"), kTbootCustomUuid);
  EXPECT_FALSE(host::parse_uuid("Tboot"));
  auto u = host::parse_uuid("{0xab0d1925,0xeee7,0x48eb,0xa9fc,{0x0b,0xac,0x5a,0x26,0x2d,0x0e}}");
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, kPolicyDataUuid);
  EXPECT_TRUE(host::parse_uuid("{ab0d1925, eee7, 48eb, a9fc, {b, ac, 5a, 26, 2d, e}}"));
  // The help text's "{0xkk 0xll," (missing comma) is rejected, as upstream.
  EXPECT_FALSE(host::parse_uuid("{0x1, 0x2, 0x3, 0x4, {0x5 0x6, 0x7, 0x8, 0x9, 0xa}}"));
  EXPECT_FALSE(host::parse_uuid("{0x1, 0x2, 0x3, 0x4, {0x5, 0x6, 0x7, 0x8, 0x9, 0xa}} x"));
  EXPECT_FALSE(host::parse_uuid("{0x1, 0x10000, 0x3, 0x4, {0x5, 0x6, 0x7, 0x8, 0x9, 0xa}}"));
  EXPECT_FALSE(host::parse_uuid("{0x1, 0x2, 0x3, 0x4, {0x5, 0x6, 0x7, 0x8, 0x9, 0x100}}"));
}

TEST(LcpPcrValue, StrictHex) {
  EXPECT_TRUE(host::parse_pcr_value(std::string(64, 'a'), 32));
  EXPECT_FALSE(host::parse_pcr_value(std::string(62, 'a'), 32));
  EXPECT_FALSE(host::parse_pcr_value("zz" + std::string(62, 'a'),
                                     32));  // docs/reference/upstream-quirks.md#q18
  EXPECT_FALSE(host::parse_pcr_value(" a" + std::string(62, 'a'), 32));
}

TEST(LcpCommon, NamesAndMasks) {
  EXPECT_STREQ(hash_alg_str(kAlgSha256).c_str(), "TPM_ALG_SHA256");
  EXPECT_STREQ(hash_alg_str(0x99).c_str(), "unknown (153)");
  EXPECT_STREQ(sig_alg_str(kAlgNull).c_str(), "TPM_ALG_NULL");
  EXPECT_STREQ(sig_alg_str(65535).c_str(), "unknown (65535)");
  EXPECT_STREQ(key_alg_str(kAlgEcc).c_str(), "TPM_ALG_ECC");
  EXPECT_STREQ(key_alg_str(7).c_str(), "");
  EXPECT_STREQ(tb_hash_alg_str(kAlgSm3_256), "TB_HALG_SM3");
  EXPECT_EQ(hash_alg_to_mask(kAlgSha384), 0x40);
  EXPECT_EQ(hash_alg_to_mask(kAlgSha1), 0);  // HEAD's convert_hash_alg_to_mask
  EXPECT_EQ(mask_to_hash_alg(0x20), kAlgSm3_256);
  uint8_t raw[16];
  ByteWriter w(MutableByteSpan(raw, sizeof(raw)));
  write_uuid(w, kTbootCustomUuid);
  const uint8_t want[16] = {0x41, 0x06, 0x93, 0xc3, 0xcb, 0xe3, 0x40, 0x4f,
                            0xd7, 0x91, 0x27, 0xf8, 0xb9, 0xe2, 0x5c, 0x86};
  EXPECT_TRUE(equal_bytes(raw, want, 16));
  ByteReader r(ByteSpan(raw, 16));
  EXPECT_EQ(*read_uuid(r, "uuid"), kTbootCustomUuid);
}

}  // namespace
}  // namespace tlaunch::lcp
