// libtpmnv core: TPM 2.0 command bytes (hand-assembled from TCG Part 3 tables) and response
// parsing against a fake transport, including malformed and error responses.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/launch_nv.h"

namespace tlaunch::tpm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes unhex(const std::string& s) {
  Bytes out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string h;
  for (char c : s)
    if (c != ' ' && c != '|') h.push_back(c);
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(nib(h[i]) * 16 + nib(h[i + 1])));
  return out;
}

std::string hx(const Bytes& b) { return host::hex(b.data(), b.size()); }

// Records every command; answers with queued responses (or a transport failure).
class FakeTransport final : public Transport {
 public:
  std::vector<Bytes> sent;
  std::deque<Bytes> replies;
  bool fail_send = false;

  Status send(ByteSpan command) override {
    if (fail_send) return make_error(Errc::kTpmUnreachable, "TPM did not answer (timeout)");
    sent.emplace_back(command.begin(), command.end());
    return ok_status();
  }
  Result<size_t> receive(MutableByteSpan out) override {
    if (replies.empty()) return make_error(Errc::kTpmUnreachable, "no response");
    Bytes r = replies.front();
    replies.pop_front();
    if (r.size() > out.size) return make_error(Errc::kTooLarge, "response too large");
    copy_bytes(out.data, r.data(), r.size());
    return r.size();
  }
};

// Response = tag, size, rc, body (size computed).
Bytes response(uint16_t tag, uint32_t rc, const Bytes& body) {
  Bytes r = {static_cast<uint8_t>(tag >> 8), static_cast<uint8_t>(tag)};
  uint32_t size = static_cast<uint32_t>(10 + body.size());
  for (int i = 3; i >= 0; --i) r.push_back(static_cast<uint8_t>(size >> (8 * i)));
  for (int i = 3; i >= 0; --i) r.push_back(static_cast<uint8_t>(rc >> (8 * i)));
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

const Bytes kEmptyAuthResponse = unhex("0000 01 0000");

Bytes cat_bytes(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(TpmCommands, NvReadPublicBytesAndParse) {
  FakeTransport t;
  // TPM2B_NV_PUBLIC {0x01C10131, SHA256, 0x2204000A, no policy, 100 bytes} + a SHA-256 name.
  Bytes body = unhex("000e 01c10131 000b 2204000a 0000 0064 0022 000b");
  body.resize(body.size() + 32, 0xAB);
  t.replies.push_back(response(kStNoSessions, 0, body));
  auto p = nv_read_public(t, 0x01C10131);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(hx(t.sent.at(0)), "80010000000e0000016901c10131");
  EXPECT_EQ(p->handle, 0x01C10131u);
  EXPECT_EQ(p->name_alg, 0x000B);
  EXPECT_EQ(p->attributes, 0x2204000Au);
  EXPECT_EQ(p->size, 100);
  EXPECT_EQ(p->auth_policy_size, 0);
}

TEST(TpmCommands, NvReadPublicRejectsOtherIndex) {
  FakeTransport t;
  Bytes body = unhex("000e 01c10132 000b 2204000a 0000 0064 0000");
  t.replies.push_back(response(kStNoSessions, 0, body));
  auto p = nv_read_public(t, 0x01C10131);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::kBadValue);
  EXPECT_STREQ(p.error().field, "nvIndex");
  EXPECT_EQ(p.error().offset, 12u);  // header 10 + TPM2B size 2
}

TEST(TpmCommands, UndefinedIndexGivesRawRc) {
  FakeTransport t;
  t.replies.push_back(response(kStNoSessions, 0x18B, {}));
  auto p = nv_read_public(t, 0x01C10131);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::kTpm);
  EXPECT_EQ(p.error().tpm_rc, 0x18Bu);
  EXPECT_TRUE(rc_is_no_such_handle(p.error().tpm_rc));
  EXPECT_FALSE(rc_is_no_such_handle(0x14A));
  EXPECT_EQ(rc_base(0x28B), 0x08Bu);
  EXPECT_EQ(rc_base(0x907), 0x907u);  // format-0 warnings are left alone
}

TEST(TpmCommands, NvReadBytesAndData) {
  FakeTransport t;
  Bytes params = unhex("0004 deadbeef");
  Bytes body = unhex("00000006");
  body.insert(body.end(), params.begin(), params.end());
  body.insert(body.end(), kEmptyAuthResponse.begin(), kEmptyAuthResponse.end());
  t.replies.push_back(response(kStSessions, 0, body));
  uint8_t buf[256];
  auto n = nv_read(t, 0x01C10131, 0x01C10131, 256, 0x100, MutableByteSpan(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(host::hex(buf, 4), "deadbeef");
  // Part 3 §31.13: tag SESSIONS, size 35, NV_Read, authHandle, nvIndex, PW session, size, offset.
  EXPECT_EQ(hx(t.sent.at(0)),
            "80020000002300000"
            "14e01c1013101c10131000000094000000900000100000100"
            "0100");
}

TEST(TpmCommands, NvReadDataLargerThanBufferIsError) {
  FakeTransport t;
  Bytes body = unhex("00000006 0004 01020304");
  body.insert(body.end(), kEmptyAuthResponse.begin(), kEmptyAuthResponse.end());
  t.replies.push_back(response(kStSessions, 0, body));
  uint8_t buf[2];
  auto n = nv_read(t, 1, 1, 2, 0, MutableByteSpan(buf, sizeof(buf)));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::kTooLarge);
}

// docs/robustness.md "found by reading": a TPM (or an LPC interposer) answering NV_Read(2) with
// 4 bytes used to be accepted whenever the caller's buffer had room; read_vlp() then advanced by
// what came back. Now only the bytes asked for may come back.
TEST(TpmCommands, NvReadAnswerLongerThanRequestedIsError) {
  FakeTransport t;
  Bytes body = unhex("00000006 0004 01020304");
  body.insert(body.end(), kEmptyAuthResponse.begin(), kEmptyAuthResponse.end());
  t.replies.push_back(response(kStSessions, 0, body));
  uint8_t buf[64];
  std::fill(buf, buf + sizeof(buf), uint8_t{0xA5});
  auto n = nv_read(t, 1, 1, 2, 0, MutableByteSpan(buf, sizeof(buf)));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::kTooLarge);
  EXPECT_TRUE(std::all_of(buf, buf + sizeof(buf), [](uint8_t b) { return b == 0xA5; }));
}

// parameterSize exists only in TPM_ST_SESSIONS responses (Part 1 §18.10): a success response
// without sessions to NV_Read / NV_Write / PCR_Extend is malformed, not parameters.
TEST(TpmCommands, SessionResponsesMustCarryTheSessionsTag) {
  Bytes body = unhex("00000006 0004 01020304");
  body.insert(body.end(), kEmptyAuthResponse.begin(), kEmptyAuthResponse.end());
  const Bytes no_sessions = response(kStNoSessions, 0, body);
  uint8_t buf[8];
  auto n = parse_nv_read(ByteSpan(no_sessions.data(), no_sessions.size()),
                         MutableByteSpan(buf, sizeof(buf)));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::kBadValue);
  EXPECT_STREQ(n.error().field, "tag");
  const Bytes w = response(kStNoSessions, 0, unhex("00000000"));
  EXPECT_FALSE(parse_nv_write(ByteSpan(w.data(), w.size())).ok());
  EXPECT_FALSE(parse_pcr_extend(ByteSpan(w.data(), w.size())).ok());
  const Bytes ws = response(kStSessions, 0, cat_bytes(unhex("00000000"), kEmptyAuthResponse));
  EXPECT_TRUE(parse_nv_write(ByteSpan(ws.data(), ws.size())).ok());
}

TEST(TpmCommands, TruncatedAndInconsistentResponses) {
  uint8_t buf[16];
  // Parameter size claims more bytes than present.
  Bytes bad = response(kStSessions, 0, unhex("00000010 0004 0102"));
  auto r2 = parse_nv_read(ByteSpan(bad.data(), bad.size()), MutableByteSpan(buf, sizeof(buf)));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::kTruncated);
  EXPECT_STREQ(r2.error().field, "parameters");
  EXPECT_EQ(r2.error().offset, 14u);
  // responseSize differs from what was received.
  Bytes sz = response(kStNoSessions, 0, {});
  sz[5] = 11;
  auto r3 = parse_startup(ByteSpan(sz.data(), sz.size()));
  ASSERT_FALSE(r3.ok());
  EXPECT_STREQ(r3.error().field, "responseSize");
  // Shorter than a header.
  Bytes tiny = unhex("8001 0000");
  auto r4 = parse_startup(ByteSpan(tiny.data(), tiny.size()));
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().code, Errc::kTruncated);
}

TEST(TpmCommands, StartupAndInitializeRc) {
  FakeTransport t;
  t.replies.push_back(response(kStNoSessions, kRcInitialize, {}));
  auto s = startup(t, kSuClear);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().tpm_rc, kRcInitialize);
  EXPECT_EQ(hx(t.sent.at(0)), "80010000000c000001440000");
}

TEST(TpmCommands, PcrExtendTwoBanks) {
  FakeTransport t;
  t.replies.push_back(response(kStSessions, 0, unhex("00000000 0000 01 0000")));
  Digest d[2];
  d[0].alg = HashAlg::kSha256;
  d[0].size = 32;
  fill_bytes(d[0].bytes, 0x11, 32);
  d[1].alg = HashAlg::kSha384;
  d[1].size = 48;
  fill_bytes(d[1].bytes, 0x22, 48);
  ASSERT_TRUE(pcr_extend(t, 17, d, 2).ok());
  std::string want =
      "8002"
      "00000073"
      "00000182"
      "00000011"
      "00000009400000090000010000"
      "00000002"
      "000b";
  want += std::string(64, '1') + "000c" + std::string(96, '2');
  EXPECT_EQ(hx(t.sent.at(0)), want);
  // A digest whose size does not match its algorithm is refused before sending.
  d[1].size = 32;
  EXPECT_EQ(pcr_extend(t, 17, d, 2).error().code, Errc::kBadValue);
  EXPECT_EQ(t.sent.size(), 1u);
}

TEST(TpmCommands, PcrExtendLocalityErrorSurfaces) {
  FakeTransport t;
  t.replies.push_back(response(kStSessions, kRcLocality, {}));
  Digest d;
  d.alg = HashAlg::kSha256;
  d.size = 32;
  auto s = pcr_extend(t, 17, &d, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kTpm);
  EXPECT_EQ(s.error().tpm_rc, 0x907u);
}

TEST(TpmCommands, PcrRead) {
  FakeTransport t;
  Bytes body = unhex("00000005 00000001 000b 03 000002 00000001 0020");
  body.resize(body.size() + 32, 0xFF);
  t.replies.push_back(response(kStNoSessions, 0, body));
  auto d = pcr_read(t, 17, HashAlg::kSha256);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(hx(t.sent.at(0)),
            "80010000001400000"
            "17e00000001000b03000002");
  EXPECT_EQ(d->size, 32);
  EXPECT_EQ(d->bytes[0], 0xFF);
  // Bank not returned (e.g. unallocated): kNotFound, not a garbage digest.
  t.replies.push_back(response(kStNoSessions, 0, unhex("00000005 00000000 00000000")));
  auto e = pcr_read(t, 17, HashAlg::kSha384);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kNotFound);
}

TEST(TpmCommands, GetPcrBanks) {
  FakeTransport t;
  t.replies.push_back(
      response(kStNoSessions, 0, unhex("00 00000005 00000002 000b 03 ffffff 000c 03 000000")));
  auto b = get_pcr_banks(t);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(hx(t.sent.at(0)),
            "80010000001600000"
            "17a000000050000000000000001");
  ASSERT_EQ(b->count, 2u);
  EXPECT_EQ(b->banks[0].alg, 0x000B);
  EXPECT_EQ(b->banks[0].pcrs, 0xFFFFFFu);
  EXPECT_EQ(b->banks[1].alg, 0x000C);
  EXPECT_EQ(b->banks[1].pcrs, 0u);
}

// TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES, property, count): Part 3 §30.2, Part 2 §10.8.
TEST(TpmCommands, GetProperties) {
  FakeTransport t;
  t.replies.push_back(response(kStNoSessions, 0,
                               unhex("01 00000006 00000002 00000117 00000800 0000012c 00000400")));
  auto p = get_properties(t, kPtNvIndexMax, 22);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(hx(t.sent.at(0)), "8001000000160000017a000000060000011700000016");
  EXPECT_TRUE(p->more);
  uint32_t v = 0;
  ASSERT_TRUE(p->find(kPtNvIndexMax, &v));
  EXPECT_EQ(v, 0x800u);
  ASSERT_TRUE(p->find(kPtNvBufferMax, &v));
  EXPECT_EQ(v, 0x400u);
  EXPECT_FALSE(p->find(kPtManufacturer, &v));
  // Another capability, more properties than a client asks for, a cut list: errors with field.
  t.replies.push_back(response(kStNoSessions, 0, unhex("00 00000005 00000000")));
  auto other = get_properties(t, kPtNvIndexMax, 1);
  ASSERT_FALSE(other.ok());
  EXPECT_STREQ(other.error().field, "capability");
  Bytes many = unhex("00 00000006 00000041");
  for (int i = 0; i < 65; ++i) many = cat_bytes(many, unhex("00000100 00000000"));
  t.replies.push_back(response(kStNoSessions, 0, many));
  EXPECT_EQ(get_properties(t, kPtFixed, 64).error().code, Errc::kTooLarge);
  t.replies.push_back(response(kStNoSessions, 0, unhex("00 00000006 00000002 00000117")));
  auto cut = get_properties(t, kPtNvIndexMax, 2);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, Errc::kTruncated);
}

TEST(TpmCommands, NvWriteBytes) {
  FakeTransport t;
  t.replies.push_back(response(kStSessions, 0, unhex("00000000 0000 01 0000")));
  const uint8_t v[4] = {9, 0, 0, 0};
  ASSERT_TRUE(nv_write(t, 0x01C10132, 0x01C10132, ByteSpan(v, 4), 0).ok());
  EXPECT_EQ(hx(t.sent.at(0)),
            "8002000000270000013701c1013201c1013200000009400000090000010000"
            "000409000000"
            "0000");
}

TEST(TpmCommands, TransportFailurePropagates) {
  FakeTransport t;
  t.fail_send = true;
  auto p = nv_read_public(t, 0x01C10131);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::kTpmUnreachable);
}

// A small TPM model for NV: one index with attributes and contents; answers NV_ReadPublic,
// NV_Read and NV_Write by decoding the command bytes.
class FakeNvTpm final : public Transport {
 public:
  uint32_t index = kVlpIndexTcg;
  bool defined = true;
  uint32_t attributes = 0x2204000A;
  Bytes data;
  int fail_read_call = -1;  // NV_Read number (0-based) that fails with TPM_RC_NV_RANGE-ish
  std::vector<std::pair<uint16_t, uint16_t>> reads;  // (size, offset) of each NV_Read
  Bytes written;
  Bytes last_response;

  Status send(ByteSpan c) override {
    Bytes cmd(c.begin(), c.end());
    uint32_t cc = be32(cmd, 6);
    if (cc == kCcNvReadPublic) {
      if (!defined || be32(cmd, 10) != index) {
        last_response = response(kStNoSessions, 0x18B, {});
      } else {
        Bytes b = {0x00, 0x0e};
        put32(b, index);
        b.push_back(0x00);
        b.push_back(0x0b);
        put32(b, attributes);
        b.push_back(0);
        b.push_back(0);
        b.push_back(static_cast<uint8_t>(data.size() >> 8));
        b.push_back(static_cast<uint8_t>(data.size()));
        b.push_back(0);
        b.push_back(0);
        last_response = response(kStNoSessions, 0, b);
      }
    } else if (cc == kCcNvRead) {
      uint16_t size = static_cast<uint16_t>((cmd[cmd.size() - 4] << 8) | cmd[cmd.size() - 3]);
      uint16_t off = static_cast<uint16_t>((cmd[cmd.size() - 2] << 8) | cmd[cmd.size() - 1]);
      int n = static_cast<int>(reads.size());
      reads.emplace_back(size, off);
      if (n == fail_read_call || off + size > data.size()) {
        last_response = response(kStSessions, 0x146, {});  // TPM_RC_NV_RANGE
      } else {
        Bytes b;
        put32(b, static_cast<uint32_t>(2 + size));
        b.push_back(static_cast<uint8_t>(size >> 8));
        b.push_back(static_cast<uint8_t>(size));
        b.insert(b.end(), data.begin() + off, data.begin() + off + size);
        b.insert(b.end(), kEmptyAuthResponse.begin(), kEmptyAuthResponse.end());
        last_response = response(kStSessions, 0, b);
      }
    } else if (cc == kCcNvWrite) {
      uint16_t n = static_cast<uint16_t>((cmd[31] << 8) | cmd[32]);  // after header, handles, auth
      written.assign(cmd.begin() + 33, cmd.begin() + 33 + n);
      last_response = response(kStSessions, 0, unhex("00000000 0000 01 0000"));
    } else {
      last_response = response(kStNoSessions, 0x143, {});  // TPM_RC_COMMAND_CODE
    }
    return ok_status();
  }
  Result<size_t> receive(MutableByteSpan out) override {
    if (last_response.size() > out.size) return make_error(Errc::kTooLarge, "too large");
    copy_bytes(out.data, last_response.data(), last_response.size());
    return last_response.size();
  }

 private:
  static uint32_t be32(const Bytes& b, size_t at) {
    return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
           b[at + 3];
  }
  static void put32(Bytes& b, uint32_t v) {
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
};

TEST(LaunchNv, ReadsPolicyIn256ByteChunks) {
  FakeNvTpm tpm;
  tpm.data.resize(600);
  for (size_t i = 0; i < tpm.data.size(); ++i) tpm.data[i] = static_cast<uint8_t>(i * 7);
  Bytes buf(2124);
  VlpRead r = read_vlp(tpm, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(r.source, launch::PolicySource::kNvRead);
  ASSERT_EQ(r.size, 600u);
  EXPECT_TRUE(std::equal(tpm.data.begin(), tpm.data.end(), buf.begin()));
  ASSERT_EQ(tpm.reads.size(), 3u);
  EXPECT_EQ(tpm.reads[0], std::make_pair(uint16_t{256}, uint16_t{0}));
  EXPECT_EQ(tpm.reads[1], std::make_pair(uint16_t{256}, uint16_t{256}));
  EXPECT_EQ(tpm.reads[2], std::make_pair(uint16_t{88}, uint16_t{512}));
}

TEST(LaunchNv, CapsAtBufferAndKeepsPartialRead) {
  FakeNvTpm tpm;
  tpm.data.assign(3000, 0x5A);
  Bytes buf(2124);
  VlpRead r = read_vlp(tpm, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_TRUE(r.capped);
  EXPECT_EQ(r.size, 2124u);
  EXPECT_EQ(tpm.reads.back(), std::make_pair(uint16_t{2124 - 2048}, uint16_t{2048}));
  // The second chunk fails: tboot keeps the first 256 bytes and validates them.
  FakeNvTpm t2;
  t2.data.assign(600, 1);
  t2.fail_read_call = 1;
  VlpRead r2 = read_vlp(t2, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(r2.source, launch::PolicySource::kNvRead);
  EXPECT_EQ(r2.size, 256u);
  EXPECT_EQ(r2.error.tpm_rc, 0x146u);
}

// Issue 16 item 7: nv_index_set= chooses the handle set read first; it cannot hide the owner's
// policy in the other set (the fake defines one index, answers TPM_RC_HANDLE for any other).
TEST(LaunchNv, HandleSetOptionCannotHideThePolicy) {
  Bytes buf(2124);
  for (uint32_t defined_at : {kVlpIndexTcg, kVlpIndexLegacy}) {
    FakeNvTpm tpm;
    tpm.index = defined_at;
    tpm.data = {2, 0, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (auto preferred : {launch::NvIndexSet::kTcg, launch::NvIndexSet::kLegacy}) {
      uint32_t used = 0;
      VlpRead r =
          read_vlp_either_set(tpm, preferred, MutableByteSpan(buf.data(), buf.size()), &used);
      EXPECT_EQ(r.source, launch::PolicySource::kNvRead);
      EXPECT_EQ(used, defined_at);
      EXPECT_EQ(r.size, 12u);
    }
  }
  // Neither set: absent, reported for the preferred set.
  FakeNvTpm none;
  none.defined = false;
  uint32_t used = 0;
  VlpRead r = read_vlp_either_set(none, launch::NvIndexSet::kLegacy,
                                  MutableByteSpan(buf.data(), buf.size()), &used);
  EXPECT_EQ(r.source, launch::PolicySource::kNvAbsent);
  EXPECT_EQ(used, kVlpIndexLegacy);
  // The preferred set's index exists but cannot be read: that is the answer (no fallback).
  FakeNvTpm broken;
  broken.data.resize(600);
  broken.fail_read_call = 0;
  r = read_vlp_either_set(broken, launch::NvIndexSet::kTcg, MutableByteSpan(buf.data(), buf.size()),
                          &used);
  EXPECT_EQ(r.source, launch::PolicySource::kNvUnreadable);
  EXPECT_EQ(used, kVlpIndexTcg);
}

TEST(LaunchNv, AbsentUnreadableAndPpWrite) {
  Bytes buf(2124);
  FakeNvTpm absent;
  absent.defined = false;
  VlpRead a = read_vlp(absent, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(a.source, launch::PolicySource::kNvAbsent);
  EXPECT_EQ(a.error.tpm_rc, 0x18Bu);
  FakeNvTpm empty;  // defined, size 0
  VlpRead e = read_vlp(empty, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(e.source, launch::PolicySource::kNvUnreadable);
  FakeNvTpm first_fails;
  first_fails.data.assign(100, 2);
  first_fails.fail_read_call = 0;
  VlpRead f = read_vlp(first_fails, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(f.source, launch::PolicySource::kNvUnreadable);
  FakeNvTpm pp;
  pp.data.assign(36, 3);
  pp.attributes |= kTpmaNvPpWrite;
  VlpRead p = read_vlp(pp, kVlpIndexTcg, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(p.source, launch::PolicySource::kNvPpWrite);
  EXPECT_EQ(p.size, 36u);
  // The legacy handle set reads another index: this TPM has only the TCG one.
  VlpRead l = read_vlp(pp, kVlpIndexLegacy, MutableByteSpan(buf.data(), buf.size()));
  EXPECT_EQ(l.source, launch::PolicySource::kNvAbsent);
}

TEST(LaunchNv, ErrorIndexWrite) {
  FakeNvTpm tpm;
  tpm.index = kErrIndexTcg;
  tpm.data.assign(8, 0);
  bool defined = false;
  ASSERT_TRUE(write_error_index(tpm, kErrIndexTcg, 9, &defined).ok());
  EXPECT_TRUE(defined);
  EXPECT_EQ(hx(tpm.written), "09000000");
  FakeNvTpm none;
  none.defined = false;
  ASSERT_TRUE(write_error_index(none, kErrIndexTcg, 9, &defined).ok());
  EXPECT_FALSE(defined);
  EXPECT_TRUE(none.written.empty());
  FakeNvTpm small;
  small.index = kErrIndexTcg;
  small.data.assign(2, 0);
  auto s = write_error_index(small, kErrIndexTcg, 9, &defined);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(small.written.empty());
}

}  // namespace
}  // namespace tlaunch::tpm
