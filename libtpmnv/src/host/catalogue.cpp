#include "tlaunch/tpmnv/catalogue.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "tlaunch/policy/sha2.h"
#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::tpmnv {
namespace {

using namespace attr;

constexpr uint32_t kAnyWrite = kPpWrite | kOwnerWrite | kAuthWrite | kPolicyWrite;
constexpr uint32_t kAnyRead = kPpRead | kOwnerRead | kAuthRead | kPolicyRead;

// docs/reference/nv.md §2 (handles, sizes, Intel definitions) and §4 (what tboot checks).
constexpr IndexSpec kCatalogue[] = {
    {.name = "vlp",
     .title = "tboot Verified Launch Policy",
     .purpose = "tb_policy_t written by the owner (policy from tb_polgen / tlaunch vlp); tboot "
                "reads it with the index's own empty password before and after launch",
     .content = ContentKind::kVlp,
     .tcg_handle = 0x01C10131,
     .legacy_handle = 0x01200001,
     .hierarchy = Hierarchy::kOwner,
     .attributes = kOwnerWrite | kPolicyWrite | kAuthRead | kNoDa,
     .must_set = kAuthRead,
     .must_clear = kPpWrite | kNtMask,
     .exact = false,
     .min_size = 12,  // a VLP header without entries (docs/reference/vlp.md)
     .default_size = kSizeLargestVlp,
     .empty_auth = true,
     .policy = AuthPolicyKind::kNone,
     .readers = "tboot",
     .source = "docs/reference/nv.md §2.2; tboot common/policy.c read_policy_from_tpm, "
               "check_index_attribute"},
    {.name = "error",
     .title = "tboot launch error",
     .purpose = "u32 tb_error_t that tboot writes after a launch attempt (only with "
                "ignore_prev_err=false)",
     .content = ContentKind::kTbError,
     .tcg_handle = 0x01C10132,
     .legacy_handle = 0x01200002,
     .hierarchy = Hierarchy::kOwner,
     .attributes = kAuthWrite | kAuthRead | kNoDa,
     .must_set = kAuthRead | kAuthWrite,
     .must_clear = kNtMask,
     .exact = false,
     .min_size = 4,
     .default_size = 4,
     .empty_auth = true,
     .policy = AuthPolicyKind::kNone,
     .readers = "tboot",
     .source = "docs/reference/nv.md §2.2; tboot common/tb_error.c"},
    {.name = "po",
     .title = "Platform Owner launch control policy",
     .purpose = "LCP_POLICY_2 written by the owner (from lcp2_crtpol); read by SINIT and, as a "
                "fallback VLP source, by tboot",
     .content = ContentKind::kLcpPolicy,
     .tcg_handle = 0x01C10106,
     .legacy_handle = 0x01400001,
     .hierarchy = Hierarchy::kOwner,
     .attributes = kOwnerWrite | kPolicyWrite | kAuthRead | kNoDa,
     .must_set = kAuthRead,
     .must_clear = kPpWrite | kNtMask,
     .exact = false,
     .min_size = 70,  // 38 + SHA-256 digest, the smallest LCP_POLICY_2 (docs/reference/lcp.md §3)
     .default_size = 70,
     .empty_auth = true,
     .policy = AuthPolicyKind::kNone,
     .readers = "SINIT, tboot",
     .source = "docs/reference/nv.md §2.1 (Intel 315168-013 App. J Table J-2; 0x0204000A)"},
    {.name = "ps",
     .title = "Platform Supplier launch control policy",
     .purpose = "LCP_POLICY_2 of the platform manufacturer, defined by the platform hierarchy "
                "and written through its authPolicy",
     .content = ContentKind::kLcpPolicy,
     .tcg_handle = 0x01C10103,
     .legacy_handle = 0x01800001,
     .hierarchy = Hierarchy::kPlatform,
     .attributes = kPolicyWrite | kPolicyDelete | kAuthRead | kNoDa | kPlatformCreate,
     .must_set = 0,
     .must_clear = 0,
     .exact = true,
     .min_size = 70,
     .default_size = 70,
     .empty_auth = true,
     .policy = AuthPolicyKind::kPlatformSecret,
     .readers = "SINIT",
     .source = "docs/reference/nv.md §2.1 (Intel 315168-013 App. J Table J-2; 0x42040408)"},
    {.name = "aux",
     .title = "TXT auxiliary (ACM private)",
     .purpose = "defined by the BIOS with Intel's authPolicy; only the ACMs write it",
     .content = ContentKind::kAux,
     .tcg_handle = 0x01C10102,
     .legacy_handle = 0x01800003,
     .hierarchy = Hierarchy::kPlatform,
     .attributes =
         kPolicyWrite | kPolicyDelete | kWriteStClear | kAuthRead | kNoDa | kPlatformCreate,
     .must_set = 0,
     .must_clear = 0,
     .exact = true,
     .min_size = 104,  // 40 + 2 SHA-256 digests
     .default_size = 104,
     .empty_auth = true,
     .policy = AuthPolicyKind::kIntelAux,
     .readers = "BIOS ACM, SINIT",
     .source = "docs/reference/nv.md §2.1 (Intel 315168-013 App. J Table J-2; 0x42044408)"},
    {.name = "sgx",
     .title = "SGX SVN",
     .purpose = "1-byte SE SVN that tboot writes before launch when it differs from the SINIT's",
     .content = ContentKind::kSgxSvn,
     .tcg_handle = 0x01C10104,
     .legacy_handle = 0x01800004,
     .hierarchy = Hierarchy::kOwner,  // tlaunch's choice: docs/reference/nv.md names no definition
     .attributes = kAuthWrite | kAuthRead | kNoDa,
     .must_set = kAuthWrite,
     .must_clear = kNtMask,
     .exact = false,
     .min_size = 1,
     .default_size = 1,
     .empty_auth = true,
     .policy = AuthPolicyKind::kNone,
     .readers = "tboot",
     .source = "docs/reference/nv.md §2.2; tboot txt/acmod.c verify_IA32_se_svn_status"},
};

// TPM 2.0 Part 2 §6.5.2 (TPM_CC) and Part 2 §7.4 (TPM_RH).
constexpr uint32_t kCcPolicySecret = 0x00000151;
constexpr uint32_t kCcPolicyCommandCode = 0x0000016C;
constexpr uint32_t kCcPolicyOr = 0x00000171;
constexpr uint32_t kCcNvWrite = 0x00000137;
constexpr uint32_t kCcNvUndefineSpaceSpecial = 0x0000011F;
constexpr uint32_t kRhPlatform = 0x4000000C;

void put_be32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes sha256(const Bytes& data) {
  SoftHasher h;
  Result<Digest> d = hash_once(h, HashAlg::kSha256, ByteSpan(data.data(), data.size()));
  if (!d.ok()) return Bytes(32, 0);  // OpenSSL without SHA-256 is not a supported host
  return Bytes(d->bytes, d->bytes + d->size);
}

// PolicySecret with an empty policyRef: H(H(old || CC || name(auth)) || policyRef)
// (Part 3 §23.4, PolicyUpdate()); the name of a permanent handle is the handle (Part 1 §16).
Bytes policy_secret(const Bytes& old, uint32_t auth_handle) {
  Bytes b = old;
  put_be32(b, kCcPolicySecret);
  put_be32(b, auth_handle);
  return sha256(sha256(b));
}

// PolicyCommandCode: H(old || CC || code) (Part 3 §23.11).
Bytes policy_command_code(const Bytes& old, uint32_t code) {
  Bytes b = old;
  put_be32(b, kCcPolicyCommandCode);
  put_be32(b, code);
  return sha256(b);
}

}  // namespace

const char* hierarchy_name(Hierarchy h) { return h == Hierarchy::kPlatform ? "platform" : "owner"; }
const char* handle_set_name(HandleSet s) { return launch::nv_index_set_name(s); }

const char* content_kind_name(ContentKind k) {
  switch (k) {
    case ContentKind::kVlp:
      return "vlp";
    case ContentKind::kLcpPolicy:
      return "lcp-policy";
    case ContentKind::kTbError:
      return "tb-error";
    case ContentKind::kSgxSvn:
      return "sgx-svn";
    case ContentKind::kAux:
      return "aux";
    case ContentKind::kRaw:
      return "raw";
  }
  return "raw";
}

const char* auth_role_name(AuthRole r) {
  switch (r) {
    case AuthRole::kOwner:
      return "owner";
    case AuthRole::kPlatform:
      return "platform";
    case AuthRole::kIndex:
      return "index";
    case AuthRole::kPolicy:
      return "policy";
  }
  return "?";
}

const IndexSpec* catalogue(size_t* count) {
  *count = sizeof(kCatalogue) / sizeof(kCatalogue[0]);
  return kCatalogue;
}

const IndexSpec* find_index_spec(const std::string& name) {
  for (const IndexSpec& s : kCatalogue)
    if (name == s.name) return &s;
  return nullptr;
}

const IndexSpec* find_index_spec(uint32_t handle, HandleSet* set) {
  for (const IndexSpec& s : kCatalogue) {
    if (s.tcg_handle == handle || s.legacy_handle == handle) {
      if (set) *set = s.tcg_handle == handle ? HandleSet::kTcg : HandleSet::kLegacy;
      return &s;
    }
  }
  return nullptr;
}

uint32_t handle_of(const IndexSpec& spec, HandleSet set) {
  return set == HandleSet::kLegacy ? spec.legacy_handle : spec.tcg_handle;
}

std::string Target::label() const {
  std::string s = format_handle(handle);
  if (spec) s += std::string(" (") + spec->name + ")";
  return s;
}

host::Expected<Target> resolve_target(const std::string& arg, HandleSet set) {
  Target t;
  if (const IndexSpec* s = find_index_spec(arg)) {
    t.spec = s;
    t.handle = handle_of(*s, set);
    return t;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(arg.c_str(), &end, 16);
  bool hex = arg.size() > 2 && (arg.rfind("0x", 0) == 0 || arg.rfind("0X", 0) == 0);
  if (!hex || errno != 0 || *end != '\0' || v > 0xFFFFFFFFull) {
    return host::fail(Errc::kUsage, "'" + arg +
                                        "' is neither a catalogue name (vlp, error, po, ps, aux, "
                                        "sgx) nor a hex NV handle such as 0x01C10131");
  }
  t.handle = static_cast<uint32_t>(v);
  // NV index handles are 0x01xxxxxx (Part 2 §7.2, TPM_HT_NV_INDEX).
  if ((t.handle >> 24) != 0x01)
    return host::fail(Errc::kUsage, "handle " + format_handle(t.handle) +
                                        " is not an NV index handle (0x01000000-0x01FFFFFF)");
  t.spec = find_index_spec(t.handle);
  return t;
}

host::Expected<NvDefinition> make_definition(const Target& target, std::optional<uint16_t> size,
                                             std::optional<uint32_t> attributes,
                                             std::optional<Hierarchy> hierarchy,
                                             std::optional<Bytes> auth_policy,
                                             uint32_t nv_index_max, std::string* note) {
  NvDefinition d;
  d.handle = target.handle;
  const IndexSpec* s = target.spec;
  if (!s && (!size || !attributes)) {
    return host::fail(Errc::kUsage, format_handle(target.handle) +
                                        " is not a catalogue index: give --size and --attributes");
  }
  d.attributes = attributes ? *attributes : s->attributes;
  // Platform-created indices must be defined by the platform (Part 3 §31.3.1).
  d.hierarchy = hierarchy                          ? *hierarchy
                : s && !attributes                 ? s->hierarchy
                : (d.attributes & kPlatformCreate) ? Hierarchy::kPlatform
                                                   : Hierarchy::kOwner;
  if (size) {
    d.size = *size;
  } else {
    d.size = s->default_size;
    if (nv_index_max != 0 && d.size > nv_index_max) {
      if (note)
        *note = "index size " + std::to_string(nv_index_max) +
                " (TPM_PT_NV_INDEX_MAX) instead of " + std::to_string(d.size) +
                ": this TPM cannot hold the largest possible " + s->name + "; policies up to " +
                std::to_string(nv_index_max) + " bytes fit";
      d.size = static_cast<uint16_t>(nv_index_max);
    }
  }
  if (auth_policy) {
    d.auth_policy = *auth_policy;
  } else if (s && !attributes) {
    if (s->policy == AuthPolicyKind::kIntelAux) d.auth_policy = intel_aux_auth_policy();
    if (s->policy == AuthPolicyKind::kPlatformSecret)
      d.auth_policy = platform_secret_policy().auth_policy;
  } else if (s && s->policy == AuthPolicyKind::kPlatformSecret &&
             (d.attributes & (kPolicyWrite | kPolicyRead | kPolicyDelete))) {
    d.auth_policy = platform_secret_policy().auth_policy;
  } else if (s && s->policy == AuthPolicyKind::kIntelAux &&
             (d.attributes & (kPolicyWrite | kPolicyRead | kPolicyDelete))) {
    d.auth_policy = intel_aux_auth_policy();
  }
  return d;
}

std::vector<std::string> check_tpm_rules(const NvDefinition& d) {
  std::vector<std::string> out;
  uint32_t a = d.attributes;
  if (a & kStateBits)
    out.push_back("written, writelocked and readlocked are set by the TPM, not by a definition");
  if (a & kReservedBits) out.push_back("reserved attribute bits are set");
  if (!(a & kAnyWrite))
    out.push_back("no write authorization (ppwrite, ownerwrite, authwrite or policywrite)");
  if (!(a & kAnyRead))
    out.push_back("no read authorization (ppread, ownerread, authread or policyread)");
  if ((a & kPolicyDelete) && !(a & kPlatformCreate))
    out.push_back("policydelete requires platformcreate");
  bool platform = d.hierarchy == Hierarchy::kPlatform;
  if (platform != ((a & kPlatformCreate) != 0))
    out.push_back(platform ? "an index defined by the platform hierarchy needs platformcreate"
                           : "platformcreate requires the platform hierarchy");
  uint32_t nt = nt_of(a);
  if ((nt == 1 || nt == 2 || nt == 8 || nt == 9) && d.size != 8)
    out.push_back(std::string(nt_name(nt)) + " indices are exactly 8 bytes");
  if (nt_name(nt) == nullptr) out.push_back("unknown NV type nt=" + std::to_string(nt));
  if (!d.auth_policy.empty() && d.auth_policy.size() != 32)
    out.push_back("authPolicy must be empty or a 32-byte SHA-256 digest");
  if ((a & (kPolicyWrite | kPolicyDelete)) && d.auth_policy.empty() &&
      !(a & (kOwnerWrite | kAuthWrite | kPpWrite)))
    out.push_back("policywrite with an empty authPolicy: nobody could ever write the index");
  if (d.size == 0) out.push_back("size 0");
  return out;
}

std::vector<std::string> check_definition(const IndexSpec* s, const NvDefinition& d,
                                          bool index_auth_set) {
  std::vector<std::string> out = check_tpm_rules(d);
  if (!s) return out;
  std::string who = std::string(s->readers);
  uint32_t a = d.attributes;
  if (s->exact && (a & ~kStateBits) != s->attributes) {
    out.push_back(who + " expects exactly the attributes " + attributes_to_string(s->attributes) +
                  " for the " + s->name + " index");
  }
  for (uint32_t bit = 1; bit != 0; bit <<= 1) {
    if ((s->must_set & bit) && !(a & bit))
      out.push_back(attributes_to_string(bit) + " is required: " + who + " uses it (" + s->source +
                    ")");
  }
  if ((s->must_clear & kPpWrite) && (a & kPpWrite))
    out.push_back(
        "ppwrite is set: tboot refuses a policy index that a physically present user "
        "could rewrite (tboot common/policy.c check_index_attribute)");
  if ((s->must_clear & kNtMask) && nt_of(a) != 0)
    out.push_back(std::string("the ") + s->name + " index must be an ordinary index (nt=ordinary)");
  if (d.size < s->min_size)
    out.push_back("size " + std::to_string(d.size) + " is smaller than the " +
                  std::to_string(s->min_size) + " bytes the " + content_kind_name(s->content) +
                  " content needs");
  if (s->empty_auth && index_auth_set)
    out.push_back(who + " uses an empty index password: an index password would lock it out");
  if (s->policy == AuthPolicyKind::kIntelAux && d.auth_policy != intel_aux_auth_policy())
    out.push_back("the AUX authPolicy must be Intel's digest (only the ACMs can write it)");
  return out;
}

std::string compare_definition(const NvDefinition& want, uint32_t have_attributes,
                               uint16_t have_size, const Bytes& have_policy) {
  std::string diff;
  auto add = [&diff](const std::string& s) {
    if (!diff.empty()) diff += "; ";
    diff += s;
  };
  uint32_t have = have_attributes & ~kStateBits;
  uint32_t wanted = want.attributes & ~kStateBits;
  if (have != wanted) {
    add("attributes are " + attributes_to_string(have) + " (" + format_handle(have) + "), wanted " +
        attributes_to_string(wanted) + " (" + format_handle(wanted) + ")");
  }
  if (have_size != want.size)
    add("size is " + std::to_string(have_size) + ", wanted " + std::to_string(want.size));
  if (have_policy != want.auth_policy)
    add("authPolicy is " + (have_policy.empty() ? std::string("empty") : host::hex(have_policy)) +
        ", wanted " +
        (want.auth_policy.empty() ? std::string("empty") : host::hex(want.auth_policy)));
  return diff;
}

Bytes intel_aux_auth_policy() {
  // docs/reference/nv.md §2.1 (converged-security-suite pkg/test/tpm.go AUX authPolicy check).
  return Bytes{0xEF, 0x9A, 0x26, 0xFC, 0x22, 0xD1, 0xAE, 0x8C, 0xEC, 0xFF, 0x59,
               0xE9, 0x48, 0x1A, 0xC1, 0xEC, 0x53, 0x3D, 0xBE, 0x22, 0x8B, 0xEC,
               0x6D, 0x17, 0x93, 0x0F, 0x4C, 0xB2, 0xCC, 0x5B, 0x97, 0x24};
}

PlatformSecretPolicy platform_secret_policy() {
  PlatformSecretPolicy p;
  Bytes zero(32, 0);
  Bytes secret = policy_secret(zero, kRhPlatform);
  p.write_branch = policy_command_code(secret, kCcNvWrite);
  p.delete_branch = policy_command_code(secret, kCcNvUndefineSpaceSpecial);
  // PolicyOR: H(0...0 || CC || digest1 || digest2) (Part 3 §23.6).
  Bytes b = zero;
  put_be32(b, kCcPolicyOr);
  b.insert(b.end(), p.write_branch.begin(), p.write_branch.end());
  b.insert(b.end(), p.delete_branch.begin(), p.delete_branch.end());
  p.auth_policy = sha256(b);
  return p;
}

host::Expected<AuthRole> write_role(uint32_t a) {
  if (a & kOwnerWrite) return AuthRole::kOwner;
  if (a & kPpWrite) return AuthRole::kPlatform;
  if (a & kAuthWrite) return AuthRole::kIndex;
  if (a & kPolicyWrite) return AuthRole::kPolicy;
  return host::fail(Errc::kBadValue, "the index has no write authorization");
}

// Read the way a launcher does: with the index's own authorization first (tboot tpm20_nv_read:
// authHandle = the index, empty password).
host::Expected<AuthRole> read_role(uint32_t a) {
  if (a & kAuthRead) return AuthRole::kIndex;
  if (a & kOwnerRead) return AuthRole::kOwner;
  if (a & kPpRead) return AuthRole::kPlatform;
  if (a & kPolicyRead) return AuthRole::kPolicy;
  return host::fail(Errc::kBadValue, "the index has no read authorization");
}

}  // namespace tlaunch::tpmnv
