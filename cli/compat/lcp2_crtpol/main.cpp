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

void out(const std::string& s) { std::fputs(s.c_str(), stdout); }
void err(const std::string& s) { std::fputs(s.c_str(), stderr); }

using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/common/compat_lcputils.h)

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

// Reads and checks the list files as crtpol.c create_poldata() does. Returns false on failure
// with its messages in t.
bool load_lists(const Options& o, std::vector<lh::ListFile>& lists, Transcript& t) {
  uint16_t first = 0;
  for (size_t i = 0; i < o.files.size(); ++i) {
    const std::string& f = o.files[i];
    // lcputils.c read_file() messages.
    std::FILE* fp = std::fopen(f.c_str(), "rb");
    if (fp == nullptr) {
      t.err("Error: failed to open file " + f + ": " + std::strerror(errno) + "\n");
      return false;
    }
    std::fclose(fp);
    auto data = tlaunch::host::read_file(f, lcp::kMaxListSize + 1024);
    if (!data.ok() || data->empty()) {
      t.err(data.ok() ? "Error: failed to get file length or file is empty.\n"
                      : "Error: " + data.failure().message + "\n");
      return false;
    }
    const uint16_t version =
        static_cast<uint16_t>((*data)[0] | (data->size() > 1 ? (*data)[1] << 8 : 0));
    if (i == 0) first = version;
    if (version != first) {
      t.err("ERROR: Mixing list versions is not supported.\n");
      return false;
    }
    const uint8_t major = static_cast<uint8_t>(version >> 8);
    auto lf = lh::list_from_bytes(std::move(*data), f, /*allow_missing_sig_block=*/major == 2);
    if (!lf.ok()) {
      t.err("Error: " + lf.failure().message + "\n");
      if (major == 3) t.err("ERROR: failed to read policy list structure.\n");
      return false;
    }
    const lcp::ListView& l = lf->view;
    if (l.is_signed && !l.signature.has_value) {
      t.err("Error: policy list does not have sig_block\n");
      return false;
    }
    if (major == 3 && !l.is_signed) t.out("Verify TPM2.0 Policy List 2.1 success\n");
    if (l.is_signed) {
      auto v = lh::verify_list(l);
      const bool ok = v.ok() && v->valid;
      if (major == 3 && l.signature.key_kind == lcp::KeyKind::kRsa)
        t.out(ok ? "List signature verified positively.\n" : "List signature did not verify.\n");
      if (!ok) {
        t.err("Error: signature of policy list " + f +
              " does not verify: " + (v.ok() ? v->reason : v.failure().message) + "\n");
        return false;
      }
    }
    lists.push_back(std::move(*lf));
  }
  return true;
}

int create(const Options& o) {
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
  if (!built.ok()) {
    err("Error: " + built.failure().message + "\n");
    return 1;
  }
  // The data file first, so that a policy never names lists that were not written.
  if (p.policy_type == lcp::kPolicyTypeList &&
      !lh::upstream_write_file(o.data_file, built->data_bytes))
    return 1;
  return lh::upstream_write_file(o.policy_file, built->policy_bytes) ? 0 : 1;
}

// ------------------------------------------------------------------------------ --show
int show(const Options& o) {
  struct File {
    std::string path;
    Bytes bytes;
  };
  std::optional<File> pol, data;
  auto first = lh::upstream_read_file(o.files[0]);
  if (!first) return 1;
  // The first file is the policy if it passes policy validation, else the data file.
  if (lcp::decode_policy(tlaunch::ByteSpan(first->data(), first->size()), true).ok())
    pol = File{o.files[0], std::move(*first)};
  else
    data = File{o.files[0], std::move(*first)};
  int rc = 1;
  if (o.files.size() == 2) {
    auto second = lh::upstream_read_file(o.files[1]);
    if (!second) return 1;
    if (!pol)
      pol = File{o.files[1], std::move(*second)};
    else
      data = File{o.files[1], std::move(*second)};
  }
  std::optional<lcp::Policy> policy;
  if (pol) {
    out("policy file: " + pol->path + "\n");
    auto p = lcp::decode_policy(tlaunch::ByteSpan(pol->bytes.data(), pol->bytes.size()), true);
    if (p.ok()) {
      policy = *p;
      out(lh::policy_text(*p, "    "));
    } else {
      err("Error: " + tlaunch::host::describe(p.error(), pol->path) + "\n");
    }
  }
  if (data) {
    out("\npolicy data file: " + data->path + "\n");
    auto d = lh::policy_data_from_bytes(std::move(data->bytes), data->path);
    if (!d.ok()) {
      err("Error: " + d.failure().message + "\n");
      return rc;
    }
    // poldata.c verify_policy_data() runs its LIST2_1 check once per list but never moves past
    // the first list, and pollist2_1.c verify_tpm20_policy_list_2_1() prints this line for an
    // unsigned list only: so the line appears once for every list when the first one is an
    // unsigned 0x300 list, else not at all (the lists of a data file share one version). We
    // print exactly that; verify_data_lists() below checks every list for real.
    const lcp::ListView& first_list = d->view.lists[0];
    if (first_list.is_list21() && !first_list.is_signed)
      for (uint8_t i = 0; i < d->view.num_lists; ++i)
        out("Verify TPM2.0 Policy List 2.1 success\n");
    if (auto v = lh::verify_data_lists(*d); !v.ok()) {
      err("Error: " + v.failure().message + "\n");
      return rc;
    }
    out(lh::policy_data_text(d->view, "    ", o.brief));
    // Upstream exits 1 when there is no LIST policy to check the data against
    // (docs/reference/upstream-quirks.md#q41).
    if (!policy || policy->policy_type != lcp::kPolicyTypeList) return rc;
    auto m = lh::data_matches_policy(d->view, *policy);
    if (!m.ok()) {
      err("Error: " + m.failure().message + "\n");
      return rc;
    }
    if (!*m) {
      err("\nError: policy data hash does not match policy hash\n");
      return rc;
    }
    out("\npolicy data hash matches policy hash\n");
  }
  rc = 0;
  return rc;
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

int legacy_syntax_error(int argc, char** argv) {
  std::string type, alg = "sha256", minver, ctrl, srtm, mle, pol = "list.pol", data = "list.dat";
  bool sha1 = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (!is_legacy_option(a.c_str())) continue;
    ++i;
    if (a == "-t") {
      type = v;
    } else if (a == "-a") {
      sha1 = std::string(v) == "sha1" || std::string(v) == "0";
    } else if (a == "-sr") {
      minver = v;
    } else if (a == "-s") {
      srtm = v;
    } else if (a == "-m") {
      mle = v;
    } else if (a == "-o") {
      pol = v;
    } else if (a == "-b") {
      data = v;
    } else if (a == "-pcf") {
      ctrl = v;
    }
  }
  // v1 policy types (lcptools v1 lcp.h): 0 hashonly, 1 unsigned, 2 signed, 3 any, 4 forceowner.
  const bool any = type == "3" || type == "any" || type == "4" || type == "forceowner" ||
                   type == "forceownerpolicy";
  const bool is_signed = type == "2" || type == "signed";
  std::string common = " --alg " + alg + " --sign rsa-2048-sha256";
  if (!minver.empty()) common += " --minver " + minver;
  if (!ctrl.empty()) common += " --ctrl " + ctrl;
  err("Error: lcp_crtpol is now another name of lcp2_crtpol, which makes TPM 2.0 (LCP v3)\n"
      "policies; the TPM 1.2 options -t, -a, -v, -sr, -s, -m, -o, -b and -pcf are no longer\n"
      "accepted. The equivalent commands are:\n");
  if (any) {
    err("  lcp2_crtpol --create --type any" + common + " --pol " + pol + "\n");
  } else {
    std::string elts;
    if (!mle.empty()) {
      err("  lcp2_crtpolelt --create --type mle2 --alg " + alg + " --out mle.elt " + mle + "\n");
      elts += " mle.elt";
    }
    if (!srtm.empty()) {
      err("  lcp2_crtpolelt --create --type pconf2 --alg " + alg +
          " --pcr0 <hex> ... --out pconf.elt   (PCR values of " + srtm + ")\n");
      elts += " pconf.elt";
    }
    if (elts.empty()) {
      err("  lcp2_crtpolelt --create --type mle2 --alg " + alg + " --out mle.elt <hash file>\n");
      elts = " mle.elt";
    }
    err("  lcp2_crtpollist --create --listver 0x300 --out list.lst" + elts + "\n");
    if (is_signed)
      err("  lcp2_crtpollist --sign --sigalg rsapss --pub pubkey.pem --priv privkey.pem --out "
          "list.lst\n");
    err("  lcp2_crtpol --create --type list" + common + " --pol " + pol + " --data " + data +
        " list.lst\n");
  }
  if (sha1) err("(SHA-1 is not available for LCP v3 policies: sha256 is used above.)\n");
  return 1;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (!has_new_command(argc, argv)) {
    for (int i = 1; i < argc; ++i)
      if (is_legacy_option(argv[i])) return legacy_syntax_error(argc, argv);
  }
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
  Options o;
  bool prev_cmd = false;
  auto bad_number = [](const char* what, const char* v) {
    err(std::string("Error: invalid ") + what + " '" + v + "'\n");
    return 1;
  };
  for (;;) {
    const int c = getopt_long_only(argc, argv, "", kLongOpts, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'H':
      case 'C':
      case 'S':
      case 'V':
        if (prev_cmd) {
          err("Error: only one command can be specified\n");
          return 1;
        }
        prev_cmd = true;
        o.cmd = c;
        break;
      case 'a':
        o.hash_alg = str_to_hash_alg(optarg);
        break;
      case 'p':
        o.policy_file = optarg;
        break;
      case 'd':
        o.data_file = optarg;
        break;
      case 't':
        o.type = optarg;
        if (o.type != "any" && o.type != "list") {
          err("Error: unsupported policy type.\n");
          return 1;
        }
        break;
      case 'r': {
        // parse_comma_sep_ints(): up to 8 comma separated numbers (upstream drops the rest).
        std::string s = optarg;
        uint16_t vals[lcp::kRevocationCounters] = {};
        size_t n = 0, start = 0;
        for (;;) {
          const size_t comma = s.find(',', start);
          const std::string item =
              s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (n == lcp::kRevocationCounters) {
            err("Error: --rev takes at most 8 revocation counters\n");
            return 1;
          }
          auto v = lh::parse_unsigned(item.c_str(), 0, 0xFFFF);
          if (!v) return bad_number("revocation counter", item.c_str());
          vals[n++] = static_cast<uint16_t>(*v);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        std::memcpy(o.rev, vals, sizeof(vals));
        break;
      }
      case 'm': {
        auto v = lh::parse_unsigned(optarg, 0, 0xFF);
        if (!v) return bad_number("--minver value", optarg);
        o.sinit_min = static_cast<uint8_t>(*v);
        break;
      }
      case 'n': {
        auto v = lh::parse_unsigned(optarg, 0, 0xFF);
        if (!v) return bad_number("--max_sinit_min value", optarg);
        o.max_sinit_min = static_cast<uint8_t>(*v);
        break;
      }
      case 'c': {
        auto v = lh::parse_unsigned(optarg, 0, 0xFFFFFFFFul);
        if (!v) return bad_number("--ctrl value", optarg);
        o.ctrl = static_cast<uint32_t>(*v);
        break;
      }
      case 'b':
        o.brief = true;
        break;
      case 'k': {
        const uint16_t m = str_to_lcp_hash_mask(optarg);
        if (m == 0 && o.hash_mask == 0) {
          err("Error: LCP hash alg not supported\n");
          return 1;
        }
        if (m == 0) {
          err(std::string("Error: LCP hash alg not supported: ") + optarg + "\n");
          return 1;
        }
        o.hash_mask |= m;
        break;
      }
      case 'x': {
        const uint16_t m = str_to_lcp_hash_mask(optarg);
        if (m == 0) {
          err("Error: AUX hash alg not supported\n");
          return 1;
        }
        o.aux_mask = m;
        o.aux_given = true;
        break;
      }
      case 's': {
        if ((o.pol_ver >> 8) == 2) break;  // no signing mask in LCP v2 (upstream ignores it)
        const uint32_t m = str_to_sig_alg_mask(optarg);
        if (m == 0 && o.sign_mask == 0) {
          err("Error: signing alg not supported\n");
          return 1;
        }
        if (m == 0) {
          err(std::string("Error: signing alg not supported: ") + optarg + "\n");
          return 1;
        }
        o.sign_mask |= m;
        break;
      }
      case 'e':
        o.pol_ver = str_to_pol_ver(optarg);
        if (o.pol_ver == kVerNull) {
          err("Error: Invalid policy version\n");
          return 1;
        }
        break;
      case 0:
        break;  // --verbose (a flag option)
      default:
        err("Error: unrecognized option\n");
        return 1;
    }
  }
  while (optind < argc) o.files.emplace_back(argv[optind++]);

  switch (o.cmd) {
    case 0:
      err("Error: no command option was specified\n");
      return 1;
    case 'H':
      out(kHelp);
      return 0;
    case 'V':
      out("lcp2_crtpol version: 1.1");
      return 0;
    case 'C': {
      const uint16_t major = o.pol_ver & 0xFF00;
      if (o.hash_alg == lcp::kAlgNull && major == 0x300) {
        err("Error: alg not supported or not specified.\n");
        return 1;
      }
      if (major == 0x300 && o.sign_mask == 0) {
        err("Error: LCPv3 signing alg mask not supported or not specified\n");
        return 1;
      }
      if (o.type.empty()) {
        err("Error: no type specified\n");
        return 1;
      }
      if (o.policy_file.empty()) {
        err("Error: no policy file specified\n");
        return 1;
      }
      if (o.type == "list" && o.data_file.empty()) {
        err("Error: list type but no policy data file specified\n");
        return 1;
      }
      if (o.type == "list" && o.files.empty()) {
        err("Error: list type but no policy lists specified\n");
        return 1;
      }
      if (major == 0x200) {
        err("Error: LCP policy version 2.x (TPM 1.2) is no longer supported\n");
        return 1;
      }
      if (o.type == "list" && o.files.size() > lcp::kMaxLists) {
        err("Error: too many policy lists: " + std::to_string(o.files.size()) +
            " (a policy data file holds at most 8)\n");
        return 1;
      }
      return create(o);
    }
    case 'S':
      if (o.files.empty()) {
        err("Error: no policy or policy data file specified\n");
        return 1;
      }
      if (o.files.size() > 2) {
        err("Error: too many files specified\n");
        return 1;
      }
      return show(o);
    default:
      err("Error: unknown command\n");
      return 1;
  }
}
