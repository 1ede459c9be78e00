// tlaunch vlp show FILE [--json]
// Decodes a VLP with tboot's validation rules (docs/reference/vlp.md §4) and prints it; --json
// follows schemas/vlp.v1.schema.json. See man/tlaunch-vlp.1.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"

namespace tlaunch::cli {
namespace {

constexpr const char* kSchemaId = "https://tlaunch.invalid/schemas/vlp.v1.schema.json";

struct ShowOptions {
  std::string file;
  bool json = false;
};

int run_show(const ShowOptions& o) {
  auto loaded = host::load_vlp_file(o.file);
  if (!loaded) return report(loaded.failure());
  if (o.json) {
    nlohmann::json j;
    j["$schema"] = kSchemaId;
    j.update(host::vlp_json(loaded->policy, o.file, loaded->file_size));
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fputs(host::vlp_human_text(loaded->policy, o.file, loaded->file_size).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

void setup_vlp_show(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand("show", "Validate a VLP as tboot does and print it");
  auto o = std::make_shared<ShowOptions>();
  sub->add_option("file", o->file, "Policy file")->required();
  sub->add_flag("--json", o->json, "JSON output (schemas/vlp.v1.schema.json)");
  on_run(sub, inv, [o]() { return run_show(*o); });
}

}  // namespace tlaunch::cli
