// tlaunch: `tlaunch <noun> <verb>` front end. Builds the CLI from the command table, runs the
// selected verb, and turns every exception into a message and a documented exit code.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "command.h"
#include "parse_errors.h"

#ifndef TLAUNCH_VERSION
#define TLAUNCH_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  using namespace tlaunch::cli;
  CLI::App app{"tlaunch: trusted launch policies, reference hashes, TPM NV provisioning and boot",
               "tlaunch"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.set_version_flag("--version", std::string("tlaunch ") + TLAUNCH_VERSION);
  Invocation inv;
  std::map<std::string, CLI::App*> nouns;
  size_t n = 0;
  const CommandEntry* table = command_table(&n);
  for (size_t i = 0; i < n; ++i) {
    const CommandEntry& c = table[i];
    if (c.noun == nullptr) {
      c.setup(app, inv);
      continue;
    }
    auto it = nouns.find(c.noun);
    if (it == nouns.end()) {
      CLI::App* sub = app.add_subcommand(c.noun, c.noun_help ? c.noun_help : "");
      sub->require_subcommand(1);
      it = nouns.emplace(c.noun, sub).first;
    }
    c.setup(*it->second, inv);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  }
  if (!inv.run) return kExitUsage;
  try {
    return inv.run();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tlaunch: error: out of memory\n");
    return kExitInternal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlaunch: internal error: %s\n", e.what());
    return kExitInternal;
  }
}
