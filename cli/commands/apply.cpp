// tlaunch apply SPEC [-o DIR] [--dry-run] [--json] [--tcti T]: build + provision in one idempotent
// step. The outputs of `tlaunch build` go to DIR (default /var/lib/tlaunch, where `tlaunch doctor`
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
  spec::RunningKernelOption running;
  std::string dir = "/var/lib/tlaunch";
  bool dry_run = false;
  bool replace = false;
  bool json = false;  // --json: schemas/apply.v1.schema.json on stdout instead of the text
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
  auto built = spec::load_and_build(o.spec, o.running.facts());
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
  bool entries_changed = false;
  for (const auto& f : *files) {
    const bool changed = f.state != spec::FileState::kUnchanged;
    file_changes += changed;
    entries_changed |= changed && f.name == host::spec::kGrubFile;
  }
  for (const Step& s : *steps) {
    nv_changes += s.action != Action::kUnchanged;
    conflicts += s.action == Action::kConflict;
  }

  // --json: one document at the end (schemas/apply.v1.schema.json), whatever happened once the
  // plan was made, so that a caller (contrib/ansible) can tell "changed" from the plan and the
  // totals instead of parsing the text.
  auto json_doc = [&](const char* result, bool changed, const ApplyResult* applied,
                      const std::string& error) {
    nlohmann::json j;
    j["spec"] = o.spec;
    j["dir"] = o.dir;
    j["dry_run"] = o.dry_run;
    j["replace"] = o.replace;
    j["result"] = result;
    j["changed"] = changed;
    j["entries_changed"] = entries_changed;
    j["files"] = nlohmann::json::array();
    for (size_t i = 0; i < files->size(); ++i) {
      const auto& f = (*files)[i];
      j["files"].push_back({{"name", f.name},
                            {"path", o.dir + "/" + f.name},
                            {"state", spec::file_state_name(f.state)},
                            {"size", built->files[i].data.size()},
                            {"detail", f.detail}});
    }
    j["handle_set"] = handle_set_name(plan->handle_set);
    j["nv"] = nlohmann::json::array();
    for (const Step& s : *steps) j["nv"].push_back(step_json(*plan, s));
    if (applied) {
      j["totals"] = {{"files_written", o.dry_run ? 0 : file_changes},
                     {"files_unchanged", files->size() - file_changes},
                     {"defined", applied->defined},
                     {"undefined", applied->undefined},
                     {"written", applied->written},
                     {"nv_write_commands", applied->nv_writes}};
    }
    if (!error.empty()) j["error"] = error;
    nv::print_json("apply", j);
  };

  if (!o.json) {
    std::printf("files in %s:\n", o.dir.c_str());
    for (size_t i = 0; i < files->size(); ++i) {
      const auto& f = (*files)[i];
      std::printf("  %-9s %s (%zu bytes)%s%s\n", spec::file_state_name(f.state), f.name.c_str(),
                  built->files[i].data.size(), f.detail.empty() ? "" : ": ", f.detail.c_str());
    }
    std::printf("NV indices (%s handles):\n", handle_set_name(plan->handle_set));
    for (const Step& s : *steps) nv::print_step(*plan, s);
  }

  if (conflicts != 0) {
    auto f = host::fail(
        Errc::kConflict,
        std::to_string(conflicts) +
            " NV index(es) exist with a definition that differs from the spec (see \"conflict\" "
            "above); nothing was changed, neither files nor NV. `tlaunch apply --replace` "
            "undefines and redefines them (their content is lost)");
    if (o.json) json_doc("conflict", false, nullptr, f.message);
    return report(f);
  }
  const bool changes = file_changes != 0 || nv_changes != 0;
  if (o.dry_run) {
    if (o.json) {
      const ApplyResult none{};
      json_doc("dry-run", changes, &none, "");
    } else {
      std::printf("dry run: would write %zu file(s) and change %zu NV index(es); nothing changed\n",
                  file_changes, nv_changes);
    }
    return kExitOk;
  }
  if (!changes) {
    if (o.json) {
      const ApplyResult none{};
      json_doc("unchanged", false, &none, "");
    } else {
      std::printf("nothing to do: %s and the TPM already match %s\n", o.dir.c_str(),
                  o.spec.c_str());
    }
    return kExitOk;
  }
  auto w = spec::write_dir(o.dir, *built, *files);
  if (!w) {
    if (o.json) json_doc("failed", false, nullptr, w.failure().message);
    return report(w.failure());
  }
  ApplyResult applied;
  if (nv_changes != 0) {
    auto a = apply_plan(**dev, *plan, *steps);
    if (!a) {
      // Files were written and indices completed before the failing one stay complete.
      if (o.json) json_doc("failed", true, nullptr, a.failure().message);
      report(a.failure());
      std::fprintf(stderr,
                   "tlaunch: the files in %s were written; run apply again once the TPM "
                   "problem is fixed (it continues where this run stopped)\n",
                   o.dir.c_str());
      return exit_code_for(a.failure().code);
    }
    applied = *a;
  }
  if (o.json) {
    json_doc("applied", true, &applied, "");
    return kExitOk;
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
  o->running.add_to(sub);
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
  sub->add_flag("--json", o->json,
                "Machine-readable output (schemas/apply.v1.schema.json): the plan, what changed, "
                "the totals");
  on_run(sub, inv, [o]() { return run_apply(*o); });
}

}  // namespace tlaunch::cli
