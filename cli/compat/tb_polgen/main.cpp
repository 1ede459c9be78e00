// tb_polgen: drop-in replacement for tboot's Verified Launch Policy generator
// (docs/reference/tb_polgen.md). Same options, defaults, messages, byte-identical policy files and
// exit status (0 or 1); deviations from upstream bugs are listed in docs/compat.md.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "params.h"

int main(int argc, char** argv) {
  using namespace tlaunch::tbpolgen;
  try {
    Params params;
    if (!parse_params(argc, argv, &params)) return 1;
    if (params.verbose) print_params(params);
    bool ok = false;
    switch (params.cmd) {
      case Cmd::kCreate:
        ok = do_create(params);
        break;
      case Cmd::kAdd:
        ok = do_add(params);
        break;
      case Cmd::kDel:
        ok = do_del(params);
        break;
      case Cmd::kUnwrap:
        ok = do_unwrap(params);
        break;
      case Cmd::kShow:
        ok = do_show(params);
        break;
      case Cmd::kHelp:
        print_help();
        ok = true;
        break;
      case Cmd::kNone:
        break;
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tb_polgen: internal error: %s\n", e.what());
    return 1;
  }
}
