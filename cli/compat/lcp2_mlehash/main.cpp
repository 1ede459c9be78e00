// lcp2_mlehash: drop-in for lcptools-v2's MLE hash tool (docs/reference/lcp.md §11; upstream
// lcptools-v2/mlehash.c at commit 80ca413). Options, defaults, output and exit codes are
// upstream's; the measurement itself is tlaunch::lcp::host::mle_hash(). Deliberate differences
// (docs/compat.md, section "lcp2_mlehash"): failures always say why on stderr (upstream is
// silent unless --verbose), an unknown --alg is an error (upstream prints nothing and exits 0),
// --alg sha1 works as in tboot 1.10.5, with a warning,
// truncated images and out-of-range header offsets are errors, and an over-long --cmdline is
// truncated the way tboot truncates it.
//
// Parsing uses glibc getopt_long_only() with upstream's option table, so abbreviations,
// single-dash options and getopt's diagnostics are upstream's.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "compat_io.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/lcp/mlehash.h"

namespace {

// mlehash.c help text (sic: no newline after the --alg line,
// docs/reference/upstream-quirks.md#q56).
constexpr const char kHelp[] =
    "Usage: lcp2_mlehash <COMMAND> [OPTION]\n"
    "Create an Intel(R) TXT policy mlehash.\n"
    "--create\n"
    "       --cmdline <cmdline> cmdline\n"
    "       --alg <sha256|sha384|sha512> hashalg   "
    "--help                 print out help message\n"
    "--verbose              display progress indications.\n"
    "--version              show tool version.\n";

struct Options {
  int cmd = 0;
  std::optional<std::string> cmdline;
  std::string alg_name = "sha256";
  std::string mle_file;
  int verbose = 0;
};

using tlaunch::cli::compat::fail;

void log(const Options& o, const std::string& s) {
  if (o.verbose) std::fputs(s.c_str(), stderr);
}

// lcputils.c str_to_hash_alg(): exact lower-case names. sha1 is tboot 1.10.5's (Debian 12; HEAD
// dropped it, docs/compat.md "mle-sha1").
std::optional<tlaunch::HashAlg> hash_alg_from_name(const std::string& s) {
  if (s == "sha1") return tlaunch::HashAlg::kSha1;
  if (s == "sha256") return tlaunch::HashAlg::kSha256;
  if (s == "sha384") return tlaunch::HashAlg::kSha384;
  if (s == "sha512") return tlaunch::HashAlg::kSha512;
  if (s == "sm3") return tlaunch::HashAlg::kSm3_256;
  return std::nullopt;
}

// The --verbose description of the expanded image.
void log_image(const tlaunch::lcp::host::MleImage& img) {
  const tlaunch::lcp::host::MleHeader& m = img.header;
  std::fprintf(stderr,
               "expanded image: %zu bytes; MLE header at 0x%x: mle [0x%x, 0x%x), cmdline "
               "[0x%x, 0x%x)\n",
               img.image.size(), m.image_offset, m.mle_start_off, m.mle_end_off,
               m.cmdline_start_off, m.cmdline_end_off);
}

int create(const Options& o) {
  if (o.mle_file.empty()) return fail("Error: no output file specified\n");  // sic (upstream)
  auto alg = hash_alg_from_name(o.alg_name);
  if (!alg) {
    tlaunch::cli::compat::err_unsupported_hash_alg(o.alg_name);
    return 1;
  }
  namespace h = tlaunch::lcp::host;
  log(o, "reading " + o.mle_file + "\n");
  auto file = h::read_mle_file(o.mle_file);
  if (!file) {
    std::fprintf(stderr, "Error: %s\n", file.failure().message.c_str());
    return 1;
  }
  auto img = h::expand_mle_image(*file, o.mle_file);
  if (!img) {
    std::fprintf(stderr, "Error: %s\n", img.failure().message.c_str());
    return 1;
  }
  if (o.verbose) log_image(*img);
  auto r = h::mle_hash(std::move(*img), *alg, o.cmdline);
  if (!r) {
    std::fprintf(stderr, "Error: %s\n", r.failure().message.c_str());
    return 1;
  }
  if (r->cmdline_truncated) {
    std::fprintf(stderr,
                 "Warning: --cmdline has %zu characters but the MLE command line area holds %zu; "
                 "hashed its first %zu characters, as tboot copies them at boot\n",
                 o.cmdline->size(), r->cmdline_area, r->cmdline_area);
  }
  if (*alg == tlaunch::HashAlg::kSha1)  // not upstream's: 1.10.5 says nothing
    std::fputs(
        "warning: SHA-1 is weak: an MLE with a colliding SHA-1 digest would match; prefer --alg "
        "sha256, sha384 or sha512\n",
        stderr);
  std::fputs(h::mle_hash_line(r->digest).c_str(), stdout);
  return 0;
}

// One option of mlehash.c's getopt loop; false after printing why the command line is refused.
bool apply_option(Options& o, int c, const char* arg) {
  switch (c) {
    case 'H':
    case 'C':
    case 'V':
      return tlaunch::cli::compat::take_command(&o.cmd, c);
    case 'c':
      o.cmdline = std::string(arg);
      return true;
    case 'a':
      o.alg_name = arg;
      return true;
    case 0:
      return true;
    default:
      // Upstream reports unknown options on stdout and carries on.
      std::fputs("Unknown command line option\n", stdout);
      return true;
  }
}

bool parse_options(int argc, char** argv, Options& o) {
  const struct option long_opts[] = {
      {"help", no_argument, nullptr, 'H'},
      {"version", no_argument, nullptr, 'V'},
      {"create", no_argument, nullptr, 'C'},
      {"cmdline", required_argument, nullptr, 'c'},
      {"alg", required_argument, nullptr, 'a'},
      {"verbose", no_argument, &o.verbose, 1},
      {nullptr, 0, nullptr, 0},
  };
  for (int c; (c = getopt_long_only(argc, argv, "", long_opts, nullptr)) != -1;)
    if (!apply_option(o, c, optarg)) return false;
  if (optind < argc) o.mle_file = argv[optind];  // only the first positional argument is used
  return true;
}

int run(const Options& o) {
  switch (o.cmd) {
    case 0:
      return fail("Error: no command was specified\n");
    case 'H':
      std::fputs(kHelp, stdout);
      return 0;
    case 'V':
      std::printf("lcp2_mlehash version: %i.%i", 1, 1);
      return 0;
    case 'C':
      return create(o);
    default:
      return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) return 1;
  return run(o);
}
