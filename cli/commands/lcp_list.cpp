// tlaunch lcp list create|sign|show|verify|tbs|attach-sig: LCP policy lists (LCP_POLICY_LIST2
// 0x200/0x201 and LCP_POLICY_LIST2_1 0x300; docs/reference/lcp.md §5). The same model, signing and
// verification as lcp2_crtpollist, plus detached signing for every list version: `tbs` writes the
// exact bytes to sign, `attach-sig` inserts a signature made elsewhere (HSM, openssl) after
// verifying it. See man/tlaunch-lcp.1.
#include "tlaunch/policy/lcp_list.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/host/lcp/lcp_list_json.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_sign.h"
#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::cli {
namespace {

namespace lh = lcp::host;
using lh::Bytes;
using tlaunch::host::Expected;
using tlaunch::host::fail;

Expected<uint16_t> parse_list_version(const std::string& s) {
  const std::string t = (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) ? s.substr(2) : s;
  if (t == "200") return lcp::kListVersion200;
  if (t == "201") return lcp::kListVersion201;
  if (t == "300") return lcp::kListVersion300;
  return fail(Errc::kUsage, "--list-version '" + s + "': use 0x200, 0x201 or 0x300");
}

Expected<uint16_t> parse_hash(const std::string& s) {
  if (s.empty()) return static_cast<uint16_t>(lcp::kAlgNull);
  if (s == "sha256") return static_cast<uint16_t>(lcp::kAlgSha256);
  if (s == "sha384") return static_cast<uint16_t>(lcp::kAlgSha384);
  if (s == "sm3") return static_cast<uint16_t>(lcp::kAlgSm3_256);
  return fail(Errc::kUsage, "--hashalg '" + s +
                                "': use sha256 or sha384 (RSA), sm3 (SM2); "
                                "ECDSA uses the hash of its curve");
}

// --sigalg, or the natural scheme for the key and list version when it is not given.
Expected<uint16_t> pick_scheme(const std::string& s, const lh::PublicKey& pub, uint16_t version) {
  if (s.empty()) {
    switch (pub.algo) {
      case lh::KeyAlgo::kRsa:
        return static_cast<uint16_t>(lcp::is_list2_version(version) ? lcp::kAlgRsaSsa
                                                                    : lcp::kAlgRsaPss);
      case lh::KeyAlgo::kEc:
        return static_cast<uint16_t>(lcp::kAlgEcdsa);
      case lh::KeyAlgo::kSm2:
        return static_cast<uint16_t>(lcp::kAlgSm2);
    }
  }
  if (s == "rsassa" || s == "rsa" || s == "rsa-ssa") return static_cast<uint16_t>(lcp::kAlgRsaSsa);
  if (s == "rsapss" || s == "rsa-pss") return static_cast<uint16_t>(lcp::kAlgRsaPss);
  if (s == "ecdsa") return static_cast<uint16_t>(lcp::kAlgEcdsa);
  if (s == "sm2") return static_cast<uint16_t>(lcp::kAlgSm2);
  if (s == "lms" || s == "mldsa")
    return fail(Errc::kUnsupported, "--sigalg " + s + " is not supported by this build");
  return fail(Errc::kUsage, "--sigalg '" + s + "': use rsassa, rsapss, ecdsa or sm2");
}

// Options shared by sign, tbs and attach-sig.
struct SignOptions {
  std::string list, out, pub, priv, sigalg, hashalg, passphrase, passphrase_file, sig;
  unsigned rev = 0;
  bool json = false;
};

void add_sign_options(CLI::App* sub, SignOptions& o, bool with_priv) {
  sub->add_option("list", o.list, "The list file (its elements are kept, any signature replaced)")
      ->required();
  sub->add_option("--pub", o.pub, "Public key: PEM/DER, or raw RSA modulus / EC point")->required();
  if (with_priv) {
    sub->add_option("--priv", o.priv, "Private key (PEM or DER, may be passphrase-protected)")
        ->required();
    auto* pass = sub->add_option(
        "--passphrase", o.passphrase,
        "Where the passphrase of an encrypted private key is: file:PATH, env:NAME, prompt or - "
        "(standard input) (default: $TLAUNCH_KEY_PASSPHRASE, else a terminal prompt)");
    sub->add_option("--passphrase-file", o.passphrase_file, "Same as --passphrase file:PATH")
        ->excludes(pass);
  }
  sub->add_option("--sigalg", o.sigalg,
                  "rsassa, rsapss, ecdsa or sm2 (default: rsassa for 0x2xx, rsapss for 0x300 "
                  "with an RSA key; ecdsa / sm2 by key)");
  sub->add_option("--hashalg", o.hashalg, "RSA: sha256 (default) or sha384");
  sub->add_option("--rev", o.rev, "Revocation counter (0..65535)")->transform(number_check(0xFFFF));
}

struct Prepared {
  lh::ListFile list;
  lh::PublicKey pub;
  lh::SignRequest req;
};

Expected<Prepared> prepare(const SignOptions& o) {
  auto list = lh::read_list_file(o.list, true);
  if (!list) return list.failure();
  auto pub = lh::load_public_key(o.pub);
  if (!pub) return pub.failure();
  auto scheme = pick_scheme(o.sigalg, *pub, list->view.version);
  if (!scheme) return scheme.failure();
  auto hash = parse_hash(o.hashalg);
  if (!hash) return hash.failure();
  Prepared p{std::move(*list), std::move(*pub), {}};
  p.req.scheme = *scheme;
  p.req.hash_alg = *hash;
  p.req.revocation_counter = static_cast<uint16_t>(o.rev);
  return p;
}

std::string hash_label(uint16_t alg) {
  switch (alg) {
    case lcp::kAlgSha256:
      return "SHA-256";
    case lcp::kAlgSha384:
      return "SHA-384";
    case lcp::kAlgSm3_256:
      return "SM3";
    default:
      return "?";
  }
}

std::string describe_list(const lcp::ListView& l) {
  std::string s = lh::list_kind(l) + ", " + std::to_string(l.raw.size) + " bytes, " +
                  std::to_string(l.element_count) + " element" + (l.element_count == 1 ? "" : "s") +
                  ", ";
  if (!l.is_signed) return s + "unsigned";
  const auto& sig = l.signature;
  s += "signed " + lh::scheme_short_name(sig.scheme);
  if (sig.key_kind == lcp::KeyKind::kRsa) s += " RSA-" + std::to_string(sig.key_bytes * 8);
  if (sig.key_kind == lcp::KeyKind::kEcc && sig.scheme != lcp::kAlgSm2)
    s += sig.key_bytes == 48 ? " P-384" : " P-256";
  s += ", revocation counter " + std::to_string(sig.revocation_counter);
  return s;
}

int write_or_report(const std::string& path, const Bytes& bytes) {
  auto w = tlaunch::host::write_file_atomic(path, bytes);
  if (!w) return report(w.failure());
  return kExitOk;
}

// What create, sign and attach-sig print about the list they wrote: a line, or with --json the
// document `lcp list show --json` prints for the file (schemas/lcp-list.v1.schema.json).
// A signed list's signature check for show and the JSON documents (a check that cannot be made
// is an invalid signature with its reason); nothing for an unsigned list.
std::optional<lh::ListCheck> check_signature(const lcp::ListView& view) {
  if (!view.is_signed) return std::nullopt;
  auto v = lh::verify_list(view);
  if (v) return *v;
  lh::ListCheck failed;
  failed.is_signed = true;
  failed.reason = v.failure().message;
  return failed;
}

// The document `lcp list show --json` prints (schemas/lcp-list.v1.schema.json).
void print_list_json(const std::string& file, const lcp::ListView& view,
                     const std::optional<lh::ListCheck>& check) {
  nlohmann::json j = {{"version", lh::kJsonVersion},
                      {"file", file},
                      {"list", lh::list_json(view, check ? &*check : nullptr)}};
  std::printf("%s\n", j.dump(2).c_str());
}

void print_written_list(const std::string& out, const lcp::ListView& view, bool json,
                        const char* note) {
  if (json)
    print_list_json(out, view, check_signature(view));
  else
    std::printf("%s: %s%s\n", out.c_str(), describe_list(view).c_str(), note);
}

void add_json_flag(CLI::App* sub, bool& json) {
  sub->add_flag("--json", json, "Print the list written as JSON (schemas/lcp-list.v1.schema.json)");
}

void setup_create(CLI::App& list, Invocation& inv) {
  struct Opt {
    std::string version = "0x300", out;
    std::vector<std::string> elements;
    bool json = false;
  };
  auto o = std::make_shared<Opt>();
  auto* sub = list.add_subcommand("create", "Create an unsigned list from element files");
  sub->add_option("elements", o->elements, "Element files, stored in this order")->required();
  sub->add_option("-o,--output,--out", o->out, "Output list file (written atomically)")->required();
  sub->add_option("--list-version", o->version, "0x300 (default), 0x200 or 0x201");
  add_json_flag(sub, o->json);
  on_run(sub, inv, [o]() {
    auto v = parse_list_version(o->version);
    if (!v) return report(v.failure());
    auto bytes = lh::create_list(*v, o->elements, lh::ElementOrder::kAsWritten);
    if (!bytes) return report(bytes.failure());
    auto check = lh::list_from_bytes(*bytes, o->out);
    if (!check) return report(check.failure());
    if (int rc = write_or_report(o->out, *bytes); rc != kExitOk) return rc;
    print_written_list(o->out, check->view, o->json, "");
    return static_cast<int>(kExitOk);
  });
}

void setup_sign(CLI::App& list, Invocation& inv) {
  auto o = std::make_shared<SignOptions>();
  auto* sub = list.add_subcommand("sign", "Sign a list (replaces any signature it has)");
  add_sign_options(sub, *o, true);
  sub->add_option("-o,--output,--out", o->out,
                  "Output file (default: the list file, replaced atomically)");
  add_json_flag(sub, o->json);
  on_run(sub, inv, [o]() {
    auto p = prepare(*o);
    if (!p) return report(p.failure());
    lh::PassphraseSource pass;
    pass.spec = o->passphrase_file.empty() ? o->passphrase : "file:" + o->passphrase_file;
    pass.what = o->passphrase_file.empty() ? "--passphrase" : "--passphrase-file";
    auto priv = lh::load_private_key(o->priv, pass);
    if (!priv) return report(priv.failure());
    auto bytes = lh::sign_list(p->list.view, p->pub, *priv, p->req);
    if (!bytes) return report(bytes.failure());
    const std::string out = o->out.empty() ? o->list : o->out;
    auto back = lh::list_from_bytes(*bytes, out);
    if (!back) return report(back.failure());
    if (int rc = write_or_report(out, *bytes); rc != kExitOk) return rc;
    print_written_list(out, back->view, o->json, "");
    return static_cast<int>(kExitOk);
  });
}

void setup_tbs(CLI::App& list, Invocation& inv) {
  auto o = std::make_shared<SignOptions>();
  auto* sub = list.add_subcommand(
      "tbs", "Write the exact bytes to be signed for a list, key and revocation counter");
  add_sign_options(sub, *o, false);
  sub->add_option("-o,--output,--out", o->out, "Output file for the bytes to sign")->required();
  on_run(sub, inv, [o]() {
    auto p = prepare(*o);
    if (!p) return report(p.failure());
    auto prep = lh::prepare_signed_list(p->list.view, p->pub, p->req);
    if (!prep) return report(prep.failure());
    ByteSpan tbs = prep->tbs();
    if (int rc = write_or_report(o->out, Bytes(tbs.begin(), tbs.end())); rc != kExitOk) return rc;
    // How to sign the bytes with OpenSSL (an HSM takes the same message and parameters).
    const uint16_t hash = prep->hash_alg;
    const std::string dgst = hash == lcp::kAlgSha384    ? "-sha384"
                             : hash == lcp::kAlgSm3_256 ? "-sm3"
                                                        : "-sha256";
    std::string how = "openssl dgst " + dgst + " -sign PRIVATE_KEY";
    if (prep->scheme == lcp::kAlgRsaPss)
      how += " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest";
    how += " -out SIG " + o->out;
    std::printf("%s: %zu bytes to sign with %s %s/%s\n", o->out.c_str(), tbs.size,
                p->pub.describe().c_str(), lh::scheme_short_name(prep->scheme).c_str(),
                hash_label(hash).c_str());
    std::printf("sign them, e.g.: %s\n", how.c_str());
    std::printf("then: tlaunch lcp list attach-sig %s --pub %s --sig SIG%s%s%s -o OUT\n",
                o->list.c_str(), o->pub.c_str(),
                o->sigalg.empty() ? "" : (" --sigalg " + o->sigalg).c_str(),
                o->hashalg.empty() ? "" : (" --hashalg " + o->hashalg).c_str(),
                o->rev == 0 ? "" : (" --rev " + std::to_string(o->rev)).c_str());
    return static_cast<int>(kExitOk);
  });
}

void setup_attach(CLI::App& list, Invocation& inv) {
  auto o = std::make_shared<SignOptions>();
  auto* sub = list.add_subcommand(
      "attach-sig",
      "Insert a signature made elsewhere (over the bytes `tbs` wrote), after verifying it");
  add_sign_options(sub, *o, false);
  sub->add_option("--sig", o->sig,
                  "Signature file: RSA big-endian (K bytes); ECDSA/SM2 DER or raw r||s")
      ->required();
  sub->add_option("-o,--output,--out", o->out, "Output list file")->required();
  add_json_flag(sub, o->json);
  on_run(sub, inv, [o]() {
    auto p = prepare(*o);
    if (!p) return report(p.failure());
    auto sig = tlaunch::host::read_file(o->sig, 64 * 1024);
    if (!sig) return report(sig.failure());
    auto bytes =
        lh::attach_signature(p->list.view, p->pub, p->req, ByteSpan(sig->data(), sig->size()));
    if (!bytes) {
      auto f = bytes.failure();
      f.message = o->list + ": " + f.message;
      return report(f);
    }
    auto back = lh::list_from_bytes(*bytes, o->out);
    if (!back) return report(back.failure());
    if (int rc = write_or_report(o->out, *bytes); rc != kExitOk) return rc;
    print_written_list(o->out, back->view, o->json, " (signature verified)");
    return static_cast<int>(kExitOk);
  });
}

std::string text_show(const lh::ListFile& f, const lh::ListCheck* check, bool elements) {
  const lcp::ListView& l = f.view;
  std::string s = f.path + ": " + describe_list(l) + "\n";
  s += "  policy elements: " + std::to_string(l.elements_size) + " bytes\n";
  lcp::ElementIterator it(l);
  unsigned i = 0;
  while (!it.done()) {
    auto e = it.next();
    if (!e.ok()) break;
    const char* name = lcp::element_type_name(e->type);
    char line[160];
    std::snprintf(line, sizeof(line),
                  "    [%u] %s (type 0x%x), %u bytes, policy_elt_control 0x%08x\n", i++,
                  name ? name : "legacy", e->type, e->size, e->policy_elt_control);
    s += line;
    if (elements) s += lh::element_text(*e, "       ", false);
  }
  if (l.is_signed) {
    const auto& sig = l.signature;
    s += "  signed bytes: [0, " + std::to_string(l.signed_bytes.size) + ")";
    s += ", signature value at " + std::to_string(sig.value_offset - l.offset) + "\n";
    if (check != nullptr) {
      s += "  signature: ";
      s += check->valid ? "valid (" + hash_label(check->hash_alg) + ")"
                        : "INVALID: " + check->reason;
      s += "\n";
    }
  }
  tlaunch::host::OpenSslHasher h;
  for (HashAlg a : {HashAlg::kSha256, HashAlg::kSha384}) {
    auto d = lcp::list_measurement(h, a, l);
    if (d.ok())
      s += std::string("  measurement (") + find_hash_alg(static_cast<uint16_t>(a))->name +
           "): " + tlaunch::host::hex(d->bytes, d->size) + "\n";
  }
  return s;
}

void setup_show(CLI::App& list, Invocation& inv) {
  struct Opt {
    std::string file;
    bool json = false, elements = false;
  };
  auto o = std::make_shared<Opt>();
  auto* sub = list.add_subcommand("show", "Decode, verify and print a list");
  sub->add_option("file", o->file, "List file")->required();
  sub->add_flag("--json", o->json, "Machine-readable output (schemas/lcp-list.v1.schema.json)");
  sub->add_flag("--elements", o->elements, "Also print each element's contents");
  on_run(sub, inv, [o]() {
    auto f = lh::read_list_file(o->file, true);
    if (!f) return report(f.failure());
    const std::optional<lh::ListCheck> check = check_signature(f->view);
    const lh::ListCheck* cp = check ? &*check : nullptr;
    if (o->json)
      print_list_json(o->file, f->view, check);
    else
      std::fputs(text_show(*f, cp, o->elements).c_str(), stdout);
    // Everything is printed either way; a signature that does not verify is a failed check, as
    // for `lcp list verify` and lcp2_crtpollist --show (exit 1).
    if (cp != nullptr && !cp->valid) {
      std::fprintf(stderr, "tlaunch: error: %s: the list's signature does not verify: %s\n",
                   o->file.c_str(), cp->reason.c_str());
      return static_cast<int>(kExitFailed);
    }
    return static_cast<int>(kExitOk);
  });
}

// The outcome of `lcp list verify`: one result for the text and the JSON
// (schemas/lcp-list-verify.v1.schema.json) output.
struct VerifyResult {
  bool is_signed = false;
  bool valid = false;                 // the verdict: exit 0 exactly when true
  std::string reason;                 // why not valid
  uint16_t scheme = 0, hash_alg = 0;  // signed lists: the scheme and the hash checked with
  std::string key;
  uint32_t revocation_counter = 0;
  int key_matches = -1;  // --pub: 1 same key, 0 another key, -1 not asked or not signed
};

struct VerifyOptions {
  std::string file, pub;
  bool require_signed = false, json = false;
};

// Failure only when the check could not be made (an unreadable key, LMS in this build).
Expected<VerifyResult> verify_list_file(const VerifyOptions& o, const lcp::ListView& l) {
  VerifyResult r;
  r.is_signed = l.is_signed;
  if (!l.is_signed) {
    r.valid = !o.require_signed && o.pub.empty();
    if (!r.valid) r.reason = "the list is not signed";
    return r;
  }
  auto v = lh::verify_list(l);
  if (!v) return fail(v.failure().code, o.file + ": " + v.failure().message);
  r.scheme = l.signature.scheme;
  r.hash_alg = v->hash_alg;
  r.revocation_counter = l.signature.revocation_counter;
  r.valid = v->valid;
  if (!v->valid) r.reason = "signature does not verify: " + v->reason;
  // The key a list carries is described when it can be read; a signature that does not verify
  // may come with a key that cannot, and is reported as not valid, not as a failed check.
  auto have = lh::list_public_key(l, o.file);
  if (have) r.key = have->describe();
  if (!o.pub.empty() && r.valid) {
    if (!have) return have.failure();
    auto want = lh::load_public_key(o.pub);
    if (!want) return want.failure();
    const bool same = want->modulus == have->modulus && want->x == have->x && want->y == have->y &&
                      want->algo == have->algo;
    r.key_matches = same ? 1 : 0;
    if (!same) {
      r.valid = false;
      r.reason = "signed with another key than " + o.pub + " (" + r.key + ")";
    }
  }
  return r;
}

nlohmann::json verify_json(const VerifyOptions& o, const VerifyResult& r) {
  nlohmann::json j = {{"$schema", "https://tlaunch.invalid/schemas/lcp-list-verify.v1.schema.json"},
                      {"version", lh::kJsonVersion},
                      {"file", o.file},
                      {"signed", r.is_signed},
                      {"valid", r.valid},
                      {"require_signed", o.require_signed}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.is_signed) {
    j["signature"] = {{"scheme", lh::json_scheme_name(r.scheme)},
                      {"hash_alg", lh::json_hash_name(r.hash_alg)},
                      {"revocation_counter", r.revocation_counter},
                      {"key", r.key}};
    if (r.key.empty()) j["signature"].erase("key");
  }
  if (!o.pub.empty()) {
    j["expected_key"] = {{"file", o.pub}};
    if (r.key_matches >= 0) j["expected_key"]["matches"] = r.key_matches == 1;
  }
  return j;
}

void setup_verify(CLI::App& list, Invocation& inv) {
  auto o = std::make_shared<VerifyOptions>();
  auto* sub = list.add_subcommand(
      "verify", "Verify a list's signature (exit 0 valid, 1 not valid or not signed as required)");
  sub->add_option("file", o->file, "List file")->required();
  sub->add_option("--pub", o->pub, "The list must be signed with this public key");
  sub->add_flag("--require-signed", o->require_signed, "An unsigned list fails");
  sub->add_flag("--json", o->json,
                "Machine-readable verdict (schemas/lcp-list-verify.v1.schema.json)");
  on_run(sub, inv, [o]() {
    auto f = lh::read_list_file(o->file, true);
    if (!f) return report(f.failure());
    auto r = verify_list_file(*o, f->view);
    if (!r) return report(r.failure());
    if (o->json) {
      std::printf("%s\n", verify_json(*o, *r).dump(2).c_str());
    } else if (!r->is_signed && r->valid) {
      std::printf("%s: not signed (nothing to verify)\n", o->file.c_str());
    } else if (r->valid) {
      std::printf("%s: signature valid (%s %s, revocation counter %u)\n", o->file.c_str(),
                  lh::scheme_short_name(r->scheme).c_str(), hash_label(r->hash_alg).c_str(),
                  r->revocation_counter);
    }
    if (!r->valid)
      return report(tlaunch::host::Failure{Errc::kVerifyFailed, o->file + ": " + r->reason, 0});
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

void setup_lcp_list(CLI::App& lcp_noun, Invocation& inv) {
  auto* list = lcp_noun.add_subcommand(
      "list", "LCP policy lists (0x200/0x201 LIST2, 0x300 LIST2_1): create, sign, verify");
  list->require_subcommand(1);
  setup_create(*list, inv);
  setup_sign(*list, inv);
  setup_show(*list, inv);
  setup_verify(*list, inv);
  setup_tbs(*list, inv);
  setup_attach(*list, inv);
}

}  // namespace tlaunch::cli
