// tb_polgen commands (tboot tb_polgen/commands.c, policy.c; docs/reference/tb_polgen.md §2-§5):
// upstream's messages on stdout/stderr and its exit status (true = 0, false = 1).
#pragma once

#include "params.h"

namespace tlaunch::tbpolgen {

bool do_create(const Params& p);
bool do_add(const Params& p);
bool do_del(const Params& p);
bool do_unwrap(const Params& p);
bool do_show(const Params& p);

}  // namespace tlaunch::tbpolgen
