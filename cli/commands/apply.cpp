// tlaunch apply SPEC [-o DIR] [--dry-run] [--tcti T]: build + provision in one idempotent step.
// The outputs of `tlaunch build` go to DIR (default /var/lib/tlaunch, where `tlaunch doctor`
// looks for the reference manifest) and the NV plan is applied with libtpmnv's plan code
// (tpmnv/plan.h), so a second run finds everything unchanged and writes nothing.
#include <cstdio>
#include <optional>

#include "nv_common.h"
#include "spec_common.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/plan.h"

namespace tlaunch::cli {

namespace {

struct ApplyOptions {
  std::string spec;
  std::string dir = "/var/lib/tlaunch";
  bool dry_run = false;
  bool replace = false;
  nv::CommonOptions common;
};

// The plan `tlaunch build` made, typed, with the contents in memory (in a dry run, or on the
// first run, DIR does not hold them yet); content files are named where apply writes them.
tpmnv::ProvisionPlan plan_for(const host::spec::BuildResult& built, const std::string& dir) {
  tpmnv::ProvisionPlan plan = built.plan;
  plan.path = dir + "/" + host::spec::kPlanFile;
  for (tpmnv::PlanEntry& e : plan.entries)
    if (e.origin == tpmnv::ContentOrigin::kFile)
      e.content_source = "file " + dir + "/" + e.content_file;
  return plan;
}

int run_apply(ApplyOptions& o) {
  using namespace tpmnv;
  auto built = spec::load_and_build(o.spec);
  if (!built) return report(built.failure());
  if (!built->pending.empty())
    return report(host::fail(
        Errc::kBadValue, host::spec::format_issues(built->pending, o.spec) +
                             "\n(run tlaunch build to get the bytes to sign; nothing changed)"));
  auto files = spec::compare_dir(o.dir, *built);
  if (!files) return report(files.failure());
  auto plan = std::make_optional(plan_for(*built, o.dir));

  auto dev = nv::open_device(o.common);
  if (!dev) return report(dev.failure());
  // The launch error index is initialised once. Once it has been written (by an earlier apply or
  // by the launcher recording a launch), apply leaves it alone: rewriting it would erase the
  // record `tlaunch doctor` reports ("last launch error").
  for (PlanEntry& e : plan->entries) {
    if (!e.target.spec || std::string(e.target.spec->name) != "error" || !e.content) continue;
    auto pub = (*dev)->read_public(e.target.handle);
    if (!pub) return report(pub.failure());
    if (*pub && ((*pub)->attributes & attr::kWritten)) e.content.reset();
  }
  auto steps = make_plan(**dev, *plan, o.replace);
  if (!steps) return report(steps.failure());

  size_t file_changes = 0, nv_changes = 0, conflicts = 0;
  std::printf("files in %s:\n", o.dir.c_str());
  for (size_t i = 0; i < files->size(); ++i) {
    const auto& f = (*files)[i];
    file_changes += f.state != spec::FileState::kUnchanged;
    std::printf("  %-9s %s (%zu bytes)%s%s\n", spec::file_state_name(f.state), f.name.c_str(),
                built->files[i].data.size(), f.detail.empty() ? "" : ": ", f.detail.c_str());
  }
  std::printf("NV indices (%s handles):\n", handle_set_name(plan->handle_set));
  for (const Step& s : *steps) {
    const PlanEntry& e = plan->entries[s.entry];
    nv_changes += s.action != Action::kUnchanged;
    conflicts += s.action == Action::kConflict;
    std::printf("  %-9s %-18s %s\n", action_name(s.action), e.target.label().c_str(),
                s.reason.c_str());
    if (s.action == Action::kCreate || s.action == Action::kReplace ||
        s.action == Action::kConflict)
      std::printf("            define %s\n", nv::definition_text(s.want).c_str());
    if (e.content && s.action != Action::kUnchanged && s.action != Action::kConflict)
      std::printf("            write %zu bytes (%s)\n", e.content->size(),
                  e.content_source.c_str());
    if (!s.note.empty()) std::printf("            note: %s\n", s.note.c_str());
  }

  if (conflicts != 0) {
    return report(host::fail(
        Errc::kConflict,
        std::to_string(conflicts) +
            " NV index(es) exist with a definition that differs from the spec (see \"conflict\" "
            "above); nothing was changed, neither files nor NV. `tlaunch apply --replace` "
            "undefines and redefines them (their content is lost)"));
  }
  if (o.dry_run) {
    std::printf("dry run: would write %zu file(s) and change %zu NV index(es); nothing changed\n",
                file_changes, nv_changes);
    return kExitOk;
  }
  if (file_changes == 0 && nv_changes == 0) {
    std::printf("nothing to do: %s and the TPM already match %s\n", o.dir.c_str(), o.spec.c_str());
    return kExitOk;
  }
  auto w = spec::write_dir(o.dir, *built, *files);
  if (!w) return report(w.failure());
  ApplyResult applied;
  if (nv_changes != 0) {
    auto a = apply_plan(**dev, *plan, *steps);
    if (!a) {
      report(a.failure());
      std::fprintf(stderr,
                   "tlaunch: the files in %s were written; run apply again once the TPM "
                   "problem is fixed (it continues where this run stopped)\n",
                   o.dir.c_str());
      return exit_code_for(a.failure().code);
    }
    applied = *a;
  }
  std::printf(
      "applied: %zu file(s) written, %zu unchanged; NV: %zu defined, %zu undefined, %zu "
      "written (%zu NV_Write commands), %zu unchanged\n",
      file_changes, files->size() - file_changes, applied.defined, applied.undefined,
      applied.written, applied.nv_writes, steps->size() - nv_changes);
  return kExitOk;
}

}  // namespace

void setup_apply(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<ApplyOptions>();
  auto* sub = parent.add_subcommand(
      "apply", "Build a launch spec and provision its NV indices, changing only what differs");
  sub->add_option("SPEC", o->spec, "Launch spec (schemas/launch-spec.v1.schema.json)")->required();
  sub->add_option("-o,--output", o->dir, "Directory for the build outputs")->capture_default_str();
  sub->add_flag("--dry-run", o->dry_run,
                "Show the files that would change and the NV indices that would be created or "
                "rewritten; change nothing");
  sub->add_flag("--replace", o->replace,
                "Undefine and redefine NV indices whose definition conflicts with the spec");
  sub->add_option("--tcti", o->common.tcti,
                  "TCTI configuration (default: $TPM2TOOLS_TCTI, $TCTI, device:/dev/tpmrm0)");
  sub->add_option("--auth", o->common.auth,
                  "Owner authorization: file:PATH, env:NAME, hex:HEX, str:TEXT (default: empty)");
  on_run(sub, inv, [o]() { return run_apply(*o); });
}

}  // namespace tlaunch::cli
