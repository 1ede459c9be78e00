// The NV indices of Intel TXT and tboot on TPM 2.0, as data (docs/reference/nv.md §2): one row per
// index with both handle sets, the content it holds, the size that content needs, the attributes
// `tlaunch nv define NAME` uses, and the rules a launcher/SINIT applies to the attributes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch_options.h"

namespace tlaunch::tpmnv {

using host::Bytes;

enum class Hierarchy : uint8_t { kOwner, kPlatform };
const char* hierarchy_name(Hierarchy h);  // "owner" | "platform"

// Which handle set a platform's SINIT selects (tboot tpm20_init(): bit 6 tpm_nv_index_set of
// the ACM's TPM capabilities; docs/reference/nv.md §2): tcg = 0x01C101xx, legacy = the older Intel
// handles. One type for the launcher's nv_index_set= option, the catalogue, plans and launch specs.
using HandleSet = launch::NvIndexSet;
const char* handle_set_name(HandleSet s);  // "tcg" | "legacy"

enum class ContentKind : uint8_t {
  kVlp,        // tb_policy_t (docs/reference/vlp.md)
  kLcpPolicy,  // LCP_POLICY_2 (docs/reference/lcp.md §3)
  kTbError,    // u32 little-endian tb_error_t (docs/reference/vlp.md §7.1)
  kSgxSvn,     // 1 byte SE SVN
  kAux,        // ACM-private data
  kRaw,        // not a catalogue index
};
const char* content_kind_name(ContentKind k);

// Where an index's authPolicy comes from.
enum class AuthPolicyKind : uint8_t {
  kNone,            // empty authPolicy
  kIntelAux,        // the fixed digest of Intel's AUX definition (docs/reference/nv.md §2.1)
  kPlatformSecret,  // tlaunch's PS policy: see platform_secret_policy()
};

inline constexpr uint16_t kSizeLargestVlp = 2124;  // vlp::kMaxPolicySize, tboot's read buffer

struct IndexSpec {
  const char* name;     // "vlp", "error", "po", "ps", "aux", "sgx"
  const char* title;    // one line
  const char* purpose;  // who writes/reads it and why
  ContentKind content;
  uint32_t tcg_handle;
  uint32_t legacy_handle;
  Hierarchy hierarchy;    // the hierarchy that defines it
  uint32_t attributes;    // the definition `nv define NAME` uses
  uint32_t must_set;      // a launcher refuses the index when one of these is clear
  uint32_t must_clear;    // ... or when one of these is set
  bool exact;             // SINIT compares the whole attribute word (PS, AUX)
  uint16_t min_size;      // smallest size that holds the content
  uint16_t default_size;  // size `nv define NAME` uses (VLP: kSizeLargestVlp, capped by the TPM)
  bool empty_auth;        // readers/writers use an empty index password
  AuthPolicyKind policy;
  const char* readers;  // "tboot", "SINIT", ...
  const char* source;   // where the facts come from
};

const IndexSpec* catalogue(size_t* count);
const IndexSpec* find_index_spec(const std::string& name);
// The row whose TCG or legacy handle is `handle` (nullptr if none); *set tells which.
const IndexSpec* find_index_spec(uint32_t handle, HandleSet* set = nullptr);
uint32_t handle_of(const IndexSpec& spec, HandleSet set);

// An NV index definition (TPMS_NV_PUBLIC minus the handle's name; nameAlg is always SHA-256).
struct NvDefinition {
  uint32_t handle = 0;
  Hierarchy hierarchy = Hierarchy::kOwner;
  uint32_t attributes = 0;
  uint16_t size = 0;
  Bytes auth_policy;
};

// The index named on a command line: a catalogue name or a hex handle.
struct Target {
  uint32_t handle = 0;
  const IndexSpec* spec = nullptr;  // nullptr for a raw handle outside the catalogue
  std::string label() const;        // "0x01C10131 (vlp)" or "0x01500000"
};
host::Expected<Target> resolve_target(const std::string& arg, HandleSet set);

// The definition `nv define` / `nv provision` uses: the catalogue default, overridden by the
// given values. nv_index_max (TPM_PT_NV_INDEX_MAX) caps the VLP default size: many TPMs
// (swtpm/libtpms: 2048) cannot hold the 2124 bytes of the largest possible VLP; *note then
// explains the cap. Raw handles need size and attributes.
host::Expected<NvDefinition> make_definition(const Target& target, std::optional<uint16_t> size,
                                             std::optional<uint32_t> attributes,
                                             std::optional<Hierarchy> hierarchy,
                                             std::optional<Bytes> auth_policy,
                                             uint32_t nv_index_max, std::string* note);

// The reasons a launcher/SINIT would refuse an index so defined (empty: acceptable). Also
// catches what the TPM itself rejects in NV_DefineSpace, so that we refuse before the TPM does.
std::vector<std::string> check_definition(const IndexSpec* spec, const NvDefinition& def,
                                          bool index_auth_set);
// Only the TPM's own rules (TPM 2.0 Part 3 §31.3.1, NV_DefineSpace): state bits, reserved
// bits, write/read authorization present, POLICY_DELETE needs PLATFORMCREATE and platform.
std::vector<std::string> check_tpm_rules(const NvDefinition& def);

// Whether an existing index (attributes read back from the TPM) matches a wanted definition:
// compares attributes without the state bits (WRITTEN, WRITELOCKED, READLOCKED), size and
// authPolicy. Empty string = matches; else what differs.
std::string compare_definition(const NvDefinition& want, uint32_t have_attributes,
                               uint16_t have_size, const Bytes& have_policy);

// The authPolicy (SHA-256) of Intel's AUX index definition (docs/reference/nv.md §2.1).
Bytes intel_aux_auth_policy();

// tlaunch's default PS authPolicy. Intel leaves the PS policy to the platform (docs/reference/nv.md
// §2.1: "a PolicyOR of a write branch and a delete branch"); tlaunch uses
//   write  = PolicySecret(TPM_RH_PLATFORM) ; PolicyCommandCode(TPM_CC_NV_Write)
//   delete = PolicySecret(TPM_RH_PLATFORM) ; PolicyCommandCode(TPM_CC_NV_UndefineSpaceSpecial)
//   authPolicy = PolicyOR(write, delete)
// so whoever holds the platform authorization can write and delete it. Digests per TPM 2.0
// Part 3 §23 (PolicyUpdate, PolicyOR), SHA-256.
struct PlatformSecretPolicy {
  Bytes write_branch;
  Bytes delete_branch;
  Bytes auth_policy;
};
PlatformSecretPolicy platform_secret_policy();

// Authorization roles (TPM 2.0 Part 1 §37.3.x): which entity authorizes an NV operation.
enum class AuthRole : uint8_t { kOwner, kPlatform, kIndex, kPolicy };
const char* auth_role_name(AuthRole r);
// The role tlaunch uses to write an index (owner, platform, index password, policy: the first
// the attributes allow) and to read it (index password first, as tboot does, then owner,
// platform, policy), or kBadValue if the attributes allow none.
host::Expected<AuthRole> write_role(uint32_t attributes);
host::Expected<AuthRole> read_role(uint32_t attributes);

}  // namespace tlaunch::tpmnv
