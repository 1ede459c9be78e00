// LCP policy elements (libpolicy lcp::read_element / read_element_file and the typed decoders;
// docs/reference/lcp.md §5.1, §7).
//
// Built once as fuzz_lcp_element (the input is a whole element file, header included) and once
// per element type with TLAUNCH_FUZZ_ELEMENT_TYPE set (fuzz_lcp_element_<type>): then the input
// is PolEltControl (4 bytes) + the type-specific body, and the target builds a header with a
// correct Size and that Type, so mutations go into the body instead of mostly breaking the header.
//
// Properties:
//  * an element view lies inside the input; Size equals the file size; reading the same bytes
//    with trailing data and a base offset gives the same element and advances exactly Size bytes;
//  * decode -> encode -> bytes: MLE2, SBIOS2, STM2, CUSTOM/CUSTOM2 and the PCONF2 form lcptools
//    writes are re-encoded with the core encoders and give the input back (reserved fields, which
//    the encoders write as 0, are copied over from the decoded view), and the encoding decodes to
//    the same view;
//  * the upstream text (--show) and JSON renderers accept every valid element;
//  * a CUSTOM element with the tboot UUID unwraps to a VLP exactly when vlp::decode accepts its
//    data and consumes all of it;
//  * the UUID text syntax round-trips: parse_uuid(uuid_string(u)) == u.
#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/lcp_element.h"
#include "tlaunch/policy/vlp.h"

using namespace tlaunch;
using namespace tlaunch::lcp;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::inside;
using tlaunch::fuzz::same;

namespace {

bool same_view(const ElementView& a, const ElementView& b) {
  return a.size == b.size && a.type == b.type && a.policy_elt_control == b.policy_elt_control &&
         same(a.body, b.body) && same(a.raw, b.raw);
}

// Encodes with `enc` into a fresh buffer and returns the bytes.
template <class F>
Bytes encode_with(size_t size_hint, F enc) {
  Bytes out(size_hint + 64);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto n = enc(w);
  FUZZ_CHECK(n.ok());
  FUZZ_CHECK(*n == w.size());
  out.resize(w.size());
  return out;
}

void check_reencode(const ElementView& e) {
  Bytes enc;
  switch (e.type) {
    case kEltMle2: {
      auto v = decode_mle2(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(inside(v->hashes.bytes, e.body));
      enc = encode_with(e.size, [&](ByteWriter& w) {
        return encode_mle2(w, e.policy_elt_control, v->sinit_min_version, v->hashes.hash_alg,
                           v->hashes.bytes);
      });
      FUZZ_CHECK(enc.size() == e.size);
      enc[13] = v->reserved;  // body offset 1: Reserved (the encoder writes 0)
      break;
    }
    case kEltSbios2: {
      auto v = decode_sbios2(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(inside(v->fallback_hash, e.body) && inside(v->hashes.bytes, e.body));
      enc = encode_with(e.size, [&](ByteWriter& w) {
        return encode_sbios2(w, e.policy_elt_control, v->hash_alg, v->fallback_hash,
                             v->hashes.bytes);
      });
      FUZZ_CHECK(enc.size() == e.size);
      // Reserved1 at body offset 2, Reserved2 after the fallback hash (docs/reference/lcp.md §7.3).
      enc[14] = static_cast<uint8_t>(v->reserved1);
      enc[15] = static_cast<uint8_t>(v->reserved1 >> 8);
      const size_t r2 = 12 + 4 + v->fallback_hash.size;
      enc[r2] = static_cast<uint8_t>(v->reserved2);
      enc[r2 + 1] = static_cast<uint8_t>(v->reserved2 >> 8);
      break;
    }
    case kEltStm2: {
      auto v = decode_stm2(e);
      FUZZ_CHECK(v.ok());
      enc = encode_with(e.size, [&](ByteWriter& w) {
        return encode_stm2(w, e.policy_elt_control, v->hashes.hash_alg, v->hashes.bytes);
      });
      break;
    }
    case kEltCustom:
    case kEltCustom2: {
      auto v = decode_custom(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(inside(v->data, e.body));
      enc = encode_with(e.size, [&](ByteWriter& w) {
        return encode_custom(w, e.type, e.policy_elt_control, v->uuid, v->data);
      });
      // The UUID text form round-trips (lcp2_crtpolelt --uuid syntax).
      auto parsed = lcp::host::parse_uuid(lcp::host::uuid_string(v->uuid));
      FUZZ_CHECK(parsed.has_value() && *parsed == v->uuid);
      // unwrap_vlp accepts exactly the tboot UUID + a VLP that fills the data.
      auto unwrapped = lcp::host::unwrap_vlp(Bytes(e.raw.begin(), e.raw.end()), "fuzz");
      auto pol = vlp::decode(v->data);
      const bool expect = v->uuid == kTbootCustomUuid && pol.ok() && pol->size() == v->data.size;
      FUZZ_CHECK(unwrapped.ok() == expect);
      if (expect) FUZZ_CHECK(same(tlaunch::fuzz::span(*unwrapped), v->data));
      break;
    }
    case kEltPconf2: {
      auto v = decode_pconf2(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(inside(v->pcr_infos, e.body));
      // Walk the PCRInfos again: they must fill pcr_infos exactly.
      ByteReader r(v->pcr_infos);
      PcrInfo first;
      for (uint16_t i = 0; i < v->num_pcr_infos; ++i) {
        auto info = read_pcr_info(r);
        FUZZ_CHECK(info.ok());
        FUZZ_CHECK(info->count <= kMaxPcrSelections);
        FUZZ_CHECK(inside(info->digest, v->pcr_infos) && inside(info->raw, v->pcr_infos));
        if (i == 0) first = *info;
      }
      FUZZ_CHECK(r.at_end());
      // The one form lcptools writes (and encode_pconf2 produces) must re-encode identically.
      const uint8_t d = lcp_digest_size(v->hash_alg);
      if (v->num_pcr_infos == 1 && first.count == 1 && first.selections[0].hash == v->hash_alg &&
          first.selections[0].size_of_select == 3 && first.selections[0].select[1] == 0 &&
          first.selections[0].select[2] == 0 && first.digest.size == d) {
        enc = encode_with(e.size, [&](ByteWriter& w) {
          return encode_pconf2(w, e.policy_elt_control, v->hash_alg, first.selections[0].select[0],
                               first.digest);
        });
      }
      break;
    }
    case kEltMle: {
      auto v = decode_mle_legacy(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(v->hashes.size == size_t{v->num_hashes} * 20 && inside(v->hashes, e.body));
      break;
    }
    case kEltPconf: {
      auto v = decode_pconf_legacy(e);
      FUZZ_CHECK(v.ok());
      FUZZ_CHECK(inside(v->pcr_infos, e.body));
      break;
    }
    case kEltSbios:
      break;  // validated by read_element(); no view type, no encoder
    default:
      FUZZ_CHECK(!"read_element accepted an unknown type");
  }
  if (!enc.empty()) {
    FUZZ_CHECK(same(tlaunch::fuzz::span(enc), e.raw));
    auto again = read_element_file(tlaunch::fuzz::span(enc));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->type == e.type && again->policy_elt_control == e.policy_elt_control &&
               same(again->body, e.body));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#ifdef TLAUNCH_FUZZ_ELEMENT_TYPE
  // Control (4 bytes) + body; the header is made here with the right Size and the fixed Type.
  tlaunch::fuzz::Input fin(data, size);
  const uint32_t control = fin.u32();
  const ByteSpan body = fin.rest();
  Bytes file;
  const uint32_t esize = static_cast<uint32_t>(kElementHeaderSize + body.size);
  for (uint32_t v : {esize, static_cast<uint32_t>(TLAUNCH_FUZZ_ELEMENT_TYPE), control})
    for (int i = 0; i < 4; ++i) file.push_back(static_cast<uint8_t>(v >> (8 * i)));
  file.insert(file.end(), body.begin(), body.end());
  const ByteSpan in = tlaunch::fuzz::span(file);
#else
  const ByteSpan in(data, size);
#endif

  auto e = read_element_file(in);
  if (!e.ok()) {
    tlaunch::fuzz::check_error(e.error(), in.size);
    return 0;
  }
  FUZZ_CHECK(e->size == in.size && e->offset == 0);
  FUZZ_CHECK(same(e->raw, in) && inside(e->body, in));
  FUZZ_CHECK(e->body.size == e->size - kElementHeaderSize);
  FUZZ_CHECK(is_known_element_type(e->type));
  FUZZ_CHECK(validate_element_body(*e).ok());

  // Inside a longer buffer at a base offset (as in a list): same element, advance by Size.
  {
    Bytes longer(in.begin(), in.end());
    longer.insert(longer.end(), {0xde, 0xad, 0xbe, 0xef, 0x00});
    ByteReader r(tlaunch::fuzz::span(longer), 100);
    auto e2 = read_element(r);
    FUZZ_CHECK(e2.ok());
    FUZZ_CHECK(e2->offset == 100 && r.offset() == e->size);
    FUZZ_CHECK(same_view(*e2, *e));
  }

  check_reencode(*e);

  // lcp2_crtpolelt --show / tlaunch lcp element show --json renderers.
  std::string t = lcp::host::element_text(*e);
  FUZZ_CHECK(!t.empty());
  (void)lcp::host::element_text(*e, "\t", true);
  (void)lcp::host::element_json(*e).dump();
  return 0;
}
