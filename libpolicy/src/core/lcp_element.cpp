// LCP policy elements: decode with validation, encode. Layouts: docs/reference/lcp.md §5.1, §7
// (upstream include/lcp3.h and lcptools-v2 *_elt.c). Every size is checked before it is used;
// a Size field smaller than the header (including 0) is an error, so walking a list of elements
// always advances by at least 12 bytes and terminates.
#include "tlaunch/policy/lcp_element.h"

namespace tlaunch::lcp {
namespace {

uint32_t abs_of(const ElementView& e, size_t body_pos) {
  return static_cast<uint32_t>(e.offset + kElementHeaderSize + body_pos);
}

Error err_at(Errc code, const char* message, const char* field, uint32_t offset) {
  return make_error(code, message, field, offset);
}

Status expect_type(const ElementView& e, uint32_t t1, uint32_t t2 = 0xFFFFFFFFu) {
  if (e.type != t1 && e.type != t2)
    return with_value(err_at(Errc::kBadValue, "element has a different type than expected",
                             "element.type", e.offset + 4),
                      e.type);
  return ok_status();
}

// Reads a u16 hash algorithm and returns its digest size; unknown algorithms are rejected since
// the body size cannot be checked without the digest size.
Result<uint8_t> read_digest_size(uint16_t alg, const char* field, uint32_t offset) {
  uint8_t d = lcp_digest_size(alg);
  if (d == 0)
    return with_value(err_at(Errc::kUnsupported, "unknown hash algorithm", field, offset), alg);
  return d;
}

// `count` digests of size d must fill the rest of the body exactly.
Result<ByteSpan> read_hash_run(ByteReader& r, uint16_t count, uint8_t d, const char* count_field,
                               uint32_t count_offset) {
  size_t need = static_cast<size_t>(count) * d;
  if (r.remaining() < need)
    return with_value(err_at(Errc::kTruncated, "the hashes run past the end of the element",
                             count_field, count_offset),
                      count);
  auto bytes = r.bytes(need, count_field);
  if (!bytes) return bytes.error();
  if (!r.at_end())
    return with_value(err_at(Errc::kBadValue, "element has bytes after its last hash",
                             "element.size", r.abs_offset()),
                      r.remaining());
  return *bytes;
}

}  // namespace

Result<ElementView> read_element(ByteReader& r) {
  ElementView e;
  e.offset = r.abs_offset();
  size_t start = r.offset();
  if (r.remaining() < kElementHeaderSize) {
    return with_value(
        err_at(Errc::kTruncated, "input ends inside an element header", "element.size", e.offset),
        r.remaining());
  }
  auto size = r.le32("element.size");
  if (!size) return size.error();
  if (*size < kElementHeaderSize) {
    return with_value(
        err_at(Errc::kBadValue,
               *size == 0 ? "element size is 0" : "element size is smaller than the 12-byte header",
               "element.size", e.offset),
        *size);
  }
  if (*size > r.remaining() + 4) {
    return with_value(err_at(Errc::kTruncated, "element size runs past the end of the input",
                             "element.size", e.offset),
                      *size);
  }
  auto type = r.le32("element.type");
  if (!type) return type.error();
  auto ctrl = r.le32("element.policy_elt_control");
  if (!ctrl) return ctrl.error();
  if (!is_known_element_type(*type)) {
    return with_value(
        err_at(Errc::kUnsupported, "unknown element type", "element.type", e.offset + 4), *type);
  }
  e.size = *size;
  e.type = *type;
  e.policy_elt_control = *ctrl;
  auto body = r.bytes(*size - kElementHeaderSize, "element.data");
  if (!body) return body.error();
  e.body = *body;
  e.raw = r.input().subspan(start, *size);
  TLAUNCH_TRY(validate_element_body(e));
  return e;
}

Result<ElementView> read_element_file(ByteSpan file) {
  ByteReader r(file);
  if (file.size >= 4) {
    ByteReader peek(file);
    auto size = peek.le32("element.size");
    if (size && *size >= kElementHeaderSize && *size != file.size) {
      return with_value(err_at(*size > file.size ? Errc::kTruncated : Errc::kBadValue,
                               "element size differs from the file size", "element.size", 0),
                        *size);
    }
  }
  return read_element(r);
}

Result<Mle2View> decode_mle2(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltMle2));
  ByteReader r(e.body, abs_of(e, 0));
  Mle2View v;
  auto minv = r.u8("mle2.sinit_min_version");
  if (!minv) return minv.error();
  auto res = r.u8("mle2.reserved");
  if (!res) return res.error();
  uint32_t alg_off = r.abs_offset();
  auto alg = r.le16("mle2.hash_alg");
  if (!alg) return alg.error();
  auto d = read_digest_size(*alg, "mle2.hash_alg", alg_off);
  if (!d) return d.error();
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("mle2.num_hashes");
  if (!n) return n.error();
  auto run = read_hash_run(r, *n, *d, "mle2.num_hashes", n_off);
  if (!run) return run.error();
  v.sinit_min_version = *minv;
  v.reserved = *res;
  v.hashes = HashArray{*alg, *d, *n, *run};
  return v;
}

Result<Sbios2View> decode_sbios2(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltSbios2));
  ByteReader r(e.body, abs_of(e, 0));
  Sbios2View v;
  uint32_t alg_off = r.abs_offset();
  auto alg = r.le16("sbios.hash_alg");
  if (!alg) return alg.error();
  auto d = read_digest_size(*alg, "sbios.hash_alg", alg_off);
  if (!d) return d.error();
  auto res1 = r.le16("sbios.reserved1");
  if (!res1) return res1.error();
  auto fb = r.bytes(*d, "sbios.fallback_hash");
  if (!fb) return fb.error();
  auto res2 = r.le16("sbios.reserved2");
  if (!res2) return res2.error();
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("sbios.num_hashes");
  if (!n) return n.error();
  auto run = read_hash_run(r, *n, *d, "sbios.num_hashes", n_off);
  if (!run) return run.error();
  v.hash_alg = *alg;
  v.reserved1 = *res1;
  v.fallback_hash = *fb;
  v.reserved2 = *res2;
  v.hashes = HashArray{*alg, *d, *n, *run};
  return v;
}

Result<Stm2View> decode_stm2(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltStm2));
  ByteReader r(e.body, abs_of(e, 0));
  uint32_t alg_off = r.abs_offset();
  auto alg = r.le16("stm.hash_alg");
  if (!alg) return alg.error();
  auto d = read_digest_size(*alg, "stm.hash_alg", alg_off);
  if (!d) return d.error();
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("stm.num_hashes");
  if (!n) return n.error();
  auto run = read_hash_run(r, *n, *d, "stm.num_hashes", n_off);
  if (!run) return run.error();
  Stm2View v;
  v.hashes = HashArray{*alg, *d, *n, *run};
  return v;
}

// TPMS_QUOTE_INFO, TPM-marshalled (TCG TPM 2.0 Library Part 2: TPML_PCR_SELECTION §10.9.7,
// TPMS_PCR_SELECTION §10.6.2, TPM2B_DIGEST §10.4.2); big-endian unlike the rest of the element.
Result<PcrInfo> read_pcr_info(ByteReader& r) {
  PcrInfo info;
  size_t start = r.offset();
  uint32_t count_off = r.abs_offset();
  auto count = r.be32("pconf2.pcr_info.pcr_selection.count");
  if (!count) return count.error();
  if (*count > kMaxPcrSelections)
    return with_value(err_at(Errc::kTooLarge, "too many PCR selections",
                             "pconf2.pcr_info.pcr_selection.count", count_off),
                      *count);
  info.count = *count;
  for (uint32_t i = 0; i < *count; ++i) {
    auto hash = r.be16("pconf2.pcr_info.pcr_selection.hash");
    if (!hash) return hash.error();
    uint32_t sos_off = r.abs_offset();
    auto sos = r.u8("pconf2.pcr_info.pcr_selection.size_of_select");
    if (!sos) return sos.error();
    if (*sos > sizeof(info.selections[i].select))
      return with_value(err_at(Errc::kBadValue, "sizeofSelect larger than 4 bytes",
                               "pconf2.pcr_info.pcr_selection.size_of_select", sos_off),
                        *sos);
    auto sel = r.bytes(*sos, "pconf2.pcr_info.pcr_selection.pcr_select");
    if (!sel) return sel.error();
    info.selections[i].hash = *hash;
    info.selections[i].size_of_select = *sos;
    copy_bytes(info.selections[i].select, sel->data, *sos);
  }
  uint32_t dsz_off = r.abs_offset();
  auto dsz = r.be16("pconf2.pcr_info.pcr_digest.size");
  if (!dsz) return dsz.error();
  if (*dsz > kMaxDigestSize)
    return with_value(err_at(Errc::kTooLarge, "PCR digest larger than 64 bytes",
                             "pconf2.pcr_info.pcr_digest.size", dsz_off),
                      *dsz);
  auto dig = r.bytes(*dsz, "pconf2.pcr_info.pcr_digest.buffer");
  if (!dig) return dig.error();
  info.digest = *dig;
  info.raw = r.input().subspan(start, r.offset() - start);
  return info;
}

Result<Pconf2View> decode_pconf2(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltPconf2));
  ByteReader r(e.body, abs_of(e, 0));
  Pconf2View v;
  uint32_t alg_off = r.abs_offset();
  auto alg = r.le16("pconf2.hash_alg");
  if (!alg) return alg.error();
  auto d = read_digest_size(*alg, "pconf2.hash_alg", alg_off);
  if (!d) return d.error();
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("pconf2.num_pcr_infos");
  if (!n) return n.error();
  if (*n == 0)
    return err_at(Errc::kBadValue, "PCONF2 element without PCRInfo", "pconf2.num_pcr_infos", n_off);
  size_t infos_start = r.offset();
  for (uint16_t i = 0; i < *n; ++i) {
    auto info = read_pcr_info(r);
    if (!info) return with_item(info.error(), i);
  }
  if (!r.at_end())
    return with_value(err_at(Errc::kBadValue, "element has bytes after its last PCRInfo",
                             "element.size", r.abs_offset()),
                      r.remaining());
  v.hash_alg = *alg;
  v.num_pcr_infos = *n;
  v.pcr_infos = e.body.subspan(infos_start, e.body.size - infos_start);
  return v;
}

Result<CustomView> decode_custom(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltCustom2, kEltCustom));
  ByteReader r(e.body, abs_of(e, 0));
  auto uuid = read_uuid(r, "custom.uuid");
  if (!uuid) return uuid.error();
  CustomView v;
  v.uuid = *uuid;
  v.data = e.body.subspan(kUuidSize, e.body.size - kUuidSize);
  return v;
}

// TPM 1.2 element layouts (Intel TXT Software Development Guide, LCP v2 appendix;
// docs/reference/lcp.md §7.6): SHA-1 only, LCP_POLHALG_SHA1 = 0.
Result<MleLegacyView> decode_mle_legacy(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltMle));
  ByteReader r(e.body, abs_of(e, 0));
  auto minv = r.u8("mle.sinit_min_version");
  if (!minv) return minv.error();
  uint32_t alg_off = r.abs_offset();
  auto alg = r.u8("mle.hash_alg");
  if (!alg) return alg.error();
  if (*alg != 0)
    return with_value(err_at(Errc::kUnsupported, "legacy MLE element hash_alg is not SHA-1 (0)",
                             "mle.hash_alg", alg_off),
                      *alg);
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("mle.num_hashes");
  if (!n) return n.error();
  auto run = read_hash_run(r, *n, 20, "mle.num_hashes", n_off);
  if (!run) return run.error();
  MleLegacyView v;
  v.sinit_min_version = *minv;
  v.hash_alg = *alg;
  v.num_hashes = *n;
  v.hashes = *run;
  return v;
}

Result<PconfLegacyView> decode_pconf_legacy(const ElementView& e) {
  TLAUNCH_TRY(expect_type(e, kEltPconf));
  ByteReader r(e.body, abs_of(e, 0));
  auto n = r.le16("pconf.num_pcr_infos");
  if (!n) return n.error();
  size_t start = r.offset();
  for (uint16_t i = 0; i < *n; ++i) {
    // TPM_PCR_INFO_SHORT (TPM 1.2 Main Part 2 §8.3): TPM_PCR_SELECTION (u16 BE sizeOfSelect,
    // select bytes), TPM_LOCALITY_SELECTION u8, TPM_COMPOSITE_HASH (20 bytes).
    uint32_t sos_off = r.abs_offset();
    auto sos = r.be16("pconf.pcr_info.size_of_select");
    if (!sos) return with_item(sos.error(), i);
    if (*sos > 4)
      return with_item(with_value(err_at(Errc::kBadValue, "sizeOfSelect larger than 4 bytes",
                                         "pconf.pcr_info.size_of_select", sos_off),
                                  *sos),
                       i);
    TLAUNCH_TRY(r.skip(*sos, "pconf.pcr_info.pcr_select"));
    TLAUNCH_TRY(r.skip(1, "pconf.pcr_info.locality_at_release"));
    TLAUNCH_TRY(r.skip(20, "pconf.pcr_info.digest_at_release"));
  }
  if (!r.at_end())
    return with_value(err_at(Errc::kBadValue, "element has bytes after its last PCR info",
                             "element.size", r.abs_offset()),
                      r.remaining());
  PconfLegacyView v;
  v.num_pcr_infos = *n;
  v.pcr_infos = e.body.subspan(start, e.body.size - start);
  return v;
}

// Legacy SBIOS (0x02): u8 HashAlg (0 = SHA-1), u8 Reserved1[3], FallbackHash[20], u16 Reserved2,
// u16 NumHashes, hashes[n][20] (LCP_HASH is a SHA-1 digest in LCP v1/v2 for TPM 1.2).
static Status validate_sbios_legacy(const ElementView& e) {
  ByteReader r(e.body, abs_of(e, 0));
  uint32_t alg_off = r.abs_offset();
  auto alg = r.u8("sbios1.hash_alg");
  if (!alg) return alg.error();
  if (*alg != 0)
    return with_value(err_at(Errc::kUnsupported, "legacy SBIOS element hash_alg is not SHA-1 (0)",
                             "sbios1.hash_alg", alg_off),
                      *alg);
  TLAUNCH_TRY(r.skip(3, "sbios1.reserved1"));
  TLAUNCH_TRY(r.skip(20, "sbios1.fallback_hash"));
  TLAUNCH_TRY(r.skip(2, "sbios1.reserved2"));
  uint32_t n_off = r.abs_offset();
  auto n = r.le16("sbios1.num_hashes");
  if (!n) return n.error();
  auto run = read_hash_run(r, *n, 20, "sbios1.num_hashes", n_off);
  if (!run) return run.error();
  return ok_status();
}

Status validate_element_body(const ElementView& e) {
  switch (e.type) {
    case kEltMle2: {
      auto v = decode_mle2(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltSbios2: {
      auto v = decode_sbios2(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltStm2: {
      auto v = decode_stm2(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltPconf2: {
      auto v = decode_pconf2(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltCustom:
    case kEltCustom2: {
      auto v = decode_custom(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltMle: {
      auto v = decode_mle_legacy(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltPconf: {
      auto v = decode_pconf_legacy(e);
      if (!v) return v.error();
      return ok_status();
    }
    case kEltSbios:
      return validate_sbios_legacy(e);
    default:
      return with_value(
          err_at(Errc::kUnsupported, "unknown element type", "element.type", e.offset + 4), e.type);
  }
}

// ------------------------------------------------------------------ encode
namespace {

Status check_hashes(uint16_t hash_alg, ByteSpan hashes, size_t* count) {
  uint8_t d = lcp_digest_size(hash_alg);
  if (d == 0)
    return with_value(make_error(Errc::kUnsupported, "unknown hash algorithm", "hash_alg"),
                      hash_alg);
  if (hashes.size % d != 0)
    return make_error(Errc::kBadValue, "hash bytes are not a multiple of the digest size",
                      "hashes");
  *count = hashes.size / d;
  if (*count > 0xFFFF)
    return with_value(make_error(Errc::kTooLarge, "more than 65535 hashes", "num_hashes"), *count);
  return ok_status();
}

void write_header(ByteWriter& w, size_t size, uint32_t type, uint32_t control) {
  w.le32(static_cast<uint32_t>(size));
  w.le32(type);
  w.le32(control);
}

Result<size_t> finish(ByteWriter& w, size_t start, size_t size) {
  TLAUNCH_TRY(w.status());
  if (w.size() - start != size)
    return make_error(Errc::kInternal, "encoded element size differs from its Size field");
  return size;
}

}  // namespace

size_t mle2_size(uint16_t hash_alg, size_t count) {
  return kElementHeaderSize + 6 + count * lcp_digest_size(hash_alg);
}

Result<size_t> encode_mle2(ByteWriter& w, uint32_t control, uint8_t sinit_min_version,
                           uint16_t hash_alg, ByteSpan hashes) {
  size_t n = 0;
  TLAUNCH_TRY(check_hashes(hash_alg, hashes, &n));
  size_t start = w.size();
  size_t size = mle2_size(hash_alg, n);
  write_header(w, size, kEltMle2, control);
  w.u8(sinit_min_version);
  w.u8(0);
  w.le16(hash_alg);
  w.le16(static_cast<uint16_t>(n));
  w.bytes(hashes);
  return finish(w, start, size);
}

size_t sbios2_size(uint16_t hash_alg, size_t count_without_fallback) {
  return kElementHeaderSize + 8 + (count_without_fallback + 1) * lcp_digest_size(hash_alg);
}

Result<size_t> encode_sbios2(ByteWriter& w, uint32_t control, uint16_t hash_alg,
                             ByteSpan fallback_hash, ByteSpan hashes) {
  size_t n = 0;
  TLAUNCH_TRY(check_hashes(hash_alg, hashes, &n));
  if (fallback_hash.size != lcp_digest_size(hash_alg))
    return make_error(Errc::kBadValue, "fallback hash has the wrong size", "fallback_hash");
  size_t start = w.size();
  size_t size = sbios2_size(hash_alg, n);
  write_header(w, size, kEltSbios2, control);
  w.le16(hash_alg);
  w.le16(0);
  w.bytes(fallback_hash);
  w.le16(0);
  w.le16(static_cast<uint16_t>(n));
  w.bytes(hashes);
  return finish(w, start, size);
}

size_t stm2_size(uint16_t hash_alg, size_t count) {
  return kElementHeaderSize + 4 + count * lcp_digest_size(hash_alg);
}

Result<size_t> encode_stm2(ByteWriter& w, uint32_t control, uint16_t hash_alg, ByteSpan hashes) {
  size_t n = 0;
  TLAUNCH_TRY(check_hashes(hash_alg, hashes, &n));
  size_t start = w.size();
  size_t size = stm2_size(hash_alg, n);
  write_header(w, size, kEltStm2, control);
  w.le16(hash_alg);
  w.le16(static_cast<uint16_t>(n));
  w.bytes(hashes);
  return finish(w, start, size);
}

size_t custom_size(size_t data_size) { return kElementHeaderSize + kUuidSize + data_size; }

Result<size_t> encode_custom(ByteWriter& w, uint32_t type, uint32_t control, const Uuid& uuid,
                             ByteSpan data) {
  if (type != kEltCustom2 && type != kEltCustom)
    return with_value(make_error(Errc::kBadValue, "not a CUSTOM element type", "element.type"),
                      type);
  size_t size = custom_size(data.size);
  if (size > 0xFFFFFFFFu)
    return make_error(Errc::kTooLarge, "custom element larger than 4 GiB", "element.size");
  size_t start = w.size();
  write_header(w, size, type, control);
  write_uuid(w, uuid);
  w.bytes(data);
  return finish(w, start, size);
}

Result<Digest> pconf2_composite_digest(Hasher& h, uint16_t hash_alg, const PcrValues& pcrs) {
  uint8_t d = lcp_digest_size(hash_alg);
  if (d == 0)
    return with_value(make_error(Errc::kUnsupported, "unknown hash algorithm", "hash_alg"),
                      hash_alg);
  bool any = false;
  for (size_t i = 0; i < kPconfPcrCount; ++i) any = any || pcrs.present[i];
  if (!any) return make_error(Errc::kUsage, "no PCRs specified for the pconf element", "pcrs");
  TLAUNCH_TRY(h.begin(static_cast<HashAlg>(hash_alg)));
  // All eight PCRs, ascending; upstream's loop stops before PCR 7
  // (docs/reference/upstream-quirks.md#q16).
  for (size_t i = 0; i < kPconfPcrCount; ++i)
    if (pcrs.present[i]) h.update(ByteSpan(pcrs.value[i], d));
  Digest out = h.finish();
  if (out.size != d) return make_error(Errc::kCrypto, "hash computation failed", "pcr_digest");
  return out;
}

size_t pconf2_size(uint16_t hash_alg) {
  // header + HashAlg + NumPCRInfos + TPML count(4) + hash(2) + sizeofSelect(1) + select(3)
  // + TPM2B size(2) + D  (docs/reference/lcp.md §7.2: 28 + D)
  return kElementHeaderSize + 4 + 4 + 2 + 1 + 3 + 2 + lcp_digest_size(hash_alg);
}

Result<size_t> encode_pconf2(ByteWriter& w, uint32_t control, uint16_t hash_alg,
                             uint8_t pcr_select0, ByteSpan pcr_digest) {
  uint8_t d = lcp_digest_size(hash_alg);
  if (d == 0)
    return with_value(make_error(Errc::kUnsupported, "unknown hash algorithm", "hash_alg"),
                      hash_alg);
  if (pcr_digest.size != d)
    return make_error(Errc::kBadValue, "PCR digest has the wrong size", "pcr_digest");
  size_t start = w.size();
  size_t size = pconf2_size(hash_alg);
  write_header(w, size, kEltPconf2, control);
  w.le16(hash_alg);
  w.le16(1);
  w.be32(1);  // TPML_PCR_SELECTION.count: TXT requires exactly one selection (pconf2_elt.c)
  w.be16(hash_alg);
  w.u8(3);  // sizeofSelect: 24 PCRs
  w.u8(pcr_select0);
  w.u8(0);
  w.u8(0);
  w.be16(d);
  w.bytes(pcr_digest);
  return finish(w, start, size);
}

}  // namespace tlaunch::lcp
