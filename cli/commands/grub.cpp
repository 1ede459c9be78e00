// tlaunch grub SPEC [-o FILE]: the grub.cfg menu entries of a launch spec
// (tlaunch/spec/grub_cfg.h), on stdout or written atomically to FILE. /etc/grub.d/20_linux_tlaunch
// calls it.
#include <cstdio>

#include "spec_common.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::cli {

namespace {

struct GrubOptions {
  std::string spec;
  spec::RunningKernelOption running;
  std::string output;
};

int run_grub(const GrubOptions& o) {
  auto spec = spec::load(o.spec, o.running.facts());
  if (!spec) return report(spec.failure());
  auto cfg = host::spec::build_grub_cfg(*spec);
  if (!cfg) return report(cfg.failure());
  if (o.output.empty()) {
    std::fwrite(cfg->data(), 1, cfg->size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitIo;
  }
  auto w =
      host::write_file_atomic(o.output, reinterpret_cast<const uint8_t*>(cfg->data()), cfg->size());
  if (!w) return report(w.failure());
  return kExitOk;
}

}  // namespace

void setup_grub(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<GrubOptions>();
  auto* sub = parent.add_subcommand("grub", "Print the grub.cfg menu entries of a launch spec");
  sub->add_option("SPEC", o->spec, "Launch spec (schemas/launch-spec.v1.schema.json)")->required();
  o->running.add_to(sub);
  sub->add_option("-o,--output", o->output, "Write to FILE (atomically) instead of stdout");
  on_run(sub, inv, [o]() { return run_grub(*o); });
}

}  // namespace tlaunch::cli
