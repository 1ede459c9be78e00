#include "tlaunch/policy/vlp.h"

#include "tlaunch/policy/bytes.h"

namespace tlaunch::vlp {

Policy Policy::create(uint8_t type, uint8_t alg, uint32_t control, Release release) {
  Policy p;
  p.release = release;
  p.policy_type = type;
  p.hash_alg = alg;
  p.policy_control = control;
  return p;
}

size_t Policy::hash_offset(size_t entry_index) const {
  size_t off = 0;
  for (size_t i = 0; i < entry_index; ++i) off += entries_[i].num_hashes * digest_size();
  return off;
}

size_t Policy::pool_used() const { return hash_offset(num_entries_); }

ByteSpan Policy::hash(size_t entry_index, size_t hash_index) const {
  size_t h = digest_size();
  return ByteSpan(hash_pool_ + hash_offset(entry_index) + hash_index * h, h);
}

size_t Policy::size() const { return kHeaderSize + num_entries_ * kEntryHeaderSize + pool_used(); }

int Policy::find_entry(uint8_t mod_num) const {
  for (size_t i = 0; i < num_entries_; ++i)
    if (entries_[i].mod_num == mod_num || entries_[i].mod_num == kModNumAny)
      return static_cast<int>(i);
  return -1;
}

uint8_t policy_digest_size(uint8_t hash_alg, Release release) {
  // SHA-1 (also tboot's legacy 0) only as tboot 1.10.5 takes it; the rest from the one table.
  if (hash_alg == 0x00 || hash_alg == static_cast<uint8_t>(HashAlg::kSha1))
    return release == Release::kTboot1105 ? 20 : 0;
  return digest_size(hash_alg);
}

Result<size_t> Policy::insert_entry(size_t at, const Entry& e) {
  if (at > num_entries_) return make_error(Errc::kNotFound, "no such policy entry");
  // num_entries is a u8: upstream tb_polgen lets it wrap to 0 at 256 entries; we refuse.
  if (num_entries_ >= kMaxEntries)
    return make_error(Errc::kTooLarge, "cannot add another entry: num_entries is at most 255",
                      "num_entries");
  if (size() + kEntryHeaderSize > kMaxPolicySize)
    return make_error(Errc::kTooLarge,
                      "cannot add another entry: the policy would exceed 2124 bytes",
                      "num_entries");
  for (size_t i = num_entries_; i > at; --i) entries_[i] = entries_[i - 1];
  Entry n = e;
  n.num_hashes = 0;  // the entry's digests start empty: no hash_pool bytes to move
  entries_[at] = n;
  ++num_entries_;
  return at;
}

Status Policy::add_hash(size_t entry_index, ByteSpan digest) {
  size_t h = digest_size();
  if (entry_index >= num_entries_) return make_error(Errc::kNotFound, "no such policy entry");
  if (digest.size != h)
    return make_error(Errc::kBadValue, "digest size does not match the policy's hash algorithm",
                      "hashes");
  if (entries_[entry_index].num_hashes == 0xFF || size() + h > kMaxPolicySize)
    return make_error(Errc::kTooLarge,
                      "cannot add another hash: the policy would exceed 2124 bytes", "num_hashes");
  size_t at = hash_offset(entry_index + 1);
  size_t used = pool_used();
  move_bytes(hash_pool_ + at + h, hash_pool_ + at, used - at);
  copy_bytes(hash_pool_ + at, digest.data, h);
  entries_[entry_index].num_hashes++;
  return ok_status();
}

Status Policy::del_entry(size_t entry_index) {
  if (entry_index >= num_entries_) return make_error(Errc::kNotFound, "no such policy entry");
  size_t h = digest_size();
  size_t at = hash_offset(entry_index);
  size_t len = entries_[entry_index].num_hashes * h;
  size_t used = pool_used();
  move_bytes(hash_pool_ + at, hash_pool_ + at + len, used - at - len);
  fill_bytes(hash_pool_ + used - len, 0, len);
  for (size_t i = entry_index; i + 1 < num_entries_; ++i) entries_[i] = entries_[i + 1];
  --num_entries_;
  return ok_status();
}

Status Policy::del_hash(size_t entry_index, size_t hash_index) {
  if (entry_index >= num_entries_) return make_error(Errc::kNotFound, "no such policy entry");
  if (hash_index >= entries_[entry_index].num_hashes)
    return make_error(Errc::kNotFound, "specified pos does not exist", "pos");
  size_t h = digest_size();
  size_t at = hash_offset(entry_index) + hash_index * h;
  size_t used = pool_used();
  move_bytes(hash_pool_ + at, hash_pool_ + at + h, used - at - h);
  fill_bytes(hash_pool_ + used - h, 0, h);
  entries_[entry_index].num_hashes--;
  return ok_status();
}

// verify_policy() of tboot (tboot/common/policy.c; docs/reference/vlp.md §4), rule for rule and in
// the same order.
Result<Policy> decode(ByteSpan bytes, Release release) {
  if (bytes.size < kHeaderSize)
    return with_value(make_error(Errc::kTruncated, "policy is smaller than its 12-byte header",
                                 "size", static_cast<uint32_t>(bytes.size)),
                      bytes.size);
  ByteReader r(bytes);
  Policy p;
  p.release = release;
  p.version = *r.u8("version");
  if (p.version != kVersion)
    return with_value(make_error(Errc::kUnsupported, "unsupported policy version", "version", 0),
                      p.version);
  p.policy_type = *r.u8("policy_type");
  if (p.policy_type >= kPolicyTypeMax)
    return with_value(make_error(Errc::kBadValue, "unknown policy_type", "policy_type", 1),
                      p.policy_type);
  p.hash_alg = *r.u8("hash_alg");
  p.policy_control = *r.le32("policy_control");
  p.reserved = *r.le32("reserved");
  uint8_t n = *r.u8("num_entries");
  const size_t h = p.digest_size();
  for (size_t i = 0; i < n; ++i) {
    const auto item = static_cast<int32_t>(i);
    const uint32_t at = r.abs_offset();
    if (r.remaining() < kEntryHeaderSize)
      return with_item(
          make_error(Errc::kTruncated, "policy entry header extends past the end", "entry", at),
          item);
    Entry e;
    e.mod_num = *r.u8("mod_num");
    e.pcr = *r.u8("pcr");
    e.hash_type = *r.u8("hash_type");
    e.nv_index = *r.le32("nv_index");
    e.num_hashes = *r.u8("num_hashes");
    if (e.mod_num > kMaxModNum && e.mod_num != kModNumAny && e.mod_num != kModNumNv &&
        e.mod_num != kModNumNvRaw)
      return with_item(
          with_value(make_error(Errc::kBadValue, "mod_num invalid", "mod_num", at), e.mod_num),
          item);
    if (e.pcr > kMaxPcr && e.pcr != kPcrNone)
      return with_item(with_value(make_error(Errc::kBadValue, "pcr invalid", "pcr", at + 1), e.pcr),
                       item);
    if (e.hash_type > kHashImage)
      return with_item(
          with_value(make_error(Errc::kBadValue, "hash_type invalid", "hash_type", at + 2),
                     e.hash_type),
          item);
    auto hashes = r.bytes(e.num_hashes * h, "hashes");
    if (!hashes.ok())
      return with_item(
          with_value(make_error(Errc::kTruncated, "policy entry's hashes extend past the end",
                                "num_hashes", at + 7),
                     e.num_hashes),
          item);
    // tboot never reads more than MAX_TB_POLICY_SIZE bytes (docs/reference/vlp.md §2.2, §5.2), so a
    // policy that only fits in a larger buffer cannot be used; also keeps the model's fixed
    // capacity.
    if (r.offset() > kMaxPolicySize)
      return with_item(
          make_error(Errc::kTooLarge, "policy is larger than 2124 bytes (MAX_TB_POLICY_SIZE)",
                     "entry", at),
          item);
    auto idx = p.add_entry(e);
    if (!idx.ok()) return with_item(idx.error(), item);
    for (size_t j = 0; j < e.num_hashes; ++j) {
      TLAUNCH_TRY(p.add_hash(*idx, hashes->subspan(j * h, h)));
    }
    p.entry(*idx).nv_index = e.nv_index;
  }
  return p;
}

Result<size_t> encode(const Policy& p, MutableByteSpan out) {
  ByteWriter w(out);
  w.u8(p.version);
  w.u8(p.policy_type);
  w.u8(p.hash_alg);
  w.le32(p.policy_control);
  w.le32(p.reserved);
  w.u8(static_cast<uint8_t>(p.num_entries()));
  for (size_t i = 0; i < p.num_entries(); ++i) {
    const Entry& e = p.entry(i);
    w.u8(e.mod_num);
    w.u8(e.pcr);
    w.u8(e.hash_type);
    w.le32(e.nv_index);
    w.u8(e.num_hashes);
    for (size_t j = 0; j < e.num_hashes; ++j) w.bytes(p.hash(i, j));
  }
  TLAUNCH_TRY(w.status());
  return w.size();
}

Policy default_policy(bool da) {
  // tboot/common/policy.c _def_policy / _def_policy_da.
  Policy p = Policy::create(kContNonFatal, static_cast<uint8_t>(HashAlg::kSha256), kCtlExtendPcr17);
  Entry e0;
  e0.mod_num = 0;
  e0.pcr = kPcrNone;
  e0.hash_type = kHashAny;
  Entry e1;
  e1.mod_num = kModNumAny;
  e1.pcr = da ? 17 : 19;
  e1.hash_type = kHashAny;
  Entry e2;
  e2.mod_num = kModNumNvRaw;
  e2.pcr = 22;
  e2.hash_type = kHashAny;
  e2.nv_index = 0x40000010;  // TPM 1.2 geo-tag index
  (void)p.add_entry(e0);
  (void)p.add_entry(e1);
  auto i2 = p.add_entry(e2);
  if (i2.ok()) p.entry(*i2).nv_index = e2.nv_index;
  return p;
}

const char* policy_type_name(uint8_t t) {
  switch (t) {
    case kContNonFatal:
      return "TB_POLTYPE_CONT_NON_FATAL";
    case kContVerifyFail:
      return "TB_POLTYPE_CONT_VERIFY_FAIL";
    case kHalt:
      return "TB_POLTYPE_HALT";
    default:
      return "unsupported";
  }
}

const char* policy_type_keyword(uint8_t t) {
  switch (t) {
    case kContNonFatal:
      return "nonfatal";
    case kContVerifyFail:
      return "continue";
    case kHalt:
      return "halt";
    default:
      return nullptr;
  }
}

const char* hash_type_name(uint8_t t) {
  switch (t) {
    case kHashAny:
      return "TB_HTYPE_ANY";
    case kHashImage:
      return "TB_HTYPE_IMAGE";
    default:
      return "unsupported";
  }
}

namespace {
constexpr const char* kErrorNames[] = {
    "TB_ERR_NONE",
    "TB_ERR_FIXED",
    "TB_ERR_GENERIC",
    "TB_ERR_DMA_CORRUPTION_DETECTED",
    "TB_ERR_TPM_NOT_READY",
    "TB_ERR_SMX_NOT_SUPPORTED",
    "TB_ERR_VMX_NOT_SUPPORTED",
    "TB_ERR_VTD_NOT_SUPPORTED",
    "TB_ERR_TXT_NOT_SUPPORTED",
    "TB_ERR_MODULE_VERIFICATION_FAILED",
    "TB_ERR_MODULES_NOT_IN_POLICY",
    "TB_ERR_POLICY_INVALID",
    "TB_ERR_POLICY_NOT_PRESENT",
    "TB_ERR_SINIT_NOT_PRESENT",
    "TB_ERR_ACMOD_VERIFY_FAILED",
    "TB_ERR_POST_LAUNCH_VERIFICATION",
    "TB_ERR_S3_INTEGRITY",
    "TB_ERR_FATAL",
    "TB_ERR_NV_VERIFICATION_FAILED",
    "TB_ERR_PREV_TXT_ERROR",
};
bool streq(const char* a, const char* b) {
  while (*a && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}
}  // namespace

const char* tb_error_name(uint32_t e) {
  if (e >= static_cast<uint32_t>(TbError::kMax)) return nullptr;
  return kErrorNames[e];
}

bool tb_error_from_name(const char* name, uint32_t* out) {
  for (uint32_t i = 0; i < static_cast<uint32_t>(TbError::kMax); ++i) {
    if (streq(kErrorNames[i], name)) {
      *out = i;
      return true;
    }
  }
  return false;
}

const char* action_name(Action a) {
  switch (a) {
    case Action::kContinue:
      return "continue";
    case Action::kUnmeasuredLaunch:
      return "unmeasured";
    case Action::kHalt:
      return "halt";
  }
  return "halt";
}

// tboot/common/policy.c g_policy_map / evaluate_error() (HEAD), docs/reference/vlp.md §7.3.
Action evaluate_error(uint8_t policy_type, TbError err) {
  if (err == TbError::kNone) return Action::kContinue;
  switch (policy_type) {
    case kContNonFatal:
      switch (err) {
        case TbError::kFatal:
        case TbError::kDmaCorruptionDetected:
          return Action::kHalt;
        case TbError::kPrevTxtError:
        case TbError::kTpmNotReady:
        case TbError::kSmxNotSupported:
        case TbError::kVmxNotSupported:
        case TbError::kVtdNotSupported:
        case TbError::kTxtNotSupported:
        case TbError::kSinitNotPresent:
        case TbError::kAcmodVerifyFailed:
          return Action::kUnmeasuredLaunch;
        default:
          return Action::kContinue;
      }
    case kContVerifyFail:
      switch (err) {
        case TbError::kModuleVerificationFailed:
        case TbError::kNvVerificationFailed:
        case TbError::kPolicyNotPresent:
        case TbError::kPolicyInvalid:
          return Action::kContinue;
        default:
          return Action::kHalt;
      }
    case kHalt:
    default:
      return Action::kHalt;
  }
}

}  // namespace tlaunch::vlp
