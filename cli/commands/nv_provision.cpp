// tlaunch nv provision PLAN.json [--dry-run] [--replace]: compare the TPM with a plan and apply
// only the differences (tpmnv/plan.h). A second run changes nothing and writes nothing.
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/plan.h"

namespace tlaunch::cli {

namespace {
struct ProvisionOptions {
  nv::CommonOptions common;
  std::string plan;
  bool dry_run = false;
  bool replace = false;
};

void print_steps(const tpmnv::ProvisionPlan& plan, const std::vector<tpmnv::Step>& steps) {
  using namespace tpmnv;
  std::printf("plan %s (%s handles):\n", plan.path.c_str(), handle_set_name(plan.handle_set));
  for (const Step& s : steps) nv::print_step(plan, s);
}

int run_provision(const ProvisionOptions& o) {
  using namespace tpmnv;
  host::Expected<ProvisionPlan> plan = load_plan(o.plan);
  if (!plan) return nv::fail(plan.failure());
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<std::vector<Step>> steps = make_plan(**dev, *plan, o.replace);
  if (!steps) return nv::fail(steps.failure());
  const bool conflict = has_conflict(*steps);
  bool changes = false;
  for (const Step& s : *steps) changes |= s.action != Action::kUnchanged;

  std::string result;
  host::Expected<ApplyResult> applied = ApplyResult{};
  if (conflict) {
    result = "conflict";
  } else if (o.dry_run) {
    result = "dry-run";
  } else if (!changes) {
    result = "unchanged";
  } else {
    applied = apply_plan(**dev, *plan, *steps);
    result = applied ? "applied" : "failed";
  }
  if (o.common.json) {
    nlohmann::json j;
    j["plan"] = plan->path;
    j["handle_set"] = handle_set_name(plan->handle_set);
    j["dry_run"] = o.dry_run;
    j["replace"] = o.replace;
    j["result"] = result;
    j["steps"] = nlohmann::json::array();
    for (const Step& s : *steps) j["steps"].push_back(step_json(*plan, s));
    if (applied) {
      j["totals"] = {{"defined", applied->defined},
                     {"undefined", applied->undefined},
                     {"written", applied->written},
                     {"nv_write_commands", applied->nv_writes}};
    } else {
      j["error"] = applied.failure().message;
    }
    nv::print_json("nv-provision", j);
  } else {
    print_steps(*plan, *steps);
  }
  if (conflict) {
    return nv::fail(host::fail(Errc::kConflict,
                               "existing NV indices differ from the plan (see \"conflict\" above); "
                               "nothing was changed. `--replace` undefines and redefines them "
                               "(their content is lost)"));
  }
  if (!applied) return nv::fail(applied.failure());
  if (!o.common.json) {
    if (o.dry_run) {
      std::printf("dry run: nothing changed\n");
    } else if (!changes) {
      std::printf("nothing to do: the TPM already matches the plan\n");
    } else {
      std::printf(
          "applied: %zu defined, %zu undefined, %zu written (%zu NV_Write commands), "
          "all read back and verified\n",
          applied->defined, applied->undefined, applied->written, applied->nv_writes);
    }
  }
  return kExitOk;
}
}  // namespace

void setup_nv_provision(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<ProvisionOptions>();
  auto* sub = parent.add_subcommand(
      "provision", "Define and write NV indices from a JSON plan, changing only what differs");
  sub->add_option("plan", o->plan, "Plan file (schemas/nv-plan.v1.schema.json)")->required();
  sub->add_flag("--dry-run", o->dry_run, "Print the plan, change nothing");
  sub->add_flag("--replace", o->replace,
                "Undefine and redefine indices whose definition conflicts with the plan");
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_provision(*o); });
}

}  // namespace tlaunch::cli
