// The launch spec's NV indices against libtpmnv's catalogue (the one copy of what a launcher or
// SINIT accepts): the catalogue handle of the chosen set, explicit handles that contradict it,
// attributes and sizes the launcher would refuse.
#include "nv.h"

#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"

namespace tlaunch::host::spec {
namespace {

// One index of the spec against the catalogue: its handle in the chosen set, and whether the
// definition it implies is one the launcher (or SINIT, for the PO index) accepts.
void resolve_index(NvIndexSpec& n, const char* name, tpmnv::HandleSet set, const char* set_name,
                   std::vector<Issue>& issues) {
  const tpmnv::IndexSpec* cat = tpmnv::find_index_spec(name);
  if (cat == nullptr) {
    issues.push_back({n.json_path, std::string("internal: no catalogue row '") + name + "'"});
    return;
  }
  n.handle = tpmnv::handle_of(*cat, set);
  if (n.explicit_handle != 0 && n.explicit_handle != n.handle)
    issues.push_back({pointer_append(n.json_path, "handle"),
                      "is " + tpmnv::format_handle(n.explicit_handle) + " but the " + set_name +
                          " handle set (/nv/handle_set) puts the " + name + " index at " +
                          tpmnv::format_handle(n.handle) + ", the only handle the launcher reads"});
  if (!n.define) return;
  std::optional<uint32_t> attrs;
  if (n.has_attributes) {
    auto a = tpmnv::parse_attributes(n.attributes);
    if (!a) {
      issues.push_back({pointer_append(n.json_path, "attributes"), a.failure().message});
      return;
    }
    attrs = *a;
  }
  std::optional<uint16_t> size;
  if (n.size != 0) size = static_cast<uint16_t>(n.size);
  tpmnv::Target t;
  t.handle = n.handle;
  t.spec = cat;
  std::string note;
  // TPM_PT_NV_INDEX_MAX is unknown offline (0: no cap); `tlaunch apply` checks it on the TPM.
  auto def = tpmnv::make_definition(t, size, attrs, std::nullopt, std::nullopt, 0, &note);
  if (!def) {
    issues.push_back({n.json_path, def.failure().message});
    return;
  }
  for (const std::string& p : tpmnv::check_definition(cat, *def, false)) {
    std::string at = n.has_attributes ? pointer_append(n.json_path, "attributes") : n.json_path;
    if (p.rfind("size ", 0) == 0) at = pointer_append(n.json_path, "size");
    issues.push_back({at, p});
  }
}

}  // namespace

void resolve_nv(LaunchSpec& spec, std::vector<Issue>& issues) {
  const tpmnv::HandleSet set = spec.nv.handle_set;
  const char* set_name = tpmnv::handle_set_name(set);
  resolve_index(spec.nv.vlp, "vlp", set, set_name, issues);
  resolve_index(spec.nv.error, "error", set, set_name, issues);
  resolve_index(spec.nv.po, "po", set, set_name, issues);
}

}  // namespace tlaunch::host::spec
