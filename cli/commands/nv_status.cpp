// tlaunch nv status: every catalogue index present in the TPM (both handle sets), its
// definition checked against what the launcher requires, and its content decoded through
// libpolicy (VLP, LCP policy, tboot error code).
#include <algorithm>
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/content.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {
int run_status(const nv::CommonOptions& o) {
  using namespace tpmnv;
  auto dev = nv::open_device(o);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<TpmLimits> limits = (*dev)->limits();
  if (!limits) return nv::fail(limits.failure());
  host::Expected<TpmState> state = (*dev)->state();
  if (!state) return nv::fail(state.failure());
  host::Expected<std::vector<uint32_t>> handles = (*dev)->list_indices();
  if (!handles) return nv::fail(handles.failure());

  nlohmann::json j;
  j["tpm"] = {{"nv_index_max", limits->nv_index_max},
              {"nv_buffer_max", limits->nv_buffer_max},
              {"owner_hierarchy", state->owner_hierarchy},
              {"platform_hierarchy", state->platform_hierarchy},
              {"platform_nv", state->platform_nv},
              {"owner_auth_set", state->owner_auth_set},
              {"in_lockout", state->in_lockout},
              {"lockout_counter", state->lockout_counter},
              {"max_auth_fail", state->max_auth_fail}};
  j["indices"] = nlohmann::json::array();
  j["absent"] = nlohmann::json::array();
  if (!o.json) {
    std::printf(
        "TPM: NV_INDEX_MAX %u, NV_BUFFER_MAX %u; owner hierarchy %s, platform hierarchy "
        "%s; dictionary attack: %u of %u failures%s\n",
        limits->nv_index_max, limits->nv_buffer_max,
        state->owner_hierarchy ? "enabled" : "DISABLED",
        state->platform_hierarchy ? "enabled" : "disabled", state->lockout_counter,
        state->max_auth_fail, state->in_lockout ? ", IN LOCKOUT" : "");
  }
  std::vector<std::string> absent;
  size_t n = 0;
  const IndexSpec* cat = catalogue(&n);
  for (HandleSet set : {HandleSet::kTcg, HandleSet::kLegacy}) {
    for (size_t i = 0; i < n; ++i) {
      Target t;
      t.spec = &cat[i];
      t.handle = handle_of(cat[i], set);
      std::string set_label = std::string(cat[i].name) + " (" + handle_set_name(set) + ")";
      if (std::find(handles->begin(), handles->end(), t.handle) == handles->end()) {
        absent.push_back(set_label);
        j["absent"].push_back({{"name", cat[i].name},
                               {"handle", format_handle(t.handle)},
                               {"handle_set", handle_set_name(set)}});
        continue;
      }
      host::Expected<std::optional<NvPublic>> pub = (*dev)->read_public(t.handle);
      if (!pub) return nv::fail(pub.failure());
      if (!pub->has_value()) continue;
      const NvPublic& p = **pub;
      std::vector<std::string> problems = check_definition(t.spec, definition_of(p), false);
      nlohmann::json e = nv::public_json(p);
      e["name"] = cat[i].name;
      e["handle_set"] = handle_set_name(set);
      e["launcher_problems"] = problems;
      std::string content_error;
      ContentView view;
      bool have_content = false;
      if (p.attributes & attr::kWritten) {
        host::Expected<Bytes> data = read_index(**dev, t, p, 0, std::nullopt);
        if (data) {
          view = describe_content(cat[i].content, *data, t.label());
          have_content = true;
        } else {
          content_error = data.failure().message;
        }
      }
      if (have_content)
        e["content"] = view.json;
      else
        e["content"] = nullptr;
      if (!content_error.empty()) e["content_error"] = content_error;
      j["indices"].push_back(e);
      if (!o.json) {
        std::printf("\n%s %s (%s): %u bytes, %s (%s)%s\n", format_handle(t.handle).c_str(),
                    cat[i].name, handle_set_name(set), static_cast<unsigned>(p.size),
                    attributes_to_string(p.attributes).c_str(), format_handle(p.attributes).c_str(),
                    (p.attributes & attr::kWritten) ? "" : ", never written");
        if (problems.empty()) {
          std::printf("  definition: as %s requires\n", cat[i].readers);
        } else {
          for (const std::string& pr : problems) std::printf("  PROBLEM: %s\n", pr.c_str());
        }
        if (have_content) std::printf("%s", view.text.c_str());
        if (!content_error.empty())
          std::printf("  content not readable: %s\n", content_error.c_str());
      }
    }
  }
  if (o.json) {
    nv::print_json("nv-status", j);
  } else {
    std::string list;
    for (const std::string& a : absent) list += (list.empty() ? "" : ", ") + a;
    std::printf("\nnot defined: %s\n", list.empty() ? "(none)" : list.c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_status(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<nv::CommonOptions>();
  auto* sub = parent.add_subcommand(
      "status", "Show the TXT/tboot indices present, their definition and decoded content");
  nv::add_common_options(sub, *o);
  on_run(sub, inv, [o]() { return run_status(*o); });
}

}  // namespace tlaunch::cli
