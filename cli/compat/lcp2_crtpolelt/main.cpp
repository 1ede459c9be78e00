// lcp2_crtpolelt: drop-in for lcptools-v2's element tool (docs/reference/lcp.md §8; upstream
// lcptools-v2/crtpolelt.c and the *_elt.c plugins at commit 80ca413). Options, defaults, outputs,
// messages and exit codes are upstream's; where upstream is broken we do the correct thing
// (docs/compat.md, section "lcp2_crtpolelt").
//
// Command line parsing uses glibc getopt_long_only() with upstream's option table in upstream's
// order, so that abbreviations, single-dash long options, argument permutation and getopt's own
// diagnostics are exactly those of the upstream tool.
#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "compat_io.h"
#include "compat_lcputils.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"
#include "tlaunch/policy/host/lcp/lcp_list_compat.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_element.h"

namespace {

using tlaunch::lcp::host::Bytes;
namespace lcp = tlaunch::lcp;

// crtpolelt.c help text, followed by each plugin's help in registration order.
constexpr const char kHelp[] =
    "Usage: lcp2_crtpolelt <COMMAND> [OPTION]\n"
    "Create an Intel(R) TXT policy element of specified type.\n\n"
    "--create\n"
    "        --type <type>             type of element; must be first option;\n"
    "                                  see below for type strings and their\n"
    "                                  options\n"
    "        --out <FILE>              output file name\n"
    "        [--ctrl <pol_elt_ctrl>]   PolEltControl field (hex or decimal)\n"
    "--show\n"
    "        <FILE>                    policy element file name\n"
    "--help                            help\n"
    "--verbose                         enable verbose output; can be\n"
    "                                  specified with any command\n"
    "--version                         show tool version.\n"
    "types :\n"
    "      custom\n"
    "        --uuid <UUID>               UUID in format:\n"
    "                                    {0xaabbccdd, 0xeeff, 0xgghh, 0xiijj,\n"
    "                                    {0xkk 0xll, 0xmm, 0xnn, 0xoo, 0xpp}}\n"
    "                                    or \"--uuid tboot\" to use default\n"
    "        <FILE>                      file containing element data\n"
    "      sbios\n"
    "        [--alg <sha256|sha384|sha512>]    hash alg of element\n"
    "        <FILE1> [FILE2] ...         one or more files containing BIOS\n"
    "                                    hash(es); each file can contain\n"
    "                                    multiple hashes; the first hash in\n"
    "                                    the first file will be the fallback\n"
    "                                    hash\n"
    "      stm\n"
    "        [--alg <sha256|sha384|sha512>]    hash alg of element\n"
    "        <FILE1> [FILE2] ...         one or more files containing STM\n"
    "                                    hash(es); each file can contain\n"
    "                                    multiple hashes\n"
    "      pconf2\n"
    "        --alg <sha256|sha384|sha512>      PCR hash alg\n"
    "        [--pcr0 <hash_value>]       PCR0 value\n"
    "        [--pcr1 <hash_value>]       PCR1 value\n"
    "        [--pcr2 <hash_value>]       PCR2 value\n"
    "        [--pcr3 <hash_value>]       PCR3 value\n"
    "        [--pcr4 <hash_value>]       PCR4 value\n"
    "        [--pcr5 <hash_value>]       PCR5 value\n"
    "        [--pcr6 <hash_value>]       PCR6 value\n"
    "        [--pcr7 <hash_value>]       PCR7 value\n"
    "      mle2\n"
    "        Creates current LCP_ELEMENT_MLE2. Supports algorithm agility.\n"
    "        [--minver <ver>]            minimum version of SINIT\n"
    "        [--alg <sha256|sha384|sha512>]    hash alg of element\n"
    "        <FILE1> [FILE2] ...         one or more files containing MLE\n"
    "                                    hash(es); each file can contain\n"
    "                                    multiple hashes\n";

// Upstream per-element hash limits (mle_elt.c/stm_elt.c MAX_HASHES 32, sbios_elt.c 33 incl.
// the fallback hash).
constexpr size_t kMaxHashes = 32;
constexpr size_t kMaxSbiosHashes = 33;

enum class Type { kNone, kCustom, kSbios, kStm, kPconf2, kMle2 };

// The state each upstream plugin keeps (one per type, as upstream keeps file-scope statics per
// plugin: switching --type keeps each type's options).
struct HashTypeState {
  std::string alg_name = "sha256";
  uint16_t alg = lcp::kAlgSha256;
  std::vector<Bytes> hashes;
};
struct Mle2State : HashTypeState {
  uint8_t sinit_min_version = 0;
};
struct Pconf2State {
  uint16_t alg = 0;  // pconf2_elt.c: no default algorithm; --alg must precede --pcrN
  lcp::PcrValues pcrs;
  uint8_t pcr_alg_size[lcp::kPconfPcrCount] = {};
};
struct CustomState {
  lcp::Uuid uuid;
  Bytes data;
};

struct Options {
  int cmd = 0;
  Type type = Type::kNone;
  std::string out_file;
  uint32_t ctrl = lcp::kDefaultPolEltControl;
  int verbose = 0;
  Mle2State mle2;
  HashTypeState sbios;
  HashTypeState stm;
  Pconf2State pconf2;
  CustomState custom;
};

using tlaunch::cli::compat::err;
using tlaunch::cli::compat::fail;
using tlaunch::cli::compat::refuse;

void log(const Options& o, const std::string& msg) {
  if (o.verbose) std::fputs(msg.c_str(), stderr);
}

Type type_from_string(const char* s) {
  if (std::strcmp(s, "custom") == 0) return Type::kCustom;
  if (std::strcmp(s, "sbios") == 0) return Type::kSbios;
  if (std::strcmp(s, "stm") == 0) return Type::kStm;
  if (std::strcmp(s, "pconf2") == 0) return Type::kPconf2;
  if (std::strcmp(s, "mle2") == 0) return Type::kMle2;
  return Type::kNone;
}

using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/compat/common/compat_lcputils.h)

// strtoul(s, NULL, 0) for a value that must fit `max`; upstream has no error check at all
// (docs/reference/upstream-quirks.md#q23): we reject text that is not entirely a number, and values
// out of range.
std::optional<unsigned long> parse_number(const char* s, unsigned long max) {
  errno = 0;
  char* end = nullptr;
  while (*s == ' ' || *s == '\t') ++s;
  if (*s == '-' || *s == '\0') return std::nullopt;
  unsigned long v = std::strtoul(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || v > max) return std::nullopt;
  return v;
}

// The hash types take the algorithms with an LCP digest size, except SHA-1.
bool check_hash_alg(const HashTypeState& st) {
  if (lcp::lcp_digest_size(st.alg) != 0 && st.alg != lcp::kAlgSha1) return true;
  tlaunch::cli::compat::err_unsupported_hash_alg(st.alg_name);
  return false;
}

// The text of a hash file, or nullopt after saying why it cannot be read.
std::optional<std::string> read_hash_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    err("Error: failed to open file " + path + " (" + std::strerror(errno) + ")\n");
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    // Upstream's fgets() loop takes a read error (e.g. a directory) for the end of the file.
    err("Error: failed to read file " + path + " (" + std::strerror(read_errno) + ")\n");
    return std::nullopt;
  }
  return text;
}

// lcputils.c parse_file() + parse_line_hashes(), with the upstream per-element hash limit.
bool add_hash_file(const Options& o, HashTypeState& st, const std::string& path, size_t limit) {
  log(o, "reading hashes file " + path + "...\n");
  const std::optional<std::string> text = read_hash_text(path);
  if (!text) return false;
  // Upstream: "Error: unsupported alg: 0x10" once a line is parsed (or a bogus element with
  // no hashes when the file is empty); we name the --alg value in every case.
  if (!check_hash_alg(st)) return false;
  const uint8_t d = lcp::lcp_digest_size(st.alg);
  auto parsed = tlaunch::lcp::host::parse_hash_text(*text, d);
  size_t before = st.hashes.size();
  size_t good = parsed.digests.size();
  // Upstream checks the limit before it parses each line: a line past the limit fails as
  // "too many" even if it is malformed itself.
  if (before + good > limit || (parsed.error && before + good == limit))
    return refuse("Error: too many hashes: an element holds at most " + std::to_string(limit) +
                  " hashes (" + path + " line " + std::to_string(limit - before + 1) + ")\n");
  if (parsed.error) {
    if (parsed.error->kind == tlaunch::lcp::host::HashTextError::kWrongByteCount) {
      err("Error: incorrect number of chars for hash\n");
    } else {
      err("Error: " + tlaunch::lcp::host::describe_hash_text_error(*parsed.error, path) + "\n");
    }
    return false;
  }
  for (auto& h : parsed.digests) st.hashes.push_back(std::move(h));
  return true;
}

// --alg of the hash types (mle2, sbios, stm): any name is taken here and checked when used.
void set_hash_alg(HashTypeState& st, const char* arg) {
  st.alg_name = arg;
  st.alg = str_to_hash_alg(arg);
}

// The plugins' cmdline_handler(), one per type; c == 0 is a positional file.
bool mle2_option(Options& o, int c, const char* arg) {
  if (c == 'm') {
    auto v = parse_number(arg, 0xFF);
    if (!v) return refuse(std::string("Error: invalid --minver value '") + arg + "' (0..0xff)\n");
    o.mle2.sinit_min_version = static_cast<uint8_t>(*v);
    return true;
  }
  if (c == 'a') {
    set_hash_alg(o.mle2, arg);
    return true;
  }
  if (c != 0) return refuse("Error: unknown option for mle type\n");
  return add_hash_file(o, o.mle2, arg, kMaxHashes);
}

bool sbios_option(Options& o, int c, const char* arg) {
  if (c == 'a') {
    set_hash_alg(o.sbios, arg);
    return true;
  }
  if (c != 0) return refuse("Error: unknown option for sbios type\n");
  if (!add_hash_file(o, o.sbios, arg, kMaxSbiosHashes)) return false;
  if (o.sbios.hashes.empty()) return refuse("Error: no hashes provided\n");
  return true;
}

bool stm_option(Options& o, int c, const char* arg) {
  if (c == 'a') {
    set_hash_alg(o.stm, arg);
    return true;
  }
  if (c != 0) return refuse("Error: unknown option for mle type\n");  // sic, stm_elt.c
  return add_hash_file(o, o.stm, arg, kMaxHashes);
}

bool pconf2_option(Options& o, int c, const char* arg) {
  if (c == 'a') {
    const uint16_t alg = str_to_hash_alg(arg);
    if (alg == lcp::kAlgNull) return refuse("Error: invalid hash algorithm\n");
    o.pconf2.alg = alg;
    return true;
  }
  if (c >= '0' && c <= '7') {
    const size_t pcr = static_cast<size_t>(c - '0');
    const size_t d = lcp::lcp_digest_size(o.pconf2.alg);
    auto v = tlaunch::lcp::host::parse_pcr_value(arg, d);
    if (d == 0 || !v) return refuse("Error: unable to parse the hash value\n");
    std::memcpy(o.pconf2.pcrs.value[pcr], v->data(), d);
    o.pconf2.pcrs.present[pcr] = true;
    o.pconf2.pcr_alg_size[pcr] = static_cast<uint8_t>(d);
    return true;
  }
  // Upstream fails silently here (also for any positional argument).
  if (c == 0) return refuse(std::string("Error: the pconf2 type takes no files ('") + arg + "')\n");
  return refuse("Error: unknown option for pconf2 type\n");
}

bool custom_option(Options& o, int c, const char* arg) {
  if (c == 'u') {
    auto u = tlaunch::lcp::host::parse_uuid(arg);
    if (!u) return refuse(std::string("Error:  uuid is not well formed: ") + arg + "\n");
    o.custom.uuid = *u;
    return true;
  }
  if (c != 0) return refuse("Error: unknown option for custom type\n");
  log(o, std::string("cmdline opt: data file: ") + arg + "\n");
  auto data = tlaunch::cli::compat::upstream_read_file(arg);
  if (!data) return false;
  o.custom.data = std::move(*data);  // several files: the last one wins (custom_elt.c)
  return true;
}

bool plugin_option(Options& o, int c, const char* arg) {
  switch (o.type) {
    case Type::kMle2:
      return mle2_option(o, c, arg);
    case Type::kSbios:
      return sbios_option(o, c, arg);
    case Type::kStm:
      return stm_option(o, c, arg);
    case Type::kPconf2:
      return pconf2_option(o, c, arg);
    case Type::kCustom:
      return custom_option(o, c, arg);
    case Type::kNone:
      break;
  }
  return false;
}

// Upstream's checks before its plugins' create() builds an element; false after printing why.
bool pconf2_ready(const Pconf2State& st) {
  bool any = false;
  for (size_t i = 0; i < lcp::kPconfPcrCount; ++i) {
    if (!st.pcrs.present[i]) continue;
    any = true;
    if (st.pcr_alg_size[i] != lcp::lcp_digest_size(st.alg))
      return refuse("Error: --alg was changed after --pcr" + std::to_string(i) +
                    " was given; give --alg once, before the --pcrN options\n");
  }
  if (!any) return refuse("Error: no PCRs specified for the pconf element\n");
  return true;
}

bool ready_to_build(const Options& o) {
  switch (o.type) {
    case Type::kMle2:
      return check_hash_alg(o.mle2);
    case Type::kSbios:
      // Upstream overflows the heap here (NumHashes = 0 - 1).
      return !o.sbios.hashes.empty() || refuse("Error: no hashes provided\n");
    case Type::kStm:
      return check_hash_alg(o.stm);
    case Type::kPconf2:
      return pconf2_ready(o.pconf2);
    case Type::kCustom:
      return !o.custom.uuid.is_null() || refuse("Error:  no uuid specified\n");
    case Type::kNone:
      break;
  }
  return true;
}

tlaunch::host::Expected<Bytes> build_element(const Options& o) {
  namespace lh = tlaunch::lcp::host;
  switch (o.type) {
    case Type::kMle2:
      return lh::build_mle2(o.ctrl, o.mle2.sinit_min_version, o.mle2.alg, o.mle2.hashes);
    case Type::kSbios:
      return lh::build_sbios2(o.ctrl, o.sbios.alg, o.sbios.hashes);
    case Type::kStm:
      return lh::build_stm2(o.ctrl, o.stm.alg, o.stm.hashes);
    case Type::kPconf2:
      return lh::build_pconf2(o.ctrl, o.pconf2.alg, o.pconf2.pcrs);
    case Type::kCustom:
      return lh::build_custom(o.ctrl, o.custom.uuid, o.custom.data);
    case Type::kNone:
      break;
  }
  return tlaunch::host::fail(tlaunch::Errc::kInternal, "no type");
}

// The plugins' create(): the element bytes, or nullopt after printing upstream's messages.
std::optional<Bytes> create_element(const Options& o) {
  if (!ready_to_build(o)) return std::nullopt;
  auto r = build_element(o);
  if (!r) {
    err("Error: " + r.failure().message + "\n");
    return std::nullopt;
  }
  return std::move(*r);
}

// Prints one element file as polelt.c display_policy_element() does; false on failure.
bool show_element_file(const Options& o, const std::string& path) {
  log(o, "cmdline opt: file: " + path + "\n");
  std::printf("policy element file: %s\n", path.c_str());
  std::fflush(stdout);
  auto data = tlaunch::cli::compat::upstream_read_file(path);
  if (!data) return false;
  // polelt.c verify_policy_element(): Size >= 12 and Size == file size. Upstream says "data is
  // too small" also when the file is larger than Size (docs/reference/upstream-quirks.md#q22); we
  // say what is wrong.
  const uint32_t size = tlaunch::cli::compat::le32_at0(*data);
  if (data->size() < lcp::kElementHeaderSize || size > data->size() ||
      size < lcp::kElementHeaderSize)
    return refuse("Error: data is too small\n");
  if (size < data->size()) {
    char msg[160];
    std::snprintf(msg, sizeof(msg),
                  "Error: element size 0x%x is smaller than the file (%zu bytes)\n", size,
                  data->size());
    return refuse(msg);
  }
  auto elt = lcp::read_element_file(tlaunch::ByteSpan(data->data(), data->size()));
  if (!elt) return refuse("Error: " + tlaunch::host::describe(elt.error(), path) + "\n");
  std::fputs(tlaunch::lcp::host::element_text(*elt).c_str(), stdout);
  return true;
}

int do_show(const Options& o, int argc, char** argv, int first) {
  if (first == argc) return fail("Error: no files specified\n");
  for (int i = first; i < argc; ++i)
    if (!show_element_file(o, argv[i])) return 1;
  return 0;
}

int do_create(Options& o, int argc, char** argv, int first) {
  if (o.type == Type::kNone) return fail("Error: no type was specified\n");
  if (o.out_file.empty()) return fail("Error: no output file specified\n");
  for (int i = first; i < argc; ++i) {
    log(o, std::string("cmdline opt: file: ") + argv[i] + "\n");
    if (!plugin_option(o, 0, argv[i])) return 1;
  }
  auto elt = create_element(o);
  if (!elt) return fail("Error: failed to allocate element\n");
  auto w = tlaunch::host::write_file_atomic(o.out_file, *elt);
  if (!w) {
    err("Error: failed to open file " + o.out_file + " for writing: " + w.failure().message + "\n");
    err("Error: error writing element\n");
    return 1;
  }
  return 0;
}

// --ctrl: PolEltControl.
bool set_ctrl(Options& o, const char* arg) {
  auto v = parse_number(arg, 0xFFFFFFFFul);
  if (!v)
    return refuse(std::string("Error: invalid --ctrl value '") + arg +
                  "' (a number, hex with 0x or decimal, up to 0xffffffff)\n");
  o.ctrl = static_cast<uint32_t>(*v);
  return true;
}

bool set_type(Options& o, const char* arg) {
  const Type t = type_from_string(arg);
  if (t == Type::kNone) return refuse(std::string("Error: unknown type '") + arg + "'\n");
  o.type = t;
  log(o, std::string("cmdline opt: type: '") + arg + "'\n");
  return true;
}

// One option of crtpolelt.c's getopt loop; the options it does not know go to the plugin of
// --type. False after printing why the command line is refused (or after getopt's message).
bool apply_option(Options& o, int c, const char* arg) {
  switch (c) {
    case 'H':
    case 'C':
    case 'S':
    case 'V':
      return tlaunch::cli::compat::take_command(&o.cmd, c);
    case 't':
      return set_type(o, arg);
    case 'o':
      o.out_file = arg;
      return true;
    case 'c':
      return set_ctrl(o, arg);
    case 0:
      return true;
    case '?':
      return false;  // getopt has printed the reason
    default:
      if (o.type == Type::kNone) return refuse("Error: type must be the first option\n");
      return plugin_option(o, c, arg);
  }
}

bool parse_options(int argc, char** argv, Options& o) {
  // crtpolelt.c long_opts followed by the plugins' options in registration order (custom,
  // sbios, stm, pconf2, mle2); duplicates ("alg") resolve to the first entry, as upstream.
  const struct option long_opts[] = {
      {"help", no_argument, nullptr, 'H'},
      {"version", no_argument, nullptr, 'V'},
      {"create", no_argument, nullptr, 'C'},
      {"show", no_argument, nullptr, 'S'},
      {"type", required_argument, nullptr, 't'},
      {"out", required_argument, nullptr, 'o'},
      {"ctrl", required_argument, nullptr, 'c'},
      {"verbose", no_argument, &o.verbose, 1},
      {"uuid", required_argument, nullptr, 'u'},
      {"alg", required_argument, nullptr, 'a'},
      {"alg", required_argument, nullptr, 'a'},
      {"alg", required_argument, nullptr, 'a'},
      {"pcr0", required_argument, nullptr, '0'},
      {"pcr1", required_argument, nullptr, '1'},
      {"pcr2", required_argument, nullptr, '2'},
      {"pcr3", required_argument, nullptr, '3'},
      {"pcr4", required_argument, nullptr, '4'},
      {"pcr5", required_argument, nullptr, '5'},
      {"pcr6", required_argument, nullptr, '6'},
      {"pcr7", required_argument, nullptr, '7'},
      {"minver", required_argument, nullptr, 'm'},
      {"alg", required_argument, nullptr, 'a'},
      {nullptr, 0, nullptr, 0},
  };
  for (int c; (c = getopt_long_only(argc, argv, "", long_opts, nullptr)) != -1;)
    if (!apply_option(o, c, optarg)) return false;
  return true;
}

int run(Options& o, int argc, char** argv) {
  switch (o.cmd) {
    case 0:
      return fail("Error: no command was specified\n");
    case 'H':
      std::fputs(kHelp, stdout);
      return 0;
    case 'S':
      return do_show(o, argc, argv, optind);
    case 'C':
      return do_create(o, argc, argv, optind);
    case 'V':
      std::printf("lcp2_crtpolelt version: %i.%i", 1, 1);
      return 0;
    default:
      return fail("Error: unknown command option\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) return 1;
  return run(o, argc, argv);
}
