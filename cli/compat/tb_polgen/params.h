// tb_polgen command line: upstream's options, defaults, messages and checks
// (docs/reference/tb_polgen.md §1; tboot tb_polgen/param.c), with the fixes listed in
// docs/compat.md ("tb_polgen").
#pragma once

#include <string>

namespace tlaunch::tbpolgen {

// Numbering of upstream's polgen_cmd_t: printed by --verbose as "cmd = <n>".
enum class Cmd : int {
  kNone = 0,
  kHelp = 1,
  kCreate = 2,
  kAdd = 3,
  kDel = 4,
  kUnwrap = 5,
  kShow = 6
};

// Upstream keeps these in ints with -1 = "not given" (and prints them so with --verbose).
struct Params {
  Cmd cmd = Cmd::kNone;
  int policy_type = -1;
  int policy_control = 1;  // TB_POLCTL_EXTEND_PCR17
  int mod_num = -1;
  int pcr = -1;
  int hash_type = -1;
  int pos = -1;  // -1 = delete the whole entry (upstream leaves it uninitialised)
  bool pos_given = false;
  int hash_alg = 0x0B;  // TB_HALG_SHA256
  std::string cmdline;
  std::string image_file;
  std::string elt_file;
  std::string policy_file;
  bool verbose = false;
};

// Parses argv like upstream's parse_input_params() (getopt_long_only with upstream's table),
// prints upstream's messages on stderr and returns false on any error. On success the
// parameters are validated (validate_params()).
bool parse_params(int argc, char** argv, Params* out);

// The "params:" dump of --verbose (print_params()), to stdout.
void print_params(const Params& p);

// The --help text (22 lines, HEAD wording: sha1 is not offered).
void print_help();

// Numbers of --num/--pcr/--ctrl/--pos: as strtoul(s, &end, 0) truncated to 32 bits, except that a
// leading 0 does not make the number octal ("010" is 10; see docs/compat.md). Exposed for tests.
bool parse_number(const char* s, int* out);

}  // namespace tlaunch::tbpolgen
