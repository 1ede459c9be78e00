// A TPM that only knows NV_ReadPublic, NV_Read and NV_Write on one index, behind the launcher's
// Transport seam (libtpmnv core transport.h), with scripted misbehaviour: the VLP read path of
// the launcher (tpm::read_vlp) is run against it by the nv_policy fuzz target and by the torn-
// write unit test (tests/unit/nv_torn_write_test.cpp). It also checks the commands it receives:
// well-formed, for the right index, never past the end of the index.
// Wire formats: TCG TPM 2.0 Library Part 1 §18 (command/response), Part 3 §31.6/§31.7/§31.13.
#pragma once

#include <cstdint>
#include <vector>

#include "tlaunch/tpmnv/core/commands.h"
#include "tlaunch/tpmnv/core/transport.h"

namespace tlaunch::fuzz {

class FakeNvTpm final : public tpm::Transport {
 public:
  using Bytes = std::vector<uint8_t>;
  enum class PublicMode : uint8_t {
    kOk,
    kAbsent,
    kOtherError,
    kGarbage,
    kWrongIndex,
    kTransportFail,
    kCount
  };
  enum class ReadMode : uint8_t {
    kOk,
    kShort,
    kEmpty,
    kError,
    kOversized,
    kGarbage,
    kTransportFail,
    kCount
  };

  uint32_t index = 0x01C10131;
  uint32_t attributes = 0x2204000A;  // ownerwrite|policywrite|authread|no_da|ordinary
  Bytes data;                        // the index content; its size is the index size
  PublicMode public_mode = PublicMode::kOk;
  std::vector<ReadMode> read_modes;  // per NV_Read, in order; kOk once they run out
  Bytes garbage;                     // the response for the kGarbage modes

  // What the launcher did.
  size_t reads = 0;
  bool bad_command = false;  // a malformed command, another index, or a read past the end
  Bytes written;             // NV_Write data, applied to `data` too
  uint16_t write_offset = 0;
  size_t writes = 0;

  Status send(ByteSpan c) override {
    pending_.clear();
    fail_receive_ = false;
    if (c.size < 10 || be32(c, 2) != c.size) {
      bad_command = true;
      pending_ = respond(tpm::kStNoSessions, 0x01E /*TPM_RC_COMMAND_SIZE*/, {});
      return ok_status();
    }
    const uint32_t cc = be32(c, 6);
    if (cc == tpm::kCcNvReadPublic) {
      if (c.size != 14 || be32(c, 10) != index) bad_command = true;
      switch (public_mode) {
        case PublicMode::kAbsent:
          pending_ = respond(tpm::kStNoSessions, 0x18B, {});
          break;
        case PublicMode::kOtherError:
          pending_ = respond(tpm::kStNoSessions, 0x101, {});
          break;
        case PublicMode::kGarbage:
          pending_ = garbage;
          break;
        case PublicMode::kTransportFail:
          fail_receive_ = true;
          break;
        default: {
          Bytes pub;
          put32(pub, public_mode == PublicMode::kWrongIndex ? index ^ 1 : index);
          put16(pub, 0x000B);
          put32(pub, attributes);
          put16(pub, 0);
          put16(pub, static_cast<uint16_t>(data.size()));
          Bytes body;
          body.reserve(2 + pub.size() + 36);  // (also keeps GCC 12 -O2 -Warray-bounds quiet)
          put16(body, static_cast<uint16_t>(pub.size()));
          body.insert(body.end(), pub.begin(), pub.end());
          put16(body, 34);
          put16(body, 0x000B);
          body.resize(body.size() + 32, 0x5A);
          pending_ = respond(tpm::kStNoSessions, 0, body);
        }
      }
      return ok_status();
    }
    if (cc == tpm::kCcNvRead) {
      // handles (auth, index), authorization area (9 bytes + size), size, offset
      if (c.size != 10 + 8 + 4 + 9 + 4 || be32(c, 10) != index || be32(c, 14) != index ||
          be32(c, 18) != 9) {
        bad_command = true;
      }
      const uint16_t size = c.size >= 4 ? be16(c, c.size - 4) : 0;
      const uint16_t off = c.size >= 2 ? be16(c, c.size - 2) : 0;
      if (size > tpm::kMaxNvChunk || size_t{off} + size > data.size()) bad_command = true;
      const ReadMode mode = reads < read_modes.size() ? read_modes[reads] : ReadMode::kOk;
      ++reads;
      auto chunk = [&](size_t n) {
        Bytes b;
        for (size_t i = 0; i < n; ++i)
          b.push_back(size_t{off} + i < data.size() ? data[off + i] : 0xEE);
        return b;
      };
      switch (mode) {
        case ReadMode::kShort:
          pending_ = read_response(chunk(size / 2));
          break;
        case ReadMode::kEmpty:
          pending_ = read_response({});
          break;
        case ReadMode::kError:
          pending_ = respond(tpm::kStSessions, 0x146, {});
          break;
        case ReadMode::kOversized:
          pending_ = read_response(chunk(size_t{size} * 2 + 3));
          break;
        case ReadMode::kGarbage:
          pending_ = garbage;
          break;
        case ReadMode::kTransportFail:
          fail_receive_ = true;
          break;
        default:
          pending_ = read_response(chunk(size));
      }
      return ok_status();
    }
    if (cc == tpm::kCcNvWrite) {
      ++writes;
      if (c.size < 10 + 8 + 4 + 9 + 2 + 2 || be32(c, 10) != index || be32(c, 14) != index) {
        bad_command = true;
        pending_ = respond(tpm::kStSessions, 0x0101, {});
        return ok_status();
      }
      const uint16_t n = be16(c, 31);
      if (c.size != 33u + n + 2u) {
        bad_command = true;
      } else {
        write_offset = be16(c, 33 + n);
        written.assign(c.data + 33, c.data + 33 + n);
        if (size_t{write_offset} + n > data.size())
          bad_command = true;
        else
          for (size_t i = 0; i < n; ++i) data[write_offset + i] = written[i];
      }
      pending_ = respond(tpm::kStSessions, 0, {0, 0, 0, 0, 0, 0, 1, 0, 0});
      return ok_status();
    }
    bad_command = true;
    pending_ = respond(tpm::kStNoSessions, 0x143 /*TPM_RC_COMMAND_CODE*/, {});
    return ok_status();
  }

  Result<size_t> receive(MutableByteSpan out) override {
    if (fail_receive_) return make_error(Errc::kTpmUnreachable, "fake TPM: no answer");
    if (pending_.size() > out.size)
      return make_error(Errc::kTooLarge, "fake TPM: response too large");
    for (size_t i = 0; i < pending_.size(); ++i) out.data[i] = pending_[i];
    return pending_.size();
  }

 private:
  static uint16_t be16(ByteSpan b, size_t at) {
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
  }
  static uint32_t be32(ByteSpan b, size_t at) {
    return static_cast<uint32_t>(be16(b, at)) << 16 | be16(b, at + 2);
  }
  static void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  }
  static void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
  }
  static Bytes respond(uint16_t tag, uint32_t rc, const Bytes& body) {
    Bytes r;
    put16(r, tag);
    put32(r, static_cast<uint32_t>(10 + body.size()));
    put32(r, rc);
    r.insert(r.end(), body.begin(), body.end());
    return r;
  }
  // parameterSize, TPM2B_MAX_NV_BUFFER, then the password session acknowledgement.
  static Bytes read_response(const Bytes& chunk) {
    Bytes body;
    put32(body, static_cast<uint32_t>(2 + chunk.size()));
    put16(body, static_cast<uint16_t>(chunk.size()));
    body.insert(body.end(), chunk.begin(), chunk.end());
    body.insert(body.end(), {0, 0, 1, 0, 0});
    return respond(tpm::kStSessions, 0, body);
  }

  Bytes pending_;
  bool fail_receive_ = false;
};

}  // namespace tlaunch::fuzz
