// `tlaunch build`: everything a launch spec implies, computed in memory (nothing is written
// here, so a failing spec leaves the output directory as it was):
//   vlp.pol         the tboot VLP (tb_policy_t v2) for every entry's modules
//   grub.cfg        the menu entries that load exactly those files with those command lines
//   nv-plan.json    the plan `tlaunch nv provision` applies (schemas/nv-plan.v1.schema.json)
//   reference.json  the CI reference manifest (schemas/reference.v1.schema.json): per module its
//                   file digest, as-loaded digest, command-line digest and measurement in every
//                   bank, and per entry the launcher's event list and predicted PCR values,
//                   computed by the launcher's own decision code (libpolicy launch.h).
// Outputs are deterministic: no time, no host name, no absolute path of the spec (paths appear
// as the spec writes them), JSON with sorted keys.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/spec/launch_spec.h"
#include "tlaunch/tpmnv/plan.h"

namespace tlaunch::host::spec {

inline constexpr const char* kVlpFile = "vlp.pol";
inline constexpr const char* kGrubFile = "grub.cfg";
inline constexpr const char* kPlanFile = "nv-plan.json";
inline constexpr const char* kReferenceFile = "reference.json";
inline constexpr const char* kLcpPolicyFile = "lcp.pol";
inline constexpr const char* kLcpDataFile = "lcp.data";

struct OutputFile {
  std::string name;  // file name inside the output directory
  Bytes data;
};

// Digests of one file in one bank.
struct BankDigests {
  HashAlg alg = HashAlg::kSha256;
  Digest file;         // H(file bytes)
  Digest loaded;       // H(bytes GRUB hands over)
  Digest cmdline;      // H(command line bytes, no NUL)
  Digest measurement;  // H(H(cmdline) || H(loaded)) (docs/reference/vlp.md §6.1)
};

// A file as GRUB loads it (module2, with or without --nounzip).
struct LoadedFile {
  uint64_t file_size = 0;
  uint64_t loaded_size = 0;
  std::vector<std::string> codecs;   // filters that decompressed it, outermost first ("gzip")
  std::vector<BankDigests> digests;  // one per requested algorithm, in request order
  std::vector<uint8_t> head;         // the first bytes as loaded (tboot's module layout)
  const BankDigests* find(HashAlg alg) const;
};

// Reads a file once and hashes it in every algorithm, raw and as GRUB 2.06 loads it
// (libpolicy host/decompress.h filter chain; nounzip = module2 --nounzip). A file GRUB would
// fall back on (bad header behind a matching magic) is an error that says so.
Expected<LoadedFile> hash_loaded_file(const std::string& path, bool nounzip,
                                      const std::vector<HashAlg>& algs, const std::string& cmdline);

struct BuildResult {
  // In a fixed order: vlp.pol, grub.cfg, nv-plan.json, reference.json, then with an LCP lcp.pol,
  // lcp.data and lcp-list-<i>.tbs (the bytes a signature covers) for each signed list.
  std::vector<OutputFile> files;
  Bytes vlp;
  std::string grub_cfg;
  // The NV provisioning plan, typed (libtpmnv plan.h): `tlaunch apply` hands it to libtpmnv as
  // it is; nv-plan.json is its JSON form (tpmnv::plan_to_json).
  tpmnv::ProvisionPlan plan;
  nlohmann::json reference;
  // Lists that wait for a detached signature: the build is incomplete, `files` then holds only
  // their .tbs files (what to sign) and each issue says where the signature goes.
  std::vector<Issue> pending;
  const OutputFile* find(const std::string& name) const;
};

// The LCP part of a build (libspec/src/lcp.cpp).
struct LcpBuild {
  Bytes policy;                 // LCP_POLICY_2 for the PO index
  Bytes data;                   // LCP_POLICY_DATA file GRUB loads
  std::vector<OutputFile> tbs;  // to-be-signed bytes of each signed list
  std::vector<Issue> pending;   // lists without a signature yet (policy/data then empty)
};
Expected<LcpBuild> build_lcp(const LaunchSpec& spec, const Bytes& vlp);

// Computes every output. Failures name the spec, the JSON path and the reason (a module GRUB
// would decompress although the spec says raw, a VLP larger than its NV index or than the 2124
// bytes the launcher reads, ...).
Expected<BuildResult> build_launch(const LaunchSpec& spec);

// Only the grub.cfg text. Needs the files (which decompressors GRUB must load) and fails for the
// same specs build_launch() fails for.
Expected<std::string> build_grub_cfg(const LaunchSpec& spec);

// "sha256" etc.
std::string alg_name(HashAlg alg);
std::string digest_hex(const Digest& d);

}  // namespace tlaunch::host::spec
