// tlaunch nv undefine NAME|HANDLE: NV_UndefineSpace (owner/platform) or
// NV_UndefineSpaceSpecial (policydelete indices).
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {
struct UndefineOptions {
  nv::CommonOptions common;
  std::string index;
};

int run_undefine(const UndefineOptions& o) {
  using namespace tpmnv;
  host::Expected<Target> target = resolve_target(o.index, nv::handle_set(o.common));
  if (!target) return nv::fail(target.failure());
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<NvPublic> pub = require_index(**dev, *target);
  if (!pub) return nv::fail(pub.failure());
  host::HostStatus st = (*dev)->undefine(*pub);
  if (!st) return nv::fail(st.failure());
  if (o.common.json) {
    nv::print_json("nv-undefine", {{"action", "undefined"},
                                   {"index", nv::target_json(*target)},
                                   {"was", nv::public_json(*pub)}});
  } else {
    std::printf("undefined %s (%u bytes, %s)\n", target->label().c_str(),
                static_cast<unsigned>(pub->size), attributes_to_string(pub->attributes).c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_undefine(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<UndefineOptions>();
  auto* sub = parent.add_subcommand("undefine", "Delete an NV index");
  sub->add_option("index", o->index, "Catalogue name or hex handle")->required();
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_undefine(*o); });
}

}  // namespace tlaunch::cli
