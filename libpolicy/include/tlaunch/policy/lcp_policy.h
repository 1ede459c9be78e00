// LCP_POLICY_2 (the NV-resident launch control policy, versions 3.0/3.1/3.2), the LCP_POLICY_DATA
// file that carries the policy lists, and the PolicyHash that ties them together, exactly as SINIT
// computes it. Facts: docs/reference/lcp.md §3 (policy), §4 (data file), §6 (PolicyHash); upstream
// include/lcp3.h, lcptools-v2/pol.c, poldata.c. Freestanding: fixed-size value types, no heap.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_list.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::lcp {

inline constexpr uint16_t kPolicyVersion30 = 0x0300;  // LCP_DEFAULT_POLICY_VERSION
inline constexpr uint16_t kPolicyVersion31 = 0x0301;
inline constexpr uint16_t kPolicyVersion32 = 0x0302;
inline constexpr uint8_t kPolicyTypeList = 0;  // LCP_POLTYPE_LIST
inline constexpr uint8_t kPolicyTypeAny = 1;   // LCP_POLTYPE_ANY
inline constexpr size_t kMaxLists = 8;         // LCP_MAX_LISTS
inline constexpr size_t kRevocationCounters = 8;
// Everything before PolicyHash (docs/reference/lcp.md §3): the serialized policy is 38 + digest
// size bytes.
inline constexpr size_t kPolicyFixedSize = 38;
// lcp2_crtpol's default MaxSinitMinVer (crtpol.c max_sinit_min_version = 0xFF).
inline constexpr uint8_t kDefaultMaxSinitMinVer = 0xFF;

// Digest size of a policy HashAlg: SHA-256/384/512 and SM3-256 (lcputils.c get_lcp_hash_size());
// 0 for anything else, SHA-1 included (LCP v3 policies never use it).
uint8_t policy_hash_size(uint16_t hash_alg);

struct Policy {
  uint16_t version = kPolicyVersion30;
  uint16_t hash_alg = kAlgSha256;  // TPM_ALG_ID of PolicyHash
  uint8_t policy_type = kPolicyTypeAny;
  uint8_t sinit_min_version = 0;
  uint16_t data_revocation_counters[kRevocationCounters] = {};
  uint32_t policy_control = 0;
  uint8_t max_sinit_min_ver = kDefaultMaxSinitMinVer;
  uint8_t max_biosac_min_ver = 0;  // 3.0: MaxBiosacMinVer; 3.1/3.2: reserved
  uint16_t lcp_hash_alg_mask = 0;
  uint32_t lcp_sign_alg_mask = 0;
  uint16_t aux_hash_alg_mask = 0;  // 3.0: AuxHashAlgMask; 3.1: printed "reserved2"; 3.2: reserved
  uint16_t reserved2 = 0;          // must be 0
  uint8_t policy_hash[kMaxDigestSize] = {};

  // D: digest size of hash_alg (policy_hash_size()); 0 if unknown.
  size_t digest_size() const { return policy_hash_size(hash_alg); }
  // Serialized size: 38 + D.
  size_t size() const { return kPolicyFixedSize + digest_size(); }
  ByteSpan hash() const { return ByteSpan(policy_hash, digest_size()); }
};

// Decodes and validates as pol.c verify_policy() does, plus exactness: version 0x0300..0x03FF
// (major 3), a known HashAlg, PolicyType LIST or ANY, Reserved2 == 0, and the input holds the
// 38 + D bytes. allow_trailing: accept bytes after the policy (a policy read from a larger NV
// index or buffer, as lcp2_crtpol --show does); otherwise they are an error.
Result<Policy> decode_policy(ByteSpan in, bool allow_trailing = false);
// Writes the 38 + D bytes. Fails for an unknown hash algorithm or a reserved field that is not 0.
Result<size_t> encode_policy(ByteWriter& w, const Policy& p);

// ------------------------------------------------------------------ LCP_POLICY_DATA
// FileSignature: "Intel(R) TXT LCP_POLICY_DATA" + 4 NUL bytes (32 bytes, docs/reference/lcp.md §4).
inline constexpr char kPolicyDataSignature[] = "Intel(R) TXT LCP_POLICY_DATA";
inline constexpr size_t kPolicyDataSignatureSize = 32;
inline constexpr size_t kPolicyDataHeaderSize = 36;

struct PolicyDataView {
  uint8_t num_lists = 0;
  ListView lists[kMaxLists];
  ByteSpan raw;
};

// Decodes a data file: the 32-byte signature compared in full (as tboot does), reserved bytes 0,
// 1 <= NumLists <= 8 (LCP_MAX_LISTS; lcptools' reader refuses 8,
// docs/reference/upstream-quirks.md#q42, but writes it and SINIT accepts it), every list decoded
// with read_list() (signatures are decoded, not verified), all lists with the identical version
// word (tboot relies on it; crtpol refuses mixing), and nothing after the last list. Errors carry
// the list index in Error::item.
Result<PolicyDataView> decode_policy_data(ByteSpan in);

// The 36-byte header of a data file with num_lists lists; the lists follow back to back.
Result<size_t> encode_policy_data_header(ByteWriter& w, size_t num_lists);

// PolicyHash = H_alg( LH_0 || ... || LH_{n-1} ), LH_i = list_measurement(alg, list i), even for a
// single list (docs/reference/lcp.md §3/§6; SINIT and poldata.c calc_policy_data_hash()).
Result<Digest> policy_hash(Hasher& h, HashAlg alg, const ListView* lists, size_t num_lists);
Result<Digest> policy_hash(Hasher& h, HashAlg alg, const PolicyDataView& data);

}  // namespace tlaunch::lcp
