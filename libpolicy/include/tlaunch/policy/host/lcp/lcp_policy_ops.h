// Host operations on LCP policies: build an LCP_POLICY_2 (and, for type LIST, its LCP_POLICY_DATA
// file from list files), read them back, and check that a data file matches a policy. Formats:
// lcp_policy.h; list handling: lcp_list_ops.h. Every error names the file concerned.
#pragma once

#include <string>
#include <vector>

#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/lcp_policy.h"

namespace tlaunch::lcp::host {

struct BuiltPolicy {
  Policy policy;  // with PolicyHash filled in
  Bytes policy_bytes;
  Bytes data_bytes;  // empty for type ANY
};

// Builds the policy `p` (every field but PolicyHash as the caller wants it). Type ANY: PolicyHash
// is all zero and lists must be empty. Type LIST: 1 to 8 lists of the same version word, each
// complete (a LIST2 RSA list without SigBlock is refused), every signed list verified (a list that
// does not verify is a kVerifyFailed failure naming it); the data file is the header plus the
// lists exactly as their files; PolicyHash per docs/reference/lcp.md §6.
Expected<BuiltPolicy> build_policy(const Policy& p, const std::vector<const ListFile*>& lists);

// A policy or data file read from disk.
struct PolicyFile {
  std::string path;
  Bytes bytes;
  Policy policy;
};
class PolicyDataFile {
 public:
  PolicyDataFile() = default;
  PolicyDataFile(PolicyDataFile&&) = default;
  PolicyDataFile& operator=(PolicyDataFile&&) = default;
  PolicyDataFile(const PolicyDataFile&) = delete;
  PolicyDataFile& operator=(const PolicyDataFile&) = delete;

  std::string path;
  Bytes bytes;
  PolicyDataView view;  // points into bytes
};
Expected<PolicyFile> read_policy_file(const std::string& path, bool allow_trailing = false);
Expected<PolicyDataFile> read_policy_data_file(const std::string& path);
Expected<PolicyDataFile> policy_data_from_bytes(Bytes bytes, const std::string& name);

// Verifies the signature of every signed list of a data file; the first that fails is reported
// (kVerifyFailed) as "<file>: list <i>: ...".
tlaunch::host::HostStatus verify_data_lists(const PolicyDataFile& d);
// PolicyHash of the data file under the policy's hash algorithm.
Expected<Digest> data_policy_hash(const PolicyDataView& d, uint16_t hash_alg);
// True if the policy is of type LIST and its PolicyHash is the one of the data file.
Expected<bool> data_matches_policy(const PolicyDataView& d, const Policy& p);

}  // namespace tlaunch::lcp::host
