// Host element builders, UUID text parsing and the VLP <-> CUSTOM2 wrapping.
#include "tlaunch/policy/host/lcp/lcp_element_build.h"

#include <cstdio>
#include <functional>
#include <string>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::Expected;
using tlaunch::host::fail;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A tiny cursor over the UUID text with strtoul(…, 16)-like number reading.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  void skip_space() {
    while (i < s.size() && is_space(s[i])) ++i;
  }
  bool expect(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Hex number, optional 0x prefix; fails if there is no digit or it exceeds max.
  bool number(uint64_t max, uint64_t* out) {
    size_t j = i;
    if (j + 2 < s.size() && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X') &&
        hex_value(s[j + 2]) >= 0)
      j += 2;
    size_t start = j;
    uint64_t v = 0;
    while (j < s.size() && hex_value(s[j]) >= 0) {
      v = (v << 4) | static_cast<unsigned>(hex_value(s[j]));
      if (v > max) return false;
      ++j;
    }
    if (j == start) return false;
    i = j;
    *out = v;
    return true;
  }
};

Expected<Bytes> encode_into(size_t size, const std::function<Result<size_t>(ByteWriter&)>& encode) {
  Bytes out(size);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto r = encode(w);
  if (!r) return fail(r.error(), "element");
  out.resize(*r);
  return out;
}

Expected<Bytes> concat_hashes(uint16_t hash_alg, const std::vector<Bytes>& hashes, size_t first,
                              Bytes* out) {
  uint8_t d = lcp_digest_size(hash_alg);
  if (d == 0) return fail(Errc::kUnsupported, "unsupported hash algorithm");
  for (size_t i = first; i < hashes.size(); ++i) {
    if (hashes[i].size() != d)
      return fail(Errc::kBadValue, "hash " + std::to_string(i) + " has " +
                                       std::to_string(hashes[i].size()) + " bytes, expected " +
                                       std::to_string(d));
    out->insert(out->end(), hashes[i].begin(), hashes[i].end());
  }
  return *out;
}

}  // namespace

std::optional<Uuid> parse_uuid(std::string_view text) {
  Cursor c{text};
  c.skip_space();
  if (text.substr(c.i) == "tboot") return kTbootCustomUuid;
  Uuid u;
  uint64_t v = 0;
  if (!c.expect('{')) return std::nullopt;
  const uint64_t maxes[4] = {0xFFFFFFFFu, 0xFFFF, 0xFFFF, 0xFFFF};
  uint64_t fields[4] = {};
  for (int f = 0; f < 4; ++f) {
    c.skip_space();
    if (!c.number(maxes[f], &fields[f])) return std::nullopt;
    c.skip_space();
    if (!c.expect(',')) return std::nullopt;
  }
  c.skip_space();
  if (!c.expect('{')) return std::nullopt;
  for (int b = 0; b < 6; ++b) {
    c.skip_space();
    if (!c.number(0xFF, &v)) return std::nullopt;
    u.data5[b] = static_cast<uint8_t>(v);
    c.skip_space();
    if (!c.expect(b < 5 ? ',' : '}')) return std::nullopt;
  }
  c.skip_space();
  if (!c.expect('}')) return std::nullopt;
  c.skip_space();
  if (c.i != text.size()) return std::nullopt;
  u.data1 = static_cast<uint32_t>(fields[0]);
  u.data2 = static_cast<uint16_t>(fields[1]);
  u.data3 = static_cast<uint16_t>(fields[2]);
  u.data4 = static_cast<uint16_t>(fields[3]);
  return u;
}

Expected<Bytes> build_mle2(uint32_t control, uint8_t sinit_min_version, uint16_t hash_alg,
                           const std::vector<Bytes>& hashes) {
  Bytes all;
  auto c = concat_hashes(hash_alg, hashes, 0, &all);
  if (!c) return c.failure();
  return encode_into(mle2_size(hash_alg, hashes.size()), [&](ByteWriter& w) {
    return encode_mle2(w, control, sinit_min_version, hash_alg, ByteSpan(all.data(), all.size()));
  });
}

Expected<Bytes> build_sbios2(uint32_t control, uint16_t hash_alg,
                             const std::vector<Bytes>& hashes) {
  if (hashes.empty()) return fail(Errc::kUsage, "no hashes provided");
  Bytes rest;
  auto c = concat_hashes(hash_alg, hashes, 1, &rest);
  if (!c) return c.failure();
  if (hashes[0].size() != lcp_digest_size(hash_alg))
    return fail(Errc::kBadValue, "fallback hash has the wrong size");
  return encode_into(sbios2_size(hash_alg, hashes.size() - 1), [&](ByteWriter& w) {
    return encode_sbios2(w, control, hash_alg, ByteSpan(hashes[0].data(), hashes[0].size()),
                         ByteSpan(rest.data(), rest.size()));
  });
}

Expected<Bytes> build_stm2(uint32_t control, uint16_t hash_alg, const std::vector<Bytes>& hashes) {
  Bytes all;
  auto c = concat_hashes(hash_alg, hashes, 0, &all);
  if (!c) return c.failure();
  return encode_into(stm2_size(hash_alg, hashes.size()), [&](ByteWriter& w) {
    return encode_stm2(w, control, hash_alg, ByteSpan(all.data(), all.size()));
  });
}

Expected<Bytes> build_pconf2(uint32_t control, uint16_t hash_alg, const PcrValues& pcrs) {
  tlaunch::host::OpenSslHasher hasher;
  auto digest = pconf2_composite_digest(hasher, hash_alg, pcrs);
  if (!digest) return fail(digest.error(), "pconf2 element");
  uint8_t select = 0;
  for (size_t i = 0; i < kPconfPcrCount; ++i)
    if (pcrs.present[i]) select = static_cast<uint8_t>(select | (1u << i));
  return encode_into(pconf2_size(hash_alg), [&](ByteWriter& w) {
    return encode_pconf2(w, control, hash_alg, select, digest->span());
  });
}

Expected<Bytes> build_custom(uint32_t control, const Uuid& uuid, const Bytes& data, uint32_t type) {
  return encode_into(custom_size(data.size()), [&](ByteWriter& w) {
    return encode_custom(w, type, control, uuid, ByteSpan(data.data(), data.size()));
  });
}

Expected<Bytes> wrap_vlp(const Bytes& vlp_bytes, uint32_t control) {
  auto pol = vlp::decode(ByteSpan(vlp_bytes.data(), vlp_bytes.size()));
  if (!pol) return fail(pol.error(), "VLP");
  if (pol->size() != vlp_bytes.size())
    return fail(Errc::kBadValue, "VLP: " + std::to_string(vlp_bytes.size() - pol->size()) +
                                     " bytes after the end of the policy (byte offset " +
                                     std::to_string(pol->size()) + ")");
  return build_custom(control, kTbootCustomUuid, vlp_bytes, kEltCustom2);
}

Expected<Bytes> unwrap_vlp(const Bytes& element, const std::string& context) {
  auto e = read_element_file(ByteSpan(element.data(), element.size()));
  if (!e) return fail(e.error(), context);
  if (e->type != kEltCustom2 && e->type != kEltCustom)
    return fail(
        Errc::kBadValue,
        context + ": element type 0x" +
            [&] {
              char b[16];
              std::snprintf(b, sizeof(b), "%x", e->type);
              return std::string(b);
            }() +
            " is not CUSTOM (0x13) or legacy CUSTOM (0x03) (field 'element.type', byte offset 4)");
  auto c = decode_custom(*e);
  if (!c) return fail(c.error(), context);
  if (c->uuid != kTbootCustomUuid)
    return fail(Errc::kBadValue, context +
                                     ": custom element UUID is not the tboot policy UUID (field "
                                     "'custom.uuid', byte offset 12)");
  auto pol = vlp::decode(c->data);
  if (!pol) {
    Error err = pol.error();
    if (err.offset != kNoOffset) err.offset += 28;  // report offsets within the element file
    return fail(err, context + " (VLP inside the element)");
  }
  if (pol->size() != c->data.size)
    return fail(Errc::kBadValue, context + ": " + std::to_string(c->data.size - pol->size()) +
                                     " bytes after the end of the VLP (byte offset " +
                                     std::to_string(28 + pol->size()) + ")");
  return Bytes(c->data.begin(), c->data.end());
}

std::optional<Bytes> parse_pcr_value(std::string_view text, size_t digest_size) {
  if (text.size() != 2 * digest_size) return std::nullopt;
  Bytes out(digest_size);
  for (size_t i = 0; i < digest_size; ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace tlaunch::lcp::host
