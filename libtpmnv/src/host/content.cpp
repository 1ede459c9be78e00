#include "tlaunch/tpmnv/content.h"

#include <algorithm>
#include <cstdio>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "tlaunch/policy/lcp_policy.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::tpmnv {
namespace {

std::string indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += "  " + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string hex_preview(const Bytes& data, size_t max) {
  std::string h = host::hex(data.data(), std::min(max, data.size()));
  if (data.size() > max) h += "...";
  return h;
}

ContentView raw_view(const char* kind, const Bytes& data, const std::string& why) {
  ContentView v;
  v.json = {{"kind", kind}, {"valid", false}, {"hex", host::hex(data)}};
  if (!why.empty()) v.json["error"] = why;
  v.text = (why.empty() ? std::string() : "  " + why + "\n") + "  " + hex_preview(data, 64) + "\n";
  return v;
}

ContentView vlp_view(const Bytes& data, const std::string& label) {
  // tboot reads at most MAX_TB_POLICY_SIZE bytes and ignores the rest (docs/reference/vlp.md §4;
  // docs/reference/nv.md §4.4).
  size_t n = std::min<size_t>(data.size(), vlp::kMaxPolicySize);
  Result<vlp::Policy> p = vlp::decode(ByteSpan(data.data(), n));
  if (!p.ok()) return raw_view("vlp", data, host::describe(p.error(), "not a valid VLP"));
  ContentView v;
  v.valid = true;
  v.text = indent(host::vlp_human_text(*p, label, data.size()));
  v.json = {{"kind", "vlp"}, {"valid", true}, {"policy", host::vlp_json(*p, label, data.size())}};
  return v;
}

ContentView lcp_view(const Bytes& data) {
  // An LCP_POLICY_2 from a larger index: trailing bytes allowed (docs/reference/lcp.md §3).
  Result<lcp::Policy> r = lcp::decode_policy(ByteSpan(data.data(), data.size()), true);
  if (!r.ok())
    return raw_view("lcp-policy", data, host::describe(r.error(), "not a valid LCP_POLICY_2"));
  const lcp::Policy& p = *r;
  const HashAlgInfo* alg = find_hash_alg(p.hash_alg);
  const char* type = p.policy_type == lcp::kPolicyTypeAny    ? "any"
                     : p.policy_type == lcp::kPolicyTypeList ? "list"
                                                             : "unknown";
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "  LCP_POLICY_2 version %u.%u, type %s, hash %s, SINIT min version %u, "
                "control 0x%08x\n",
                p.version >> 8, p.version & 0xFF, type, alg ? alg->name : "unknown",
                p.sinit_min_version, p.policy_control);
  ContentView v;
  v.valid = true;
  v.text = buf;
  std::string hash = host::hex(p.hash().data, p.hash().size);
  v.text += "  policy hash " + hash + "\n";
  char ver[16];
  std::snprintf(ver, sizeof(ver), "0x%04x", p.version);
  v.json = {{"kind", "lcp-policy"},
            {"valid", true},
            {"version", ver},
            {"policy_type", type},
            {"hash_alg", alg ? alg->name : "unknown"},
            {"sinit_min_version", p.sinit_min_version},
            {"policy_control", p.policy_control},
            {"policy_hash", hash},
            {"size", p.size()}};
  return v;
}

}  // namespace

ContentView describe_content(ContentKind kind, const Bytes& data, const std::string& label) {
  switch (kind) {
    case ContentKind::kVlp:
      return vlp_view(data, label);
    case ContentKind::kLcpPolicy:
      return lcp_view(data);
    case ContentKind::kTbError: {
      if (data.size() < 4) return raw_view("tb-error", data, "shorter than the 4-byte error code");
      // u32 little-endian at offset 0 (docs/reference/vlp.md §7.1, tboot common/tb_error.c).
      uint32_t code = data[0] | data[1] << 8 | data[2] << 16 | static_cast<uint32_t>(data[3]) << 24;
      const char* name = vlp::tb_error_name(code);
      ContentView v;
      v.valid = name != nullptr;
      v.text =
          "  error " + std::to_string(code) + " " + (name ? name : "(unknown tboot error)") + "\n";
      v.json = {{"kind", "tb-error"},
                {"valid", v.valid},
                {"code", code},
                {"name", name ? nlohmann::json(name) : nlohmann::json(nullptr)}};
      return v;
    }
    case ContentKind::kSgxSvn: {
      if (data.empty()) return raw_view("sgx-svn", data, "empty");
      ContentView v;
      v.valid = true;
      v.text = "  SE SVN " + std::to_string(data[0]) + "\n";
      v.json = {{"kind", "sgx-svn"}, {"valid", true}, {"svn", data[0]}};
      return v;
    }
    case ContentKind::kAux:
      return raw_view("aux", data, "");
    case ContentKind::kRaw:
      return raw_view("raw", data, "");
  }
  return raw_view("raw", data, "");
}

}  // namespace tlaunch::tpmnv
