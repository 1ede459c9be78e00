// tlaunch build SPEC [-o DIR] [--check]: everything a launch spec implies (VLP, grub.cfg, NV plan,
// reference manifest; tlaunch/spec/build.h), written to DIR, or with --check compared with
// DIR for CI (exit 1 and the names of the files that drifted).
#include <cstdio>

#include "spec_common.h"

namespace tlaunch::cli {

namespace {

struct BuildOptions {
  std::string spec;
  spec::RunningKernelOption running;
  std::string dir = "tlaunch-out";
  bool check = false;
};

int run_build(const BuildOptions& o) {
  auto built = spec::load_and_build(o.spec, o.running.facts());
  if (!built) return report(built.failure());
  if (!built->pending.empty()) {
    // A list waits for a detached signature: the only outputs are the bytes to sign (unless
    // --check, which writes nothing).
    if (!o.check) {
      auto st = spec::compare_dir(o.dir, *built);
      if (!st) return report(st.failure());
      auto w = spec::write_dir(o.dir, *built, *st);
      if (!w) return report(w.failure());
      for (const auto& f : built->files)
        std::printf("to sign   %s/%s (%zu bytes)\n", o.dir.c_str(), f.name.c_str(), f.data.size());
    }
    return report(host::fail(Errc::kBadValue, host::spec::format_issues(built->pending, o.spec) +
                                                  "\n(nothing but the bytes to sign was written)"));
  }
  auto status = spec::compare_dir(o.dir, *built);
  if (!status) return report(status.failure());
  size_t changed = 0;
  for (const auto& s : *status) changed += s.state != spec::FileState::kUnchanged;

  if (o.check) {
    for (const auto& s : *status) {
      if (s.state == spec::FileState::kUnchanged)
        std::printf("ok       %s\n", s.path.c_str());
      else
        std::printf("%-8s %s: %s\n", s.state == spec::FileState::kCreated ? "missing" : "drift",
                    s.path.c_str(), s.detail.c_str());
    }
    if (changed != 0) {
      std::fprintf(stderr,
                   "tlaunch: %zu of %zu files in %s differ from what %s builds; run "
                   "`tlaunch build %s -o %s` and review the difference\n",
                   changed, status->size(), o.dir.c_str(), o.spec.c_str(), o.spec.c_str(),
                   o.dir.c_str());
      return kExitFailed;
    }
    std::printf("%s is up to date with %s\n", o.dir.c_str(), o.spec.c_str());
    return kExitOk;
  }

  auto w = spec::write_dir(o.dir, *built, *status);
  if (!w) return report(w.failure());
  for (size_t i = 0; i < status->size(); ++i) {
    const auto& s = (*status)[i];
    std::printf("%-9s %s (%zu bytes)\n", spec::file_state_name(s.state), s.path.c_str(),
                built->files[i].data.size());
  }
  const auto& ref = built->reference;
  std::printf("VLP: %zu bytes, %s, %s, %zu entries; %zu boot entries; launcher verdict: %s\n",
              built->vlp.size(), ref["policy"]["type"].get<std::string>().c_str(),
              ref["policy"]["hash_alg"].get<std::string>().c_str(), ref["policy"]["entries"].size(),
              ref["entries"].size(),
              ref["entries"][0]["launch"]["verdict"].get<std::string>().c_str());
  return kExitOk;
}

}  // namespace

void setup_build(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<BuildOptions>();
  auto* sub = parent.add_subcommand(
      "build",
      "Build the VLP, grub.cfg, NV provisioning plan and reference manifest of a launch spec");
  sub->add_option("SPEC", o->spec, "Launch spec (schemas/launch-spec.v1.schema.json)")->required();
  o->running.add_to(sub);
  sub->add_option("-o,--output", o->dir, "Output directory (created if needed)")
      ->capture_default_str();
  sub->add_flag("--check", o->check,
                "Write nothing: compare DIR with what would be built and exit 1 on any difference");
  on_run(sub, inv, [o]() { return run_build(*o); });
}

}  // namespace tlaunch::cli
