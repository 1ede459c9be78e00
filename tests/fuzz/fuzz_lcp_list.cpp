// LCP policy lists: LCP_POLICY_LIST2 0x0200/0x0201 and LCP_POLICY_LIST2_1 0x0300
// (libpolicy lcp::decode_list_file / read_list; docs/reference/lcp.md §5.2, §5.3, §6).
// The first input byte selects decode_list_file's allow_missing_sig_block (bit 0); the rest is
// the list file.
//
// Properties:
//  * every view (elements, key, signature value, signed bytes, measured bytes) lies inside the
//    list; the elements re-validate to the same count and the iterator walks exactly that many;
//  * decode -> encode -> bytes: an unsigned list re-encodes byte for byte; a signed RSA/ECC list
//    whose signature spec the encoder accepts re-encodes byte for byte once the stored fields the
//    encoder writes as constants (structure versions, exponent, reserved) are copied back, and the
//    result decodes again;
//  * a list decoded as a file decodes identically when read in place (as inside a data file),
//    except the LIST2 "no SigBlock" form, which only a file may have;
//  * the upstream --show text renderer accepts every valid list.
#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_list_text.h"
#include "tlaunch/policy/lcp_list.h"
#include "tlaunch/policy/sha2.h"

using namespace tlaunch;
using namespace tlaunch::lcp;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::inside;
using tlaunch::fuzz::same;

namespace {

void put16(Bytes& b, size_t at, uint16_t v) {
  FUZZ_CHECK(at + 2 <= b.size());
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v));
  put16(b, at + 2, static_cast<uint16_t>(v >> 16));
}

void check_reencode(const ListView& l) {
  if (!l.is_signed) {
    Bytes out(l.raw.size + 16);
    ByteWriter w(MutableByteSpan(out.data(), out.size()));
    auto n = encode_unsigned_list(w, l.version, l.elements);
    FUZZ_CHECK(n.ok());
    FUZZ_CHECK(same(w.written(), l.raw));
    return;
  }
  const ListSignatureView& s = l.signature;
  if (s.key_kind != KeyKind::kRsa && s.key_kind != KeyKind::kEcc) return;  // LMS/ML-DSA: no encoder
  const SignatureSpec spec = spec_of(l);
  auto lay = signed_list_layout(l.version, l.elements.size, spec);
  if (!lay.ok()) return;  // stored scheme/hash the encoder refuses (verification rejects them too)
  Bytes out(lay->size + 16);
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto enc = encode_signed_list(w, l.version, l.elements, spec, s.has_value);
  FUZZ_CHECK(enc.ok());
  out.resize(w.size());
  if (s.has_value)
    FUZZ_CHECK(place_signature_value(MutableByteSpan(out.data(), out.size()), *enc, s.value).ok());
  FUZZ_CHECK(out.size() == l.raw.size);
  // Fields the encoder writes as constants (docs/reference/lcp.md §5.2/§5.3): copy the stored
  // values over.
  const size_t so = s.offset - l.offset;  // RevocationCounter
  const size_t vo = s.value_offset - l.offset;
  if (l.is_list2()) {
    if (s.key_kind == KeyKind::kEcc) put32(out, so + 4, s.ecc_reserved);
  } else {
    out[so + 2] = s.kas_version;
    out[so + 5] = s.key_version;
    if (s.key_kind == KeyKind::kRsa) put32(out, so + 8, s.exponent);
    out[vo - 5] = s.sig_version;
    put16(out, vo - 4, s.sig_key_size_field);
    put16(out, vo - 2, s.hash_alg);
  }
  FUZZ_CHECK(same(tlaunch::fuzz::span(out), l.raw));
  auto again = decode_list_file(tlaunch::fuzz::span(out), !s.has_value);
  FUZZ_CHECK(again.ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const bool allow_missing = fin.flag();
  const ByteSpan in = fin.rest();

  auto l = decode_list_file(in, allow_missing);
  if (!l.ok()) {
    tlaunch::fuzz::check_error(l.error(), in.size);
    return 0;
  }
  FUZZ_CHECK(same(l->raw, in));
  FUZZ_CHECK(is_supported_list_version(l->version));
  FUZZ_CHECK(inside(l->elements, in) && l->elements.size == l->elements_size);
  FUZZ_CHECK(inside(l->signed_bytes, in));
  FUZZ_CHECK(inside(list_measured_bytes(*l), in));
  if (l->is_signed) {
    const ListSignatureView& s = l->signature;
    for (ByteSpan v : {s.modulus, s.qx, s.qy, s.key_blob, s.value, s.r, s.s})
      FUZZ_CHECK(inside(v, in));
    FUZZ_CHECK(s.value_offset <= in.size);
    FUZZ_CHECK(!l->signed_bytes.empty());
    if (!s.has_value) FUZZ_CHECK(allow_missing && l->is_list2() && s.key_kind == KeyKind::kRsa);
  } else {
    FUZZ_CHECK(l->signed_bytes.empty());
  }

  // Elements: validate again, iterate.
  auto count = validate_elements(l->elements, 8);
  FUZZ_CHECK(count.ok() && *count == l->element_count);
  ElementIterator it(*l);
  uint32_t n = 0;
  while (!it.done()) {
    auto e = it.next();
    FUZZ_CHECK(e.ok());
    FUZZ_CHECK(inside(e->raw, l->elements));
    ++n;
  }
  FUZZ_CHECK(n == l->element_count);

  // In place, as inside a data file.
  if (!l->is_signed || l->signature.has_value) {
    ByteReader r(in);
    auto l2 = read_list(r);
    FUZZ_CHECK(l2.ok() && r.at_end());
    FUZZ_CHECK(same(l2->raw, l->raw) && l2->element_count == l->element_count &&
               same(l2->signed_bytes, l->signed_bytes) &&
               same(list_measured_bytes(*l2), list_measured_bytes(*l)));
  }

  check_reencode(*l);

  SoftHasher h;
  FUZZ_CHECK(list_measurement(h, HashAlg::kSha256, *l).ok());
  (void)lcp::host::list_text(*l, "", false);
  (void)lcp::host::list_text(*l, "    ", true);
  return 0;
}
