// The one table that registers every `tlaunch` verb. Add a line per verb file.
#include "command.h"

namespace tlaunch::cli {

// Verb setup functions (one per file in cli/commands/).
void setup_version(CLI::App&, Invocation&);

namespace {
constexpr CommandEntry kCommands[] = {
    // {noun, noun help, setup}
    {nullptr, nullptr, setup_version},
};
}  // namespace

const CommandEntry* command_table(size_t* count) {
  *count = sizeof(kCommands) / sizeof(kCommands[0]);
  return kCommands;
}

}  // namespace tlaunch::cli
