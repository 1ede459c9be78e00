// TPM 2.0 commands the launcher needs, marshalled and parsed without a TSS (freestanding).
// Wire format: TCG TPM 2.0 Library Part 1 §18 (command/response structure, big-endian),
// Part 2 (types), Part 3 (Startup §9.3, NV_ReadPublic §31.6, NV_Write §31.7, NV_Read §31.13,
// PCR_Extend §22.2, PCR_Read §22.4, GetCapability §30.2).
//
// Each command has a build_* function (bytes into a caller buffer, testable byte for byte), a
// parse_* function (bounds-checked ByteReader over the response) and a wrapper that runs both
// over a Transport. TPM errors come back as Errc::kTpm with the raw response code in
// Error::tpm_rc; malformed responses as kTruncated/kBadValue with the byte offset.
#pragma once

#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/tpmnv/core/transport.h"

namespace tlaunch::tpm {

// Part 2 §6.9 (TPM_ST), §6.5 (TPM_CC), §6.6 (TPM_RC), §7.4 (TPM_RS_PW), §6.13 (TPM_CAP).
inline constexpr uint16_t kStNoSessions = 0x8001;
inline constexpr uint16_t kStSessions = 0x8002;
inline constexpr uint32_t kCcNvWrite = 0x00000137;
inline constexpr uint32_t kCcStartup = 0x00000144;
inline constexpr uint32_t kCcNvRead = 0x0000014E;
inline constexpr uint32_t kCcNvReadPublic = 0x00000169;
inline constexpr uint32_t kCcGetCapability = 0x0000017A;
inline constexpr uint32_t kCcPcrRead = 0x0000017E;
inline constexpr uint32_t kCcPcrExtend = 0x00000182;
inline constexpr uint32_t kRsPw = 0x40000009;
inline constexpr uint32_t kCapPcrs = 0x00000005;
inline constexpr uint32_t kCapTpmProperties = 0x00000006;
// TPM_PT values (Part 2 §6.13): PT_FIXED = 0x100, PT_VAR = 0x200.
inline constexpr uint32_t kPtFixed = 0x00000100;
inline constexpr uint32_t kPtManufacturer = kPtFixed + 5;
inline constexpr uint32_t kPtNvIndexMax = kPtFixed + 23;
inline constexpr uint32_t kPtNvBufferMax = kPtFixed + 44;
inline constexpr uint32_t kPtVar = 0x00000200;
inline constexpr uint32_t kPtPermanent = kPtVar + 0;
inline constexpr uint32_t kPtStartupClear = kPtVar + 1;
inline constexpr uint32_t kPtHrNvIndex = kPtVar + 2;
inline constexpr uint32_t kPtHrPersistentAvail = kPtVar + 9;
inline constexpr uint32_t kPtNvCountersAvail = kPtVar + 11;
inline constexpr uint32_t kPtLockoutCounter = kPtVar + 14;
inline constexpr uint32_t kPtMaxAuthFail = kPtVar + 15;
inline constexpr uint16_t kSuClear = 0x0000;
inline constexpr uint16_t kSuState = 0x0001;

inline constexpr uint32_t kRcSuccess = 0x000;
inline constexpr uint32_t kRcInitialize = 0x100;  // TPM_RC_INITIALIZE: Startup already done
inline constexpr uint32_t kRcLocality = 0x907;    // TPM_RC_LOCALITY (warning range)
inline constexpr uint32_t kRcHandle = 0x08B;      // TPM_RC_HANDLE (+ parameter/handle number bits)
inline constexpr uint32_t kRcNvUninitialized = 0x14A;  // TPM_RC_NV_UNINITIALIZED: never written

// TPMA_NV bit 0 (Part 2 §13.4); tboot refuses a policy index with it set (docs/reference/nv.md §4).
inline constexpr uint32_t kTpmaNvPpWrite = 0x00000001;

// The handle-independent part of a TPM response code: strips the handle/parameter/session
// number of format-1 codes (Part 2 §6.6.3), so 0x18B and 0x28B both give 0x08B.
uint32_t rc_base(uint32_t rc);
// True when rc says "this NV index / handle does not exist" (TPM_RC_HANDLE on handle 1 or 2).
bool rc_is_no_such_handle(uint32_t rc);

inline constexpr size_t kMaxCommandSize = 4096;  // TPM_PT_MAX_COMMAND_SIZE of common TPMs
inline constexpr size_t kMaxNvChunk = 1024;      // tboot tpm_20.c MAX_NV_INDEX_SIZE per transfer
inline constexpr size_t kMaxBanks = 8;

// TPMS_NV_PUBLIC (Part 2 §13.5): the one NV public-area type of the project, used by the launcher
// (core commands), libtpmnv's host side and the CLI.
struct NvPublic {
  uint32_t handle = 0;         // nvIndex
  uint16_t name_alg = 0x000B;  // TPM_ALG_SHA256
  uint32_t attributes = 0;     // TPMA_NV
  uint16_t auth_policy_size = 0;
  uint8_t auth_policy[kMaxDigestSize] = {};
  uint16_t size = 0;  // dataSize

  ByteSpan policy() const { return ByteSpan(auth_policy, auth_policy_size); }
  // False (and unchanged) if the policy is longer than any digest.
  bool set_policy(ByteSpan p) {
    if (p.size > kMaxDigestSize) return false;
    copy_bytes(auth_policy, p.data, p.size);
    auth_policy_size = static_cast<uint16_t>(p.size);
    return true;
  }
};

// One allocated PCR bank: algorithm and the PCRs selected in it (bit i = PCR i).
struct PcrBank {
  uint16_t alg = 0;
  uint32_t pcrs = 0;
};
struct PcrBanks {
  size_t count = 0;
  PcrBank banks[kMaxBanks];
};

// The algorithms of the banks that have at least one PCR allocated, in the TPM's order (at most
// `max`): what launch::make_config() takes as the TPM's banks. Returns the count.
size_t allocated_banks(const PcrBanks& banks, HashAlg* out, size_t max);

// TPMS_TAGGED_PROPERTY (Part 2 §10.8.2).
struct TaggedProperty {
  uint32_t property = 0;
  uint32_t value = 0;
};
inline constexpr size_t kMaxProperties = 64;
struct Properties {
  size_t count = 0;
  TaggedProperty props[kMaxProperties];
  bool more = false;  // moreData: the TPM has further properties after these
  // The value of a property, if the TPM returned it.
  bool find(uint32_t property, uint32_t* value) const;
};

// ---- Marshalling (build_*) and unmarshalling (parse_*) ----
Result<size_t> build_startup(MutableByteSpan out, uint16_t startup_type);
Result<size_t> build_nv_read_public(MutableByteSpan out, uint32_t nv_index);
Result<size_t> build_nv_read(MutableByteSpan out, uint32_t auth_handle, uint32_t nv_index,
                             uint16_t size, uint16_t offset);
Result<size_t> build_nv_write(MutableByteSpan out, uint32_t auth_handle, uint32_t nv_index,
                              ByteSpan data, uint16_t offset);
Result<size_t> build_pcr_extend(MutableByteSpan out, uint32_t pcr, const Digest* digests,
                                size_t count);
Result<size_t> build_pcr_read(MutableByteSpan out, uint32_t pcr, uint16_t alg);
Result<size_t> build_get_capability_pcrs(MutableByteSpan out);
Result<size_t> build_get_capability_properties(MutableByteSpan out, uint32_t first, uint32_t count);

// Checks the 10-byte response header (tag, size == bytes received, rc). A non-zero rc gives
// Errc::kTpm with tpm_rc set. On success `body` reads the rest of the response.
Status parse_response_header(ByteSpan rsp, ByteReader* body);
Status parse_startup(ByteSpan rsp);
// Fails (kBadValue, field "nvIndex") if the TPM describes another index than the one asked for
// (tboot tpm_20.c does the same check).
Result<NvPublic> parse_nv_read_public(ByteSpan rsp, uint32_t expected_index);
// Copies the returned data into out (at most out.size bytes; more is kTooLarge). NV_Read and
// NV_Write responses must carry TPM_ST_SESSIONS (they answer commands sent with sessions).
Result<size_t> parse_nv_read(ByteSpan rsp, MutableByteSpan out);
Status parse_nv_write(ByteSpan rsp);
Status parse_pcr_extend(ByteSpan rsp);
Result<Digest> parse_pcr_read(ByteSpan rsp, uint32_t pcr, uint16_t alg);
Result<PcrBanks> parse_get_capability_pcrs(ByteSpan rsp);
Result<Properties> parse_get_capability_properties(ByteSpan rsp);

// ---- Commands over a transport ----
Status startup(Transport& t, uint16_t startup_type);
Result<NvPublic> nv_read_public(Transport& t, uint32_t nv_index);
// NV_Read of `size` bytes at `offset` (size <= kMaxNvChunk), authHandle = auth_handle, with a
// password session and an empty password (tboot tpm_20.c: authHandle = the index itself).
Result<size_t> nv_read(Transport& t, uint32_t auth_handle, uint32_t nv_index, uint16_t size,
                       uint16_t offset, MutableByteSpan out);
Status nv_write(Transport& t, uint32_t auth_handle, uint32_t nv_index, ByteSpan data,
                uint16_t offset);
// PCR_Extend with one digest per bank (TPML_DIGEST_VALUES), empty-password session on the PCR.
Status pcr_extend(Transport& t, uint32_t pcr, const Digest* digests, size_t count);
Result<Digest> pcr_read(Transport& t, uint32_t pcr, HashAlg alg);
Result<PcrBanks> get_pcr_banks(Transport& t);
// TPM_CAP_TPM_PROPERTIES from `first`, at most `count` (<= kMaxProperties) of them.
Result<Properties> get_properties(Transport& t, uint32_t first, uint32_t count);

}  // namespace tlaunch::tpm
