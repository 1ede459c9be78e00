// `tlaunch nv provision`: a JSON plan (schemas/nv-plan.v1.schema.json) naming the NV indices to
// define and the content to write, compared with the TPM's state into steps
// (create / rewrite / unchanged / conflict / replace) and applied idempotently: an index that
// already holds the wanted definition and bytes is neither redefined nor written.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/tpmnv/catalogue.h"
#include "tlaunch/tpmnv/device.h"

namespace tlaunch::tpmnv {

// Where an entry's content came from, so that a plan can be written back as JSON.
enum class ContentOrigin : uint8_t { kNone, kFile, kHex, kTbError };

struct PlanEntry {
  std::string index;  // as written in the plan: "vlp" or "0x01500000"
  Target target;
  std::optional<uint16_t> size;
  std::optional<uint32_t> attributes;
  std::optional<Hierarchy> hierarchy;
  std::optional<Bytes> auth_policy;
  bool force = false;            // accept a definition a launcher would refuse
  std::optional<Bytes> content;  // bytes to hold at offset 0
  ContentOrigin origin = ContentOrigin::kNone;
  std::string content_file;    // kFile: the file as the plan names it (relative to the plan)
  uint32_t tb_error = 0;       // kTbError: the code
  std::string content_source;  // for people: "file vl.pol", "hex", "tb_error TB_ERR_NONE"
  std::string description;
};

// A provisioning plan, typed: what `tlaunch nv provision` reads from JSON and what the launch
// spec library (libspec) hands over directly.
struct ProvisionPlan {
  std::string path;  // the plan file (relative content files are next to it)
  std::string description;
  HandleSet handle_set = HandleSet::kTcg;
  std::vector<PlanEntry> entries;
};

// Sets an entry's content to a tboot error code (the error index: u32 little-endian).
void set_tb_error(PlanEntry& entry, uint32_t code);

// The plan as JSON (schemas/nv-plan.v1.schema.json), the inverse of parse_plan(): file contents
// are named by their file, tb_error by its name, other contents as hex.
nlohmann::json plan_to_json(const ProvisionPlan& plan);

// Reads and validates a plan. Relative "file" paths are relative to the plan's directory.
// Errors name the plan file and the entry (kBadValue/kUsage), or the content file (kIo).
host::Expected<ProvisionPlan> load_plan(const std::string& path);
host::Expected<ProvisionPlan> parse_plan(const nlohmann::json& doc, const std::string& path);

enum class Action : uint8_t { kCreate, kRewrite, kUnchanged, kConflict, kReplace };
const char* action_name(Action a);

struct Step {
  size_t entry = 0;  // index into ProvisionPlan::entries
  NvDefinition want;
  std::optional<NvPublic> current;
  Action action = Action::kUnchanged;
  std::string reason;          // why this action
  std::string note;            // e.g. the VLP size cap
  Bytes current_content;       // what the index holds where the content goes (when read)
  size_t matching_prefix = 0;  // leading bytes that already equal the content
  bool partial = false;        // looks like an interrupted multi-chunk write
  // Filled in by apply_plan().
  bool applied = false;
  size_t nv_writes = 0;
  size_t skipped_chunks = 0;
  bool verified = false;
};

// Reads the TPM's state (one GetCapability for the limits, NV_ReadPublic per entry, NV_Read of
// the content range where the definition matches) and decides a step per entry. Refuses
// (before touching anything) definitions a launcher would reject unless the entry has
// "force", duplicate handles, and content larger than the index.
host::Expected<std::vector<Step>> make_plan(NvDevice& dev, const ProvisionPlan& plan, bool replace);

bool has_conflict(const std::vector<Step>& steps);

struct ApplyResult {
  size_t defined = 0;
  size_t undefined = 0;
  size_t written = 0;    // indices written
  size_t nv_writes = 0;  // NV_Write commands
};

// Applies the steps in plan order. A step that fails after defining its index undefines it
// again (the TPM keeps no half-made index); earlier steps stay applied (each is complete).
host::Expected<ApplyResult> apply_plan(NvDevice& dev, const ProvisionPlan& plan,
                                       std::vector<Step>& steps);

// The `steps` array element of schemas/nv-provision.v1.schema.json.
nlohmann::json step_json(const ProvisionPlan& plan, const Step& step);

}  // namespace tlaunch::tpmnv
