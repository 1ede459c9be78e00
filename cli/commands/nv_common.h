// Shared pieces of the `tlaunch nv` verbs: the options every verb takes (--tcti, --auth, ...),
// opening the TPM, and printing.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command.h"
#include "tlaunch/tpmnv/catalogue.h"
#include "tlaunch/tpmnv/esys.h"
#include "tlaunch/tpmnv/plan.h"

namespace tlaunch::cli::nv {

struct CommonOptions {
  std::string tcti;           // --tcti; else TPM2TOOLS_TCTI / TCTI; else device:/dev/tpmrm0
  std::string auth;           // --auth: owner (or platform, for platform indices) authorization
  std::string platform_auth;  // --platform-auth: platform authorization if it differs
  std::string index_auth;     // --index-auth: the index's own password
  std::string handle_set = "tcg";
  bool json = false;
};

// Adds --tcti, --auth, --platform-auth, --index-auth, --handle-set and --json to `sub`.
void add_common_options(CLI::App* sub, CommonOptions& o);

tpmnv::HandleSet handle_set(const CommonOptions& o);

// Reads the secrets (warning on stderr for hex:/str:) and opens the TPM.
host::Expected<std::unique_ptr<tpmnv::EsysDevice>> open_device(const CommonOptions& o);

// Prints "tlaunch: error: ..." and returns the exit code for the failure.
int fail(const host::Failure& f);

// Prints a JSON document (pretty, newline-terminated) on stdout, with "$schema" set to the id of
// schemas/<schema>.v1.schema.json.
void print_json(const char* schema, nlohmann::json j);

// Parses a number (decimal or 0x hex) in [0, max] for a command-line option; kUsage otherwise.
host::Expected<uint32_t> parse_number(const std::string& text, const char* option, uint32_t max);

// {"handle": "0x01C10131", "name": "vlp" | null}
nlohmann::json target_json(const tpmnv::Target& t);
nlohmann::json public_json(const tpmnv::NvPublic& pub);
nlohmann::json definition_json(const tpmnv::NvDefinition& def);
// "2048 bytes, ownerwrite|authread (0x00040002), owner hierarchy"
std::string definition_text(const tpmnv::NvDefinition& def);

// One step of a provisioning plan as text (nv provision, apply): the action and index, then the
// definition it gets, the bytes it gets and the note, each on its own indented line.
void print_step(const tpmnv::ProvisionPlan& plan, const tpmnv::Step& step);

}  // namespace tlaunch::cli::nv
