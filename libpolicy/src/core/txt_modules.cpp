// tboot's module layout (see txt_modules.h). Offsets in acm_hdr_t (tboot include/txt/acmod.h,
// Intel TXT Software Development Guide "Authenticated Code Module Format"): module_type 0 (u16),
// header_len 4 (u32, dwords), module_vendor 16 (u32), size 24 (u32, dwords), scratch_size 124
// (u32, dwords); acm_info_table_t: uuid 0 (16 bytes), chipset_acm_type 16 (u8), version 17 (u8),
// 52 bytes in all.
#include "tlaunch/policy/txt_modules.h"

namespace tlaunch::launch {
namespace {

constexpr uint64_t kAcmHeaderSize = 1216;  // sizeof(acm_hdr_t), scratch[143] included
constexpr uint64_t kAcmInfoTableSize = 52;
constexpr uint64_t kAcmMinPadding = 0x10000;
constexpr uint64_t kAcmMaxPadding = 0x40000;
constexpr uint16_t kAcmTypeChipset = 2;
constexpr uint32_t kAcmVendorIntel = 0x8086;
constexpr uint8_t kAcmChipsetTypeSinit = 1;
// ACM_UUID_V3 {0x7fc03aaa, 0x46a7, 0x18db, 0xac2e, {0x69,0x8f,0x8d,0x41,0x7f,0x5a}} as stored
// (uuid_t: little-endian u32, u16, u16, u16, then 6 bytes).
constexpr uint8_t kAcmUuidV3[16] = {0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18,
                                    0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a};
// LCP_POLICY_DATA_UUID {0xab0d1925, 0xeee7, 0x48eb, 0xa9fc, {0x0b,0xac,0x5a,0x26,0x2d,0x0e}}.
constexpr uint8_t kLcpDataUuid[16] = {0x25, 0x19, 0x0d, 0xab, 0xe7, 0xee, 0xeb, 0x48,
                                      0xfc, 0xa9, 0x0b, 0xac, 0x5a, 0x26, 0x2d, 0x0e};
// LCP_POLICY_DATA_FILE_SIGNATURE, compared over tb_strlen() = 28 bytes.
constexpr char kLcpDataSignature[] = "Intel(R) TXT LCP_POLICY_DATA";
constexpr size_t kLcpDataSignatureLen = sizeof(kLcpDataSignature) - 1;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// find_module(): from the last module down to module 1 among those still listed, the first whose
// bytes start with `data`; a module shorter than `data` ends the search (tboot returns there).
size_t find_module(const ModuleHead* m, size_t n, const TxtModule* kinds, const uint8_t* data,
                   size_t len) {
  for (size_t i = n; i-- > 1;) {
    if (kinds[i] != TxtModule::kNone) continue;  // already removed
    if (len > m[i].size) return n;
    if (m[i].head.size >= len && equal_bytes(m[i].head.data, data, len)) return i;
  }
  return n;
}

}  // namespace

const char* txt_module_name(TxtModule k) {
  switch (k) {
    case TxtModule::kNone:
      return "";
    case TxtModule::kSinit:
      return "sinit";
    case TxtModule::kLcpPolicyData:
      return "lcp-data";
  }
  return "";
}

bool is_sinit_acm(const ModuleHead& m) {
  if (m.size < kAcmHeaderSize || m.head.size < kAcmHeaderSize) return false;
  const uint8_t* h = m.head.data;
  const uint64_t size = uint64_t{le32(h + 24)} * 4;  // 64-bit: no overflow, tboot refuses one
  if (size > 0xFFFFFFFFull) return false;
  // are_sizes_equal_pad_adjusted()
  if (m.size != size &&
      !(m.size > size && m.size - size >= kAcmMinPadding && m.size - size <= kAcmMaxPadding))
    return false;
  if (le16(h + 0) != kAcmTypeChipset || le32(h + 16) != kAcmVendorIntel) return false;
  // get_acmod_info_table(): (header_len + scratch_size) * 4 without overflow, table inside size*4.
  const uint64_t words = uint64_t{le32(h + 4)} + le32(h + 124);
  if (words > 0xFFFFFFFFull || words * 4 > 0xFFFFFFFFull) return false;
  const uint64_t off = words * 4;
  if (off + kAcmInfoTableSize > size) return false;
  if (off + kAcmInfoTableSize > m.head.size) return false;  // beyond what the caller read
  const uint8_t* info = h + off;
  if (!equal_bytes(info, kAcmUuidV3, 16)) return false;
  if (info[17] < 3) return false;  // info-table version
  return info[16] == kAcmChipsetTypeSinit;
}

size_t classify_txt_modules(const ModuleHead* m, size_t n, TxtModule* kinds) {
  for (size_t i = 0; i < n; ++i) kinds[i] = TxtModule::kNone;
  size_t removed = 0;
  for (size_t i = n; i-- > 1;) {
    if (is_sinit_acm(m[i])) {
      kinds[i] = TxtModule::kSinit;
      ++removed;
    }
  }
  size_t lcp = find_module(m, n, kinds, kLcpDataUuid, sizeof(kLcpDataUuid));
  if (lcp == n)
    lcp = find_module(m, n, kinds, reinterpret_cast<const uint8_t*>(kLcpDataSignature),
                      kLcpDataSignatureLen);
  if (lcp < n) {
    kinds[lcp] = TxtModule::kLcpPolicyData;
    ++removed;
  }
  return removed;
}

}  // namespace tlaunch::launch
