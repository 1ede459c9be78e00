// lcp2_crtpol (also installed as lcp_crtpol): drop-in for lcptools-v2's policy tool
// (docs/reference/lcp.md §3, §4, §10; upstream lcptools-v2/crtpol.c, pol.c, poldata.c at commit
// 80ca413). Options, defaults, outputs, messages and exit codes (0/1) are upstream's; where
// upstream is broken we do the correct thing (docs/compat.md, section "lcp2_crtpol"; Qn is
// docs/reference/upstream-quirks.md#qn):
//   - a data file with 8 lists (which upstream writes) can be shown (Q42); more than 8 list
//     files are an error instead of being dropped silently;
//   - RSA-3072 signed LIST2 lists are accepted (Q26); every signed list of a data file is
//     verified by --show (upstream checks only the first 0x300 list, Q46);
//   - any invalid --mask/--sign/--auxalg value is an error (Q43); --auxalg is ignored for
//     version 3.2 whatever the option order (Q44); numbers are checked (no silent 0);
//   - the TPM 1.2 syntax of the old lcp_crtpol (`lcp_crtpol -t 1 -o pol ...`) gets an error that
//     shows the equivalent commands.
// Command line parsing uses glibc getopt_long_only() with upstream's option table.
#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compat_io.h"
#include "compat_lcputils.h"
#include "tlaunch/policy/host/lcp/lcp_list_compat.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_list_text.h"
#include "tlaunch/policy/host/lcp/lcp_policy_ops.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_policy.h"

namespace {

namespace lcp = tlaunch::lcp;
namespace lh = tlaunch::lcp::host;
using lh::Bytes;

constexpr const char kHelp[] =
    "Usage: lcp2_crtpol <COMMAND> [OPTION]\n"
    "Create an Intel(R) TXT policy (and policy data file)\n\n"
    "--create\n"
    "        --alg <sha256|sha384|sm3>  hash algorithm for the policy\n"
    "        --type <any|list>          type\n"
    "        [--minver <ver>]           SINITMinVersion\n"
    "        [--max_sinit_min]          MaxSINITMinVersion\n"
    "        [--rev <ctr1>[,ctrN]       8 revocation values (comma separated,\n"
    "                                   no spaces)\n"
    "        [--ctrl <pol ctrl]         policy control\n"
    "        --pol <FILE>               policy file\n"
    "        [--data <FILE>]            policy data file\n"
    "        [FILE]...                  policy list files\n"
    "        [--mask] <sha256|sha384|sm3>\n"
    "                                   Allowed policy hash algorithm(s)\n"
    "                                   Can be used more than once\n"
    "        [--auxalg]                 AUX allowed hash algorithm(s)\n"
    "                                   Not applicable for current LCP_POLICY v. 3.2\n"
    "        --sign                     <rsa-2048-sha256|rsa-3072-sha256|\n"
    "                                   rsa-3072-sha384|ecdsa-p256|ecdsa-p384|sm2>\n"
    "                                   lms|mldsa>\n"
    "                                   LCP allowed signing algorithm(s)\n"
    "                                   Can be used more than once\n"
    "        [--polver]                 LCP version:\n"
    "                                     TPM2.0: 3.0, 3.1, 3.2>\n"
    "                                   If not set policy ver will be 3.0\n"
    "--show\n"
    "        [--brief]                  brief format output\n"
    "        [policy file]              policy file\n"
    "        [policy data file]         policy data file\n"
    "--help\n"
    "--verbose                          enable verbose output; can be\n"
    "                                   specified with any command\n"
    "--version                          show tool version.\n\n";

constexpr uint16_t kVerNull = 0;

struct Options {
  int cmd = 0;
  uint16_t pol_ver = lcp::kPolicyVersion30;
  std::string policy_file, data_file, type;
  uint16_t hash_alg = lcp::kAlgNull;
  uint16_t aux_mask = 0;
  bool aux_given = false;
  uint16_t hash_mask = 0;
  uint32_t sign_mask = 0;
  uint8_t sinit_min = 0;
  uint8_t max_sinit_min = lcp::kDefaultMaxSinitMinVer;
  uint16_t rev[lcp::kRevocationCounters] = {};
  uint32_t ctrl = 0;
  bool brief = false;
  std::vector<std::string> files;
};

using tlaunch::cli::compat::err;
using tlaunch::cli::compat::fail;
using tlaunch::cli::compat::out;
using tlaunch::cli::compat::refuse;
using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/compat/common/compat_lcputils.h)

// lcputils.c str_to_lcp_hash_mask(): names, or a number with a 0x prefix; 0 = invalid.
uint16_t str_to_lcp_hash_mask(const char* s) {
  if (!std::strcmp(s, "sha256")) return lcp::kHashMaskSha256;
  if (!std::strcmp(s, "sha384")) return lcp::kHashMaskSha384;
  if (!std::strcmp(s, "sha512")) return lcp::kHashMaskSha512;
  if (!std::strcmp(s, "sm3")) return lcp::kHashMaskSm3_256;
  if (!std::strncmp(s, "0x", 2) || !std::strncmp(s, "0X", 2)) {
    auto v = lh::parse_unsigned(s, 0, 0xFFFF);
    return v ? static_cast<uint16_t>(*v) : 0;
  }
  return 0;
}

// lcputils.c str_to_sig_alg_mask() (HEAD keywords; numbers need a 0x prefix); 0 = invalid.
uint32_t str_to_sig_alg_mask(const char* s) {
  static const std::pair<const char*, uint32_t> kNames[] = {
      {"rsa-2048-sha256", lcp::kSignMaskRsa2048Sha256},
      {"rsa-3072-sha256", lcp::kSignMaskRsa3072Sha256},
      {"rsa-3072-sha384", lcp::kSignMaskRsa3072Sha384},
      {"ecdsa-p256", lcp::kSignMaskEcdsaP256},
      {"ecdsa-p384", lcp::kSignMaskEcdsaP384},
      {"sm2", lcp::kSignMaskSm2},
      {"lms", lcp::kSignMaskLmsP56b | lcp::kSignMaskLmsSha256M24H20},
      {"mldsa", lcp::kSignMaskMldsa87},
  };
  for (const auto& [name, mask] : kNames)
    if (!std::strcmp(s, name)) return mask;
  if (!std::strncmp(s, "0x", 2) || !std::strncmp(s, "0X", 2)) {
    auto v = lh::parse_unsigned(s, 0, 0xFFFFFFFFul);
    return v ? static_cast<uint32_t>(*v) : 0;
  }
  return 0;
}

// lcputils.c str_to_pol_ver()
uint16_t str_to_pol_ver(const char* s) {
  static const std::pair<const char*, uint16_t> kVers[] = {
      {"2.0", 0x200}, {"2.1", 0x201}, {"2.2", 0x202}, {"2.3", 0x203},
      {"2.4", 0x204}, {"3.0", 0x300}, {"3.1", 0x301}, {"3.2", 0x302}};
  for (const auto& [name, v] : kVers)
    if (!std::strcmp(s, name)) return v;
  return kVerNull;
}

// ------------------------------------------------------------------------------ --create
// Messages to print, in order, to stdout or stderr (upstream prints the failures of its list
// loading twice, docs/reference/upstream-quirks.md#q40: it retries the whole loop once).
struct Transcript {
  std::vector<std::pair<bool, std::string>> lines;  // (to stderr, text)
  void out(std::string s) { lines.emplace_back(false, std::move(s)); }
  void err(std::string s) { lines.emplace_back(true, std::move(s)); }
  void replay() const {
    for (const auto& [to_err, s] : lines) std::fputs(s.c_str(), to_err ? stderr : stdout);
  }
};

// lcputils.c read_file() of one list file, with its messages; nullopt on failure.
std::optional<Bytes> read_list_bytes(const std::string& f, Transcript& t) {
  if (int e = tlaunch::cli::compat::open_errno(f); e != 0) {
    t.err("Error: failed to open file " + f + ": " + std::strerror(e) + "\n");
    return std::nullopt;
  }
  auto data = tlaunch::host::read_file(f, lcp::kMaxListSize + 1024);
  if (!data.ok() || data->empty()) {
    t.err(data.ok() ? "Error: failed to get file length or file is empty.\n"
                    : "Error: " + data.failure().message + "\n");
    return std::nullopt;
  }
  return std::move(*data);
}

// The signature checks of crtpol.c create_poldata() for one list of version `major`.
bool check_list_signature(const std::string& f, uint8_t major, const lcp::ListView& l,
                          Transcript& t) {
  if (l.is_signed && !l.signature.has_value) {
    t.err("Error: policy list does not have sig_block\n");
    return false;
  }
  if (major == 3 && !l.is_signed) t.out("Verify TPM2.0 Policy List 2.1 success\n");
  if (!l.is_signed) return true;
  auto v = lh::verify_list(l);
  const bool ok = v.ok() && v->valid;
  if (major == 3 && l.signature.key_kind == lcp::KeyKind::kRsa)
    t.out(ok ? "List signature verified positively.\n" : "List signature did not verify.\n");
  if (!ok)
    t.err("Error: signature of policy list " + f +
          " does not verify: " + (v.ok() ? v->reason : v.failure().message) + "\n");
  return ok;
}

// Reads and checks one list file; `first_version` is the version of the first list (all lists
// must have it). nullopt on failure, with its messages in t.
std::optional<lh::ListFile> load_list(const std::string& f, std::optional<uint16_t>& first_version,
                                      Transcript& t) {
  auto data = read_list_bytes(f, t);
  if (!data) return std::nullopt;
  const uint16_t version =
      static_cast<uint16_t>((*data)[0] | (data->size() > 1 ? (*data)[1] << 8 : 0));
  if (!first_version) first_version = version;
  if (version != *first_version) {
    t.err("ERROR: Mixing list versions is not supported.\n");
    return std::nullopt;
  }
  const uint8_t major = static_cast<uint8_t>(version >> 8);
  auto lf = lh::list_from_bytes(std::move(*data), f, /*allow_missing_sig_block=*/major == 2);
  if (!lf.ok()) {
    t.err("Error: " + lf.failure().message + "\n");
    if (major == 3) t.err("ERROR: failed to read policy list structure.\n");
    return std::nullopt;
  }
  if (!check_list_signature(f, major, lf->view, t)) return std::nullopt;
  return std::move(*lf);
}

// Reads and checks the list files as crtpol.c create_poldata() does. Returns false on failure
// with its messages in t.
bool load_lists(const Options& o, std::vector<lh::ListFile>& lists, Transcript& t) {
  std::optional<uint16_t> first_version;
  for (const std::string& f : o.files) {
    auto lf = load_list(f, first_version, t);
    if (!lf) return false;
    lists.push_back(std::move(*lf));
  }
  return true;
}

// The policy structure of crtpol.c create() before its lists are known.
lcp::Policy policy_from_options(const Options& o) {
  lcp::Policy p;
  p.version = o.pol_ver;
  p.hash_alg = o.hash_alg;
  p.sinit_min_version = o.sinit_min;
  std::memcpy(p.data_revocation_counters, o.rev, sizeof(o.rev));
  p.max_sinit_min_ver = o.max_sinit_min;
  p.policy_control = o.ctrl;
  // crtpol.c create(): AuxHashAlgMask defaults to the mask of --alg for 3.0 only; it is reserved
  // in 3.2, where --auxalg is ignored whatever the option order (upstream: only if --polver 3.2
  // came first, docs/reference/upstream-quirks.md#q44).
  if (o.pol_ver == lcp::kPolicyVersion32)
    p.aux_hash_alg_mask = 0;
  else if (!o.aux_given && o.pol_ver == lcp::kPolicyVersion30)
    p.aux_hash_alg_mask = lcp::hash_alg_to_mask(o.hash_alg);
  else
    p.aux_hash_alg_mask = o.aux_mask;
  p.lcp_hash_alg_mask = o.hash_mask != 0 ? o.hash_mask : lcp::hash_alg_to_mask(o.hash_alg);
  p.lcp_sign_alg_mask = o.sign_mask;
  p.policy_type = o.type == "list" ? lcp::kPolicyTypeList : lcp::kPolicyTypeAny;
  return p;
}

int create(const Options& o) {
  const lcp::Policy p = policy_from_options(o);
  std::vector<lh::ListFile> lists;
  if (p.policy_type == lcp::kPolicyTypeList) {
    Transcript t;
    if (!load_lists(o, lists, t)) {
      t.replay();
      t.replay();
      return 1;
    }
    t.replay();
  }
  std::vector<const lh::ListFile*> ptrs;
  for (const auto& l : lists) ptrs.push_back(&l);
  auto built = lh::build_policy(p, ptrs);
  if (!built.ok()) return fail("Error: " + built.failure().message + "\n");
  // The data file first, so that a policy never names lists that were not written.
  if (p.policy_type == lcp::kPolicyTypeList &&
      !tlaunch::cli::compat::upstream_write_file(o.data_file, built->data_bytes))
    return 1;
  return tlaunch::cli::compat::upstream_write_file(o.policy_file, built->policy_bytes) ? 0 : 1;
}

// ------------------------------------------------------------------------------ --show
struct ShownFile {
  std::string path;
  Bytes bytes;
};

// Reads the one or two files of --show and tells the policy from the data file: the first file
// is the policy if it passes policy validation, else the data file. False if a file cannot be
// read (upstream's message printed).
bool read_show_files(const Options& o, std::optional<ShownFile>& pol,
                     std::optional<ShownFile>& data) {
  auto first = tlaunch::cli::compat::upstream_read_file(o.files[0]);
  if (!first) return false;
  if (lcp::decode_policy(tlaunch::ByteSpan(first->data(), first->size()), true).ok())
    pol = ShownFile{o.files[0], std::move(*first)};
  else
    data = ShownFile{o.files[0], std::move(*first)};
  if (o.files.size() == 2) {
    auto second = tlaunch::cli::compat::upstream_read_file(o.files[1]);
    if (!second) return false;
    if (!pol)
      pol = ShownFile{o.files[1], std::move(*second)};
    else
      data = ShownFile{o.files[1], std::move(*second)};
  }
  return true;
}

// Prints the policy file; its decoded policy, or nullopt if it does not decode.
std::optional<lcp::Policy> show_policy(const ShownFile& pol) {
  out("policy file: " + pol.path + "\n");
  auto p = lcp::decode_policy(tlaunch::ByteSpan(pol.bytes.data(), pol.bytes.size()), true);
  if (!p.ok()) {
    err("Error: " + tlaunch::host::describe(p.error(), pol.path) + "\n");
    return std::nullopt;
  }
  out(lh::policy_text(*p, "    "));
  return *p;
}

// Prints the data file and checks it against the policy; the exit status.
int show_data(const Options& o, ShownFile& data, const std::optional<lcp::Policy>& policy) {
  out("\npolicy data file: " + data.path + "\n");
  auto d = lh::policy_data_from_bytes(std::move(data.bytes), data.path);
  if (!d.ok()) return fail("Error: " + d.failure().message + "\n");
  // poldata.c verify_policy_data() runs its LIST2_1 check once per list but never moves past
  // the first list, and pollist2_1.c verify_tpm20_policy_list_2_1() prints this line for an
  // unsigned list only: so the line appears once for every list when the first one is an
  // unsigned 0x300 list, else not at all (the lists of a data file share one version). We
  // print exactly that; verify_data_lists() below checks every list for real.
  const lcp::ListView& first_list = d->view.lists[0];
  if (first_list.is_list21() && !first_list.is_signed)
    for (uint8_t i = 0; i < d->view.num_lists; ++i) out("Verify TPM2.0 Policy List 2.1 success\n");
  if (auto v = lh::verify_data_lists(*d); !v.ok())
    return fail("Error: " + v.failure().message + "\n");
  out(lh::policy_data_text(d->view, "    ", o.brief));
  // Upstream exits 1 when there is no LIST policy to check the data against
  // (docs/reference/upstream-quirks.md#q41).
  if (!policy || policy->policy_type != lcp::kPolicyTypeList) return 1;
  auto m = lh::data_matches_policy(d->view, *policy);
  if (!m.ok()) return fail("Error: " + m.failure().message + "\n");
  if (!*m) return fail("\nError: policy data hash does not match policy hash\n");
  out("\npolicy data hash matches policy hash\n");
  return 0;
}

int show(const Options& o) {
  std::optional<ShownFile> pol, data;
  if (!read_show_files(o, pol, data)) return 1;
  std::optional<lcp::Policy> policy;
  if (pol) policy = show_policy(*pol);
  return data ? show_data(o, *data, policy) : 0;
}

// ------------------------------------------------------------------------------ lcp_crtpol
// The TPM 1.2 lcp_crtpol (tboot lcptools v1): -t type -a alg -v ver -sr rev -s srtm -m mle
// -o policy -b data -pcf control. Its policies cannot be made any more; show what replaces them.
bool is_legacy_option(const char* a) {
  static const char* kOld[] = {"-t", "-a", "-v", "-sr", "-s", "-m", "-o", "-b", "-pcf"};
  for (const char* o : kOld)
    if (!std::strcmp(a, o)) return true;
  return false;
}

bool has_new_command(int argc, char** argv) {
  static const char* kCommands[] = {"create", "show", "help", "version"};
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (a[0] != '-') continue;
    a += a[1] == '-' ? 2 : 1;
    const size_t n = std::strcspn(a, "=");
    if (n < 2) continue;
    for (const char* c : kCommands)
      if (std::strncmp(a, c, n) == 0 && n <= std::strlen(c)) return true;
  }
  return false;
}

// The values of the TPM 1.2 options that matter to the equivalent commands.
struct LegacyOptions {
  std::string type, alg = "sha256", minver, ctrl, srtm, mle, pol = "list.pol", data = "list.dat";
  bool sha1 = false;
};

LegacyOptions parse_legacy_options(int argc, char** argv) {
  LegacyOptions l;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (!is_legacy_option(a.c_str())) continue;
    ++i;
    if (a == "-t") {
      l.type = v;
    } else if (a == "-a") {
      l.sha1 = std::string(v) == "sha1" || std::string(v) == "0";
    } else if (a == "-sr") {
      l.minver = v;
    } else if (a == "-s") {
      l.srtm = v;
    } else if (a == "-m") {
      l.mle = v;
    } else if (a == "-o") {
      l.pol = v;
    } else if (a == "-b") {
      l.data = v;
    } else if (a == "-pcf") {
      l.ctrl = v;
    }
  }
  return l;
}

// The element, list and policy commands that replace a TPM 1.2 list policy.
void err_list_policy_commands(const LegacyOptions& l, bool is_signed, const std::string& common) {
  std::string elts;
  if (!l.mle.empty()) {
    err("  lcp2_crtpolelt --create --type mle2 --alg " + l.alg + " --out mle.elt " + l.mle + "\n");
    elts += " mle.elt";
  }
  if (!l.srtm.empty()) {
    err("  lcp2_crtpolelt --create --type pconf2 --alg " + l.alg +
        " --pcr0 <hex> ... --out pconf.elt   (PCR values of " + l.srtm + ")\n");
    elts += " pconf.elt";
  }
  if (elts.empty()) {
    err("  lcp2_crtpolelt --create --type mle2 --alg " + l.alg + " --out mle.elt <hash file>\n");
    elts = " mle.elt";
  }
  err("  lcp2_crtpollist --create --listver 0x300 --out list.lst" + elts + "\n");
  if (is_signed)
    err("  lcp2_crtpollist --sign --sigalg rsapss --pub pubkey.pem --priv privkey.pem --out "
        "list.lst\n");
  err("  lcp2_crtpol --create --type list" + common + " --pol " + l.pol + " --data " + l.data +
      " list.lst\n");
}

int legacy_syntax_error(int argc, char** argv) {
  const LegacyOptions l = parse_legacy_options(argc, argv);
  // v1 policy types (lcptools v1 lcp.h): 0 hashonly, 1 unsigned, 2 signed, 3 any, 4 forceowner.
  const bool any = l.type == "3" || l.type == "any" || l.type == "4" || l.type == "forceowner" ||
                   l.type == "forceownerpolicy";
  const bool is_signed = l.type == "2" || l.type == "signed";
  std::string common = " --alg " + l.alg + " --sign rsa-2048-sha256";
  if (!l.minver.empty()) common += " --minver " + l.minver;
  if (!l.ctrl.empty()) common += " --ctrl " + l.ctrl;
  err("Error: lcp_crtpol is now another name of lcp2_crtpol, which makes TPM 2.0 (LCP v3)\n"
      "policies; the TPM 1.2 options -t, -a, -v, -sr, -s, -m, -o, -b and -pcf are no longer\n"
      "accepted. The equivalent commands are:\n");
  if (any)
    err("  lcp2_crtpol --create --type any" + common + " --pol " + l.pol + "\n");
  else
    err_list_policy_commands(l, is_signed, common);
  if (l.sha1) err("(SHA-1 is not available for LCP v3 policies: sha256 is used above.)\n");
  return 1;
}

// ------------------------------------------------------------------------------ options
// --rev: parse_comma_sep_ints(), up to 8 comma separated numbers (upstream drops the rest).
bool parse_revocation_counters(const char* arg, uint16_t (&rev)[lcp::kRevocationCounters]) {
  const std::string s = arg;
  uint16_t vals[lcp::kRevocationCounters] = {};
  size_t n = 0, start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    const std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (n == lcp::kRevocationCounters)
      return refuse("Error: --rev takes at most 8 revocation counters\n");
    auto v = lh::parse_unsigned(item.c_str(), 0, 0xFFFF);
    if (!v) return refuse("Error: invalid revocation counter '" + item + "'\n");
    vals[n++] = static_cast<uint16_t>(*v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::memcpy(rev, vals, sizeof(vals));
  return true;
}

// A number option up to `max` (upstream takes any text as 0; we refuse what is not a number).
template <typename T>
bool parse_number(const char* what, const char* arg, unsigned long max, T* out) {
  auto v = lh::parse_unsigned(arg, 0, max);
  if (!v) return refuse(std::string("Error: invalid ") + what + " '" + arg + "'\n");
  *out = static_cast<T>(*v);
  return true;
}

// --mask and --sign add to a mask; an invalid value is an error (upstream: only the first one).
template <typename T>
bool add_to_mask(T mask, T* into, const char* what, const char* arg) {
  if (mask == 0)
    return refuse(*into == 0 ? std::string("Error: ") + what + " not supported\n"
                             : std::string("Error: ") + what + " not supported: " + arg + "\n");
  *into |= mask;
  return true;
}

bool set_type(Options& o, const char* arg) {
  o.type = arg;
  if (o.type == "any" || o.type == "list") return true;
  return refuse("Error: unsupported policy type.\n");
}

bool set_aux_mask(Options& o, const char* arg) {
  const uint16_t m = str_to_lcp_hash_mask(arg);
  if (m == 0) return refuse("Error: AUX hash alg not supported\n");
  o.aux_mask = m;
  o.aux_given = true;
  return true;
}

bool set_pol_ver(Options& o, const char* arg) {
  o.pol_ver = str_to_pol_ver(arg);
  if (o.pol_ver != kVerNull) return true;
  return refuse("Error: Invalid policy version\n");
}

// One option of crtpol.c's getopt loop; false after printing why the command line is refused.
bool apply_option(Options& o, int c, const char* arg) {
  switch (c) {
    case 'H':
    case 'C':
    case 'S':
    case 'V':
      return tlaunch::cli::compat::take_command(&o.cmd, c);
    case 'a':
      o.hash_alg = str_to_hash_alg(arg);
      return true;
    case 'p':
      o.policy_file = arg;
      return true;
    case 'd':
      o.data_file = arg;
      return true;
    case 't':
      return set_type(o, arg);
    case 'r':
      return parse_revocation_counters(arg, o.rev);
    case 'm':
      return parse_number("--minver value", arg, 0xFF, &o.sinit_min);
    case 'n':
      return parse_number("--max_sinit_min value", arg, 0xFF, &o.max_sinit_min);
    case 'c':
      return parse_number("--ctrl value", arg, 0xFFFFFFFFul, &o.ctrl);
    case 'b':
      o.brief = true;
      return true;
    case 'k':
      return add_to_mask(str_to_lcp_hash_mask(arg), &o.hash_mask, "LCP hash alg", arg);
    case 'x':
      return set_aux_mask(o, arg);
    case 's':
      // No signing mask in LCP v2 (upstream ignores it).
      if ((o.pol_ver >> 8) == 2) return true;
      return add_to_mask(str_to_sig_alg_mask(arg), &o.sign_mask, "signing alg", arg);
    case 'e':
      return set_pol_ver(o, arg);
    case 0:
      return true;  // --verbose (a flag option)
    default:
      return refuse("Error: unrecognized option\n");
  }
}

// crtpol.c's command line: options (getopt_long_only, upstream's table), then the files.
bool parse_options(int argc, char** argv, Options& o) {
  static int verbose = 0;
  // crtpol.c long_opts, in upstream's order.
  static const struct option kLongOpts[] = {
      {"help", no_argument, nullptr, 'H'},
      {"version", no_argument, nullptr, 'V'},
      {"create", no_argument, nullptr, 'C'},
      {"show", no_argument, nullptr, 'S'},
      {"alg", required_argument, nullptr, 'a'},
      {"type", required_argument, nullptr, 't'},
      {"minver", required_argument, nullptr, 'm'},
      {"max_sinit_min", required_argument, nullptr, 'n'},
      {"rev", required_argument, nullptr, 'r'},
      {"ctrl", required_argument, nullptr, 'c'},
      {"pol", required_argument, nullptr, 'p'},
      {"data", required_argument, nullptr, 'd'},
      {"brief", no_argument, nullptr, 'b'},
      {"mask", required_argument, nullptr, 'k'},
      {"auxalg", required_argument, nullptr, 'x'},
      {"sign", required_argument, nullptr, 's'},
      {"polver", required_argument, nullptr, 'e'},
      {"verbose", no_argument, &verbose, 1},
      {nullptr, 0, nullptr, 0},
  };
  for (int c; (c = getopt_long_only(argc, argv, "", kLongOpts, nullptr)) != -1;)
    if (!apply_option(o, c, optarg)) return false;
  while (optind < argc) o.files.emplace_back(argv[optind++]);
  return true;
}

// ------------------------------------------------------------------------------ commands
// The checks of crtpol.c main() before create(), in upstream's order.
bool check_create_options(const Options& o) {
  const uint16_t major = o.pol_ver & 0xFF00;
  const char* msg = nullptr;
  if (o.hash_alg == lcp::kAlgNull && major == 0x300)
    msg = "Error: alg not supported or not specified.\n";
  else if (major == 0x300 && o.sign_mask == 0)
    msg = "Error: LCPv3 signing alg mask not supported or not specified\n";
  else if (o.type.empty())
    msg = "Error: no type specified\n";
  else if (o.policy_file.empty())
    msg = "Error: no policy file specified\n";
  else if (o.type == "list" && o.data_file.empty())
    msg = "Error: list type but no policy data file specified\n";
  else if (o.type == "list" && o.files.empty())
    msg = "Error: list type but no policy lists specified\n";
  else if (major == 0x200)
    msg = "Error: LCP policy version 2.x (TPM 1.2) is no longer supported\n";
  if (msg != nullptr) return refuse(msg);
  if (o.type == "list" && o.files.size() > lcp::kMaxLists)
    return refuse("Error: too many policy lists: " + std::to_string(o.files.size()) +
                  " (a policy data file holds at most 8)\n");
  return true;
}

bool check_show_options(const Options& o) {
  if (o.files.empty()) return refuse("Error: no policy or policy data file specified\n");
  if (o.files.size() > 2) return refuse("Error: too many files specified\n");
  return true;
}

int run(const Options& o) {
  switch (o.cmd) {
    case 0:
      return fail("Error: no command option was specified\n");
    case 'H':
      out(kHelp);
      return 0;
    case 'V':
      out("lcp2_crtpol version: 1.1");
      return 0;
    case 'C':
      return check_create_options(o) ? create(o) : 1;
    case 'S':
      return check_show_options(o) ? show(o) : 1;
    default:
      return fail("Error: unknown command\n");
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  if (!has_new_command(argc, argv)) {
    for (int i = 1; i < argc; ++i)
      if (is_legacy_option(argv[i])) return legacy_syntax_error(argc, argv);
  }
  Options o;
  if (!parse_options(argc, argv, o)) return 1;
  return run(o);
}
