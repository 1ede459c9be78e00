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

#include "compat_io.h"
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

using tlaunch::cli::compat::err;
using tlaunch::cli::compat::fail;
using tlaunch::cli::compat::open_errno;
using tlaunch::cli::compat::out;
using tlaunch::cli::compat::refuse;

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

using tlaunch::cli::compat::str_to_hash_alg;  // lcputils.c (cli/compat/common/compat_lcputils.h)

lh::PassphraseSource passphrase(const Options& o) {
  lh::PassphraseSource p;
  if (!o.passphrase_file.empty()) p.spec = "file:" + o.passphrase_file;
  p.what = "--passphrase-file";
  return p;
}

// ------------------------------------------------------------------------------ --create
// An element file, checked as polelt.c verify_policy_element() does (Size >= 12 and Size == file
// length) and decoded; nullopt after printing why not.
std::optional<Bytes> read_element_file(const std::string& f) {
  auto data = tlaunch::cli::compat::upstream_read_file(f);
  if (!data) return std::nullopt;
  if (data->size() < lcp::kElementHeaderSize ||
      tlaunch::cli::compat::le32_at0(*data) != data->size()) {
    err("Error: data is too small\n");
    return std::nullopt;
  }
  auto e = lcp::read_element_file(tlaunch::ByteSpan(data->data(), data->size()));
  if (!e.ok()) {
    err("Error: " + tlaunch::host::describe(e.error(), f) + "\n");
    return std::nullopt;
  }
  return data;
}

// Checks the list version (upstream: 0x200, 0x201 or 0x300) and writes the list of the element
// files.
int create(const Options& o) {
  const uint8_t major = static_cast<uint8_t>(o.version >> 8);
  const uint8_t minor = static_cast<uint8_t>(o.version & 0xFF);
  if (major != 2 && major != 3)
    return fail("Error: only list versions 0x200, 0x201 or 0x300 are supported\n");
  if ((major == 2 && minor > lcp::kList2MaxMinor) || (major == 3 && minor > lcp::kList21MaxMinor)) {
    char b[64];
    std::snprintf(b, sizeof(b), "Error: minor version 0x%02x not supported\n", minor);
    err(b);
    return 1;
  }
  if (o.files.size() > kMaxFiles) return fail("Too many element files specified.\n");
  // Each element goes in front of the ones before it, as upstream's (docs/compat.md
  // "lcp-element-order"); the files are read and checked in command-line order.
  std::vector<Bytes> elements;
  for (const std::string& f : o.files) {
    auto data = read_element_file(f);
    if (!data) return 1;
    elements.push_back(std::move(*data));
  }
  auto list = lh::make_list(o.version, elements, lh::ElementOrder::kEachInFront);
  if (!list.ok()) return fail("Error: " + list.failure().message + "\n");
  return tlaunch::cli::compat::upstream_write_file(o.out, *list) ? 0 : 1;
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

bool is_rsa(uint16_t sigalg) { return sigalg == lcp::kAlgRsaSsa || sigalg == lcp::kAlgRsaPss; }
bool is_ecc(uint16_t sigalg) { return sigalg == lcp::kAlgEcdsa || sigalg == lcp::kAlgSm2; }

// The signature algorithm checks of pollist2.c / pollist2_1.c before a key is read; false after
// printing why (the caller adds the failure chain).
bool check_sign_algorithm(const Options& o, bool list21) {
  const uint16_t alg = o.sigalg;
  if (!list21 && alg == lcp::kAlgRsaPss)
    return refuse(
        "Error: TPM_ALG_RSAPSS algorithm unsupported for LCP_POLICY_LIST2.\n"
        "Use LCP_POLICY_LIST2_1 (lcp list version 0x300).\n");
  if (list21 && alg == lcp::kAlgRsaSsa) {
    out("TPM_ALG_RSASSA is not supported with policy list version 0x300.Use TPM_ALG_RSAPSS.\n");
    return false;
  }
  if (alg == lcp::kAlgLms)
    return refuse(
        "Error: LMS signing is not supported by this build (lcptools needs its IPP-Crypto "
        "backend for it too).\n");
  if (alg == lcp::kAlgMldsa)
    return refuse(
        "Error: ML-DSA-87 signing is not supported by this OpenSSL (3.5 or later is needed).\n");
  if (!is_rsa(alg) && !is_ecc(alg)) {
    out(list21 ? "Signature algorithm not supported or not specified.\n"
               : "Unsupported signature algorithm\n");
    return false;
  }
  if (alg == lcp::kAlgSm2 && !lh::sm2_supported())
    return refuse("Error: SM2 signatures are not supported by this OpenSSL.\n");
  if (o.nosig && (list21 || !is_rsa(alg)))
    return refuse(
        "Error: --nosig makes the LCP_POLICY_LIST2 RSA form without SigBlock; other lists are "
        "signed externally with 'tlaunch lcp list tbs' and 'tlaunch lcp list attach-sig'.\n");
  return true;
}

// --nosig: the LCP_POLICY_LIST2 RSASSA form without SigBlock, for --addsig
// (docs/reference/upstream-quirks.md#q28).
int write_without_sigblock(const Options& o, const lcp::ListView& l, const lh::PublicKey& pub,
                           const lh::SignRequest& req) {
  auto p = lh::prepare_signed_list(l, pub, req, /*include_value=*/false);
  if (!p.ok()) {
    err("Error: " + p.failure().message + "\n");
    return sign_failed();
  }
  if (!tlaunch::cli::compat::upstream_write_file(o.out, p->bytes)) return sign_failed();
  out("List written without SigBlock to " + o.out + "; add the signature with --addsig\n");
  return 0;
}

// The private key of --priv, which must belong to pub; nullopt after upstream's messages.
std::optional<lh::PrivateKey> load_matching_private_key(const Options& o, const lh::PublicKey& pub,
                                                        bool list21, bool rsa) {
  auto priv = lh::load_private_key(o.priv, passphrase(o));
  auto pair = priv.ok() ? lh::check_key_pair(pub, *priv) : lh::HostStatus(priv.failure());
  if (!pair.ok()) {
    err("Error: " + pair.failure().message + "\n");
    if (rsa) out("ERROR: failed to initialize EVP context.\n");
    sign_failed_chain(list21, rsa);
    return std::nullopt;
  }
  return std::move(*priv);
}

// Signs the list with the key pair of --pub/--priv and writes it back to --out.
int sign_and_write(const Options& o, const lcp::ListView& l, const lh::PublicKey& pub,
                   const lh::SignRequest& req, bool list21) {
  const uint16_t alg = o.sigalg;
  const bool rsa = is_rsa(alg);
  // Upstream checks the key type and size while building the signature structure.
  if ((rsa && pub.algo != lh::KeyAlgo::kRsa) ||
      (alg == lcp::kAlgEcdsa && pub.algo != lh::KeyAlgo::kEc) ||
      (alg == lcp::kAlgSm2 && pub.algo != lh::KeyAlgo::kSm2)) {
    auto p = lh::prepare_signed_list(l, pub, req);
    err("Error: " + (p.ok() ? std::string("wrong key type") : p.failure().message) + "\n");
    return sign_failed();
  }
  if (rsa) out("[rsa_get_sig_ctx]\n");
  auto priv = load_matching_private_key(o, pub, list21, rsa);
  if (!priv) return sign_failed();
  if (rsa) {
    out("[rsa_ssa_pss_sign]\n");
    if (o.hash_alg != lcp::kAlgSha256 && o.hash_alg != lcp::kAlgSha384) {
      out("Unsupported hash alg.\n");
      sign_failed_chain(list21, rsa);
      return sign_failed();
    }
  }
  auto signed_list = lh::sign_list(l, pub, *priv, req);
  if (!signed_list.ok()) {
    err("Error: " + signed_list.failure().message + "\n");
    sign_failed_chain(list21, rsa);
    return sign_failed();
  }
  if (!tlaunch::cli::compat::upstream_write_file(o.out, *signed_list)) return sign_failed();
  out("List signed successfully and written to " + o.out + "\n");
  return 0;
}

int sign(const Options& o) {
  auto data = tlaunch::cli::compat::upstream_read_file(o.out);
  if (!data) return 1;
  const uint8_t major = static_cast<uint8_t>(tlaunch::cli::compat::le16_at0(*data) >> 8);
  if (major != 2 && major != 3) return 1;  // as upstream: nothing to do, no message
  const bool list21 = major == 3;
  auto lf = lh::list_from_bytes(*data, o.out, /*allow_missing_sig_block=*/!list21);
  if (!lf.ok()) {
    err("Error: " + lf.failure().message + "\n");
    err("Error: failed to read policy list file.\n");
    return sign_failed();
  }
  if (list21 && !lf->view.is_signed) out("Verify TPM2.0 Policy List 2.1 success\n");
  if (!check_sign_algorithm(o, list21)) return sign_failed();
  auto pub = lh::load_public_key(o.pub);
  if (!pub.ok()) {
    report_pubkey_failure(o, pub.failure(), open_errno(o.pub), is_ecc(o.sigalg), list21);
    return sign_failed();
  }
  lh::SignRequest req;
  req.scheme = o.sigalg;
  // ECDSA/SM2: the hash follows the key (upstream ignores --hashalg for them,
  // docs/reference/upstream-quirks.md#q33).
  req.hash_alg = is_rsa(o.sigalg) ? o.hash_alg : lcp::kAlgNull;
  req.revocation_counter = o.rev;
  if (o.nosig) return write_without_sigblock(o, lf->view, *pub, req);
  return sign_and_write(o, lf->view, *pub, req, list21);
}

// ------------------------------------------------------------------------------ --addsig
// Inserts a detached big-endian RSA signature into a LIST2 list made with --sign --nosig (or
// replaces the signature of a signed one), verifying it first (upstream verified the list before
// inserting the signature and so always failed, docs/reference/upstream-quirks.md#q27).
int addsig(const Options& o) {
  auto data = tlaunch::cli::compat::upstream_read_file(o.out);
  if (!data) return 1;
  const uint16_t version = tlaunch::cli::compat::le16_at0(*data);
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
  if (!lf.ok()) return fail("Error: " + lf.failure().message + "\n");
  const lcp::ListView& l = lf->view;
  if (!l.is_signed || l.signature.key_kind != lcp::KeyKind::kRsa) {
    err(l.is_signed ? "Error: public key size is not 2048/3072 bits\n"
                    : "Error: the list has no public key; prepare it with --sign --nosig --pub "
                      "KEY first\n");
    return 1;
  }
  auto sig = tlaunch::cli::compat::upstream_read_file(o.sig_file);
  if (!sig) return 1;
  if (sig->size() != l.signature.key_bytes)
    return fail("Error: signature file size doesn't match public key size\n");
  auto pub = lh::list_public_key(l, o.out);
  if (!pub.ok()) return fail("Error: " + pub.failure().message + "\n");
  lh::SignRequest req;
  req.scheme = lcp::kAlgRsaSsa;
  req.revocation_counter = l.signature.revocation_counter;
  auto p = lh::prepare_signed_list(l, *pub, req);
  if (!p.ok()) return fail("Error: " + p.failure().message + "\n");
  if (auto s = lh::place_value(*p, *pub, tlaunch::ByteSpan(sig->data(), sig->size())); !s.ok())
    return fail("Error: " + s.failure().message + "\n");
  auto check = lh::list_from_bytes(p->bytes, o.out);
  auto v = check.ok() ? lh::verify_list(check->view) : lh::Expected<lh::ListCheck>(check.failure());
  if (!v.ok() || !v->valid) return fail("Error: signature file does not match policy list\n");
  return tlaunch::cli::compat::upstream_write_file(o.out, p->bytes) ? 0 : 1;
}

// ------------------------------------------------------------------------------ --show
int show(const Options& o) {
  const std::string& file = o.files[0];
  // Upstream's first read of the file is silent when it cannot be opened.
  if (open_errno(file) != 0) return 1;
  auto data = tlaunch::cli::compat::upstream_read_file(file);
  if (!data) return 1;
  const uint16_t version = tlaunch::cli::compat::le16_at0(*data);
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
  if (open_errno(file) != 0) return fail("Error: failed to read pollist file.\n");
  auto data = tlaunch::cli::compat::upstream_read_file(file);
  if (!data) return fail("Error: failed to read pollist file.\n");
  const uint16_t version = tlaunch::cli::compat::le16_at0(*data);
  const uint8_t major = static_cast<uint8_t>(version >> 8);
  if (major == 1) return 0;
  if (major != 2 && major != 3) return fail("Error: version unrecognized.\n");
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

// ------------------------------------------------------------------------------ options
// --listver: strtoul(optarg, NULL, 16) into a u16 (docs/reference/upstream-quirks.md#q35: hex
// even without 0x).
bool set_list_version(Options& o, const char* arg) {
  o.version = static_cast<uint16_t>(std::strtoul(arg, nullptr, 16));
  if (o.version != 0) return true;
  return refuse("Error: only list versions 0x100, 0x200, 0x201 or 0x300 are supported\n");
}

bool set_revocation_counter(Options& o, const char* arg) {
  auto v = lh::parse_unsigned(arg, 0, 0xFFFF);
  if (!v)
    return refuse(std::string("Error: invalid revocation counter '") + arg +
                  "' (a number from 0 to 0xffff)\n");
  o.rev = static_cast<uint16_t>(*v);
  return true;
}

bool set_hash_alg(Options& o, const char* arg) {
  o.hash_alg = str_to_hash_alg(arg);
  if (o.hash_alg != lcp::kAlgNull) return true;
  return refuse("ERROR: incorrect hash alg specified");
}

// The options that name a file: their field in Options, or nullptr.
std::string* file_option(Options& o, int c) {
  switch (c) {
    case 'o':
      return &o.out;
    case 'u':
      return &o.pub;
    case 'i':
      return &o.priv;
    case 's':
      return &o.sig_file;
    case 'g':
      return &o.saved_sig_file;  // accepted, ignored (docs/reference/upstream-quirks.md#q29)
    case 'P':
      return &o.passphrase_file;
    default:
      return nullptr;
  }
}

// One option of crtpollist.c's getopt loop; false after printing why the command line is refused.
bool apply_option(Options& o, int c, const char* arg) {
  if (std::string* file = file_option(o, c)) {
    *file = arg;
    return true;
  }
  switch (c) {
    case 'H':
    case 'C':
    case 'S':
    case 'A':
    case 'W':
    case 'V':
    case 'v':
      return tlaunch::cli::compat::take_command(&o.cmd, c);
    case 'h':
      return set_hash_alg(o, arg);
    case 'a':
      o.sigalg = str_to_sig_alg(arg);
      return true;
    case 'r':
      return set_revocation_counter(o, arg);
    case 'n':
      o.nosig = true;
      return true;
    case 'l':
      return set_list_version(o, arg);
    case 't':
      o.verbose = true;
      return true;
    case 'f':
      o.force = true;
      return true;
    default:
      return refuse("Error: unrecognized option\n");
  }
}

// crtpollist.c's command line: options (getopt_long_only), then the files.
bool parse_options(int argc, char** argv, Options& o) {
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
  for (int c; (c = getopt_long_only(argc, argv, "", kLongOpts, nullptr)) != -1;)
    if (!apply_option(o, c, optarg)) return false;
  while (optind < argc) {
    if (o.files.size() == kMaxFiles && o.cmd == 'C')
      return refuse("Too many element files specified.\n");
    o.files.emplace_back(argv[optind++]);
  }
  return true;
}

// ------------------------------------------------------------------------------ commands
// The checks of crtpollist.c main() before each command, in upstream's order.
bool check_create_options(const Options& o) {
  if (o.out.empty()) return refuse("Error: no policy list output file specified\n");
  if (o.version == 0) return refuse("ERROR: LCP list version not specified.\n");
  return true;
}

bool check_sign_options(const Options& o) {
  if (o.out.empty()) return refuse("Error: no policy list output file specified\n");
  if (o.sigalg == lcp::kAlgNull) return refuse("Error: signature algorithm must be specified.\n");
  if (o.pub.empty()) return refuse("Error: no public key file specified\n");
  if (o.nosig && !o.priv.empty())
    return refuse("Error: private key file specified with --nosig option\n");
  if (!o.nosig && o.priv.empty()) return refuse("Error: no private key file specified\n");
  if (o.sigalg == lcp::kAlgLms && !o.nosig && !o.force && !::isatty(STDIN_FILENO))
    return refuse(
        "Error: LMS signing requires interactive confirmation, but stdin is not a TTY. "
        "Re-run with --force to skip this prompt in non-interactive environments.\n");
  return true;
}

bool check_addsig_options(const Options& o) {
  if (o.out.empty()) return refuse("Error: no policy list output file specified\n");
  if (o.sig_file.empty()) return refuse("Error: no signature file specified\n");
  return true;
}

int run(const Options& o) {
  switch (o.cmd) {
    case 0:
      return fail("Error: no command option was specified\n");
    case 'H':
      out(kHelp);
      return 0;
    case 'C':
      return check_create_options(o) ? create(o) : 1;
    case 'S':
      return check_sign_options(o) ? sign(o) : 1;
    case 'A':
      return check_addsig_options(o) ? addsig(o) : 1;
    case 'W':
      if (o.files.size() != 1) return fail("Error: no policy list file specified\n");
      return show(o);
    case 'V':
      if (o.files.empty() || o.files[0].empty())
        return fail("ERROR: no policy list file specified.");
      return verify(o);
    case 'v':
      out("lcp2_crtpollist version: 1.2");
      return 0;
    default:
      return fail("Error: unknown command\n");
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  Options o;
  if (!parse_options(argc, argv, o)) return 1;
  return run(o);
}
