// tlaunch nv list: every NV index the TPM has, with the catalogue name where one applies.
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::cli {

namespace {
int run_list(const nv::CommonOptions& o) {
  using namespace tpmnv;
  auto dev = nv::open_device(o);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<std::vector<uint32_t>> handles = (*dev)->list_indices();
  if (!handles) return nv::fail(handles.failure());
  nlohmann::json j;
  j["indices"] = nlohmann::json::array();
  if (!o.json)
    std::printf("%-10s %-6s %-6s %5s  %s\n", "HANDLE", "NAME", "SET", "SIZE", "ATTRIBUTES");
  for (uint32_t h : *handles) {
    host::Expected<std::optional<NvPublic>> pub = (*dev)->read_public(h);
    if (!pub) return nv::fail(pub.failure());
    if (!pub->has_value()) continue;  // undefined meanwhile
    HandleSet set = HandleSet::kTcg;
    const IndexSpec* spec = find_index_spec(h, &set);
    if (o.json) {
      nlohmann::json e = nv::public_json(**pub);
      e["name"] = spec ? nlohmann::json(spec->name) : nlohmann::json(nullptr);
      e["handle_set"] = spec ? nlohmann::json(handle_set_name(set)) : nlohmann::json(nullptr);
      j["indices"].push_back(e);
    } else {
      std::printf("%-10s %-6s %-6s %5u  %s%s\n", format_handle(h).c_str(), spec ? spec->name : "-",
                  spec ? handle_set_name(set) : "-", static_cast<unsigned>((*pub)->size),
                  attributes_to_string((*pub)->attributes).c_str(),
                  ((*pub)->attributes & attr::kWritten) ? "" : "  (never written)");
    }
  }
  if (o.json) nv::print_json("nv-list", j);
  return kExitOk;
}
}  // namespace

void setup_nv_list(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<nv::CommonOptions>();
  auto* sub = parent.add_subcommand("list", "List every NV index of the TPM");
  nv::add_common_options(sub, *o);
  on_run(sub, inv, [o]() { return run_list(*o); });
}

}  // namespace tlaunch::cli
