// The launch spec (schemas/launch-spec.v1.schema.json): one declarative file from which `tlaunch
// build` derives the VLP, the grub.cfg entries, the NV provisioning plan and the reference
// manifest, so that the command lines hashed into the policy, written into grub.cfg and loaded at
// boot come from one place.
//
// Loading is two passes, both reporting every problem with its JSON Pointer (RFC 6901) path:
//  1. structure: the document is checked against the schema (the subset of JSON Schema 2020-12
//     that schemas/*.json use, see validate_against_schema());
//  2. meaning: files exist, settings that must agree do agree (VLP module numbers shared by
//     several entries, handle set vs explicit handles, launcher options vs spec settings).
// Checks that need the files' contents (compression, policy size) run in build
// (tlaunch/spec/build.h).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::host::spec {

// One problem: where (JSON Pointer into the spec, "" = the document) and why.
struct Issue {
  std::string path;
  std::string reason;
};

// "/entries/0/kernel" + "cmdline" -> "/entries/0/kernel/cmdline" (RFC 6901 escaping of ~ and /).
std::string pointer_append(const std::string& base, const std::string& token);
std::string pointer_append(const std::string& base, size_t index);

// Validates doc against a JSON Schema. Supported keywords (everything the tlaunch schemas use):
// type, enum, const, properties, required, additionalProperties, minProperties, maxProperties,
// items, minItems, maxItems, uniqueItems, minLength, maxLength (in code points), pattern
// (ECMAScript), minimum, maximum, anyOf, oneOf, $ref to "#/$defs/NAME". Annotations (title,
// description, default, $comment, examples) are ignored. An unsupported keyword is reported as an
// issue at its schema location so that a schema edit cannot silently weaken validation.
std::vector<Issue> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& doc);

// The schema compiled into the library; a unit test checks it equals schemas/ byte for byte.
const char* launch_spec_schema_text();

// Formats issues as "<context>: <path>: <reason>" lines, path "/" for the document itself.
std::string format_issues(const std::vector<Issue>& issues, const std::string& context);

// ---------------------------------------------------------------------------------------- model

// How the reference digest of a module is computed (see the schema's "as_loaded").
enum class AsLoaded : uint8_t { kGrub, kRaw };

struct FileRef {
  std::string json_path;  // where in the spec it is described ("/sinits/0")
  std::string file;       // as written in the spec
  std::string host_path;  // resolved against the spec's directory
  std::string grub_path;  // the path GRUB opens
};

struct ModuleSpec {
  FileRef ref;
  std::string role;  // "kernel", "initrd" or "module"
  std::string cmdline;
  uint8_t pcr = vlp::kPcrNone;
  bool verify = true;  // TB_HTYPE_IMAGE (true) or TB_HTYPE_ANY
  AsLoaded as_loaded = AsLoaded::kGrub;
  bool as_loaded_explicit = false;
  bool nounzip = false;  // module2 --nounzip
};

struct LauncherSpec {
  FileRef ref;
  std::string cmdline;
  bool nounzip = false;  // multiboot2 has no --nounzip; kept for the grub path of a gzip launcher
};

struct EntrySpec {
  std::string json_path;
  std::string title;
  std::string id;                   // GRUB --id, may be empty
  std::vector<ModuleSpec> modules;  // module i = VLP mod_num i (kernel, initrd, extra modules)
};

struct NvIndexSpec {
  std::string json_path;
  bool define = false;
  uint32_t explicit_handle = 0;  // "handle" as written (0: absent); must equal `handle`
  uint32_t handle = 0;           // the catalogue handle of the chosen set (libtpmnv catalogue)
  uint32_t size = 0;             // 0 = derived at build time
  bool has_attributes = false;   // false = the catalogue's attributes
  std::string attributes;        // as written: "ownerwrite|authread|..." or "0x...."
};

using HandleSet = launch::NvIndexSet;  // the one handle-set type (launch_options.h)

struct NvSpec {
  HandleSet handle_set = HandleSet::kTcg;
  NvIndexSpec vlp;
  NvIndexSpec error;
  NvIndexSpec po;  // defined when the spec has an lcp section
};

enum class LcpElementKind : uint8_t { kMle, kVlp, kCustom, kFile };

struct LcpElementSpec {
  std::string json_path;
  LcpElementKind kind = LcpElementKind::kVlp;
  HashAlg hash_alg = HashAlg::kSha256;
  uint8_t min_sinit_version = 0;
  uint32_t control = 0;
  std::string uuid;       // custom
  std::string host_path;  // custom data / ready-made element file
  std::string file;
};

struct LcpSigningSpec {
  std::string json_path;
  std::string alg;                                             // rsa | rsapss | ecdsa
  std::string hash_alg;                                        // sha256 | sha384 | "" (by key)
  std::string public_key, private_key, passphrase, signature;  // host paths / secret source
  uint16_t revocation_counter = 0;
};

struct LcpListSpec {
  std::string json_path;
  uint16_t version = 0x300;
  std::vector<LcpElementSpec> elements;
  std::optional<LcpSigningSpec> signing;
};

struct LcpSpec {
  std::string json_path;
  uint16_t version = 0x0302;  // LCP_POLICY_2 version word (3.2)
  HashAlg hash_alg = HashAlg::kSha256;
  uint8_t min_sinit_version = 0;
  uint32_t control = 0;
  std::string data_grub_path;
  std::vector<LcpListSpec> lists;
};

enum class GrubRoot : uint8_t { kNone, kDevice, kFsUuid, kLabel };

struct GrubSpec {
  std::string submenu;
  std::string path_prefix = "/boot";
  GrubRoot root = GrubRoot::kNone;
  std::string root_value;
  std::vector<std::string> insmod;
  bool nounzip = false;
  std::vector<std::string> classes{"gnu-linux", "gnu", "os", "tlaunch"};
  bool messages = true;
};

// What a "kernels" rule expanded to when the spec was loaded (tlaunch/spec/kernel_rule.h);
// reference.json lists it under "rules".
struct KernelRuleExpansion {
  std::string json_path;               // "/entries/0"
  std::string dir;                     // where the kernels are
  std::string running;                 // the running kernel's release, "" if not considered
  std::vector<std::string> installed;  // every kernel version found, newest first
  std::vector<std::string> selected;   // the versions that got entries, in entry order
  bool running_kept = false;           // selected holds the running kernel beyond the newest N
  std::vector<std::string> entry_ids;  // the ids of the entries it made
};

struct LaunchSpec {
  std::string spec_path;  // as given
  std::string spec_name;  // its base name (what generated files mention: cwd-independent)
  std::string base_dir;   // directory relative paths are resolved against

  uint8_t policy_type = vlp::kHalt;
  HashAlg policy_alg = HashAlg::kSha256;
  bool extend_pcr17 = true;
  bool other_modules = false;
  uint8_t other_modules_pcr = vlp::kPcrNone;

  launch::PcrMap pcr_map = launch::PcrMap::kDa;  // /pcr_map: da, legacy or loc0
  bool all_banks = false;  // /all_banks: the launcher runs with all_banks=on (every bank measured)
  std::vector<HashAlg> banks{HashAlg::kSha256};

  LauncherSpec launcher;
  std::vector<EntrySpec> entries;  // rules expanded (their entries in place of the rule)
  std::vector<KernelRuleExpansion> rules;
  std::vector<FileRef> sinits;
  std::optional<LcpSpec> lcp;
  NvSpec nv;
  GrubSpec grub;

  // Number of VLP module numbers the entries use (the longest entry's module count).
  size_t module_slots() const;
};

// Facts of the running system a "kernels" rule depends on. current() reads them (uname); tests
// and `--running-kernel` (the policy as it will be after a reboot into that kernel) set them.
struct SystemFacts {
  std::string running_kernel;  // uname -r; "" = none (no running kernel is kept)
  static SystemFacts current();
};

// Parses a spec, expanding its "kernels" rules (tlaunch/spec/kernel_rule.h) against the system.
// Failure (Errc::kBadValue, or kIo when a referenced file is missing) carries every issue, one
// per line, "<spec path>: <json path>: <reason>".
Expected<LaunchSpec> parse_launch_spec(const std::string& text, const std::string& spec_path,
                                       const SystemFacts& facts = SystemFacts::current());
Expected<LaunchSpec> load_launch_spec(const std::string& path,
                                      const SystemFacts& facts = SystemFacts::current());

}  // namespace tlaunch::host::spec
