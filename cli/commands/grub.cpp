// tlaunch grub SPEC [-o FILE] [--json]: the grub.cfg menu entries of a launch spec
// (tlaunch/spec/grub_cfg.h), on stdout or written atomically to FILE. /etc/grub.d/20_linux_tlaunch
// calls it. --json (schemas/grub.v1.schema.json) describes the entries as GRUB will execute them:
// the text is read back with the parser `tlaunch doctor` uses, so every command line in the JSON
// is the one GRUB hands over, not the one the spec asked for.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "spec_common.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/spec/grub_cfg.h"

namespace tlaunch::cli {

namespace {

struct GrubOptions {
  std::string spec;
  spec::RunningKernelOption running;
  std::string output;
  bool json = false;
};

nlohmann::json load_json(const host::spec::GrubLoad& l) {
  nlohmann::json j = {{"line", l.line}, {"file", l.path}, {"cmdline", l.cmdline}};
  if (l.command == "module2") j["nounzip"] = l.nounzip;
  return j;
}

// The entries of `cfg` as GRUB's parser reads them (host::spec::parse_grub_cfg).
host::Expected<nlohmann::json> grub_json(const GrubOptions& o, const std::string& cfg) {
  auto entries = host::spec::parse_grub_cfg(cfg, o.output.empty() ? "grub.cfg" : o.output);
  if (!entries) return entries.failure();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : *entries) {
    nlohmann::json mods = nlohmann::json::array();
    for (const auto& m : e.modules) mods.push_back(load_json(m));
    nlohmann::json je = {
        {"line", e.line}, {"title", e.title}, {"submenus", e.submenus}, {"modules", mods}};
    if (e.multiboot2) je["launcher"] = load_json(*e.multiboot2);
    list.push_back(je);
  }
  nlohmann::json j = {
      {"$schema", "https://tlaunch.invalid/schemas/grub.v1.schema.json"},
      {"version", 1},
      {"spec", o.spec},
      {"output", o.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.output)},
      {"entries", list}};
  if (o.output.empty()) j["grub_cfg"] = cfg;
  return j;
}

int run_grub(const GrubOptions& o) {
  auto spec = spec::load(o.spec, o.running.facts());
  if (!spec) return report(spec.failure());
  auto cfg = host::spec::build_grub_cfg(*spec);
  if (!cfg) return report(cfg.failure());
  nlohmann::json doc;
  if (o.json) {
    auto j = grub_json(o, *cfg);
    if (!j) return report(j.failure());
    doc = std::move(*j);
  }
  if (!o.output.empty()) {
    auto w = host::write_file_atomic(o.output, reinterpret_cast<const uint8_t*>(cfg->data()),
                                     cfg->size());
    if (!w) return report(w.failure());
  }
  if (o.json)
    std::printf("%s\n", doc.dump(2).c_str());
  else if (o.output.empty())
    std::fwrite(cfg->data(), 1, cfg->size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitIo;
}

}  // namespace

void setup_grub(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<GrubOptions>();
  auto* sub = parent.add_subcommand("grub", "Print the grub.cfg menu entries of a launch spec");
  sub->add_option("SPEC", o->spec, "Launch spec (schemas/launch-spec.v1.schema.json)")->required();
  o->running.add_to(sub);
  sub->add_option("-o,--output", o->output, "Write to FILE (atomically) instead of stdout");
  sub->add_flag("--json", o->json,
                "Describe the entries as GRUB reads them (schemas/grub.v1.schema.json)");
  on_run(sub, inv, [o]() { return run_grub(*o); });
}

}  // namespace tlaunch::cli
