// TCG crypto-agile event log reader and writer (see eventlog.h; docs/reference/eventlog.md).
#include "tlaunch/policy/eventlog.h"

namespace tlaunch::eventlog {

const uint8_t kSpecIdSignature[kSignatureSize] = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ',
                                                  'E', 'v', 'e', 'n', 't', '0', '3', 0};

namespace {

// Fixed part of TCG_EfiSpecIDEventStruct: signature, platformClass, specVersionMinor,
// specVersionMajor, specErrata, uintnSize, numberOfAlgorithms.
constexpr size_t kSpecIdFixedSize = kSignatureSize + 4 + 4 + 4;

Error at(Errc code, const char* message, const char* field, size_t offset) {
  return make_error(code, message, field, static_cast<uint32_t>(offset));
}

bool all_zero(ByteSpan s) {
  for (size_t i = 0; i < s.size; ++i)
    if (s[i] != 0) return false;
  return true;
}

// Digest size of an algorithm a log declares: the registry's for the algorithms we know; for
// others what the Spec ID event says (1..kMaxDigestSize) is taken as it is.
Result<SpecId> parse_spec_id(ByteReader& r) {
  SpecId s;
  const size_t start = r.abs_offset();
  if (r.remaining() < kSpecIdFixedSize)
    return at(Errc::kTruncated, "Spec ID event data too short", "TCG_EfiSpecIDEventStruct", start);
  auto sig = r.bytes(kSignatureSize, "signature");
  if (!sig.ok()) return sig.error();
  if (!equal_bytes(sig->data, kSpecIdSignature, kSignatureSize))
    return at(Errc::kBadValue, "not \"Spec ID Event03\": not a crypto-agile (TPM 2.0) log",
              "signature", start);
  auto pc = r.le32("platformClass");
  if (!pc.ok()) return pc.error();
  s.platform_class = *pc;
  auto minor = r.u8("specVersionMinor");
  auto major = r.u8("specVersionMajor");
  auto errata = r.u8("specErrata");
  auto uintn = r.u8("uintnSize");
  if (!uintn.ok()) return uintn.error();
  s.version_minor = *minor;
  s.version_major = *major;
  s.errata = *errata;
  s.uintn_size = *uintn;
  if (s.version_major != 2)
    return with_value(at(Errc::kUnsupported, "Spec ID event of another version than 2.0",
                         "specVersionMajor", r.abs_offset() - 3),
                      s.version_major);
  if (s.uintn_size != 1 && s.uintn_size != 2)
    return with_value(
        at(Errc::kBadValue, "uintnSize must be 1 or 2", "uintnSize", r.abs_offset() - 1),
        s.uintn_size);
  const size_t n_at = r.abs_offset();
  auto n = r.le32("numberOfAlgorithms");
  if (!n.ok()) return n.error();
  if (*n == 0 || *n > kMaxAlgs)
    return with_value(
        at(Errc::kBadValue, "numberOfAlgorithms must be 1 to 8", "numberOfAlgorithms", n_at), *n);
  for (size_t i = 0; i < *n; ++i) {
    const size_t a_at = r.abs_offset();
    auto alg = r.le16("digestSizes.algorithmId");
    if (!alg.ok()) return alg.error();
    auto size = r.le16("digestSizes.digestSize");
    if (!size.ok()) return size.error();
    const uint8_t known = digest_size(*alg);
    if (*alg == static_cast<uint16_t>(HashAlg::kNull) || (known != 0 && known != *size) ||
        *size == 0 || *size > kMaxDigestSize)
      return with_item(with_value(at(Errc::kBadValue, "digest size does not fit the algorithm",
                                     "digestSizes.digestSize", a_at + 2),
                                  *size),
                       static_cast<int32_t>(i));
    if (s.find(*alg) >= 0)
      return with_value(
          at(Errc::kBadValue, "algorithm declared twice", "digestSizes.algorithmId", a_at), *alg);
    s.algs[s.num_algs++] = AlgSize{*alg, *size};
  }
  auto vsize = r.u8("vendorInfoSize");
  if (!vsize.ok()) return vsize.error();
  auto vinfo = r.bytes(*vsize, "vendorInfo");
  if (!vinfo.ok()) return vinfo.error();
  s.vendor_info = *vinfo;
  if (!r.at_end())
    return at(Errc::kBadValue, "bytes after vendorInfo inside the Spec ID event", "eventDataSize",
              r.abs_offset());
  return s;
}

}  // namespace

int SpecId::find(uint16_t alg) const {
  for (size_t i = 0; i < num_algs; ++i)
    if (algs[i].alg == alg) return static_cast<int>(i);
  return -1;
}

const Digest* Event::digest(HashAlg alg) const {
  for (size_t i = 0; i < num_digests; ++i)
    if (digests[i].alg == alg) return &digests[i];
  return nullptr;
}

Result<Reader> Reader::open(ByteSpan log, Mode mode) {
  Reader rd;
  rd.log_ = log;
  rd.mode_ = mode;
  ByteReader r(log);
  if (log.size == 0) return at(Errc::kTruncated, "empty log", "pcrIndex", 0);
  auto pcr = r.le32("pcrIndex");
  if (!pcr.ok()) return pcr.error();
  auto type = r.le32("eventType");
  if (!type.ok()) return type.error();
  // PFP §10.4.5.1: the first event is the Spec ID event, a TCG_PCR_EVENT of type EV_NO_ACTION in
  // PCR 0 with a SHA-1 digest of zeros. A TPM 1.2 (SHA-1) log starts with another event.
  if (*type != kEvNoAction)
    return with_value(at(Errc::kUnsupported,
                         "first event is not the Spec ID event (a TPM 1.2 SHA-1 log?); only "
                         "crypto-agile logs are read",
                         "eventType", 4),
                      *type);
  if (*pcr != 0)
    return with_value(at(Errc::kBadValue, "the Spec ID event must be in PCR 0", "pcrIndex", 0),
                      *pcr);
  auto digest = r.bytes(20, "digest");
  if (!digest.ok()) return digest.error();
  if (!all_zero(*digest))
    return at(Errc::kBadValue, "the Spec ID event's digest must be zero", "digest", 8);
  auto size = r.le32("eventDataSize");
  if (!size.ok()) return size.error();
  auto body = r.sub(*size, "event");
  if (!body.ok()) return body.error();
  auto spec = parse_spec_id(*body);
  if (!spec.ok()) return spec.error();
  rd.spec_ = *spec;
  rd.header_size_ = r.offset();
  rd.pos_ = r.offset();
  return rd;
}

Result<Event> Reader::parse_event(ByteReader& r) const {
  Event e;
  e.offset = r.abs_offset();
  auto pcr = r.le32("pcrIndex");
  if (!pcr.ok()) return pcr.error();
  if (*pcr > kMaxPcr)
    return with_value(at(Errc::kBadValue, "PCR index above 23", "pcrIndex", e.offset), *pcr);
  auto type = r.le32("eventType");
  if (!type.ok()) return type.error();
  const size_t count_at = r.abs_offset();
  auto count = r.le32("digests.count");
  if (!count.ok()) return count.error();
  // PFP §10.2.2: one digest per algorithm of the Spec ID event. Linux accepts nothing else
  // (__calc_tpm2_event_size), so neither do we: what Linux would not show is not part of the log.
  if (*count != spec_.num_algs)
    return with_value(
        at(Errc::kBadValue, "digest count differs from the Spec ID event's number of algorithms",
           "digests.count", count_at),
        *count);
  e.pcr = *pcr;
  e.type = *type;
  for (size_t i = 0; i < *count; ++i) {
    const size_t a_at = r.abs_offset();
    auto alg = r.le16("digests.hashAlg");
    if (!alg.ok()) return alg.error();
    const int k = spec_.find(*alg);
    if (k < 0)
      return with_value(at(Errc::kBadValue, "algorithm not declared by the Spec ID event",
                           "digests.hashAlg", a_at),
                        *alg);
    for (size_t j = 0; j < i; ++j)
      if (static_cast<uint16_t>(e.digests[j].alg) == *alg)
        return with_value(
            at(Errc::kBadValue, "two digests of one algorithm", "digests.hashAlg", a_at), *alg);
    auto d = r.bytes(spec_.algs[k].size, "digests.digest");
    if (!d.ok()) return d.error();
    e.digests[i] = make_digest(static_cast<HashAlg>(*alg), *d);
    e.num_digests = i + 1;
  }
  auto size = r.le32("eventSize");
  if (!size.ok()) return size.error();
  e.data_offset = r.abs_offset();
  auto data = r.bytes(*size, "event");
  if (!data.ok()) return data.error();
  e.data = *data;
  e.size = r.abs_offset() - e.offset;
  return e;
}

Result<bool> Reader::next(Event* out) {
  if (done_) return false;
  const ByteSpan rest = log_.subspan(pos_, log_.size - pos_);
  // The unused rest of a log area is zero: nothing more to read (a zero event header cannot be
  // an event: its digest count 0 differs from the Spec ID event's).
  if (rest.size == 0 || all_zero(rest)) {
    done_ = true;
    return false;
  }
  ByteReader r(rest, pos_);
  auto e = parse_event(r);
  if (e.ok() && mode_ == Mode::kArea && e->type == kEvPrebootCert && e->data.size == 0)
    e = at(Errc::kBadValue, "event of type 0 without data: the end of the log for Linux",
           "eventType", pos_ + 4);
  if (!e.ok()) {
    if (mode_ == Mode::kFile) return e.error();
    end_reason_ = e.error();
    done_ = true;
    return false;
  }
  *out = *e;
  pos_ += e->size;
  return true;
}

Result<Writer> Writer::create(MutableByteSpan buf, const HashAlg* algs, size_t num_algs,
                              uint32_t platform_class) {
  if (num_algs == 0 || num_algs > kMaxAlgs)
    return with_value(make_error(Errc::kBadValue, "a log declares 1 to 8 algorithms"), num_algs);
  Writer w;
  w.buf_ = buf;
  w.spec_.platform_class = platform_class;
  for (size_t i = 0; i < num_algs; ++i) {
    const uint16_t id = static_cast<uint16_t>(algs[i]);
    const uint8_t size = digest_size(id);
    if (size == 0)
      return with_value(make_error(Errc::kUnsupported, "unknown algorithm for a log"), id);
    if (w.spec_.find(id) >= 0)
      return with_value(make_error(Errc::kBadValue, "algorithm given twice"), id);
    w.spec_.algs[w.spec_.num_algs++] = AlgSize{id, size};
  }
  ByteWriter out(buf);
  out.le32(0);  // pcrIndex
  out.le32(kEvNoAction);
  out.zeros(20);  // SHA-1 digest
  const size_t data_size = kSpecIdFixedSize + 4 * num_algs + 1;
  out.le32(static_cast<uint32_t>(data_size));
  out.bytes(ByteSpan(kSpecIdSignature, kSignatureSize));
  out.le32(platform_class);
  out.u8(w.spec_.version_minor);
  out.u8(w.spec_.version_major);
  out.u8(w.spec_.errata);
  out.u8(w.spec_.uintn_size);
  out.le32(static_cast<uint32_t>(num_algs));
  for (size_t i = 0; i < num_algs; ++i) {
    out.le16(w.spec_.algs[i].alg);
    out.le16(w.spec_.algs[i].size);
  }
  out.u8(0);  // vendorInfoSize
  TLAUNCH_TRY(out.status());
  w.size_ = out.size();
  return w;
}

Result<Writer> Writer::attach(MutableByteSpan buf) {
  auto rd = Reader::open(buf, Reader::Mode::kArea);
  if (!rd.ok()) return rd.error();
  Writer w;
  w.buf_ = buf;
  w.spec_ = rd->spec_id();
  Event e;
  for (;;) {
    auto more = rd->next(&e);
    if (!more.ok()) return more.error();
    if (!*more) break;
    ++w.existing_events_;
  }
  w.size_ = rd->end();
  return w;
}

size_t Writer::event_size(size_t data_size) const {
  size_t n = kEvent2FixedSize + data_size;
  for (size_t i = 0; i < spec_.num_algs; ++i) n += 2 + spec_.algs[i].size;
  return n;
}

Status Writer::append(uint32_t pcr, uint32_t type, const Digest* digests, size_t num_digests,
                      ByteSpan data) {
  if (spec_.num_algs == 0) return make_error(Errc::kInternal, "log writer not set up");
  if (pcr > kMaxPcr) return with_value(make_error(Errc::kBadValue, "PCR index above 23"), pcr);
  if (num_digests != spec_.num_algs)
    return with_value(
        make_error(Errc::kBadValue, "the event does not have one digest per algorithm of the log"),
        num_digests);
  // The digest for each declared algorithm, in the declared order.
  const Digest* ordered[kMaxAlgs] = {};
  for (size_t i = 0; i < num_digests; ++i) {
    const int k = spec_.find(static_cast<uint16_t>(digests[i].alg));
    if (k < 0 || ordered[k] != nullptr || digests[i].size != spec_.algs[k].size)
      return with_value(
          make_error(Errc::kBadValue, "digest of an algorithm the log does not declare (or twice)"),
          static_cast<uint16_t>(digests[i].alg));
    ordered[k] = &digests[i];
  }
  const size_t need = event_size(data.size);
  if (data.size > 0xFFFFFFFFu || need > buf_.size - size_)
    return with_value(make_error(Errc::kTooLarge, "no room left in the log for this event"), need);
  ByteWriter out(MutableByteSpan(buf_.data + size_, buf_.size - size_));
  out.le32(pcr);
  out.le32(type);
  out.le32(static_cast<uint32_t>(spec_.num_algs));
  for (size_t k = 0; k < spec_.num_algs; ++k) {
    out.le16(spec_.algs[k].alg);
    out.bytes(ordered[k]->span());
  }
  out.le32(static_cast<uint32_t>(data.size));
  out.bytes(data);
  TLAUNCH_TRY(out.status());
  size_ += out.size();
  const size_t left = buf_.size - size_;
  fill_bytes(buf_.data + size_, 0, left < 12 ? left : 12);
  return ok_status();
}

const char* event_type_name(uint32_t type) {
  // PFP rev 1.05 §10.4.1 (and 1.06 for the SPDM and "2" variants); tboot's own type.
  static constexpr struct {
    uint32_t type;
    const char* name;
  } kNames[] = {
      {0x00000000, "EV_PREBOOT_CERT"},
      {0x00000001, "EV_POST_CODE"},
      {0x00000002, "EV_UNUSED"},
      {0x00000003, "EV_NO_ACTION"},
      {0x00000004, "EV_SEPARATOR"},
      {0x00000005, "EV_ACTION"},
      {0x00000006, "EV_EVENT_TAG"},
      {0x00000007, "EV_S_CRTM_CONTENTS"},
      {0x00000008, "EV_S_CRTM_VERSION"},
      {0x00000009, "EV_CPU_MICROCODE"},
      {0x0000000A, "EV_PLATFORM_CONFIG_FLAGS"},
      {0x0000000B, "EV_TABLE_OF_DEVICES"},
      {0x0000000C, "EV_COMPACT_HASH"},
      {0x0000000D, "EV_IPL"},
      {0x0000000E, "EV_IPL_PARTITION_DATA"},
      {0x0000000F, "EV_NONHOST_CODE"},
      {0x00000010, "EV_NONHOST_CONFIG"},
      {0x00000011, "EV_NONHOST_INFO"},
      {0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS"},
      {0x80000000, "EV_EFI_EVENT_BASE"},
      {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
      {0x80000002, "EV_EFI_VARIABLE_BOOT"},
      {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
      {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
      {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
      {0x80000006, "EV_EFI_GPT_EVENT"},
      {0x80000007, "EV_EFI_ACTION"},
      {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
      {0x80000009, "EV_EFI_HANDOFF_TABLES"},
      {0x8000000A, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
      {0x8000000B, "EV_EFI_HANDOFF_TABLES2"},
      {0x8000000C, "EV_EFI_VARIABLE_BOOT2"},
      {0x80000010, "EV_EFI_HCRTM_EVENT"},
      {0x800000E0, "EV_EFI_VARIABLE_AUTHORITY"},
      {0x800000E1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
      {0x800000E2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
      {kEvTbMeasurement, "EVTTYPE_TB_MEASUREMENT"},
  };
  for (const auto& n : kNames)
    if (n.type == type) return n.name;
  return nullptr;
}

}  // namespace tlaunch::eventlog
