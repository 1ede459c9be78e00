#include "nv_common.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::cli::nv {

void add_common_options(CLI::App* sub, CommonOptions& o) {
  sub->add_option("--tcti", o.tcti,
                  "TCTI configuration (default: $TPM2TOOLS_TCTI, $TCTI, device:/dev/tpmrm0)");
  sub->add_option("--auth", o.auth,
                  "Hierarchy authorization (owner; platform for platform indices): "
                  "file:PATH, env:NAME, hex:HEX, str:TEXT or prompt (default: empty)");
  sub->add_option("--platform-auth", o.platform_auth,
                  "Platform authorization when it differs from --auth (same forms)");
  sub->add_option("--index-auth", o.index_auth, "The index's own password (same forms)");
  sub->add_option("--handle-set", o.handle_set,
                  "Handles for catalogue names: tcg (0x01C101xx) or legacy")
      ->check(CLI::IsMember({"tcg", "legacy"}));
  sub->add_flag("--json", o.json, "Machine-readable output on stdout");
}

tpmnv::HandleSet handle_set(const CommonOptions& o) {
  return o.handle_set == "legacy" ? tpmnv::HandleSet::kLegacy : tpmnv::HandleSet::kTcg;
}

host::Expected<std::unique_ptr<tpmnv::EsysDevice>> open_device(const CommonOptions& o) {
  tpmnv::Auths auths;
  struct Spec {
    const std::string* spec;
    const char* what;
    tpmnv::Secret* out;
  };
  const std::string& platform_spec = o.platform_auth.empty() ? o.auth : o.platform_auth;
  Spec specs[] = {{&o.auth, "owner authorization (--auth)", &auths.owner},
                  {&platform_spec, "platform authorization", &auths.platform},
                  {&o.index_auth, "index password (--index-auth)", &auths.index}};
  for (const Spec& s : specs) {
    if (s.spec->empty()) continue;
    if (s.out == &auths.platform && o.platform_auth.empty()) {
      // Same spec as --auth: reuse the value instead of reading (or prompting) twice.
      auths.platform = tpmnv::Secret(auths.owner.data(), auths.owner.size());
      continue;
    }
    tpmnv::AuthSource src;
    host::Expected<tpmnv::Secret> secret = tpmnv::read_secret(*s.spec, s.what, &src);
    if (!secret) return secret.failure();
    if (src.visible_in_ps)
      std::fprintf(stderr,
                   "tlaunch: warning: the %s given on the command line is visible to other users "
                   "in the process list; prefer file:, env: or prompt\n",
                   s.what);
    *s.out = std::move(*secret);
  }
  std::string origin;
  std::string conf = tpmnv::choose_tcti(o.tcti, &origin);
  return tpmnv::EsysDevice::open(conf, std::move(auths));
}

int fail(const host::Failure& f) {
  std::fprintf(stderr, "tlaunch: error: %s\n", f.message.c_str());
  return exit_code_for(f.code);
}

void print_json(const char* schema, nlohmann::json j) {
  j["$schema"] = std::string("https://tlaunch.invalid/schemas/") + schema + ".v1.schema.json";
  std::printf("%s\n", j.dump(2).c_str());
}

host::Expected<uint32_t> parse_number(const std::string& text, const char* option, uint32_t max) {
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (text.empty() || text[0] == '-' || errno != 0 || *end != '\0' || v > max)
    return host::fail(Errc::kUsage, std::string(option) + " '" + text + "': expected a number 0.." +
                                        std::to_string(max));
  return static_cast<uint32_t>(v);
}

nlohmann::json target_json(const tpmnv::Target& t) {
  return {{"handle", tpmnv::format_handle(t.handle)},
          {"name", t.spec ? nlohmann::json(t.spec->name) : nlohmann::json(nullptr)}};
}

nlohmann::json public_json(const tpmnv::NvPublic& pub) {
  return {{"handle", tpmnv::format_handle(pub.handle)},
          {"attributes", tpmnv::attributes_to_string(pub.attributes)},
          {"attributes_hex", tpmnv::format_handle(pub.attributes)},
          {"size", pub.size},
          {"written", (pub.attributes & tpmnv::attr::kWritten) != 0},
          {"auth_policy", host::hex(tpmnv::policy_bytes(pub))}};
}

nlohmann::json definition_json(const tpmnv::NvDefinition& def) {
  return {{"handle", tpmnv::format_handle(def.handle)},
          {"hierarchy", tpmnv::hierarchy_name(def.hierarchy)},
          {"attributes", tpmnv::attributes_to_string(def.attributes)},
          {"attributes_hex", tpmnv::format_handle(def.attributes)},
          {"size", def.size},
          {"auth_policy", host::hex(def.auth_policy)}};
}

std::string definition_text(const tpmnv::NvDefinition& def) {
  return std::to_string(def.size) + " bytes, " + tpmnv::attributes_to_string(def.attributes) +
         " (" + tpmnv::format_handle(def.attributes) + "), " +
         tpmnv::hierarchy_name(def.hierarchy) + " hierarchy";
}

void print_step(const tpmnv::ProvisionPlan& plan, const tpmnv::Step& s) {
  using namespace tpmnv;
  const PlanEntry& e = plan.entries[s.entry];
  std::printf("  %-9s %-18s %s\n", action_name(s.action), e.target.label().c_str(),
              s.reason.c_str());
  if (s.action == Action::kCreate || s.action == Action::kReplace || s.action == Action::kConflict)
    std::printf("            define %s\n", definition_text(s.want).c_str());
  if (e.content && s.action != Action::kUnchanged && s.action != Action::kConflict)
    std::printf("            write %zu bytes (%s)\n", e.content->size(), e.content_source.c_str());
  if (!s.note.empty()) std::printf("            note: %s\n", s.note.c_str());
}

}  // namespace tlaunch::cli::nv
