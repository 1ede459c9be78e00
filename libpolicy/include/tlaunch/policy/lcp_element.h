// LCP policy elements (LCP_POLICY_ELEMENT and its typed bodies): bounds-checked decoding that
// validates while it parses, and encoding. Facts: docs/reference/lcp.md §5.1 and §7 (upstream
// include/lcp3.h, lcptools-v2/{mle_elt,pconf2_elt,sbios_elt,stm_elt,custom_elt}.c).
// Freestanding: views point into the caller's bytes; no heap.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::lcp {

// One element as found in an element file or a policy list.
struct ElementView {
  uint32_t size = 0;                // Size field (== raw.size)
  uint32_t type = 0;                // Type field (kElt*)
  uint32_t policy_elt_control = 0;  // PolEltControl
  ByteSpan body;                    // the type-specific data: raw[12 .. size)
  ByteSpan raw;                     // the whole element, header included
  uint32_t offset = 0;              // absolute byte offset of the element in the input
};

// Reads one element at the reader's position and advances past it. Checks: Size >= 12, Size
// within the remaining input, a known type, and the typed body (see decode_* below). Errors
// name the field and the absolute byte offset; a Size of 0 is an error (never an endless loop).
Result<ElementView> read_element(ByteReader& r);
// An element file: exactly one element whose Size equals the file size.
Result<ElementView> read_element_file(ByteSpan file);

// ------------------------------------------------------------------ typed bodies (decode)
// A run of num digests of one algorithm, back to back.
struct HashArray {
  uint16_t hash_alg = 0;
  uint8_t digest_size = 0;
  uint16_t count = 0;
  ByteSpan bytes;  // count * digest_size bytes
  ByteSpan at(size_t i) const { return bytes.subspan(i * digest_size, digest_size); }
};

// MLE2 (0x10): u8 SINITMinVersion, u8 Reserved, u16 HashAlg, u16 NumHashes, hashes (§7.1).
struct Mle2View {
  uint8_t sinit_min_version = 0;
  uint8_t reserved = 0;
  HashArray hashes;
};
// SBIOS2 (0x12): u16 HashAlg, u16 Reserved1, FallbackHash[D], u16 Reserved2, u16 NumHashes,
// hashes (§7.3).
struct Sbios2View {
  uint16_t hash_alg = 0;
  uint16_t reserved1 = 0;
  ByteSpan fallback_hash;
  uint16_t reserved2 = 0;
  HashArray hashes;
};
// STM2 (0x14): u16 HashAlg, u16 NumHashes, hashes (§7.4).
struct Stm2View {
  HashArray hashes;
};

// One TPMS_PCR_SELECTION inside a PCONF2 PCRInfo (TPM-marshalled, big-endian).
struct PcrSelection {
  uint16_t hash = 0;
  uint8_t size_of_select = 0;
  uint8_t select[4] = {};  // TPM2 PCR_SELECT_MAX for 32 PCRs; lcptools writes 3 bytes
};
inline constexpr size_t kMaxPcrSelections = 16;  // TPML_PCR_SELECTION HASH_COUNT bound
// One TPMS_QUOTE_INFO: TPML_PCR_SELECTION (u32 count BE, selections) + TPM2B_DIGEST.
struct PcrInfo {
  uint32_t count = 0;
  PcrSelection selections[kMaxPcrSelections];
  ByteSpan digest;  // TPM2B_DIGEST.buffer (size = TPM2B_DIGEST.size)
  ByteSpan raw;     // the whole TPMS_QUOTE_INFO
};
// PCONF2 (0x11): u16 HashAlg (LE), u16 NumPCRInfos (LE), PCRInfos[] (BE) (§7.2).
struct Pconf2View {
  uint16_t hash_alg = 0;
  uint16_t num_pcr_infos = 0;
  ByteSpan pcr_infos;  // all PCRInfos; iterate with read_pcr_info()
};
Result<PcrInfo> read_pcr_info(ByteReader& r);

// CUSTOM2 (0x13) and legacy CUSTOM (0x03): uuid[16], data (§7.5).
struct CustomView {
  Uuid uuid;
  ByteSpan data;
};

// Legacy TPM 1.2 MLE (0x00): u8 SINITMinVersion, u8 HashAlg (0 = SHA-1), u16 NumHashes,
// hashes[n][20] (§7.6).
struct MleLegacyView {
  uint8_t sinit_min_version = 0;
  uint8_t hash_alg = 0;
  uint16_t num_hashes = 0;
  ByteSpan hashes;
};
// Legacy TPM 1.2 PCONF (0x01): u16 NumPCRInfos, then TPM_PCR_INFO_SHORT entries (§7.6).
struct PconfLegacyView {
  uint16_t num_pcr_infos = 0;
  ByteSpan pcr_infos;
};

// The decode_* functions check the type and that the body is exactly as long as its counts say;
// error offsets are absolute (ElementView::offset based).
Result<Mle2View> decode_mle2(const ElementView& e);
Result<Sbios2View> decode_sbios2(const ElementView& e);
Result<Stm2View> decode_stm2(const ElementView& e);
Result<Pconf2View> decode_pconf2(const ElementView& e);
Result<CustomView> decode_custom(const ElementView& e);  // 0x13 or 0x03
Result<MleLegacyView> decode_mle_legacy(const ElementView& e);
Result<PconfLegacyView> decode_pconf_legacy(const ElementView& e);
// Validates the typed body of any known type (what read_element() runs).
Status validate_element_body(const ElementView& e);

// ------------------------------------------------------------------ encode
// Each encoder writes one complete element (header included) and returns its size. `hashes` is
// count * digest_size bytes. Sizes are the on-disk sizes of docs/reference/lcp.md §7.
size_t mle2_size(uint16_t hash_alg, size_t count);
Result<size_t> encode_mle2(ByteWriter& w, uint32_t control, uint8_t sinit_min_version,
                           uint16_t hash_alg, ByteSpan hashes);
size_t sbios2_size(uint16_t hash_alg, size_t count_without_fallback);
Result<size_t> encode_sbios2(ByteWriter& w, uint32_t control, uint16_t hash_alg,
                             ByteSpan fallback_hash, ByteSpan hashes);
size_t stm2_size(uint16_t hash_alg, size_t count);
Result<size_t> encode_stm2(ByteWriter& w, uint32_t control, uint16_t hash_alg, ByteSpan hashes);
size_t custom_size(size_t data_size);
Result<size_t> encode_custom(ByteWriter& w, uint32_t type, uint32_t control, const Uuid& uuid,
                             ByteSpan data);  // type kEltCustom2 or kEltCustom

// PCONF2 as lcptools writes it: one PCRInfo with one selection (hash = hash_alg, 3 select
// bytes, PCR i -> select[0] bit i for PCR 0..7) and the composite digest.
inline constexpr size_t kPconfPcrCount = 8;
struct PcrValues {
  bool present[kPconfPcrCount] = {};
  uint8_t value[kPconfPcrCount][kMaxDigestSize] = {};
};
// pcrDigest = H(value(PCRa) || value(PCRb) || ...) over the present PCRs in ascending order,
// PCR 7 included (docs/reference/lcp.md §7.2; upstream drops PCR 7,
// docs/reference/upstream-quirks.md#q16).
Result<Digest> pconf2_composite_digest(Hasher& h, uint16_t hash_alg, const PcrValues& pcrs);
size_t pconf2_size(uint16_t hash_alg);
Result<size_t> encode_pconf2(ByteWriter& w, uint32_t control, uint16_t hash_alg,
                             uint8_t pcr_select0, ByteSpan pcr_digest);

}  // namespace tlaunch::lcp
