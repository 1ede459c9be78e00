// Text, JSON and file forms of a tboot Verified Launch Policy (format v2, docs/reference/vlp.md).
//
// - tb_polgen_text(): byte-exact `tb_polgen --show` output, i.e. what tboot's
//   verify_policy(policy, size, print=true) prints with PRINT=printf (include/tb_policy.h;
//   docs/reference/tb_polgen.md §4), including the partial dump and messages of an invalid policy.
//   Whether the policy is valid is decided by vlp::decode() (the one set of rules); this file
//   only renders.
// - vlp_json(): the document of `tlaunch vlp show --json` (schemas/vlp.v1.schema.json).
// - vlp_human_text(): the human form of `tlaunch vlp show`.
// - load_vlp_file() / save_vlp_file(): policy files for `tlaunch vlp` with messages that name the
//   file, field and byte offset, and atomic writes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::host {

struct PolicyText {
  std::string out;  // stdout: the dump
  std::string err;  // stderr: "unsupported hash alg (N)" lines print_hash() writes
  bool valid = false;
};

// verify_policy(bytes, bytes.size, print=true) as tb_polgen prints it: "policy:" then the fields;
// an invalid policy stops where tboot's check fails, with tboot's message on stdout. `release`
// selects whose digest sizes and SHA-1 names apply (vlp::Release).
PolicyText tb_polgen_text(ByteSpan bytes, vlp::Release release = vlp::Release::kHead);

// Lower-case names used by tlaunch (CLI values and JSON).
const char* vlp_type_keyword(uint8_t policy_type);  // nonfatal|continue|halt|unsupported
const char* vlp_alg_keyword(uint8_t hash_alg);      // sha256|sha384|sha512|sm3|unsupported

// JSON form (schemas/vlp.v1.schema.json). file_size: bytes in the file, to report trailing
// bytes after the policy (ignored by tboot and tb_polgen).
nlohmann::json vlp_json(const vlp::Policy& policy, const std::string& file, size_t file_size);

std::string vlp_human_text(const vlp::Policy& policy, const std::string& file, size_t file_size);

struct LoadedPolicy {
  vlp::Policy policy;
  size_t file_size = 0;  // bytes in the file (the policy may be followed by ignored bytes)
};

// Reads and decodes a policy file. Refuses files larger than 2124 bytes (MAX_TB_POLICY_SIZE: tboot
// never reads more), empty files and policies tboot would reject; messages name the file, field,
// entry and byte offset (kIo for file problems, the decoder's code otherwise).
Expected<LoadedPolicy> load_vlp_file(const std::string& path);

// Encodes and writes atomically (temp file, fsync, rename): a failure leaves the file untouched.
HostStatus save_vlp_file(const std::string& path, const vlp::Policy& policy);

}  // namespace tlaunch::host
