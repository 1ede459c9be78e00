// Host policy operations (see lcp_policy_ops.h).
#include "tlaunch/policy/host/lcp/lcp_policy_ops.h"

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::fail;
using tlaunch::host::host_ok;
using tlaunch::host::read_file;

}  // namespace

Expected<BuiltPolicy> build_policy(const Policy& p, const std::vector<const ListFile*>& lists) {
  BuiltPolicy out;
  out.policy = p;
  fill_bytes(out.policy.policy_hash, 0, sizeof(out.policy.policy_hash));
  if (p.digest_size() == 0)
    return fail(Errc::kUnsupported,
                "unsupported policy hash algorithm (sha256, sha384, sha512 "
                "or sm3)");
  if (p.policy_type == kPolicyTypeAny) {
    if (!lists.empty()) return fail(Errc::kUsage, "a policy of type any takes no lists");
  } else if (p.policy_type == kPolicyTypeList) {
    if (lists.empty()) return fail(Errc::kUsage, "a policy of type list needs 1 to 8 lists");
    if (lists.size() > kMaxLists)
      return fail(Errc::kTooLarge, "a policy data file holds at most 8 lists (LCP_MAX_LISTS), " +
                                       std::to_string(lists.size()) + " were given");
    out.data_bytes.resize(kPolicyDataHeaderSize);
    ByteWriter w(MutableByteSpan(out.data_bytes.data(), out.data_bytes.size()));
    auto hdr = encode_policy_data_header(w, lists.size());
    if (!hdr.ok()) return fail(hdr.error(), "policy data");
    for (size_t i = 0; i < lists.size(); ++i) {
      const ListFile& lf = *lists[i];
      const ListView& l = lf.view;
      if (l.version != lists[0]->view.version)
        return fail(
            Errc::kBadValue,
            lf.path + ": list version " +
                [&] {
                  char b[16];
                  std::snprintf(b, sizeof(b), "0x%x", l.version);
                  return std::string(b);
                }() +
                " differs from the first list's; all lists of a policy must have the same version");
      if (l.is_signed && !l.signature.has_value)
        return fail(Errc::kBadValue,
                    lf.path +
                        ": the list has no SigBlock (prepared for external signing); add "
                        "its signature first");
      auto v = verify_list(l);
      if (!v.ok()) return fail(v.failure().code, lf.path + ": " + v.failure().message);
      if (!v->valid)
        return fail(Errc::kVerifyFailed,
                    lf.path + ": the list's signature does not verify: " + v->reason);
      out.data_bytes.insert(out.data_bytes.end(), l.raw.begin(), l.raw.end());
    }
    // Re-read what we built: the data file must decode, and PolicyHash comes from it.
    auto d = decode_policy_data(ByteSpan(out.data_bytes.data(), out.data_bytes.size()));
    if (!d.ok()) return fail(d.error(), "policy data");
    auto ph = data_policy_hash(*d, p.hash_alg);
    if (!ph.ok()) return ph.failure();
    copy_bytes(out.policy.policy_hash, ph->bytes, ph->size);
  } else {
    return fail(Errc::kBadValue, "policy type must be list or any");
  }
  out.policy_bytes.resize(out.policy.size());
  ByteWriter pw(MutableByteSpan(out.policy_bytes.data(), out.policy_bytes.size()));
  auto n = encode_policy(pw, out.policy);
  if (!n.ok()) return fail(n.error(), "policy");
  return out;
}

Expected<PolicyFile> read_policy_file(const std::string& path, bool allow_trailing) {
  auto data = read_file(path, 64 * 1024);
  if (!data.ok()) return data.failure();
  auto p = decode_policy(ByteSpan(data->data(), data->size()), allow_trailing);
  if (!p.ok()) return fail(p.error(), path);
  PolicyFile f;
  f.path = path;
  f.bytes = std::move(*data);
  f.policy = *p;
  return f;
}

Expected<PolicyDataFile> policy_data_from_bytes(Bytes bytes, const std::string& name) {
  PolicyDataFile f;
  f.path = name;
  f.bytes = std::move(bytes);
  auto d = decode_policy_data(ByteSpan(f.bytes.data(), f.bytes.size()));
  if (!d.ok()) {
    std::string where = name;
    if (d.error().item >= 0) where += ": list " + std::to_string(d.error().item);
    Error e = d.error();
    e.item = -1;  // named in `where`
    return fail(e, where);
  }
  f.view = *d;
  return f;
}

Expected<PolicyDataFile> read_policy_data_file(const std::string& path) {
  auto data = read_file(path, kMaxLists * (kMaxListSize + 1024) + kPolicyDataHeaderSize);
  if (!data.ok()) return data.failure();
  return policy_data_from_bytes(std::move(*data), path);
}

tlaunch::host::HostStatus verify_data_lists(const PolicyDataFile& d) {
  for (uint8_t i = 0; i < d.view.num_lists; ++i) {
    auto v = verify_list(d.view.lists[i]);
    const std::string where = d.path + ": list " + std::to_string(i);
    if (!v.ok()) return fail(v.failure().code, where + ": " + v.failure().message);
    if (!v->valid)
      return fail(Errc::kVerifyFailed,
                  where + ": the list's signature does not verify: " + v->reason);
  }
  return host_ok();
}

Expected<Digest> data_policy_hash(const PolicyDataView& d, uint16_t hash_alg) {
  if (policy_hash_size(hash_alg) == 0)
    return fail(Errc::kUnsupported, "unsupported policy hash algorithm");
  tlaunch::host::OpenSslHasher h;
  auto ph = policy_hash(h, static_cast<HashAlg>(hash_alg), d);
  if (!ph.ok()) return fail(ph.error(), "PolicyHash");
  if (ph->size != policy_hash_size(hash_alg))
    return fail(Errc::kUnsupported, "hash algorithm not supported by this OpenSSL");
  return *ph;
}

Expected<bool> data_matches_policy(const PolicyDataView& d, const Policy& p) {
  if (p.policy_type != kPolicyTypeList) return false;
  auto ph = data_policy_hash(d, p.hash_alg);
  if (!ph.ok()) return ph.failure();
  return equal_bytes(ph->bytes, p.policy_hash, ph->size);
}

}  // namespace tlaunch::lcp::host
