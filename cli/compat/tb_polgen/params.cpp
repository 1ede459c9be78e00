#include "params.h"

#include <getopt.h>
#include <strings.h>

#include <cstdio>
#include <cstring>

namespace tlaunch::tbpolgen {
namespace {

struct Keyword {
  const char* name;
  int value;
};

// Keyword tables of tb_polgen/param.c, matched with strcasecmp (docs/reference/tb_polgen.md §1.1).
constexpr Keyword kTypeWords[] = {{"nonfatal", 0}, {"continue", 1}, {"halt", 2}};
constexpr Keyword kHashWords[] = {{"image", 1}, {"any", 0}};
constexpr Keyword kNumWords[] = {{"any", 129}};
constexpr Keyword kPcrWords[] = {{"none", 255}};
// HEAD offers sha256/sha384/sha512; sha1 is tboot 1.10.5's (Debian 12), kept for its users
// (docs/compat.md "tbp-sha1"). The help text stays HEAD's.
constexpr Keyword kAlgWords[] = {
    {"sha1", 0x04}, {"sha256", 0x0B}, {"sha384", 0x0C}, {"sha512", 0x0D}};

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int digit_value(char c, int base) {
  int v = -1;
  if (c >= '0' && c <= '9')
    v = c - '0';
  else if (c >= 'a' && c <= 'f')
    v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    v = c - 'A' + 10;
  return v >= 0 && v < base ? v : -1;
}

// parse_int_option(): keyword first; numbers only where upstream's table allows them.
template <size_t N>
bool parse_keyword(const Params& p, const Keyword (&table)[N], bool numeric, const char* arg,
                   int* out) {
  if (p.verbose) std::printf("optarg = %s\n", arg);
  for (const Keyword& k : table) {
    if (strcasecmp(k.name, arg) == 0) {
      *out = k.value;
      return true;
    }
  }
  // Upstream's numeric fallback row is {""}, which strcasecmp also matches for an empty argument
  // (so `--num ""` silently meant module 0); an empty value is an error here.
  return numeric && parse_number(arg, out);
}

bool fail(const char* msg) {
  std::fputs(msg, stderr);
  return false;
}

// validate_params() of tb_polgen/param.c: same checks, same order, same messages.
bool validate(const Params& p) {
  const char* msg = nullptr;
  const bool no_file = p.policy_file.empty();
  const bool bad_pcr = (p.pcr < 0 || p.pcr > 23) && p.pcr != 255;
  const bool bad_num = (p.mod_num < 0 || p.mod_num > 127) && p.mod_num != 129;
  switch (p.cmd) {
    case Cmd::kNone:
      msg = "Missing command argument\n";
      break;
    case Cmd::kHelp:
      return true;
    case Cmd::kCreate:
      if (no_file)
        msg = "Missing policy file\n";
      else if (p.policy_type == -1)
        msg = "Missing policy type\n";
      else if ((p.policy_control & ~1) != 0)
        msg = "Invalid --ctrl value\n";
      break;
    case Cmd::kAdd:
      if (no_file)
        msg = "Missing policy file\n";
      else if (p.hash_type != 0 && p.image_file.empty())
        msg = "Missing --image option\n";
      else if (p.hash_type == 0 && !p.image_file.empty())
        msg = "Extra --image option\n";
      else if (p.hash_type == -1)
        msg = "Missing --hash option\n";
      else if (bad_pcr)
        msg = "Invalid --pcr value\n";
      else if (bad_num)
        msg = "Invalid --num value\n";
      break;
    case Cmd::kDel:
      if (no_file)
        msg = "Missing policy file\n";
      else if (bad_num)
        msg = "Invalid --num value\n";
      break;
    case Cmd::kUnwrap:
      if (no_file)
        msg = "Missing policy file\n";
      else if (p.elt_file.empty())
        msg = "Missing elt file\n";
      break;
    case Cmd::kShow:
      if (no_file) msg = "Missing policy file\n";
      break;
  }
  if (msg == nullptr) return true;
  std::fputs(msg, stderr);
  if (p.verbose) print_params(p);
  return false;
}

}  // namespace

bool parse_number(const char* s, int* out) {
  // strtoul(s, &end, 0) accepts leading white space and a sign, "0x" hex, and (the part we do
  // not keep) a leading 0 as octal; it fails on no digits, trailing characters or an unsigned
  // long overflow. Upstream then truncates to unsigned int and stores the bits in an int.
  const char* p = s;
  if (*p == '\0') return false;
  while (is_space(*p)) ++p;
  bool negative = false;
  if (*p == '+' || *p == '-') negative = *p++ == '-';
  int base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2], 16) >= 0) {
    base = 16;
    p += 2;
  }
  if (digit_value(*p, base) < 0) return false;
  unsigned long v = 0;
  for (; *p != '\0'; ++p) {
    const int d = digit_value(*p, base);
    if (d < 0) return false;
    const auto ub = static_cast<unsigned long>(base);
    if (v > (~0UL - static_cast<unsigned long>(d)) / ub) return false;  // ERANGE
    v = v * ub + static_cast<unsigned long>(d);
  }
  if (negative) v = 0UL - v;
  *out = static_cast<int>(static_cast<unsigned int>(v));
  return true;
}

namespace {

bool set_cmd(Params& p, Cmd c) {
  if (p.cmd != Cmd::kNone) return fail("Only one command can be specified\n");
  p.cmd = c;
  return true;
}

// --cmdline: the buffer is TBOOT_KERNEL_CMDLINE_SIZE (1024) bytes with its NUL; upstream prints
// strnlen(arg, 1024), i.e. always 1024.
bool set_cmdline(Params& p, const char* arg) {
  if (strnlen(arg, 1024) > 1023) {
    std::fprintf(stderr, "Command line length of %zu exceeds %d character maximum\n",
                 strnlen(arg, 1024), 1023);
    return false;
  }
  p.cmdline = arg;
  return true;
}

// The options that take a value: one of param.c's getopt cases each.
bool apply_value_option(Params& p, int c, const char* arg) {
  switch (c) {
    case 'n':
      return parse_keyword(p, kNumWords, true, arg, &p.mod_num) || fail("Unknown --num option\n");
    case 'p':
      return parse_keyword(p, kPcrWords, true, arg, &p.pcr) || fail("Unknown --pcr option\n");
    case 't':
      return parse_keyword(p, kTypeWords, false, arg, &p.policy_type) ||
             fail("Unknown --type option\n");
    case 'a':
      return parse_keyword(p, kAlgWords, false, arg, &p.hash_alg) || fail("Unknown --alg option\n");
    case 'c':
      return parse_number(arg, &p.policy_control) || fail("Unknown --ctrl option\n");
    case 'h':
      return parse_keyword(p, kHashWords, false, arg, &p.hash_type) ||
             fail("Unknown --hash option\n");
    case 'o':
      if (!parse_number(arg, &p.pos)) return fail("Unknown --pos option\n");
      p.pos_given = true;
      return true;
    case 'i':
      p.image_file = arg;
      return true;
    case 'l':
      return set_cmdline(p, arg);
    case 'e':
      p.elt_file = arg;
      return true;
    default:
      // '?' (glibc has printed its message) and 0 (--verbose): parsing goes on, as upstream.
      return true;
  }
}

// What parsing does after an option.
enum class Next { kContinue, kStop, kFail };

Next apply_option(Params& p, int c, const char* arg) {
  switch (c) {
    case 'H':
      // --help ends parsing at once: no policy file needed, later arguments ignored.
      return set_cmd(p, Cmd::kHelp) ? Next::kStop : Next::kFail;
    case 'C':
      return set_cmd(p, Cmd::kCreate) ? Next::kContinue : Next::kFail;
    case 'A':
      return set_cmd(p, Cmd::kAdd) ? Next::kContinue : Next::kFail;
    case 'D':
      return set_cmd(p, Cmd::kDel) ? Next::kContinue : Next::kFail;
    case 'U':
      return set_cmd(p, Cmd::kUnwrap) ? Next::kContinue : Next::kFail;
    case 'S':
      return set_cmd(p, Cmd::kShow) ? Next::kContinue : Next::kFail;
    default:
      return apply_value_option(p, c, arg) ? Next::kContinue : Next::kFail;
  }
}

}  // namespace

bool parse_params(int argc, char** argv, Params* out) {
  Params& p = *out;
  int verbose_flag = 0;
  // Upstream's long option table (tb_polgen/param.c); getopt_long_only gives one-dash long
  // options, unique-prefix abbreviations and glibc's own diagnostics, as upstream.
  const struct option options[] = {
      {"help", no_argument, nullptr, 'H'},          {"create", no_argument, nullptr, 'C'},
      {"add", no_argument, nullptr, 'A'},           {"del", no_argument, nullptr, 'D'},
      {"unwrap", no_argument, nullptr, 'U'},        {"show", no_argument, nullptr, 'S'},
      {"type", required_argument, nullptr, 't'},    {"ctrl", required_argument, nullptr, 'c'},
      {"alg", required_argument, nullptr, 'a'},     {"num", required_argument, nullptr, 'n'},
      {"pcr", required_argument, nullptr, 'p'},     {"hash", required_argument, nullptr, 'h'},
      {"cmdline", required_argument, nullptr, 'l'}, {"image", required_argument, nullptr, 'i'},
      {"pos", required_argument, nullptr, 'o'},     {"elt", required_argument, nullptr, 'e'},
      {"verbose", no_argument, &verbose_flag, 1},   {nullptr, 0, nullptr, 0},
  };
  optind = 0;  // full re-initialisation of glibc's scanner (also resets its permutation state)
  for (;;) {
    int index = 0;
    const int c = getopt_long_only(argc, argv, "HCADUSt:a:c:n:p:h:l:i:o:e:", options, &index);
    p.verbose = verbose_flag != 0;
    if (c == -1) break;
    const Next next = apply_option(p, c, optarg);
    if (next == Next::kStop) return true;
    if (next == Next::kFail) return false;
  }
  // The policy file is the first operand after permutation; its absence is reported before any
  // command check (a bare `tb_polgen` says this, not "Missing command argument").
  if (optind >= argc) return fail("Missing filename for policy file\n");
  p.policy_file = argv[optind];
  return validate(p);
}

void print_params(const Params& p) {
  std::printf("params:\n");
  std::printf("\t cmd = %d\n", static_cast<int>(p.cmd));
  std::printf("\t policy_type = %d\n", p.policy_type);
  std::printf("\t hash_alg = %d\n", p.hash_alg);
  std::printf("\t policy_control = %d\n", p.policy_control);
  std::printf("\t mod_num = %d\n", p.mod_num);
  std::printf("\t pcr = %d\n", p.pcr);
  std::printf("\t hash_type = %d\n", p.hash_type);
  // Without --pos upstream prints its uninitialised variable, 0 in the upstream build
  // (docs/reference/upstream-quirks.md#q1); we print the same, although a missing --pos now means
  // "whole entry".
  std::printf("\t pos = %d\n", p.pos_given ? p.pos : 0);
  std::printf("\t cmdline length = %zu\n", p.cmdline.size());
  std::printf("\t cmdline = %s\n", p.cmdline.c_str());
  std::printf("\t image_file = %s\n", p.image_file.c_str());
  std::printf("\t elt_file = %s\n", p.elt_file.c_str());
  std::printf("\t policy_file = %s\n", p.policy_file.c_str());
}

void print_help() {
  std::fputs(
      "tb_polgen --create --type        nonfatal|continue|halt\n"
      "                   [--alg        sha256 (default)|sha384|sha512]\n"
      "                   [--ctrl       <policy control value>]\n"
      "                   [--verbose]\n"
      "                   <policy file name>\n"
      "tb_polgen --add    --num         <module number>|any\n"
      "                   --pcr         <TPM PCR number>|none\n"
      "                   --hash        any|image\n"
      "                   [--cmdline    \"command line\"]\n"
      "                   [--image      <image file name>]\n"
      "                   [--verbose]\n"
      "                   <policy file name>\n"
      "tb_polgen --del    --num         <module number>|any\n"
      "                   [--pos        <hash number>]\n"
      "                   [--verbose]\n"
      "                   <policy file name>\n"
      "tb_polgen --unwrap --elt         <elt file name>\n"
      "                   [--verbose]\n"
      "                   <policy file name>\n"
      "tb_polgen --show   [--verbose]\n"
      "                   <policy file name>\n"
      "tb_polgen --help\n",
      stdout);
}

}  // namespace tlaunch::tbpolgen
