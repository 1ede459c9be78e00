// Constants and small helpers shared by every LCP v2/v3 structure (Intel TXT Launch Control
// Policy as written by tboot lcptools-v2). Facts: docs/reference/lcp.md §2 (upstream
// include/lcp3.h, include/uuid.h, lcptools-v2/lcputils.c). Freestanding: no libc, no heap.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::lcp {

// ---------------------------------------------------------------------------------------------
// Element types (u32, docs/reference/lcp.md §2.4 / §7). 0x00..0x03 are the TPM 1.2 element types;
// lcptools-v2 HEAD only creates 0x10..0x14, tboot still accepts CUSTOM 0x03.
inline constexpr uint32_t kEltMle = 0x00;
inline constexpr uint32_t kEltPconf = 0x01;
inline constexpr uint32_t kEltSbios = 0x02;
inline constexpr uint32_t kEltCustom = 0x03;
inline constexpr uint32_t kEltMle2 = 0x10;
inline constexpr uint32_t kEltPconf2 = 0x11;
inline constexpr uint32_t kEltSbios2 = 0x12;
inline constexpr uint32_t kEltCustom2 = 0x13;
inline constexpr uint32_t kEltStm2 = 0x14;

// Element header: u32 Size, u32 Type, u32 PolEltControl (docs/reference/lcp.md §5.1).
inline constexpr size_t kElementHeaderSize = 12;
// lcptools DEFAULT_POL_ELT_CONTROL: bit 0 "override PS policy for this element type" (§2.5).
inline constexpr uint32_t kDefaultPolEltControl = 0x00000001;

// The type string lcptools-v2 HEAD uses for a type ("mle2", "pconf2", "sbios", "stm", "custom";
// polelt plugin type_string), or nullptr for a type HEAD has no plugin for (printed "unknown").
const char* element_type_name(uint32_t type);
// True for the types read_element() decodes (legacy 0x00..0x03 and 0x10..0x14).
bool is_known_element_type(uint32_t type);

// ---------------------------------------------------------------------------------------------
// TPM_ALG_ID values used by LCP (docs/reference/lcp.md §2.1).
inline constexpr uint16_t kAlgRsa = 0x0001;
inline constexpr uint16_t kAlgSha1 = 0x0004;
inline constexpr uint16_t kAlgSha256 = 0x000B;
inline constexpr uint16_t kAlgSha384 = 0x000C;
inline constexpr uint16_t kAlgSha512 = 0x000D;
inline constexpr uint16_t kAlgNull = 0x0010;
inline constexpr uint16_t kAlgSm3_256 = 0x0012;
inline constexpr uint16_t kAlgRsaSsa = 0x0014;
inline constexpr uint16_t kAlgRsaPss = 0x0016;
inline constexpr uint16_t kAlgEcdsa = 0x0018;
inline constexpr uint16_t kAlgSm2 = 0x001B;
inline constexpr uint16_t kAlgEcc = 0x0023;
inline constexpr uint16_t kAlgLms = 0x0070;
inline constexpr uint16_t kAlgMldsa = 0x00A1;

// Digest size of the hash algorithms lcptools-v2 HEAD supports in LCP structures (SHA-256/384/512,
// SM3-256; lcputils.c get_lcp_hash_size()); 0 for anything else. SHA-1 (tip only) is also
// accepted, as 20, since TPM 1.2-era elements may carry it.
uint8_t lcp_digest_size(uint16_t hash_alg);

// ---------------------------------------------------------------------------------------------
// LcpHashAlgMask / AuxHashAlgMask bits (u16, docs/reference/lcp.md §2.2).
inline constexpr uint16_t kHashMaskSha1 = 0x0001;
inline constexpr uint16_t kHashMaskSha224 = 0x0002;
inline constexpr uint16_t kHashMaskSha512_224 = 0x0004;
inline constexpr uint16_t kHashMaskSha256 = 0x0008;
inline constexpr uint16_t kHashMaskSha512_256 = 0x0010;
inline constexpr uint16_t kHashMaskSm3_256 = 0x0020;
inline constexpr uint16_t kHashMaskSha384 = 0x0040;
inline constexpr uint16_t kHashMaskSha512 = 0x0080;
inline constexpr uint16_t kHashMaskWhirlpool = 0x0100;

// convert_hash_alg_to_mask (lcputils.c): 0x0B→0x08, 0x0C→0x40, 0x0D→0x80, 0x12→0x20, else 0.
uint16_t hash_alg_to_mask(uint16_t hash_alg);
// The TPM_ALG_ID of a single mask bit (inverse of the above), kAlgNull if none/several.
uint16_t mask_to_hash_alg(uint16_t mask_bit);

// LcpSignAlgMask bits (u32, docs/reference/lcp.md §2.3).
inline constexpr uint32_t kSignMaskRsa1024Sha1 = 0x00000001;
inline constexpr uint32_t kSignMaskRsa1024Sha256 = 0x00000002;
inline constexpr uint32_t kSignMaskRsa2048Sha1 = 0x00000004;
inline constexpr uint32_t kSignMaskRsa2048Sha256 = 0x00000008;
inline constexpr uint32_t kSignMaskRsa2048Sha384 = 0x00000010;
inline constexpr uint32_t kSignMaskRsa2048Sha512 = 0x00000020;
inline constexpr uint32_t kSignMaskRsa3072Sha256 = 0x00000040;
inline constexpr uint32_t kSignMaskRsa3072Sha384 = 0x00000080;
inline constexpr uint32_t kSignMaskRsa3072Sha512 = 0x00000100;
inline constexpr uint32_t kSignMaskRsa4096Sha256 = 0x00000200;
inline constexpr uint32_t kSignMaskRsa4096Sha384 = 0x00000400;
inline constexpr uint32_t kSignMaskRsa4096Sha512 = 0x00000800;
inline constexpr uint32_t kSignMaskEcdsaP256 = 0x00001000;
inline constexpr uint32_t kSignMaskEcdsaP384 = 0x00002000;
inline constexpr uint32_t kSignMaskLmsP56b = 0x00004000;
inline constexpr uint32_t kSignMaskSm2 = 0x00010000;
inline constexpr uint32_t kSignMaskLmsSha256M24H20 = 0x00020000;
inline constexpr uint32_t kSignMaskMldsa87 = 0x00040000;

// ---------------------------------------------------------------------------------------------
// Names as lcptools-v2 prints them. Returned by value so that "unknown (N)" needs no static
// buffer (upstream formats it into a function-static array).
struct AlgName {
  char text[24] = {};
  const char* c_str() const { return text; }
};
// lcputils.c hash_alg_to_str(): TPM_ALG_SHA256/SHA384/SHA512/SM3_256/SM2, else "unknown (N)".
AlgName hash_alg_str(uint16_t alg);
// lcputils.c sig_alg_to_str(): RSASSA, ECDSA, SM2, RSAPSS, SM3_256, NULL, LMS, TCG_ALG_MLDSA,
// else "unknown (N)".
AlgName sig_alg_str(uint16_t alg);
// lcputils.c key_alg_to_str(): TPM_ALG_RSA/ECC/LMS, TCG_ALG_MLDSA, else "".
AlgName key_alg_str(uint16_t alg);
// tboot include/hash.h hash_alg_to_string() (used by the pconf2 printer): TB_HALG_SHA256,
// TB_HALG_SM3, TB_HALG_SHA384, TB_HALG_SHA512, else "unsupported".
const char* tb_hash_alg_str(uint16_t alg);

// ---------------------------------------------------------------------------------------------
// uuid_t (include/uuid.h): u32 data1, u16 data2, u16 data3, u16 data4, u8 data5[6]; every field
// little-endian on disk (data4 is a u16, not two bytes; docs/reference/upstream-quirks.md#q21).
struct Uuid {
  uint32_t data1 = 0;
  uint16_t data2 = 0;
  uint16_t data3 = 0;
  uint16_t data4 = 0;
  uint8_t data5[6] = {};

  bool operator==(const Uuid& o) const {
    return data1 == o.data1 && data2 == o.data2 && data3 == o.data3 && data4 == o.data4 &&
           equal_bytes(data5, o.data5, 6);
  }
  bool operator!=(const Uuid& o) const { return !(*this == o); }
  bool is_null() const { return *this == Uuid{}; }
};
inline constexpr size_t kUuidSize = 16;

// LCP_CUSTOM_ELEMENT_TBOOT_UUID (include/lcp3.h): the UUID of a CUSTOM element that carries a
// tboot VLP. Bytes 41 06 93 c3 cb e3 40 4f d7 91 27 f8 b9 e2 5c 86.
inline constexpr Uuid kTbootCustomUuid = {
    0xc3930641, 0xe3cb, 0x4f40, 0x91d7, {0x27, 0xf8, 0xb9, 0xe2, 0x5c, 0x86}};
// LCP_POLICY_DATA_UUID (old v1 data files): bytes 25 19 0d ab e7 ee eb 48 fc a9 0b ac 5a 26 2d 0e.
inline constexpr Uuid kPolicyDataUuid = {
    0xab0d1925, 0xeee7, 0x48eb, 0xa9fc, {0x0b, 0xac, 0x5a, 0x26, 0x2d, 0x0e}};

Result<Uuid> read_uuid(ByteReader& r, const char* field);
void write_uuid(ByteWriter& w, const Uuid& u);

}  // namespace tlaunch::lcp
