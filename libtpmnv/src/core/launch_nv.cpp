// tboot's NV accesses at launch (see launch_nv.h).
#include "tlaunch/tpmnv/core/launch_nv.h"

namespace tlaunch::tpm {

VlpRead read_vlp(Transport& t, uint32_t index, MutableByteSpan buf) {
  VlpRead r;
  auto pub = nv_read_public(t, index);
  if (!pub.ok()) {
    r.error = pub.error();
    r.source = (pub.error().code == Errc::kTpm && rc_is_no_such_handle(pub.error().tpm_rc))
                   ? launch::PolicySource::kNvAbsent
                   : launch::PolicySource::kNvUnreadable;
    return r;
  }
  r.have_public = true;
  r.pub = *pub;
  size_t want = pub->size;
  if (want > buf.size) {
    want = buf.size;
    r.capped = true;
  }
  size_t got = 0;
  while (got < want) {
    const uint16_t n =
        static_cast<uint16_t>(want - got < kVlpReadChunk ? want - got : kVlpReadChunk);
    auto c = nv_read(t, index, index, n, static_cast<uint16_t>(got),
                     MutableByteSpan(buf.data + got, buf.size - got));
    if (!c.ok()) {
      r.error = c.error();
      break;
    }
    if (*c == 0) break;
    got += *c;
    ++r.chunks;
  }
  if (got == 0) {
    if (r.error.ok())
      r.error = make_error(Errc::kNotFound, "the policy index holds no data (size 0)");
    r.source = launch::PolicySource::kNvUnreadable;
    return r;
  }
  r.size = got;
  // check_index_attribute(): a policy index a physically present user could rewrite is refused.
  if (pub->attributes & kTpmaNvPpWrite) {
    r.source = launch::PolicySource::kNvPpWrite;
    return r;
  }
  r.source = launch::PolicySource::kNvRead;
  return r;
}

VlpRead read_vlp_either_set(Transport& t, launch::NvIndexSet preferred, MutableByteSpan buf,
                            uint32_t* index_used) {
  *index_used = vlp_index(preferred);
  VlpRead r = read_vlp(t, *index_used, buf);
  if (r.source != launch::PolicySource::kNvAbsent) return r;
  const launch::NvIndexSet other = preferred == launch::NvIndexSet::kTcg
                                       ? launch::NvIndexSet::kLegacy
                                       : launch::NvIndexSet::kTcg;
  VlpRead o = read_vlp(t, vlp_index(other), buf);
  if (o.source == launch::PolicySource::kNvAbsent) return r;
  *index_used = vlp_index(other);
  return o;
}

Status write_error_index(Transport& t, uint32_t index, uint32_t value, bool* defined) {
  *defined = false;
  auto pub = nv_read_public(t, index);
  if (!pub.ok()) {
    if (pub.error().code == Errc::kTpm && rc_is_no_such_handle(pub.error().tpm_rc))
      return ok_status();
    return pub.error();
  }
  *defined = true;
  if (pub->size < 4)
    return with_value(
        make_error(Errc::kTooLarge, "the error index is smaller than 4 bytes", "dataSize"),
        pub->size);
  const uint8_t le[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                         static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
  return nv_write(t, index, index, ByteSpan(le, 4), 0);
}

}  // namespace tlaunch::tpm
