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

#include "compat_lcputils.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"
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

void error(const std::string& msg) { std::fputs(msg.c_str(), stderr); }
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

using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/common/compat_lcputils.h)

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

// Reads a whole file the way lcputils.c read_file() reports problems.
std::optional<Bytes> read_data_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error("Error: failed to open file " + path + ": " + std::strerror(errno) + "\n");
    return std::nullopt;
  }
  Bytes data;
  unsigned char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.insert(data.end(), buf, buf + n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad || data.empty()) {
    // A directory reads as an error; an empty file as empty: upstream says the same for both.
    error("Error: failed to get file length or file is empty.\n");
    return std::nullopt;
  }
  return data;
}

// lcputils.c parse_file() + parse_line_hashes(), with the upstream per-element hash limit.
bool add_hash_file(const Options& o, HashTypeState& st, const std::string& path, size_t limit) {
  log(o, "reading hashes file " + path + "...\n");
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    error("Error: failed to open file " + path + " (" + std::strerror(errno) + ")\n");
    return false;
  }
  std::string text;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    // Upstream's fgets() loop takes a read error (e.g. a directory) for the end of the file.
    error("Error: failed to read file " + path + " (" + std::strerror(read_errno) + ")\n");
    return false;
  }
  uint8_t d = lcp::lcp_digest_size(st.alg);
  if (d == 0 || st.alg == lcp::kAlgSha1) {
    // Upstream: "Error: unsupported alg: 0x10" once a line is parsed (or a bogus element with
    // no hashes when the file is empty); we name the --alg value in every case.
    error("Error: unsupported hash algorithm '" + st.alg_name +
          "' (use sha256, sha384, sha512 or sm3)\n");
    return false;
  }
  auto parsed = tlaunch::lcp::host::parse_hash_text(text, d);
  size_t before = st.hashes.size();
  size_t good = parsed.digests.size();
  // Upstream checks the limit before it parses each line: a line past the limit fails as
  // "too many" even if it is malformed itself.
  if (before + good > limit || (parsed.error && before + good == limit)) {
    error("Error: too many hashes: an element holds at most " + std::to_string(limit) +
          " hashes (" + path + " line " + std::to_string(limit - before + 1) + ")\n");
    return false;
  }
  if (parsed.error) {
    if (parsed.error->kind == tlaunch::lcp::host::HashTextError::kWrongByteCount) {
      error("Error: incorrect number of chars for hash\n");
    } else {
      error("Error: " + tlaunch::lcp::host::describe_hash_text_error(*parsed.error, path) + "\n");
    }
    return false;
  }
  for (auto& h : parsed.digests) st.hashes.push_back(std::move(h));
  return true;
}

// The per-type option handlers (the plugins' cmdline_handler()); c == 0 is a positional file.
bool plugin_option(Options& o, int c, const char* arg) {
  switch (o.type) {
    case Type::kMle2:
      if (c == 'm') {
        auto v = parse_number(arg, 0xFF);
        if (!v) {
          error(std::string("Error: invalid --minver value '") + arg + "' (0..0xff)\n");
          return false;
        }
        o.mle2.sinit_min_version = static_cast<uint8_t>(*v);
        return true;
      }
      if (c == 'a') {
        o.mle2.alg_name = arg;
        o.mle2.alg = str_to_hash_alg(arg);
        return true;
      }
      if (c != 0) {
        error("Error: unknown option for mle type\n");
        return false;
      }
      return add_hash_file(o, o.mle2, arg, kMaxHashes);
    case Type::kSbios:
      if (c == 'a') {
        o.sbios.alg_name = arg;
        o.sbios.alg = str_to_hash_alg(arg);
        return true;
      }
      if (c != 0) {
        error("Error: unknown option for sbios type\n");
        return false;
      }
      if (!add_hash_file(o, o.sbios, arg, kMaxSbiosHashes)) return false;
      if (o.sbios.hashes.empty()) {
        error("Error: no hashes provided\n");
        return false;
      }
      return true;
    case Type::kStm:
      if (c == 'a') {
        o.stm.alg_name = arg;
        o.stm.alg = str_to_hash_alg(arg);
        return true;
      }
      if (c != 0) {
        error("Error: unknown option for mle type\n");  // sic, stm_elt.c
        return false;
      }
      return add_hash_file(o, o.stm, arg, kMaxHashes);
    case Type::kPconf2:
      if (c == 'a') {
        uint16_t alg = str_to_hash_alg(arg);
        if (alg == lcp::kAlgNull) {
          error("Error: invalid hash algorithm\n");
          return false;
        }
        o.pconf2.alg = alg;
        return true;
      }
      if (c >= '0' && c <= '7') {
        size_t pcr = static_cast<size_t>(c - '0');
        size_t d = lcp::lcp_digest_size(o.pconf2.alg);
        auto v = tlaunch::lcp::host::parse_pcr_value(arg, d);
        if (d == 0 || !v) {
          error("Error: unable to parse the hash value\n");
          return false;
        }
        std::memcpy(o.pconf2.pcrs.value[pcr], v->data(), d);
        o.pconf2.pcrs.present[pcr] = true;
        o.pconf2.pcr_alg_size[pcr] = static_cast<uint8_t>(d);
        return true;
      }
      // Upstream fails silently here (also for any positional argument).
      if (c == 0)
        error(std::string("Error: the pconf2 type takes no files ('") + arg + "')\n");
      else
        error("Error: unknown option for pconf2 type\n");
      return false;
    case Type::kCustom:
      if (c == 'u') {
        auto u = tlaunch::lcp::host::parse_uuid(arg);
        if (!u) {
          error(std::string("Error:  uuid is not well formed: ") + arg + "\n");
          return false;
        }
        o.custom.uuid = *u;
        return true;
      }
      if (c != 0) {
        error("Error: unknown option for custom type\n");
        return false;
      }
      {
        log(o, std::string("cmdline opt: data file: ") + arg + "\n");
        auto data = read_data_file(arg);
        if (!data) return false;
        o.custom.data = std::move(*data);  // several files: the last one wins (custom_elt.c)
      }
      return true;
    case Type::kNone:
      break;
  }
  return false;
}

// The plugins' create(): the element bytes, or nullopt after printing upstream's messages.
std::optional<Bytes> create_element(const Options& o) {
  using tlaunch::host::Expected;
  Expected<Bytes> r = tlaunch::host::fail(tlaunch::Errc::kInternal, "no type");
  switch (o.type) {
    case Type::kMle2:
      if (lcp::lcp_digest_size(o.mle2.alg) == 0 || o.mle2.alg == lcp::kAlgSha1) {
        error("Error: unsupported hash algorithm '" + o.mle2.alg_name +
              "' (use sha256, sha384, sha512 or sm3)\n");
        return std::nullopt;
      }
      r = tlaunch::lcp::host::build_mle2(o.ctrl, o.mle2.sinit_min_version, o.mle2.alg,
                                         o.mle2.hashes);
      break;
    case Type::kSbios:
      if (o.sbios.hashes.empty()) {
        // Upstream overflows the heap here (NumHashes = 0 - 1).
        error("Error: no hashes provided\n");
        return std::nullopt;
      }
      r = tlaunch::lcp::host::build_sbios2(o.ctrl, o.sbios.alg, o.sbios.hashes);
      break;
    case Type::kStm:
      if (lcp::lcp_digest_size(o.stm.alg) == 0 || o.stm.alg == lcp::kAlgSha1) {
        error("Error: unsupported hash algorithm '" + o.stm.alg_name +
              "' (use sha256, sha384, sha512 or sm3)\n");
        return std::nullopt;
      }
      r = tlaunch::lcp::host::build_stm2(o.ctrl, o.stm.alg, o.stm.hashes);
      break;
    case Type::kPconf2: {
      bool any = false;
      for (size_t i = 0; i < lcp::kPconfPcrCount; ++i) {
        if (!o.pconf2.pcrs.present[i]) continue;
        any = true;
        if (o.pconf2.pcr_alg_size[i] != lcp::lcp_digest_size(o.pconf2.alg)) {
          error("Error: --alg was changed after --pcr" + std::to_string(i) +
                " was given; give --alg once, before the --pcrN options\n");
          return std::nullopt;
        }
      }
      if (!any) {
        error("Error: no PCRs specified for the pconf element\n");
        return std::nullopt;
      }
      r = tlaunch::lcp::host::build_pconf2(o.ctrl, o.pconf2.alg, o.pconf2.pcrs);
      break;
    }
    case Type::kCustom:
      if (o.custom.uuid.is_null()) {
        error("Error:  no uuid specified\n");
        return std::nullopt;
      }
      r = tlaunch::lcp::host::build_custom(o.ctrl, o.custom.uuid, o.custom.data);
      break;
    case Type::kNone:
      break;
  }
  if (!r) {
    error("Error: " + r.failure().message + "\n");
    return std::nullopt;
  }
  return std::move(*r);
}

int do_show(const Options& o, int argc, char** argv, int first) {
  if (first == argc) {
    error("Error: no files specified\n");
    return 1;
  }
  for (int i = first; i < argc; ++i) {
    std::string path = argv[i];
    log(o, "cmdline opt: file: " + path + "\n");
    std::printf("policy element file: %s\n", path.c_str());
    std::fflush(stdout);
    auto data = read_data_file(path);
    if (!data) return 1;
    // polelt.c verify_policy_element(): Size >= 12 and Size == file size. Upstream says "data is
    // too small" also when the file is larger than Size (docs/reference/upstream-quirks.md#q22); we
    // say what is wrong.
    uint32_t size = 0;
    if (data->size() >= 4)
      size = static_cast<uint32_t>((*data)[0] | (*data)[1] << 8 | (*data)[2] << 16 |
                                   static_cast<uint32_t>((*data)[3]) << 24);
    if (data->size() < lcp::kElementHeaderSize || size > data->size() ||
        size < lcp::kElementHeaderSize) {
      error("Error: data is too small\n");
      return 1;
    }
    if (size < data->size()) {
      char msg[160];
      std::snprintf(msg, sizeof(msg),
                    "Error: element size 0x%x is smaller than the file (%zu bytes)\n", size,
                    data->size());
      error(msg);
      return 1;
    }
    auto elt = lcp::read_element_file(tlaunch::ByteSpan(data->data(), data->size()));
    if (!elt) {
      error("Error: " + tlaunch::host::describe(elt.error(), path) + "\n");
      return 1;
    }
    std::fputs(tlaunch::lcp::host::element_text(*elt).c_str(), stdout);
  }
  return 0;
}

int do_create(Options& o, int argc, char** argv, int first) {
  if (o.type == Type::kNone) {
    error("Error: no type was specified\n");
    return 1;
  }
  if (o.out_file.empty()) {
    error("Error: no output file specified\n");
    return 1;
  }
  for (int i = first; i < argc; ++i) {
    log(o, std::string("cmdline opt: file: ") + argv[i] + "\n");
    if (!plugin_option(o, 0, argv[i])) return 1;
  }
  auto elt = create_element(o);
  if (!elt) {
    error("Error: failed to allocate element\n");
    return 1;
  }
  auto w = tlaunch::host::write_file_atomic(o.out_file, *elt);
  if (!w) {
    error("Error: failed to open file " + o.out_file + " for writing: " + w.failure().message +
          "\n");
    error("Error: error writing element\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
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
  bool prev_cmd = false;
  for (;;) {
    int c = getopt_long_only(argc, argv, "", long_opts, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'H':
      case 'C':
      case 'S':
      case 'V':
        if (prev_cmd) {
          error("Error: only one command can be specified\n");
          return 1;
        }
        prev_cmd = true;
        o.cmd = c;
        break;
      case 't': {
        Type t = type_from_string(optarg);
        if (t == Type::kNone) {
          error(std::string("Error: unknown type '") + optarg + "'\n");
          return 1;
        }
        o.type = t;
        log(o, std::string("cmdline opt: type: '") + optarg + "'\n");
        break;
      }
      case 'o':
        o.out_file = optarg;
        break;
      case 'c': {
        auto v = parse_number(optarg, 0xFFFFFFFFul);
        if (!v) {
          error(std::string("Error: invalid --ctrl value '") + optarg +
                "' (a number, hex with 0x or decimal, up to 0xffffffff)\n");
          return 1;
        }
        o.ctrl = static_cast<uint32_t>(*v);
        break;
      }
      case 0:
        break;
      case '?':
        return 1;  // getopt has printed the reason
      default:
        if (o.type == Type::kNone) {
          error("Error: type must be the first option\n");
          return 1;
        }
        if (!plugin_option(o, c, optarg)) return 1;
        break;
    }
  }

  switch (o.cmd) {
    case 0:
      error("Error: no command was specified\n");
      return 1;
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
      break;
  }
  error("Error: unknown command option\n");
  return 1;
}
