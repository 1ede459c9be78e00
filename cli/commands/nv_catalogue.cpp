// tlaunch nv catalogue: the TXT/tboot NV indices this tool knows (tpmnv/catalogue.h), as data.
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::cli {

void setup_nv_catalogue(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand(
      "catalogue", "List the Intel TXT / tboot NV indices: handles, content, size, attributes");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Machine-readable output (schemas/nv-catalogue.v1.schema.json)");
  on_run(sub, inv, [json]() {
    using namespace tpmnv;
    size_t n = 0;
    const IndexSpec* cat = catalogue(&n);
    if (*json) {
      nlohmann::json j;
      j["indices"] = nlohmann::json::array();
      for (size_t i = 0; i < n; ++i) {
        const IndexSpec& s = cat[i];
        j["indices"].push_back({
            {"name", s.name},
            {"title", s.title},
            {"purpose", s.purpose},
            {"content", content_kind_name(s.content)},
            {"handles",
             {{"tcg", format_handle(s.tcg_handle)}, {"legacy", format_handle(s.legacy_handle)}}},
            {"hierarchy", hierarchy_name(s.hierarchy)},
            {"attributes", attributes_to_string(s.attributes)},
            {"attributes_hex", format_handle(s.attributes)},
            {"required_set", attributes_to_string(s.must_set)},
            {"required_clear", attributes_to_string(s.must_clear & ~attr::kNtMask)},
            {"ordinary_only", (s.must_clear & attr::kNtMask) != 0},
            {"exact_attributes", s.exact},
            {"min_size", s.min_size},
            {"default_size", s.default_size},
            {"empty_index_password", s.empty_auth},
            {"auth_policy", s.policy == AuthPolicyKind::kIntelAux
                                ? host::hex(intel_aux_auth_policy())
                            : s.policy == AuthPolicyKind::kPlatformSecret
                                ? host::hex(platform_secret_policy().auth_policy)
                                : std::string()},
            {"readers", s.readers},
            {"source", s.source},
        });
      }
      nv::print_json("nv-catalogue", j);
      return kExitOk;
    }
    std::printf("%-6s %-10s %-10s %-9s %5s  %-11s %s\n", "NAME", "TCG", "LEGACY", "HIERARCHY",
                "SIZE", "ATTRIBUTES", "CONTENT");
    for (size_t i = 0; i < n; ++i) {
      const IndexSpec& s = cat[i];
      std::printf("%-6s %-10s %-10s %-9s %5u  %-11s %s\n", s.name,
                  format_handle(s.tcg_handle).c_str(), format_handle(s.legacy_handle).c_str(),
                  hierarchy_name(s.hierarchy), static_cast<unsigned>(s.default_size),
                  format_handle(s.attributes).c_str(), s.title);
    }
    std::printf("\n");
    for (size_t i = 0; i < n; ++i) {
      const IndexSpec& s = cat[i];
      std::printf("%s: %s\n", s.name, s.purpose);
      std::printf("  attributes  %s\n", attributes_to_string(s.attributes).c_str());
      if (s.exact)
        std::printf("  required    exactly these attributes (%s compares the whole word)\n",
                    s.readers);
      if (s.must_set)
        std::printf("  required    %s set\n", attributes_to_string(s.must_set).c_str());
      if (s.must_clear & ~attr::kNtMask)
        std::printf("  forbidden   %s\n",
                    attributes_to_string(s.must_clear & ~attr::kNtMask).c_str());
      if (s.must_clear & attr::kNtMask) std::printf("  type        ordinary (nt=ordinary)\n");
      std::printf("  size        >= %u bytes%s\n", static_cast<unsigned>(s.min_size),
                  s.content == ContentKind::kVlp
                      ? " (default 2124, the largest VLP, capped by TPM_PT_NV_INDEX_MAX)"
                      : "");
      if (s.empty_auth) std::printf("  password    empty (%s uses no index password)\n", s.readers);
      if (s.policy == AuthPolicyKind::kIntelAux)
        std::printf("  authPolicy  %s (Intel)\n", host::hex(intel_aux_auth_policy()).c_str());
      if (s.policy == AuthPolicyKind::kPlatformSecret)
        std::printf("  authPolicy  %s (platform secret: write or delete)\n",
                    host::hex(platform_secret_policy().auth_policy).c_str());
      std::printf("  source      %s\n", s.source);
    }
    return kExitOk;
  });
}

}  // namespace tlaunch::cli
