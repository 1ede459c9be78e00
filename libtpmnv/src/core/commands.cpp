// TPM 2.0 command marshalling for the launcher (see commands.h for the spec references).
#include "tlaunch/tpmnv/core/commands.h"

namespace tlaunch::tpm {
namespace {

// Command header: tag, commandSize (patched at the end), commandCode (Part 1 §18.2).
void begin_command(ByteWriter& w, uint16_t tag, uint32_t cc) {
  w.be16(tag);
  w.be32(0);
  w.be32(cc);
}

Result<size_t> end_command(ByteWriter& w) {
  w.patch_be32(2, static_cast<uint32_t>(w.size()));
  TLAUNCH_TRY(w.status());
  return w.size();
}

// Authorization area with one password session and an empty password (Part 1 §19.6.8 / Part 3
// §5.2: authorizationSize, sessionHandle TPM_RS_PW, nonce TPM2B (empty), sessionAttributes,
// hmac TPM2B = the password (empty)).
void empty_password_session(ByteWriter& w) {
  w.be32(9);
  w.be32(kRsPw);
  w.be16(0);
  w.u8(0x01);  // continueSession (ignored for TPM_RS_PW)
  w.be16(0);
}

// Response of a command with sessions: parameterSize, then the parameters, then the
// authorization area (Part 1 §18.10). Returns a reader over exactly the parameters.
// A successful response to a command sent with sessions (NV_Read, NV_Write, PCR_Extend) has the
// tag TPM_ST_SESSIONS, and only then a parameterSize field (TPM 2.0 Part 1 §18.10): under
// TPM_ST_NO_SESSIONS the bytes read as parameterSize would be the parameters themselves.
Status require_sessions_tag(ByteSpan rsp) {
  const uint16_t tag = static_cast<uint16_t>((rsp.data[0] << 8) | rsp.data[1]);
  if (tag != kStSessions)
    return with_value(
        make_error(Errc::kBadValue, "response without sessions to a command sent with sessions",
                   "tag", 0),
        tag);
  return ok_status();
}

Result<ByteReader> session_parameters(ByteReader& body) {
  auto psize = body.be32("parameterSize");
  if (!psize.ok()) return psize.error();
  return body.sub(*psize, "parameters");
}

Error tpm_error(uint32_t rc) {
  Error e = make_error(Errc::kTpm, "the TPM returned an error");
  e.tpm_rc = rc;
  return e;
}

template <class Build, class Parse>
auto run(Transport& t, Build build, Parse parse) -> decltype(parse(ByteSpan())) {
  uint8_t cmd[kMaxCommandSize];
  auto n = build(MutableByteSpan(cmd, sizeof(cmd)));
  if (!n.ok()) return n.error();
  TLAUNCH_TRY(t.send(ByteSpan(cmd, *n)));
  uint8_t rsp[kMaxCommandSize];
  auto m = t.receive(MutableByteSpan(rsp, sizeof(rsp)));
  if (!m.ok()) return m.error();
  return parse(ByteSpan(rsp, *m));
}

}  // namespace

uint32_t rc_base(uint32_t rc) { return (rc & 0x80) ? (rc & 0xBF) : rc; }
bool rc_is_no_such_handle(uint32_t rc) { return rc_base(rc) == kRcHandle; }

Result<size_t> build_startup(MutableByteSpan out, uint16_t startup_type) {
  ByteWriter w(out);
  begin_command(w, kStNoSessions, kCcStartup);
  w.be16(startup_type);
  return end_command(w);
}

Result<size_t> build_nv_read_public(MutableByteSpan out, uint32_t nv_index) {
  ByteWriter w(out);
  begin_command(w, kStNoSessions, kCcNvReadPublic);
  w.be32(nv_index);
  return end_command(w);
}

Result<size_t> build_nv_read(MutableByteSpan out, uint32_t auth_handle, uint32_t nv_index,
                             uint16_t size, uint16_t offset) {
  ByteWriter w(out);
  begin_command(w, kStSessions, kCcNvRead);
  w.be32(auth_handle);
  w.be32(nv_index);
  empty_password_session(w);
  w.be16(size);
  w.be16(offset);
  return end_command(w);
}

Result<size_t> build_nv_write(MutableByteSpan out, uint32_t auth_handle, uint32_t nv_index,
                              ByteSpan data, uint16_t offset) {
  if (data.size > kMaxNvChunk)
    return with_value(make_error(Errc::kTooLarge, "NV write larger than one transfer", "data"),
                      data.size);
  ByteWriter w(out);
  begin_command(w, kStSessions, kCcNvWrite);
  w.be32(auth_handle);
  w.be32(nv_index);
  empty_password_session(w);
  w.be16(static_cast<uint16_t>(data.size));  // TPM2B_MAX_NV_BUFFER
  w.bytes(data);
  w.be16(offset);
  return end_command(w);
}

Result<size_t> build_pcr_extend(MutableByteSpan out, uint32_t pcr, const Digest* digests,
                                size_t count) {
  if (count == 0 || count > kMaxBanks)
    return with_value(make_error(Errc::kBadValue, "PCR_Extend needs 1 to 8 digests", "count"),
                      count);
  ByteWriter w(out);
  begin_command(w, kStSessions, kCcPcrExtend);
  w.be32(pcr);  // TPMI_DH_PCR: the PCR handle is its number
  empty_password_session(w);
  w.be32(static_cast<uint32_t>(count));  // TPML_DIGEST_VALUES.count
  for (size_t i = 0; i < count; ++i) {
    const uint8_t want = digest_size(static_cast<uint16_t>(digests[i].alg));
    if (want == 0 || digests[i].size != want)
      return with_item(
          make_error(Errc::kBadValue, "digest size does not match its algorithm", "digests"),
          static_cast<int32_t>(i));
    w.be16(static_cast<uint16_t>(digests[i].alg));  // TPMT_HA.hashAlg
    w.bytes(digests[i].span());                     // TPMU_HA, sized by the algorithm
  }
  return end_command(w);
}

// TPMS_PCR_SELECTION with sizeofSelect 3 (PCR 0..23, Part 2 §10.6.2).
Result<size_t> build_pcr_read(MutableByteSpan out, uint32_t pcr, uint16_t alg) {
  if (pcr > 23) return with_value(make_error(Errc::kBadValue, "PCR out of range", "pcr"), pcr);
  ByteWriter w(out);
  begin_command(w, kStNoSessions, kCcPcrRead);
  w.be32(1);
  w.be16(alg);
  w.u8(3);
  uint8_t sel[3] = {};
  sel[pcr / 8] = static_cast<uint8_t>(1u << (pcr % 8));
  w.bytes(ByteSpan(sel, 3));
  return end_command(w);
}

Result<size_t> build_get_capability_pcrs(MutableByteSpan out) {
  ByteWriter w(out);
  begin_command(w, kStNoSessions, kCcGetCapability);
  w.be32(kCapPcrs);
  w.be32(0);  // property
  w.be32(1);  // propertyCount (ignored for TPM_CAP_PCRS)
  return end_command(w);
}

Result<size_t> build_get_capability_properties(MutableByteSpan out, uint32_t first,
                                               uint32_t count) {
  ByteWriter w(out);
  begin_command(w, kStNoSessions, kCcGetCapability);
  w.be32(kCapTpmProperties);
  w.be32(first);
  w.be32(count);
  return end_command(w);
}

Status parse_response_header(ByteSpan rsp, ByteReader* body) {
  ByteReader r(rsp);
  auto tag = r.be16("tag");
  if (!tag.ok()) return tag.error();
  auto size = r.be32("responseSize");
  if (!size.ok()) return size.error();
  auto rc = r.be32("responseCode");
  if (!rc.ok()) return rc.error();
  if (*tag != kStNoSessions && *tag != kStSessions)
    return with_value(make_error(Errc::kBadValue, "unknown response tag", "tag", 0), *tag);
  if (*size != rsp.size)
    return with_value(make_error(Errc::kBadValue, "responseSize differs from the bytes received",
                                 "responseSize", 2),
                      *size);
  if (*rc != kRcSuccess) return tpm_error(*rc);
  if (body != nullptr) {
    auto rest = r.sub(r.remaining(), "body");
    if (!rest.ok()) return rest.error();
    *body = *rest;
  }
  return ok_status();
}

Status parse_startup(ByteSpan rsp) { return parse_response_header(rsp, nullptr); }

Result<NvPublic> parse_nv_read_public(ByteSpan rsp, uint32_t expected_index) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  auto size = body.be16("nvPublic.size");
  if (!size.ok()) return size.error();
  auto pub_r = body.sub(*size, "nvPublic");
  if (!pub_r.ok()) return pub_r.error();
  ByteReader& pub = *pub_r;
  NvPublic p;
  auto index = pub.be32("nvIndex");
  if (!index.ok()) return index.error();
  if (*index != expected_index)
    return with_value(make_error(Errc::kBadValue, "the TPM described another NV index", "nvIndex",
                                 pub.abs_offset() - 4),
                      *index);
  p.handle = *index;
  auto alg = pub.be16("nameAlg");
  if (!alg.ok()) return alg.error();
  p.name_alg = *alg;
  auto attrs = pub.be32("attributes");
  if (!attrs.ok()) return attrs.error();
  p.attributes = *attrs;
  auto pol_size = pub.be16("authPolicy.size");
  if (!pol_size.ok()) return pol_size.error();
  if (*pol_size > kMaxDigestSize)
    return with_value(make_error(Errc::kBadValue, "authPolicy larger than any digest",
                                 "authPolicy.size", pub.abs_offset() - 2),
                      *pol_size);
  auto pol = pub.bytes(*pol_size, "authPolicy");
  if (!pol.ok()) return pol.error();
  p.auth_policy_size = *pol_size;
  copy_bytes(p.auth_policy, pol->data, pol->size);
  auto ds = pub.be16("dataSize");
  if (!ds.ok()) return ds.error();
  p.size = *ds;
  // nvName follows; we do not need it but it must be well-formed.
  auto name_size = body.be16("nvName.size");
  if (!name_size.ok()) return name_size.error();
  TLAUNCH_TRY(body.skip(*name_size, "nvName"));
  return p;
}

Result<size_t> parse_nv_read(ByteSpan rsp, MutableByteSpan out) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  TLAUNCH_TRY(require_sessions_tag(rsp));
  auto params = session_parameters(body);
  if (!params.ok()) return params.error();
  auto n = params->be16("data.size");
  if (!n.ok()) return n.error();
  auto data = params->bytes(*n, "data");
  if (!data.ok()) return data.error();
  if (data->size > out.size)
    return with_value(make_error(Errc::kTooLarge, "NV data larger than the read buffer", "data"),
                      data->size);
  copy_bytes(out.data, data->data, data->size);
  return data->size;
}

Status parse_nv_write(ByteSpan rsp) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  TLAUNCH_TRY(require_sessions_tag(rsp));
  auto params = session_parameters(body);
  if (!params.ok()) return params.error();
  return ok_status();
}

Status parse_pcr_extend(ByteSpan rsp) { return parse_nv_write(rsp); }

Result<Digest> parse_pcr_read(ByteSpan rsp, uint32_t pcr, uint16_t alg) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  TLAUNCH_TRY(body.skip(4, "pcrUpdateCounter"));
  auto count = body.be32("pcrSelectionOut.count");
  if (!count.ok()) return count.error();
  bool selected = false;
  for (uint32_t i = 0; i < *count; ++i) {
    auto h = body.be16("pcrSelectionOut.hash");
    if (!h.ok()) return h.error();
    auto sz = body.u8("pcrSelectionOut.sizeofSelect");
    if (!sz.ok()) return sz.error();
    auto sel = body.bytes(*sz, "pcrSelectionOut.pcrSelect");
    if (!sel.ok()) return sel.error();
    if (*h == alg && pcr / 8 < sel->size && ((*sel)[pcr / 8] >> (pcr % 8)) & 1) selected = true;
  }
  auto dcount = body.be32("pcrValues.count");
  if (!dcount.ok()) return dcount.error();
  if (!selected || *dcount != 1)
    return make_error(Errc::kNotFound, "the TPM returned no value for this PCR and bank",
                      "pcrValues", body.abs_offset());
  auto dsize = body.be16("pcrValues.digest.size");
  if (!dsize.ok()) return dsize.error();
  auto d = body.bytes(*dsize, "pcrValues.digest");
  if (!d.ok()) return d.error();
  if (d->size != digest_size(alg))
    return with_value(make_error(Errc::kBadValue, "PCR value size does not match the bank",
                                 "pcrValues.digest.size"),
                      d->size);
  return make_digest(static_cast<HashAlg>(alg), *d);
}

Result<PcrBanks> parse_get_capability_pcrs(ByteSpan rsp) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  TLAUNCH_TRY(body.skip(1, "moreData"));
  auto cap = body.be32("capability");
  if (!cap.ok()) return cap.error();
  if (*cap != kCapPcrs)
    return with_value(make_error(Errc::kBadValue, "the TPM returned another capability",
                                 "capability", body.abs_offset() - 4),
                      *cap);
  auto count = body.be32("assignedPCR.count");
  if (!count.ok()) return count.error();
  PcrBanks out;
  for (uint32_t i = 0; i < *count; ++i) {
    auto h = body.be16("assignedPCR.hash");
    if (!h.ok()) return h.error();
    auto sz = body.u8("assignedPCR.sizeofSelect");
    if (!sz.ok()) return sz.error();
    auto sel = body.bytes(*sz, "assignedPCR.pcrSelect");
    if (!sel.ok()) return sel.error();
    if (out.count == kMaxBanks)
      return make_error(Errc::kTooLarge, "more PCR banks than supported", "assignedPCR.count");
    PcrBank b;
    b.alg = *h;
    for (size_t j = 0; j < sel->size && j < 4; ++j)
      b.pcrs |= static_cast<uint32_t>((*sel)[j]) << (8 * j);
    out.banks[out.count++] = b;
  }
  return out;
}

Result<Properties> parse_get_capability_properties(ByteSpan rsp) {
  ByteReader body;
  TLAUNCH_TRY(parse_response_header(rsp, &body));
  auto more = body.u8("moreData");
  if (!more.ok()) return more.error();
  auto cap = body.be32("capability");
  if (!cap.ok()) return cap.error();
  if (*cap != kCapTpmProperties)
    return with_value(make_error(Errc::kBadValue, "the TPM returned another capability",
                                 "capability", body.abs_offset() - 4),
                      *cap);
  auto count = body.be32("tpmProperties.count");
  if (!count.ok()) return count.error();
  if (*count > kMaxProperties)
    return with_value(make_error(Errc::kTooLarge, "more properties than asked for",
                                 "tpmProperties.count", body.abs_offset() - 4),
                      *count);
  Properties out;
  out.more = *more != 0;
  for (uint32_t i = 0; i < *count; ++i) {
    auto p = body.be32("tpmProperty.property");
    if (!p.ok()) return p.error();
    auto v = body.be32("tpmProperty.value");
    if (!v.ok()) return v.error();
    out.props[out.count++] = {*p, *v};
  }
  return out;
}

bool Properties::find(uint32_t property, uint32_t* value) const {
  for (size_t i = 0; i < count; ++i) {
    if (props[i].property == property) {
      *value = props[i].value;
      return true;
    }
  }
  return false;
}

Status startup(Transport& t, uint16_t startup_type) {
  return run(
      t, [&](MutableByteSpan o) { return build_startup(o, startup_type); },
      [](ByteSpan r) { return parse_startup(r); });
}

Result<NvPublic> nv_read_public(Transport& t, uint32_t nv_index) {
  return run(
      t, [&](MutableByteSpan o) { return build_nv_read_public(o, nv_index); },
      [&](ByteSpan r) { return parse_nv_read_public(r, nv_index); });
}

Result<size_t> nv_read(Transport& t, uint32_t auth_handle, uint32_t nv_index, uint16_t size,
                       uint16_t offset, MutableByteSpan out) {
  if (size > kMaxNvChunk || size > out.size)
    return with_value(
        make_error(Errc::kTooLarge, "NV read larger than one transfer or the buffer", "size"),
        size);
  return run(
      t, [&](MutableByteSpan o) { return build_nv_read(o, auth_handle, nv_index, size, offset); },
      // Only `size` bytes may come back: a longer answer is an error, not more policy.
      [&](ByteSpan r) { return parse_nv_read(r, MutableByteSpan(out.data, size)); });
}

Status nv_write(Transport& t, uint32_t auth_handle, uint32_t nv_index, ByteSpan data,
                uint16_t offset) {
  return run(
      t, [&](MutableByteSpan o) { return build_nv_write(o, auth_handle, nv_index, data, offset); },
      [](ByteSpan r) { return parse_nv_write(r); });
}

Status pcr_extend(Transport& t, uint32_t pcr, const Digest* digests, size_t count) {
  return run(
      t, [&](MutableByteSpan o) { return build_pcr_extend(o, pcr, digests, count); },
      [](ByteSpan r) { return parse_pcr_extend(r); });
}

Result<Digest> pcr_read(Transport& t, uint32_t pcr, HashAlg alg) {
  const uint16_t a = static_cast<uint16_t>(alg);
  return run(
      t, [&](MutableByteSpan o) { return build_pcr_read(o, pcr, a); },
      [&](ByteSpan r) { return parse_pcr_read(r, pcr, a); });
}

Result<PcrBanks> get_pcr_banks(Transport& t) {
  return run(
      t, [](MutableByteSpan o) { return build_get_capability_pcrs(o); },
      [](ByteSpan r) { return parse_get_capability_pcrs(r); });
}

Result<Properties> get_properties(Transport& t, uint32_t first, uint32_t count) {
  if (count > kMaxProperties) count = kMaxProperties;
  return run(
      t, [&](MutableByteSpan o) { return build_get_capability_properties(o, first, count); },
      [](ByteSpan r) { return parse_get_capability_properties(r); });
}

size_t allocated_banks(const PcrBanks& banks, HashAlg* out, size_t max) {
  size_t n = 0;
  for (size_t b = 0; b < banks.count && n < max; ++b)
    if (banks.banks[b].pcrs != 0) out[n++] = static_cast<HashAlg>(banks.banks[b].alg);
  return n;
}

}  // namespace tlaunch::tpm
