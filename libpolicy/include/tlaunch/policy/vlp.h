// tboot Verified Launch Policy, format v2 (tboot include/tb_policy.h; docs/reference/vlp.md).
// One model, one decoder and one set of rules for the host tools and the launcher.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/result.h"

namespace tlaunch::vlp {

inline constexpr uint8_t kVersion = 2;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kEntryHeaderSize = 8;
// MAX_TB_POLICY_SIZE = 12 + 8 * (8 + 4 * 64): tboot's read buffer and tb_polgen's file limit.
inline constexpr size_t kMaxPolicySize = 2124;
inline constexpr size_t kMaxEntries = 255;  // num_entries is a u8

enum PolicyType : uint8_t { kContNonFatal = 0, kContVerifyFail = 1, kHalt = 2, kPolicyTypeMax = 3 };
enum HashType : uint8_t { kHashAny = 0, kHashImage = 1 };

inline constexpr uint8_t kMaxModNum = 127;
inline constexpr uint8_t kModNumAny = 129;
inline constexpr uint8_t kModNumNv = 130;
inline constexpr uint8_t kModNumNvRaw = 131;
inline constexpr uint8_t kMaxPcr = 23;
inline constexpr uint8_t kPcrNone = 255;
inline constexpr uint32_t kCtlExtendPcr17 = 0x00000001;

// Whose digest sizes apply to a policy (tboot include/hash.h get_hash_size(); docs/reference/vlp.md
// §3.3). kHead: tboot HEAD, which the launcher and every tlaunch verb follow, has no SHA-1: 0x04
// and the legacy SHA-1 id 0x00 give zero-length digests, as for tboot itself. kTboot1105: the
// tboot 1.10.5 that Debian 12 ships gives both 20 bytes; only the tb_polgen drop-in (--alg sha1)
// uses it.
enum class Release : uint8_t { kHead, kTboot1105 };

// Digest size H of a policy hash_alg byte: SHA-256/SM3 32, SHA-384 48, SHA-512 64, SHA-1 (0x04,
// 0x00) 20 for kTboot1105 only, anything else 0.
uint8_t policy_digest_size(uint8_t hash_alg, Release release = Release::kHead);

struct Entry {
  uint8_t mod_num = 0;
  uint8_t pcr = kPcrNone;
  uint8_t hash_type = kHashAny;
  uint32_t nv_index = 0;
  uint8_t num_hashes = 0;
};

// A decoded policy. Value type with fixed capacity (no heap): the digests of all entries are
// stored back to back, in entry order, in hash_pool, each digest_size() bytes long.
class Policy {
 public:
  uint8_t version = kVersion;
  uint8_t policy_type = kContNonFatal;
  uint8_t hash_alg = static_cast<uint8_t>(HashAlg::kSha256);  // low 8 bits of a TPM_ALG_ID
  uint32_t policy_control = kCtlExtendPcr17;
  uint32_t reserved = 0;
  Release release = Release::kHead;  // not stored: the reader's digest sizes

  static Policy create(uint8_t type, uint8_t hash_alg, uint32_t control,
                       Release release = Release::kHead);

  size_t num_entries() const { return num_entries_; }
  const Entry& entry(size_t i) const { return entries_[i]; }
  Entry& entry(size_t i) { return entries_[i]; }
  // H: digest size of hash_alg; 0 for an unknown algorithm (the structure still parses).
  size_t digest_size() const { return policy_digest_size(hash_alg, release); }
  ByteSpan hash(size_t entry_index, size_t hash_index) const;
  // Serialized size: 12 + sum(8 + num_hashes * H) (tboot calc_policy_size()).
  size_t size() const;

  // First entry whose mod_num equals mod_num or is ANY, in entry order (tboot
  // find_policy_entry(); an earlier ANY entry shadows later specific entries). -1 if none.
  int find_entry(uint8_t mod_num) const;
  // Appends an entry; fails with kTooLarge ("cannot add another entry") beyond 2124 bytes.
  Result<size_t> add_entry(const Entry& e) { return insert_entry(num_entries_, e); }
  // Inserts an entry (without hashes) before entry `at` (at == num_entries() appends).
  Result<size_t> insert_entry(size_t at, const Entry& e);
  // Appends a digest (exactly digest_size() bytes) to entry i.
  Status add_hash(size_t entry_index, ByteSpan digest);
  Status del_entry(size_t entry_index);
  Status del_hash(size_t entry_index, size_t hash_index);

 private:
  size_t hash_offset(size_t entry_index) const;
  size_t pool_used() const;

  size_t num_entries_ = 0;
  Entry entries_[kMaxEntries];
  uint8_t hash_pool_[kMaxPolicySize] = {};
};

// Decodes and validates exactly as tboot's verify_policy() does (docs/reference/vlp.md §4), over
// `bytes` (the caller caps it at kMaxPolicySize where tboot would). Trailing bytes are ignored.
// Errors name the field, the entry index (Error::item) and the byte offset.
Result<Policy> decode(ByteSpan bytes, Release release = Release::kHead);
// Serializes into out; returns the number of bytes written (== policy.size()).
Result<size_t> encode(const Policy& policy, MutableByteSpan out);

// The built-in default policies of tboot (docs/reference/vlp.md §5.4): da=true for the DA PCR
// mapping (TPM 2.0).
Policy default_policy(bool da);

const char* policy_type_name(uint8_t t);     // TB_POLTYPE_* or "unsupported"
const char* hash_type_name(uint8_t t);       // TB_HTYPE_* or "unsupported"
const char* policy_type_keyword(uint8_t t);  // nonfatal|continue|halt, or nullptr

// tboot error codes (tb_error_t) with HEAD numbering (docs/reference/vlp.md §7.1: HEAD inserted
// DMA_CORRUPTION_DETECTED at 3). The value stored in the error NV index.
enum class TbError : uint32_t {
  kNone = 0,
  kFixed = 1,
  kGeneric = 2,
  kDmaCorruptionDetected = 3,
  kTpmNotReady = 4,
  kSmxNotSupported = 5,
  kVmxNotSupported = 6,
  kVtdNotSupported = 7,
  kTxtNotSupported = 8,
  kModuleVerificationFailed = 9,
  kModulesNotInPolicy = 10,
  kPolicyInvalid = 11,
  kPolicyNotPresent = 12,
  kSinitNotPresent = 13,
  kAcmodVerifyFailed = 14,
  kPostLaunchVerification = 15,
  kS3Integrity = 16,
  kFatal = 17,
  kNvVerificationFailed = 18,
  kPrevTxtError = 19,
  kMax = 20,
};
const char* tb_error_name(uint32_t e);  // "TB_ERR_MODULE_VERIFICATION_FAILED", or nullptr
bool tb_error_from_name(const char* name, uint32_t* out);

enum class Action : uint8_t { kContinue = 0, kUnmeasuredLaunch = 1, kHalt = 2 };
const char* action_name(Action a);  // continue | unmeasured | halt
// tboot evaluate_error(): the action the given policy type takes for an error
// (docs/reference/vlp.md §7.3).
Action evaluate_error(uint8_t policy_type, TbError err);

}  // namespace tlaunch::vlp
