// TPM 2.0 response unmarshalling of libtpmnv core (tlaunch/tpmnv/core/commands.h; TCG TPM 2.0
// Library Part 1 §18, Part 3 NV_ReadPublic §31.6, NV_Read §31.13, NV_Write §31.7, PCR_Read §22.4,
// GetCapability §30.2). The launcher runs this code on whatever the TPM (or anything on the LPC
// bus pretending to be one) answers.
//
// Input: byte 0 selects the parser, bytes 1..4 a parameter (expected NV index, PCR number and
// bank, or the read buffer size), the rest is the response.
//
// Properties:
//  * header: a successful parse means tag ST_SESSIONS/ST_NO_SESSIONS, responseSize == the bytes
//    received, responseCode 0; a TPM error carries the raw responseCode;
//  * oracle: the fields parse_nv_read_public and parse_nv_read return are the bytes at their fixed
//    offsets in the response, read here independently; NV_Read never copies more than the buffer;
//  * decode -> encode -> decode: each parsed value, marshalled again here in canonical form,
//    parses to the same value.
#include "fuzz.h"
#include "tlaunch/tpmnv/core/commands.h"

using namespace tlaunch;
using namespace tlaunch::tpm;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::same;

namespace {

uint16_t be16(ByteSpan b, size_t at) {
  FUZZ_CHECK(at + 2 <= b.size);
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t be32(ByteSpan b, size_t at) {
  return static_cast<uint32_t>(be16(b, at)) << 16 | be16(b, at + 2);
}
void app16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void app32(Bytes& b, uint32_t v) {
  app16(b, static_cast<uint16_t>(v >> 16));
  app16(b, static_cast<uint16_t>(v));
}
// A success response around `params` (Part 1 §18.10): with sessions, parameterSize + params +
// an empty password acknowledgement (nonce size 0, attributes 1, hmac size 0).
Bytes response(const Bytes& params, bool sessions) {
  Bytes b;
  app16(b, sessions ? kStSessions : kStNoSessions);
  app32(b, 0);
  app32(b, kRcSuccess);
  if (sessions) app32(b, static_cast<uint32_t>(params.size()));
  b.insert(b.end(), params.begin(), params.end());
  if (sessions) b.insert(b.end(), {0, 0, 1, 0, 0});
  const uint32_t n = static_cast<uint32_t>(b.size());
  for (int i = 0; i < 4; ++i) b[2 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
  return b;
}

bool same_pub(const NvPublic& a, const NvPublic& b) {
  return a.handle == b.handle && a.name_alg == b.name_alg && a.attributes == b.attributes &&
         a.auth_policy_size == b.auth_policy_size && a.size == b.size &&
         same(ByteSpan(a.auth_policy, a.auth_policy_size),
              ByteSpan(b.auth_policy, b.auth_policy_size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const uint8_t which = fin.u8();
  const uint32_t param = fin.u32();
  const ByteSpan rsp = fin.rest();

  // Every parser starts with the header check; its verdict bounds theirs.
  ByteReader body;
  Status hs = parse_response_header(rsp, &body);
  if (hs.ok()) {
    FUZZ_CHECK(rsp.size >= 10 && be32(rsp, 2) == rsp.size && be32(rsp, 6) == kRcSuccess);
    FUZZ_CHECK(be16(rsp, 0) == kStSessions || be16(rsp, 0) == kStNoSessions);
    FUZZ_CHECK(body.remaining() == rsp.size - 10);
  } else if (hs.error().code == Errc::kTpm) {
    FUZZ_CHECK(hs.error().tpm_rc == be32(rsp, 6) && hs.error().tpm_rc != 0);
  } else {
    tlaunch::fuzz::check_error(hs.error(), rsp.size);
  }

  switch (which % 5) {
    case 0: {  // NV_ReadPublic: nvPublic (TPM2B_NV_PUBLIC) + nvName (TPM2B_NAME), no sessions
      auto p = parse_nv_read_public(rsp, param);
      FUZZ_CHECK(!p.ok() || hs.ok());
      if (!p.ok()) break;
      FUZZ_CHECK(p->handle == param && be32(rsp, 12) == param);
      FUZZ_CHECK(p->name_alg == be16(rsp, 16) && p->attributes == be32(rsp, 18));
      FUZZ_CHECK(p->auth_policy_size == be16(rsp, 22) && p->auth_policy_size <= kMaxDigestSize);
      FUZZ_CHECK(same(ByteSpan(p->auth_policy, p->auth_policy_size),
                      rsp.subspan(24, p->auth_policy_size)));
      FUZZ_CHECK(p->size == be16(rsp, 24 + p->auth_policy_size));
      FUZZ_CHECK(12u + be16(rsp, 10) <= rsp.size);
      Bytes pub;
      app32(pub, p->handle);
      app16(pub, p->name_alg);
      app32(pub, p->attributes);
      app16(pub, p->auth_policy_size);
      pub.insert(pub.end(), p->auth_policy, p->auth_policy + p->auth_policy_size);
      app16(pub, p->size);
      Bytes params;
      app16(params, static_cast<uint16_t>(pub.size()));
      params.insert(params.end(), pub.begin(), pub.end());
      app16(params, 2);
      app16(params, p->name_alg);
      const Bytes canon = response(params, false);
      auto again = parse_nv_read_public(tlaunch::fuzz::span(canon), param);
      FUZZ_CHECK(again.ok() && same_pub(*again, *p));
      break;
    }
    case 1: {  // NV_Read: parameterSize, TPM2B_MAX_NV_BUFFER, authorization area
      Bytes out((param & 0x1FFF) + 1, 0xA5);
      Bytes guard = out;
      auto n = parse_nv_read(rsp, MutableByteSpan(out.data(), out.size()));
      FUZZ_CHECK(!n.ok() || hs.ok());
      if (!n.ok()) {
        FUZZ_CHECK(out == guard);  // nothing copied on failure
        break;
      }
      FUZZ_CHECK(*n <= out.size());
      FUZZ_CHECK(be16(rsp, 0) == kStSessions);  // parameterSize exists only then
      FUZZ_CHECK(*n == be16(rsp, 14) && 16 + *n <= rsp.size);
      FUZZ_CHECK(same(ByteSpan(out.data(), *n), rsp.subspan(16, *n)));
      FUZZ_CHECK(std::equal(out.begin() + static_cast<std::ptrdiff_t>(*n), out.end(),
                            guard.begin() + static_cast<std::ptrdiff_t>(*n)));
      Bytes params;
      app16(params, static_cast<uint16_t>(*n));
      params.insert(params.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
      const Bytes canon = response(params, true);
      Bytes out2(out.size());
      auto n2 =
          parse_nv_read(tlaunch::fuzz::span(canon), MutableByteSpan(out2.data(), out2.size()));
      FUZZ_CHECK(
          n2.ok() && *n2 == *n &&
          std::equal(out2.begin(), out2.begin() + static_cast<std::ptrdiff_t>(*n), out.begin()));
      break;
    }
    case 2: {  // NV_Write / PCR_Extend: no response parameters
      Status s = parse_nv_write(rsp);
      FUZZ_CHECK(!s.ok() || hs.ok());
      FUZZ_CHECK(!s.ok() || be16(rsp, 0) == kStSessions);
      FUZZ_CHECK(parse_pcr_extend(rsp).ok() == s.ok());
      FUZZ_CHECK(parse_startup(rsp).ok() == hs.ok());
      break;
    }
    case 3: {  // PCR_Read
      const uint32_t pcr = param % 24;
      static constexpr uint16_t kAlgs[] = {0x000B, 0x000C, 0x000D, 0x0004};
      const uint16_t alg = kAlgs[(param >> 8) & 3];
      auto d = parse_pcr_read(rsp, pcr, alg);
      FUZZ_CHECK(!d.ok() || hs.ok());
      if (!d.ok()) break;
      FUZZ_CHECK(static_cast<uint16_t>(d->alg) == alg && d->size == digest_size(alg));
      Bytes params;
      app32(params, 7);  // pcrUpdateCounter
      app32(params, 1);
      app16(params, alg);
      params.push_back(3);
      uint8_t sel[3] = {};
      sel[pcr / 8] = static_cast<uint8_t>(1u << (pcr % 8));
      params.insert(params.end(), sel, sel + 3);
      app32(params, 1);
      app16(params, d->size);
      params.insert(params.end(), d->bytes, d->bytes + d->size);
      const Bytes canon = response(params, false);
      auto again = parse_pcr_read(tlaunch::fuzz::span(canon), pcr, alg);
      FUZZ_CHECK(again.ok() && *again == *d);
      break;
    }
    case 4: {  // GetCapability(TPM_CAP_PCRS)
      auto b = parse_get_capability_pcrs(rsp);
      FUZZ_CHECK(!b.ok() || hs.ok());
      if (!b.ok()) break;
      FUZZ_CHECK(b->count <= kMaxBanks);
      Bytes params;
      params.push_back(0);  // moreData
      app32(params, kCapPcrs);
      app32(params, static_cast<uint32_t>(b->count));
      for (size_t i = 0; i < b->count; ++i) {
        app16(params, b->banks[i].alg);
        params.push_back(4);
        for (int j = 0; j < 4; ++j)
          params.push_back(static_cast<uint8_t>(b->banks[i].pcrs >> (8 * j)));
      }
      const Bytes canon = response(params, false);
      auto again = parse_get_capability_pcrs(tlaunch::fuzz::span(canon));
      FUZZ_CHECK(again.ok() && again->count == b->count);
      for (size_t i = 0; i < b->count; ++i)
        FUZZ_CHECK(again->banks[i].alg == b->banks[i].alg &&
                   again->banks[i].pcrs == b->banks[i].pcrs);
      break;
    }
  }
  return 0;
}
