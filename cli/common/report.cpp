#include <cstdio>

#include "command.h"

namespace tlaunch::cli {

int report(const host::Failure& f) {
  std::fprintf(stderr, "tlaunch: error: %s\n", f.message.c_str());
  return exit_code_for(f.code);
}

}  // namespace tlaunch::cli
