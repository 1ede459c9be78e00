// lcp2_crtpollist: drop-in for lcptools-v2's policy list tool (docs/reference/lcp.md §9; upstream
// lcptools-v2/crtpollist.c, pollist2.c, pollist2_1.c, crypto_OpenSSL.c at commit 80ca413).
// Options, defaults, outputs, messages and exit codes (0/1) are upstream's, element order
// included; where upstream is broken we do the correct thing (docs/compat.md, section
// "lcp2_crtpollist"; Qn is docs/reference/upstream-quirks.md#qn):
//   - RSA-3072 PKCS#1 lists verify (Q26); --addsig works (Q27); --nosig works (Q28);
//   - --verify exits 1 when a signature does not verify and also checks LIST2 lists (Q30);
//   - re-signing a signed 0x300 list works (Q37); a private key that does not belong to the
//     public key is refused instead of writing an unverifiable list (Q36);
//   - SM2 keys load (OpenSSL 3); passphrase-protected keys read their passphrase from
//     --passphrase-file or TLAUNCH_KEY_PASSPHRASE (or the terminal), never the command line.
// Command line parsing uses glibc getopt_long_only() with upstream's option table so that
// abbreviations, single-dash long options and getopt's own diagnostics are upstream's.
#include <getopt.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "compat_lcputils.h"
#include "tlaunch/policy/host/lcp/lcp_list_compat.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_list_text.h"
#include "tlaunch/policy/host/lcp/lcp_sign.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_element.h"
#include "tlaunch/policy/lcp_list.h"

namespace {

namespace lcp = tlaunch::lcp;
namespace lh = tlaunch::lcp::host;
using lh::Bytes;

// crtpollist.c help text (its output is part of the upstream interface).
constexpr const char kHelp[] =
    "Usage: lcp2_crtpollist <COMMAND> [OPTIONS]\n"
    "Create an Intel(R) TXT policy list.\n\n"
    "Supports:\n"
    "    LCP_POLICY_LIST - legacy list format - major version 0x1.\n"
    "    LCP_POLICY_LIST_2 - current list format for RSA-SSA - major version 0x2\n"
    "    LCP_POLICY_LIST_2_1 - current list format for LMS, RSA-PSS, ECDSA and hybrid signatures "
    "- major version 0x1\n"
    "\n--create\n"
    "Creates LCP list version <version> containing elements from [ELT FILES]\n"
    "and writes it to <FILE>.\n\n"
    "To generate LCP_POLICY_LIST_2_1:\n"
    "        --out <FILE>             policy list file\n"
    "        --listver <version>      policy list version must be 0x300\n"
    "        [ELT FILES]...           policy element file(s)\n"
    "To generate LCP_POLICY_LIST_2:\n"
    "        --out <FILE>             policy list file\n"
    "        [--sigalg]               <rsa|ecdsa|sm2> signature algorithm\n"
    "        --listver <version>      policy list version must be 0x200||0x201\n"
    "        [ELT FILES]...           policy element file(s)\n"
    "To generate LCP_POLICY_LIST:\n"
    "        --out <FILE>             policy list file\n"
    "        --listver <version>      policy list version must be 0x100\n\n"
    "        [ELT FILES]...           policy element file(s)\n"
    "\n--sign\n"
    "Signs policy list file\n"
    "        --sigalg                 <rsa|rsapss|ecdsa|sm2|lms|mldsa> signature algorithm\n"
    "        [--hashalg]              LCP_POLICY_LIST2_1 option:\n"
    "                                 <sha256|sha384|sha512|sm2> hash algorithm\n"
    "        --pub <key file>         PEM file of public key\n"
    "        [--priv <key file>]      PEM file of private key\n"
    "        [--rev <rev ctr>]        revocation counter value\n"
    "        [--nosig]                don't add SigBlock\n"
    "        [--force]                skip LMS signing confirmation prompt\n"
    "        [--savesig <FILE>]       save LCP_SIGNATURE2_1 to file\n"
    "        --out <FILE>             policy list file to sign\n"
    "\n--addsig\n"
    "Adds signature file to LCP_POLICY_LIST_2 - this option cannot be used\n"
    "with LCP_POLICY_LIST_2_1.\n"
    "        --sig <FILE>             file containing signature (big-endian)\n"
    "        --out <FILE>             policy list file\n"
    "\n--show\n"
    "Displays policy list contents.\n"
    "        <FILE>                   policy list file\n"
    "\n--verify\n"
    "Verifies signed LCP_POLICY_LIST_2_1 signature.\n"
    "        <FILE>                   policy list file with signature\n"
    "\n--help\n"
    "\n--verbose                      enable verbose output; can be\n"
    "                                 specified with any command\n\n"
    "\n--version                      show tool version.\n"
    "The public and private keys can be created as follows:\n"
    "  openssl genrsa -out privkey.pem 2048\n"
    "  openssl rsa -pubout -in privkey.pem -out pubkey.pem\n"
    "LMS private and public keys with Winternitz coefficient of 4 and Merkle tree height of 20\n"
    "can be generated as follows:\n"
    "  demo lms_key SHA192,20/4\n"
    "ML-DSA-87 key pair can be generated as follows:\n"
    "  openssl genpkey -algorithm ML-DSA-87 -out privkey.pem\n"
    "  openssl pkey -in privkey.pem -pubout -out pubkey.pem\n";
// (--passphrase-file and TLAUNCH_KEY_PASSPHRASE are documented in lcp2_crtpollist(8), not here:
// the help text stays upstream's.)

// Upstream's limit on positional element files (crtpollist.c MAX_FILES).
constexpr size_t kMaxFiles = 32;

struct Options {
  int cmd = 0;
  uint16_t version = 0;
  std::string out;
  uint16_t sigalg = lcp::kAlgNull;
  uint16_t hash_alg = lcp::kAlgSha256;
  std::string pub, priv, sig_file, saved_sig_file, passphrase_file;
  uint16_t rev = 0;
  bool nosig = false;
  bool force = false;
  bool verbose = false;
  std::vector<std::string> files;
};

void out(const std::string& s) { std::fputs(s.c_str(), stdout); }
void err(const std::string& s) { std::fputs(s.c_str(), stderr); }

// lcputils.c str_to_sig_alg()
uint16_t str_to_sig_alg(const char* s) {
  if (!std::strcmp(s, "rsa-ssa") || !std::strcmp(s, "rsassa") || !std::strcmp(s, "rsa"))
    return lcp::kAlgRsaSsa;
  if (!std::strcmp(s, "ecdsa")) return lcp::kAlgEcdsa;
  if (!std::strcmp(s, "sm2")) return lcp::kAlgSm2;
  if (!std::strcmp(s, "rsa-pss") || !std::strcmp(s, "rsapss")) return lcp::kAlgRsaPss;
  if (!std::strcmp(s, "lms")) return lcp::kAlgLms;
  if (!std::strcmp(s, "mldsa")) return lcp::kAlgMldsa;
  return lcp::kAlgNull;
}

using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/common/compat_lcputils.h)

uint16_t le16(const Bytes& b) {
  return b.size() >= 2 ? static_cast<uint16_t>(b[0] | (b[1] << 8)) : 0;
}

lh::PassphraseSource passphrase(const Options& o) {
  lh::PassphraseSource p;
  p.file = o.passphrase_file;
  return p;
}

// ------------------------------------------------------------------------------ --create
int create(const Options& o) {
  const uint8_t major = static_cast<uint8_t>(o.version >> 8);
  const uint8_t minor = static_cast<uint8_t>(o.version & 0xFF);
  if (major != 2 && major != 3) {
    err("Error: only list versions 0x200, 0x201 or 0x300 are supported\n");
    return 1;
  }
  if ((major == 2 && minor > lcp::kList2MaxMinor) || (major == 3 && minor > lcp::kList21MaxMinor)) {
    char b[64];
    std::snprintf(b, sizeof(b), "Error: minor version 0x%02x not supported\n", minor);
    err(b);
    return 1;
  }
  if (o.files.size() > kMaxFiles) {
    err("Too many element files specified.\n");
    return 1;
  }
  // Each element goes in front of the ones before it, as upstream's (docs/compat.md
  // "lcp-element-order"); the files are read and checked in command-line order.
  std::vector<Bytes> elements;
  for (const std::string& f : o.files) {
    auto data = lh::upstream_read_file(f);
    if (!data) return 1;
    // polelt.c verify_policy_element(): Size >= 12 and Size == file length.
    uint32_t size =
        data->size() >= 4
            ? static_cast<uint32_t>((*data)[0] | ((*data)[1] << 8) | ((*data)[2] << 16) |
                                    (static_cast<uint32_t>((*data)[3]) << 24))
            : 0;
    if (data->size() < lcp::kElementHeaderSize || size != data->size()) {
      err("Error: data is too small\n");
      return 1;
    }
    auto e = lcp::read_element_file(tlaunch::ByteSpan(data->data(), data->size()));
    if (!e.ok()) {
      err("Error: " + tlaunch::host::describe(e.error(), f) + "\n");
      return 1;
    }
    elements.push_back(std::move(*data));
  }
  auto list = lh::make_list(o.version, elements, lh::ElementOrder::kEachInFront);
  if (!list.ok()) {
    err("Error: " + list.failure().message + "\n");
    return 1;
  }
  return lh::upstream_write_file(o.out, *list) ? 0 : 1;
}

// ------------------------------------------------------------------------------ --sign
// What upstream prints when it cannot read the public key (crypto_OpenSSL.c, pollist2*.c):
// for a file that cannot be opened its exact lines, otherwise our message, then its chain.
void report_pubkey_failure(const Options& o, const lh::Failure& f, int open_errno, bool ecc,
                           bool list21) {
  if (open_errno != 0) {
    const std::string why = std::strerror(open_errno);
    err("Error: failed to open file " + o.pub + ": " + why + "\n");
    if (ecc)
      err("ERROR: cannot open file " + o.pub + ".\n");
    else
      out("Error: failed to open key file " + o.pub + ": " + why + "\n");
  } else {
    err("Error: " + f.message + "\n");
  }
  if (ecc)
    err(list21 ? "Error: failed to read ecc key.\n" : "Error: failed to read ec public key.\n");
  else
    err(list21 ? "Error: cannot create lcp signature 2.1\n"
               : "Error: failed to read public key.\n");
  err(list21 ? "Error: failed to sign policy list.\n" : "Error: failed to sign policy list\n");
}

// errno of opening path for reading, 0 if it opens.
int open_errno(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return errno != 0 ? errno : ENOENT;
  std::fclose(f);
  return 0;
}

// The tail of upstream's failure chain once signing itself failed.
void sign_failed_chain(bool list21, bool rsa) {
  if (list21) {
    err(rsa ? "Error: failed to sign list data.\nError: failed to sign list data.\n"
            : "Error: failed to sign pollist data.\nError: failed to sign list data.\n");
    err("Error: failed to sign policy list.\n");
  } else {
    err(rsa ? "Error: failed to sign list data.\nError: failed to sign policy list data.\n"
            : "Error: failed to sign policy list data.\nError: failed to sign list data.\n");
    err("Error: failed to sign policy list\n");
  }
}

int sign_failed() {
  out("Failed to sign and write LCP list.\n");
  return 1;
}

int sign(const Options& o) {
  auto data = lh::upstream_read_file(o.out);
  if (!data) return 1;
  const uint16_t version = le16(*data);
  const uint8_t major = static_cast<uint8_t>(version >> 8);
  if (major != 2 && major != 3) return 1;  // as upstream: nothing to do, no message
  const bool list21 = major == 3;
  auto lf = lh::list_from_bytes(*data, o.out, /*allow_missing_sig_block=*/!list21);
  if (!lf.ok()) {
    err("Error: " + lf.failure().message + "\n");
    err(list21 ? "Error: failed to read policy list file.\n"
               : "Error: failed to read policy list file.\n");
    return sign_failed();
  }
  if (list21 && !lf->view.is_signed) out("Verify TPM2.0 Policy List 2.1 success\n");

  const uint16_t alg = o.sigalg;
  if (!list21 && alg == lcp::kAlgRsaPss) {
    err("Error: TPM_ALG_RSAPSS algorithm unsupported for LCP_POLICY_LIST2.\n"
        "Use LCP_POLICY_LIST2_1 (lcp list version 0x300).\n");
    return sign_failed();
  }
  if (list21 && alg == lcp::kAlgRsaSsa) {
    out("TPM_ALG_RSASSA is not supported with policy list version 0x300.Use TPM_ALG_RSAPSS.\n");
    return sign_failed();
  }
  if (alg == lcp::kAlgLms) {
    err("Error: LMS signing is not supported by this build (lcptools needs its IPP-Crypto "
        "backend for it too).\n");
    return sign_failed();
  }
  if (alg == lcp::kAlgMldsa) {
    err("Error: ML-DSA-87 signing is not supported by this OpenSSL (3.5 or later is needed).\n");
    return sign_failed();
  }
  const bool rsa = alg == lcp::kAlgRsaSsa || alg == lcp::kAlgRsaPss;
  const bool ecc = alg == lcp::kAlgEcdsa || alg == lcp::kAlgSm2;
  if (!rsa && !ecc) {
    out(list21 ? "Signature algorithm not supported or not specified.\n"
               : "Unsupported signature algorithm\n");
    return sign_failed();
  }
  if (alg == lcp::kAlgSm2 && !lh::sm2_supported()) {
    err("Error: SM2 signatures are not supported by this OpenSSL.\n");
    return sign_failed();
  }
  if (o.nosig && (list21 || !rsa)) {
    err("Error: --nosig makes the LCP_POLICY_LIST2 RSA form without SigBlock; other lists are "
        "signed externally with 'tlaunch lcp list tbs' and 'tlaunch lcp list attach-sig'.\n");
    return sign_failed();
  }

  auto pub = lh::load_public_key(o.pub);
  if (!pub.ok()) {
    report_pubkey_failure(o, pub.failure(), open_errno(o.pub), ecc, list21);
    return sign_failed();
  }
  lh::SignRequest req;
  req.scheme = alg;
  // ECDSA/SM2: the hash follows the key (upstream ignores --hashalg for them,
  // docs/reference/upstream-quirks.md#q33).
  req.hash_alg = rsa ? o.hash_alg : lcp::kAlgNull;
  req.revocation_counter = o.rev;

  if (o.nosig) {
    // The LCP_POLICY_LIST2 RSASSA form without SigBlock, for --addsig
    // (docs/reference/upstream-quirks.md#q28).
    auto p = lh::prepare_signed_list(lf->view, *pub, req, /*include_value=*/false);
    if (!p.ok()) {
      err("Error: " + p.failure().message + "\n");
      return sign_failed();
    }
    if (!lh::upstream_write_file(o.out, p->bytes)) return sign_failed();
    out("List written without SigBlock to " + o.out + "; add the signature with --addsig\n");
    return 0;
  }

  // Upstream checks the key type and size while building the signature structure.
  if ((rsa && pub->algo != lh::KeyAlgo::kRsa) ||
      (alg == lcp::kAlgEcdsa && pub->algo != lh::KeyAlgo::kEc) ||
      (alg == lcp::kAlgSm2 && pub->algo != lh::KeyAlgo::kSm2)) {
    auto p = lh::prepare_signed_list(lf->view, *pub, req);
    err("Error: " + (p.ok() ? std::string("wrong key type") : p.failure().message) + "\n");
    return sign_failed();
  }
  if (rsa) out("[rsa_get_sig_ctx]\n");
  auto priv = lh::load_private_key(o.priv, passphrase(o));
  if (!priv.ok()) {
    err("Error: " + priv.failure().message + "\n");
    if (rsa) out("ERROR: failed to initialize EVP context.\n");
    sign_failed_chain(list21, rsa);
    return sign_failed();
  }
  if (auto pair = lh::check_key_pair(*pub, *priv); !pair.ok()) {
    err("Error: " + pair.failure().message + "\n");
    if (rsa) out("ERROR: failed to initialize EVP context.\n");
    sign_failed_chain(list21, rsa);
    return sign_failed();
  }
  if (rsa) {
    out("[rsa_ssa_pss_sign]\n");
    if (o.hash_alg != lcp::kAlgSha256 && o.hash_alg != lcp::kAlgSha384) {
      out("Unsupported hash alg.\n");
      sign_failed_chain(list21, rsa);
      return sign_failed();
    }
  }
  auto signed_list = lh::sign_list(lf->view, *pub, *priv, req);
  if (!signed_list.ok()) {
    err("Error: " + signed_list.failure().message + "\n");
    sign_failed_chain(list21, rsa);
    return sign_failed();
  }
  if (!lh::upstream_write_file(o.out, *signed_list)) return sign_failed();
  out("List signed successfully and written to " + o.out + "\n");
  return 0;
}

// ------------------------------------------------------------------------------ --addsig
// Inserts a detached big-endian RSA signature into a LIST2 list made with --sign --nosig (or
// replaces the signature of a signed one), verifying it first (upstream verified the list before
// inserting the signature and so always failed, docs/reference/upstream-quirks.md#q27).
int addsig(const Options& o) {
  auto data = lh::upstream_read_file(o.out);
  if (!data) return 1;
  const uint16_t version = le16(*data);
  if ((version >> 8) == 3) {
    err("Error: --addsig applies to LCP_POLICY_LIST2 lists (0x200/0x201); attach a signature to "
        "a 0x300 list with 'tlaunch lcp list attach-sig'.\n");
    return 1;
  }
  if ((version >> 8) != 2) {
    out("ERROR: unknown version.\n");
    return 1;
  }
  auto lf = lh::list_from_bytes(*data, o.out, true);
  if (!lf.ok()) {
    err("Error: " + lf.failure().message + "\n");
    return 1;
  }
  const lcp::ListView& l = lf->view;
  if (!l.is_signed || l.signature.key_kind != lcp::KeyKind::kRsa) {
    err(l.is_signed ? "Error: public key size is not 2048/3072 bits\n"
                    : "Error: the list has no public key; prepare it with --sign --nosig --pub "
                      "KEY first\n");
    return 1;
  }
  auto sig = lh::upstream_read_file(o.sig_file);
  if (!sig) return 1;
  if (sig->size() != l.signature.key_bytes) {
    err("Error: signature file size doesn't match public key size\n");
    return 1;
  }
  auto pub = lh::list_public_key(l, o.out);
  if (!pub.ok()) {
    err("Error: " + pub.failure().message + "\n");
    return 1;
  }
  lh::SignRequest req;
  req.scheme = lcp::kAlgRsaSsa;
  req.revocation_counter = l.signature.revocation_counter;
  auto p = lh::prepare_signed_list(l, *pub, req);
  if (!p.ok()) {
    err("Error: " + p.failure().message + "\n");
    return 1;
  }
  if (auto s = lh::place_value(*p, *pub, tlaunch::ByteSpan(sig->data(), sig->size())); !s.ok()) {
    err("Error: " + s.failure().message + "\n");
    return 1;
  }
  auto check = lh::list_from_bytes(p->bytes, o.out);
  auto v = check.ok() ? lh::verify_list(check->view) : lh::Expected<lh::ListCheck>(check.failure());
  if (!v.ok() || !v->valid) {
    err("Error: signature file does not match policy list\n");
    return 1;
  }
  return lh::upstream_write_file(o.out, p->bytes) ? 0 : 1;
}

// ------------------------------------------------------------------------------ --show
int show(const Options& o) {
  const std::string& file = o.files[0];
  // Upstream's first read of the file is silent when it cannot be opened.
  if (open_errno(file) != 0) return 1;
  auto data = lh::upstream_read_file(file);
  if (!data) return 1;
  const uint16_t version = le16(*data);
  const uint8_t major = static_cast<uint8_t>(version >> 8);
  if (major != 2 && major != 3)
    return 0;  // upstream prints nothing for other files (docs/reference/upstream-quirks.md#q31)
  auto lf = lh::list_from_bytes(*data, file, /*allow_missing_sig_block=*/major == 2);
  if (!lf.ok()) {
    err("Error: " + lf.failure().message + "\n");
    err("Error: failed to read policy list file.\n");
    return 1;
  }
  const lcp::ListView& l = lf->view;
  if (major == 2) {
    // pollist2.c read_policy_list_file() verifies a LIST2 signature before anything is shown.
    if (l.is_signed && l.signature.has_value) {
      auto v = lh::verify_list(l);
      if (!v.ok() || !v->valid) {
        err("Error: signature of policy list " + file +
            " does not verify: " + (v.ok() ? v->reason : v.failure().message) + "\n");
        err("Error: failed to read policy list file.\n");
        return 1;
      }
    }
    out("policy list file: " + file + "\n");
    out(lh::list2_text(l, "", false));
    if (l.sig_alg == lcp::kAlgRsaSsa && l.signature.has_value) out("signature verified\n");
    return 0;
  }
  if (!l.is_signed) out("Verify TPM2.0 Policy List 2.1 success\n");
  out("policy list file: " + file + "\n");
  out(lh::list21_text(l, "", false));
  return 0;
}

// ------------------------------------------------------------------------------ --verify
// Exits 1 when a signature does not verify (upstream exits 0,
// docs/reference/upstream-quirks.md#q30) and verifies LIST2 lists too (upstream does nothing for
// them).
int verify(const Options& o) {
  const std::string& file = o.files[0];
  if (open_errno(file) != 0) {
    err("Error: failed to read pollist file.\n");
    return 1;
  }
  auto data = lh::upstream_read_file(file);
  if (!data) {
    err("Error: failed to read pollist file.\n");
    return 1;
  }
  const uint16_t version = le16(*data);
  const uint8_t major = static_cast<uint8_t>(version >> 8);
  if (major == 1) return 0;
  if (major != 2 && major != 3) {
    err("Error: version unrecognized.\n");
    return 1;
  }
  auto lf = lh::list_from_bytes(*data, file, major == 2);
  if (!lf.ok()) {
    err("Error: " + lf.failure().message + "\n");
    err("Error: failed to get policy list from file.\n");
    return 1;
  }
  const lcp::ListView& l = lf->view;
  if (major == 3 && !l.is_signed) out("Verify TPM2.0 Policy List 2.1 success\n");
  if (!l.is_signed) {
    // Unsigned LIST2: nothing to check; upstream prints nothing here.
    if (major == 3) out("Verification successful. List is not signed. Exiting.\n");
    return 0;
  }
  auto v = lh::verify_list(l);
  const bool ok = v.ok() && v->valid;
  if (major == 3 && l.signature.key_kind == lcp::KeyKind::kRsa)
    out(ok ? "List signature verified positively.\n" : "List signature did not verify.\n");
  if (ok) {
    out("List signature correct. Verification successful\n");
    return 0;
  }
  err("Error: signature of policy list " + file +
      " does not verify: " + (v.ok() ? v->reason : v.failure().message) + "\n");
  out("List signature did not verify positively.\n");
  return 1;
}

}  // namespace

int main(int argc, char* argv[]) {
  // crtpollist.c long_opts, in upstream's order (abbreviation resolution depends on it), plus
  // --passphrase-file.
  static const struct option kLongOpts[] = {
      {"help", no_argument, nullptr, 'H'},
      {"create", no_argument, nullptr, 'C'},
      {"sign", no_argument, nullptr, 'S'},
      {"addsig", no_argument, nullptr, 'A'},
      {"show", no_argument, nullptr, 'W'},
      {"verify", no_argument, nullptr, 'V'},
      {"version", no_argument, nullptr, 'v'},
      {"out", required_argument, nullptr, 'o'},
      {"sigalg", required_argument, nullptr, 'a'},
      {"hashalg", required_argument, nullptr, 'h'},
      {"pub", required_argument, nullptr, 'u'},
      {"priv", required_argument, nullptr, 'i'},
      {"rev", required_argument, nullptr, 'r'},
      {"nosig", no_argument, nullptr, 'n'},
      {"savesig", required_argument, nullptr, 'g'},
      {"sig", required_argument, nullptr, 's'},
      {"listver", required_argument, nullptr, 'l'},
      {"verbose", no_argument, nullptr, 't'},
      {"force", no_argument, nullptr, 'f'},
      {"passphrase-file", required_argument, nullptr, 'P'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  bool prev_cmd = false;
  for (;;) {
    const int c = getopt_long_only(argc, argv, "", kLongOpts, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'H':
      case 'C':
      case 'S':
      case 'A':
      case 'W':
      case 'V':
      case 'v':
        if (prev_cmd) {
          err("Error: only one command can be specified\n");
          return 1;
        }
        prev_cmd = true;
        o.cmd = c;
        break;
      case 'o':
        o.out = optarg;
        break;
      case 'h':
        o.hash_alg = str_to_hash_alg(optarg);
        if (o.hash_alg == lcp::kAlgNull) {
          err("ERROR: incorrect hash alg specified");
          return 1;
        }
        break;
      case 'a':
        o.sigalg = str_to_sig_alg(optarg);
        break;
      case 'u':
        o.pub = optarg;
        break;
      case 'i':
        o.priv = optarg;
        break;
      case 'r': {
        auto v = lh::parse_unsigned(optarg, 0, 0xFFFF);
        if (!v) {
          err(std::string("Error: invalid revocation counter '") + optarg +
              "' (a number from 0 to 0xffff)\n");
          return 1;
        }
        o.rev = static_cast<uint16_t>(*v);
        break;
      }
      case 'n':
        o.nosig = true;
        break;
      case 's':
        o.sig_file = optarg;
        break;
      case 'g':
        o.saved_sig_file = optarg;
        break;  // accepted and ignored, as upstream (docs/reference/upstream-quirks.md#q29)
      case 'l':
        // strtoul(optarg, NULL, 16) into a u16 (docs/reference/upstream-quirks.md#q35: hex even
        // without 0x).
        o.version = static_cast<uint16_t>(std::strtoul(optarg, nullptr, 16));
        if (o.version == 0) {
          err("Error: only list versions 0x100, 0x200, 0x201 or 0x300 are supported\n");
          return 1;
        }
        break;
      case 't':
        o.verbose = true;
        break;
      case 'f':
        o.force = true;
        break;
      case 'P':
        o.passphrase_file = optarg;
        break;
      default:
        err("Error: unrecognized option\n");
        return 1;
    }
  }
  while (optind < argc) {
    if (o.files.size() == kMaxFiles && o.cmd == 'C') {
      err("Too many element files specified.\n");
      return 1;
    }
    o.files.emplace_back(argv[optind++]);
  }

  switch (o.cmd) {
    case 0:
      err("Error: no command option was specified\n");
      return 1;
    case 'H':
      out(kHelp);
      return 0;
    case 'C':
      if (o.out.empty()) {
        err("Error: no policy list output file specified\n");
        return 1;
      }
      if (o.version == 0) {
        err("ERROR: LCP list version not specified.\n");
        return 1;
      }
      return create(o);
    case 'S':
      if (o.out.empty()) {
        err("Error: no policy list output file specified\n");
        return 1;
      }
      if (o.sigalg == lcp::kAlgNull) {
        err("Error: signature algorithm must be specified.\n");
        return 1;
      }
      if (o.pub.empty()) {
        err("Error: no public key file specified\n");
        return 1;
      }
      if (o.nosig && !o.priv.empty()) {
        err("Error: private key file specified with --nosig option\n");
        return 1;
      }
      if (!o.nosig && o.priv.empty()) {
        err("Error: no private key file specified\n");
        return 1;
      }
      if (o.sigalg == lcp::kAlgLms && !o.nosig && !o.force && !::isatty(STDIN_FILENO)) {
        err("Error: LMS signing requires interactive confirmation, but stdin is not a TTY. "
            "Re-run with --force to skip this prompt in non-interactive environments.\n");
        return 1;
      }
      return sign(o);
    case 'A':
      if (o.out.empty()) {
        err("Error: no policy list output file specified\n");
        return 1;
      }
      if (o.sig_file.empty()) {
        err("Error: no signature file specified\n");
        return 1;
      }
      return addsig(o);
    case 'W':
      if (o.files.size() != 1) {
        err("Error: no policy list file specified\n");
        return 1;
      }
      return show(o);
    case 'V':
      if (o.files.empty() || o.files[0].empty()) {
        err("ERROR: no policy list file specified.");
        return 1;
      }
      return verify(o);
    case 'v':
      out("lcp2_crtpollist version: 1.2");
      return 0;
    default:
      err("Error: unknown command\n");
      return 1;
  }
}
