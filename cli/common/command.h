// The command registry of `tlaunch` (CONVENTIONS: one file per verb, one table that registers
// them all). Each verb file defines one setup function declared here and listed in
// cli/commands/registry.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "exit_codes.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::cli {

// State shared by one invocation: set by the verb that runs.
struct Invocation {
  std::function<int()> run;  // the selected verb's body; returns an exit code
};

using SetupFn = void (*)(CLI::App& parent, Invocation& inv);

struct CommandEntry {
  const char* noun;       // "vlp", "nv", ... or nullptr for a top-level verb (hash, predict)
  const char* noun_help;  // description of the noun (used the first time the noun appears)
  SetupFn setup;          // adds the verb as a subcommand of the noun (or of the root)
};

// The table, in help order.
const CommandEntry* command_table(size_t* count);

// Helper for verb files: register `sub` so that, when selected, `body` runs.
inline void on_run(CLI::App* sub, Invocation& inv, std::function<int()> body) {
  sub->callback([&inv, body = std::move(body)]() { inv.run = body; });
}

// Prints "tlaunch: <message>" to stderr and returns the exit code for the failure.
int report(const host::Failure& f);

}  // namespace tlaunch::cli
