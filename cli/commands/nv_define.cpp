// tlaunch nv define NAME|HANDLE: NV_DefineSpace with the catalogue's definition (or the given
// size/attributes), refusing definitions a launcher would reject unless --force.
#include <cctype>
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::cli {

namespace {
struct DefineOptions {
  nv::CommonOptions common;
  std::string index;
  std::string size;
  std::string attributes;
  std::string hierarchy;
  std::string policy;
  bool force = false;
};

bool parse_hex_digest(const std::string& text, tpmnv::Bytes* out) {
  std::string h = text.rfind("0x", 0) == 0 ? text.substr(2) : text;
  if (h.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    unsigned v = 0;
    if (std::sscanf(h.substr(i, 2).c_str(), "%2x", &v) != 1 || !isxdigit(h[i]) ||
        !isxdigit(h[i + 1]))
      return false;
    out->push_back(static_cast<uint8_t>(v));
  }
  return true;
}

int run_define(const DefineOptions& o) {
  using namespace tpmnv;
  host::Expected<Target> target = resolve_target(o.index, nv::handle_set(o.common));
  if (!target) return nv::fail(target.failure());
  std::optional<uint16_t> size;
  if (!o.size.empty()) {
    auto n = parse_number_option(o.size, "--size", 0xFFFF);
    if (!n) return nv::fail(n.failure());
    size = static_cast<uint16_t>(*n);
  }
  std::optional<uint32_t> attributes;
  if (!o.attributes.empty()) {
    host::Expected<uint32_t> a = parse_attributes(o.attributes);
    if (!a) return nv::fail(a.failure());
    attributes = *a;
  }
  std::optional<Hierarchy> hierarchy;
  if (o.hierarchy == "owner" || o.hierarchy == "o") hierarchy = Hierarchy::kOwner;
  if (o.hierarchy == "platform" || o.hierarchy == "p") hierarchy = Hierarchy::kPlatform;
  std::optional<Bytes> policy;
  if (!o.policy.empty()) {
    Bytes b;
    if (!parse_hex_digest(o.policy, &b))
      return nv::fail(host::fail(Errc::kUsage, "--policy: expected a hex digest"));
    policy = b;
  }
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<TpmLimits> limits = (*dev)->limits();
  if (!limits) return nv::fail(limits.failure());
  std::string note;
  host::Expected<NvDefinition> def =
      make_definition(*target, size, attributes, hierarchy, policy, limits->nv_index_max, &note);
  if (!def) return nv::fail(def.failure());
  std::vector<std::string> problems =
      o.force ? check_tpm_rules(*def)
              : check_definition(target->spec, *def, !o.common.index_auth.empty());
  if (!problems.empty()) {
    std::string msg =
        "refusing to define " + target->label() + " as " + nv::definition_text(*def) + ":";
    for (const std::string& p : problems) msg += "\n  - " + p;
    if (!o.force && target->spec) msg += "\n  (--force defines it anyway)";
    return nv::fail(host::fail(Errc::kUsage, msg));
  }
  if (limits->nv_index_max && def->size > limits->nv_index_max)
    return nv::fail(host::fail(Errc::kTooLarge, "size " + std::to_string(def->size) + " of " +
                                                    target->label() +
                                                    " exceeds this TPM's TPM_PT_NV_INDEX_MAX (" +
                                                    std::to_string(limits->nv_index_max) + ")"));
  if (!note.empty()) std::fprintf(stderr, "tlaunch: note: %s\n", note.c_str());
  host::Expected<std::optional<NvPublic>> cur = (*dev)->read_public(target->handle);
  if (!cur) return nv::fail(cur.failure());
  std::string action = "defined";
  if (cur->has_value()) {
    const NvPublic& have = **cur;
    std::string diff =
        compare_definition(*def, have.attributes, have.size, tpmnv::policy_bytes(have));
    if (!diff.empty())
      return nv::fail(host::fail(
          Errc::kConflict, "NV index " + target->label() + " is already defined differently: " +
                               diff + "\n  hint: `tlaunch nv undefine " + o.index +
                               "` first, or use `tlaunch nv provision --replace`"));
    action = "unchanged";
  } else {
    host::HostStatus st = (*dev)->define(*def);
    if (!st) return nv::fail(st.failure());
  }
  if (o.common.json) {
    nlohmann::json j = {{"action", action},
                        {"index", nv::target_json(*target)},
                        {"definition", nv::definition_json(*def)}};
    if (!note.empty()) j["note"] = note;
    nv::print_json("nv-define", j);
  } else if (action == "defined") {
    std::printf("defined %s: %s\n", target->label().c_str(), nv::definition_text(*def).c_str());
  } else {
    std::printf("%s is already defined as requested (%s)\n", target->label().c_str(),
                nv::definition_text(*def).c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_define(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<DefineOptions>();
  auto* sub = parent.add_subcommand("define", "Define an NV index (catalogue name or raw handle)");
  sub->add_option("index", o->index, "Catalogue name (vlp, error, po, ps, aux, sgx) or hex handle")
      ->required();
  sub->add_option("--size", o->size, "Data size in bytes (catalogue default otherwise)");
  sub->add_option("--attributes", o->attributes,
                  "TPMA_NV as tpm2-tools names ('ownerwrite|authread|no_da') or hex");
  sub->add_option("--hierarchy", o->hierarchy, "owner or platform (default: from the catalogue)")
      ->check(CLI::IsMember({"owner", "platform", "o", "p"}));
  sub->add_option("--policy", o->policy, "authPolicy digest (hex, SHA-256)");
  sub->add_flag("--force", o->force, "Define even if a launcher would refuse the index");
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_define(*o); });
}

}  // namespace tlaunch::cli
