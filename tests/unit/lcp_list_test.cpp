// LCP policy lists (core): decoding the upstream golden lists, byte-identical re-encoding, and
// malformed input (truncation, oversize, element sizes, offsets) rejected with field and offset.
#include "tlaunch/policy/lcp_list.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"

namespace tlaunch::lcp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_vec(const std::string& rel) {
  std::ifstream f(std::string(TLAUNCH_VECTORS_DIR) + "/" + rel, std::ios::binary);
  EXPECT_TRUE(f.good()) << rel;
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

// Decodes a vector list and re-encodes it from its parts: must give the same bytes.
Bytes reencode(const ListView& l) {
  Bytes out(l.raw.size + 16);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  if (!l.is_signed) {
    auto n = encode_unsigned_list(w, l.version, l.elements);
    EXPECT_TRUE(n.ok());
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  auto lay = encode_signed_list(w, l.version, l.elements, spec_of(l));
  EXPECT_TRUE(lay.ok()) << (lay.ok() ? "" : lay.error().message);
  if (!lay.ok()) return {};
  out.resize(lay->size);
  EXPECT_EQ(lay->tbs_size, l.signed_bytes.size);
  EXPECT_EQ(lay->value_offset, l.signature.value_offset - l.offset);
  EXPECT_TRUE(
      place_signature_value(MutableByteSpan(out.data(), out.size()), *lay, l.signature.value).ok());
  return out;
}

struct VectorList {
  const char* file;
  uint16_t version;
  bool is_signed;
  uint32_t elements;
  uint16_t scheme;
  size_t value_begin, value_end;  // nondeterministic ranges of the vectors, or the SigBlock
};

const VectorList kLists[] = {
    {"list-create-200/list.lst", 0x200, false, 2, kAlgNull, 0, 0},
    {"list-create-300/list.lst", 0x300, false, 2, kAlgNull, 0, 0},
    {"list-sign-200-rsa2048-sha256/list.lst", 0x200, true, 2, kAlgRsaSsa, 658 - 256, 658},
    {"list-sign-201-rsa3072-sha384-rev7/list.lst", 0x201, true, 1, kAlgRsaSsa, 830 - 384, 830},
    {"list-sign-300-rsapss2048-sha256/list.lst", 0x300, true, 2, kAlgRsaPss, 417, 673},
    {"list-sign-300-ecdsa-p256/list.lst", 0x300, true, 1, kAlgEcdsa, 137, 201},
    {"list-sign-200-ecdsa-p384/list.lst", 0x200, true, 2, kAlgEcdsa, 246, 342},
    {"pol-list-32-ecdsa-300/list.lst", 0x300, true, 2, kAlgEcdsa, 253, 349},
};

TEST(LcpList, DecodesAndReencodesEveryVectorList) {
  for (const VectorList& v : kLists) {
    SCOPED_TRACE(v.file);
    Bytes b = read_vec(v.file);
    auto l = decode_list_file(span(b));
    ASSERT_TRUE(l.ok()) << l.error().message << " field "
                        << (l.error().field ? l.error().field : "") << " @" << l.error().offset;
    EXPECT_EQ(l->version, v.version);
    EXPECT_EQ(l->is_signed, v.is_signed);
    EXPECT_EQ(l->element_count, v.elements);
    EXPECT_EQ(l->raw.size, b.size());
    if (v.is_signed) {
      EXPECT_EQ(l->signature.scheme, v.scheme);
      EXPECT_EQ(l->signature.value_offset, v.value_begin);
      EXPECT_EQ(l->signature.value_offset + l->signature.value.size, v.value_end);
      // Signed range: LIST2 everything before the value, LIST2_1 [0, KSO).
      if (l->is_list21())
        EXPECT_EQ(l->signed_bytes.size, l->key_signature_offset);
      else
        EXPECT_EQ(l->signed_bytes.size, v.value_begin);
    }
    EXPECT_EQ(reencode(*l), b);
  }
}

TEST(LcpList, ListMeasurementCoversKeyOnlyWhenSigned) {
  Bytes a = read_vec("list-sign-200-rsa2048-sha256/list.lst");
  auto l = decode_list_file(span(a));
  ASSERT_TRUE(l.ok());
  ByteSpan m = list_measured_bytes(*l);
  ASSERT_EQ(m.size, 256u);
  // PubkeyValue starts after header (8), elements (0x86) and rev + size (4).
  EXPECT_EQ(m.data, a.data() + 8 + 0x86 + 4);
  Bytes u = read_vec("list-create-300/list.lst");
  auto ul = decode_list_file(span(u));
  ASSERT_TRUE(ul.ok());
  EXPECT_EQ(list_measured_bytes(*ul).size, u.size());
  Bytes e = read_vec("list-sign-300-ecdsa-p256/list.lst");
  auto el = decode_list_file(span(e));
  ASSERT_TRUE(el.ok());
  EXPECT_EQ(list_measured_bytes(*el).size, 64u);  // Qx||Qy
}

// Elements are stored in the order given: encode_unsigned_list() does not reorder.
TEST(LcpList, EncodeKeepsElementOrder) {
  Bytes mle = read_vec("list-create-200/mle2.elt");
  Bytes sb = read_vec("list-create-200/sbios.elt");
  Bytes elems = mle;
  elems.insert(elems.end(), sb.begin(), sb.end());
  Bytes out(8 + elems.size());
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  ASSERT_TRUE(encode_unsigned_list(w, 0x300, span(elems)).ok());
  EXPECT_EQ(0, std::memcmp(out.data() + 8, mle.data(), mle.size()));
  // The upstream vector holds sbios first (upstream prepends,
  // docs/reference/upstream-quirks.md#q25).
  Bytes up = read_vec("list-create-300/list.lst");
  EXPECT_EQ(0, std::memcmp(up.data() + 8, sb.data(), sb.size()));
}

// make_list(): kEachInFront is lcp2_crtpollist's order (the golden lists byte for byte),
// kAsWritten keeps the order given.
TEST(LcpList, MakeListOrders) {
  const std::vector<Bytes> elements = {read_vec("list-create-200/mle2.elt"),
                                       read_vec("list-create-200/sbios.elt")};
  for (const char* c : {"list-create-200", "list-create-300"}) {
    SCOPED_TRACE(c);
    const uint16_t version = std::string(c) == "list-create-200" ? 0x200 : 0x300;
    auto up = host::make_list(version, elements, host::ElementOrder::kEachInFront);
    ASSERT_TRUE(up.ok());
    EXPECT_EQ(*up, read_vec(std::string(c) + "/list.lst"));
    auto as = host::make_list(version, elements, host::ElementOrder::kAsWritten);
    ASSERT_TRUE(as.ok());
    ASSERT_EQ(as->size(), up->size());
    EXPECT_EQ(0, std::memcmp(as->data() + 8, elements[0].data(), elements[0].size()));
    EXPECT_EQ(0, std::memcmp(as->data() + 8 + elements[0].size(), elements[1].data(),
                             elements[1].size()));
  }
  // Three elements, upstream: last written first.
  const std::vector<Bytes> three = {elements[0], elements[1], elements[0]};
  auto l = host::make_list(0x300, three, host::ElementOrder::kEachInFront);
  ASSERT_TRUE(l.ok());
  Bytes want = elements[0];
  want.insert(want.end(), elements[1].begin(), elements[1].end());
  want.insert(want.end(), elements[0].begin(), elements[0].end());
  EXPECT_EQ(Bytes(l->begin() + 8, l->end()), want);
}

// Every truncation of every vector list is rejected with a field and an offset inside the input;
// never a crash (ASan) or a hang.
TEST(LcpList, EveryTruncationIsRejected) {
  for (const VectorList& v : kLists) {
    SCOPED_TRACE(v.file);
    Bytes b = read_vec(v.file);
    for (size_t n = 0; n < b.size(); ++n) {
      Bytes t(b.begin(), b.begin() + static_cast<long>(n));
      auto l = decode_list_file(span(t));
      ASSERT_FALSE(l.ok()) << "length " << n;
      EXPECT_NE(l.error().field, nullptr) << "length " << n;
      EXPECT_LE(l.error().offset, n) << "length " << n;
    }
    Bytes longer = b;
    longer.push_back(0);
    auto l = decode_list_file(span(longer));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code, Errc::kTooLarge);
    EXPECT_EQ(l.error().offset, b.size());
  }
}

// Flipping any byte never crashes; the decoder either rejects the list or gives a structure whose
// pieces stay inside the input.
TEST(LcpList, EveryByteFlipDecodesSafely) {
  for (const VectorList& v : kLists) {
    SCOPED_TRACE(v.file);
    Bytes b = read_vec(v.file);
    for (size_t i = 0; i < b.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        Bytes t = b;
        t[i] ^= mask;
        auto l = decode_list_file(span(t));
        if (!l.ok()) {
          EXPECT_LE(l.error().offset, t.size());
          continue;
        }
        EXPECT_EQ(l->raw.size, t.size());
        EXPECT_LE(l->signed_bytes.size, t.size());
      }
    }
  }
}

Bytes le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
void put32(Bytes& b, size_t at, uint32_t v) {
  Bytes x = le32(v);
  std::memcpy(b.data() + at, x.data(), 4);
}

TEST(LcpList, ElementSizesAndCountsAreChecked) {
  Bytes b = read_vec("list-create-200/list.lst");  // 8 + 0x54 (sbios) + 0x32 (mle2)
  {
    Bytes t = b;
    put32(t, 8, 0);  // first element Size = 0: must not loop
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().offset, 8u);
    EXPECT_EQ(l.error().item, 0);
    ASSERT_NE(l.error().field, nullptr);
  }
  {
    Bytes t = b;
    put32(t, 8 + 0x54, 0x33);  // second element overruns the elements by one byte
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().item, 1);
    EXPECT_EQ(l.error().offset, 8u + 0x54);
  }
  {
    Bytes t = b;
    put32(t, 4, 0xFFFFFFF0u);  // PolicyElementsSize overruns the file
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(std::string(l.error().field), "PolicyElementsSize");
    EXPECT_EQ(l.error().offset, 4u);
  }
  {
    Bytes t = b;
    put32(t, 4, 0x54);  // PolicyElementsSize shorter than the elements: trailing bytes
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code, Errc::kTooLarge);
  }
  {
    Bytes t = b;
    put32(t, 8 + 4, 0x7777);  // unknown element type
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().offset, 8u + 4);
  }
  {
    Bytes t = b;
    t[0] = 0x02;
    t[1] = 0x02;  // version 0x202
    auto l = decode_list_file(span(t));
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(std::string(l.error().field), "Version");
    EXPECT_EQ(l.error().value, 0x202u);
  }
}

TEST(LcpList, KeySignatureOffsetMustPointPastRevocationCounter) {
  Bytes b = read_vec("list-sign-300-ecdsa-p256/list.lst");
  Bytes t = b;
  t[2] = static_cast<uint8_t>(t[2] + 1);
  auto l = decode_list_file(span(t));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(std::string(l.error().field), "KeySignatureOffset");
  EXPECT_EQ(l.error().offset, 2u);
}

TEST(LcpList, NoSigBlockFormOnlyWhereAllowed) {
  Bytes b = read_vec("list-sign-200-rsa2048-sha256/list.lst");
  Bytes t(b.begin(), b.end() - 256);
  auto strict = decode_list_file(span(t));
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(std::string(strict.error().field), "SigBlock");
  auto lax = decode_list_file(span(t), true);
  ASSERT_TRUE(lax.ok());
  EXPECT_FALSE(lax->signature.has_value);
  EXPECT_EQ(lax->signed_bytes.size, t.size());
  EXPECT_EQ(list_measured_bytes(*lax).size, 256u);
  // Inside a stream (policy data file) the form is never accepted.
  ByteReader r(span(t));
  EXPECT_FALSE(read_list(r).ok());
}

TEST(LcpList, LayoutRejectsWhatTheFormatsDoNotHave) {
  Bytes mod(256, 0xAB), qx(32, 1), qy(32, 2);
  SignatureSpec pss;
  pss.key_kind = KeyKind::kRsa;
  pss.scheme = kAlgRsaPss;
  pss.hash_alg = kAlgSha256;
  pss.modulus = span(mod);
  EXPECT_FALSE(signed_list_layout(0x200, 50, pss).ok());  // RSA-PSS on LIST2
  auto ok = signed_list_layout(0x300, 50, pss);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size, 8u + 50 + 2 + 17 + 2 * 256);  // docs/reference/lcp.md §5.3: KSO + 17 + 2k
  pss.hash_alg = kAlgSha512;
  EXPECT_FALSE(signed_list_layout(0x300, 50, pss).ok());
  SignatureSpec sm2;
  sm2.key_kind = KeyKind::kEcc;
  sm2.scheme = kAlgSm2;
  sm2.qx = span(qx);
  sm2.qy = span(qy);
  auto l2 = signed_list_layout(0x200, 50, sm2);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l2->size, 8u + 50 + 8 + 4 * 32);
  Bytes qx48(48, 1), qy48(48, 2);
  sm2.qx = span(qx48);
  sm2.qy = span(qy48);
  EXPECT_FALSE(signed_list_layout(0x200, 50, sm2).ok());  // SM2 is 256-bit only
  // KeySignatureOffset is 16 bits: a 0x300 list with 64 KiB of elements cannot be signed.
  pss.hash_alg = kAlgSha256;
  EXPECT_FALSE(signed_list_layout(0x300, 0x10000, pss).ok());
}

}  // namespace
}  // namespace tlaunch::lcp
