// tlaunch lcp policy create|show: LCP_POLICY_2 (3.0/3.1/3.2) and its policy data file
// (docs/reference/lcp.md §3, §4, §6). Same model and PolicyHash as lcp2_crtpol; the defaults are
// lcp2_crtpol's (MaxSinitMinVer 0xFF, hash mask = --alg, AuxHashAlgMask = --alg for 3.0 only).
// See man/tlaunch-lcp.1.
#include "tlaunch/policy/lcp_policy.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_list_json.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_policy_ops.h"
#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::cli {
namespace {

namespace lh = lcp::host;
using tlaunch::host::Expected;
using tlaunch::host::fail;

Expected<uint16_t> parse_hash(const std::string& s) {
  if (s == "sha256") return static_cast<uint16_t>(lcp::kAlgSha256);
  if (s == "sha384") return static_cast<uint16_t>(lcp::kAlgSha384);
  if (s == "sha512") return static_cast<uint16_t>(lcp::kAlgSha512);
  if (s == "sm3") return static_cast<uint16_t>(lcp::kAlgSm3_256);
  return fail(Errc::kUsage, "--alg '" + s + "': use sha256, sha384, sha512 or sm3");
}

// lcp2_crtpol --mask / --auxalg values: hash names or a number.
Expected<uint16_t> parse_hash_mask(const std::string& opt, const std::string& s) {
  if (s == "sha256") return static_cast<uint16_t>(lcp::kHashMaskSha256);
  if (s == "sha384") return static_cast<uint16_t>(lcp::kHashMaskSha384);
  if (s == "sha512") return static_cast<uint16_t>(lcp::kHashMaskSha512);
  if (s == "sm3") return static_cast<uint16_t>(lcp::kHashMaskSm3_256);
  auto v = parse_number_option(s, opt, 0xFFFF);
  if (!v || *v == 0)
    return fail(Errc::kUsage, opt + " '" + s + "': use sha256, sha384, sha512, sm3 or a mask");
  return static_cast<uint16_t>(*v);
}

// lcp2_crtpol --sign keywords, or a number.
Expected<uint32_t> parse_sign_mask(const std::string& s) {
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
    if (s == name) return mask;
  auto v = parse_number_option(s, "--sign", 0xFFFFFFFF);
  if (!v || *v == 0)
    return fail(Errc::kUsage, "--sign '" + s +
                                  "': use rsa-2048-sha256, rsa-3072-sha256, rsa-3072-sha384, "
                                  "ecdsa-p256, ecdsa-p384, sm2, lms, mldsa or a mask");
  return static_cast<uint32_t>(*v);
}

struct CreateOptions {
  std::string type, alg, polver = "3.0", pol, data, minver = "0", max_sinit_min = "0xff",
                         ctrl = "0", rev, auxalg;
  std::vector<std::string> sign, mask, lists;
  bool json = false;
};

Expected<lcp::Policy> policy_from(const CreateOptions& o) {
  lcp::Policy p;
  if (o.type == "any")
    p.policy_type = lcp::kPolicyTypeAny;
  else if (o.type == "list")
    p.policy_type = lcp::kPolicyTypeList;
  else
    return fail(Errc::kUsage, "--type '" + o.type + "': use any or list");
  auto alg = parse_hash(o.alg);
  if (!alg) return alg.failure();
  p.hash_alg = *alg;
  if (o.polver == "3.0")
    p.version = lcp::kPolicyVersion30;
  else if (o.polver == "3.1")
    p.version = lcp::kPolicyVersion31;
  else if (o.polver == "3.2")
    p.version = lcp::kPolicyVersion32;
  else
    return fail(Errc::kUsage, "--polver '" + o.polver + "': use 3.0, 3.1 or 3.2");
  auto minver = parse_number_option(o.minver, "--minver", 0xFF);
  if (!minver) return minver.failure();
  p.sinit_min_version = static_cast<uint8_t>(*minver);
  auto maxmin = parse_number_option(o.max_sinit_min, "--max-sinit-min", 0xFF);
  if (!maxmin) return maxmin.failure();
  p.max_sinit_min_ver = static_cast<uint8_t>(*maxmin);
  auto ctrl = parse_number_option(o.ctrl, "--ctrl", 0xFFFFFFFF);
  if (!ctrl) return ctrl.failure();
  p.policy_control = static_cast<uint32_t>(*ctrl);
  if (!o.rev.empty()) {
    size_t n = 0, start = 0;
    for (;;) {
      const size_t comma = o.rev.find(',', start);
      const std::string item =
          o.rev.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (n == lcp::kRevocationCounters)
        return fail(Errc::kUsage, "--rev takes at most 8 revocation counters");
      auto v = parse_number_option(item, "--rev", 0xFFFF);
      if (!v) return v.failure();
      p.data_revocation_counters[n++] = static_cast<uint16_t>(*v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const std::string& m : o.mask) {
    auto v = parse_hash_mask("--mask", m);
    if (!v) return v.failure();
    p.lcp_hash_alg_mask = static_cast<uint16_t>(p.lcp_hash_alg_mask | *v);
  }
  if (p.lcp_hash_alg_mask == 0) p.lcp_hash_alg_mask = lcp::hash_alg_to_mask(p.hash_alg);
  if (!o.auxalg.empty()) {
    if (p.version == lcp::kPolicyVersion32)
      return fail(Errc::kUsage, "--auxalg: AuxHashAlgMask is reserved in policy version 3.2");
    auto v = parse_hash_mask("--auxalg", o.auxalg);
    if (!v) return v.failure();
    p.aux_hash_alg_mask = *v;
  } else if (p.version == lcp::kPolicyVersion30) {
    p.aux_hash_alg_mask = lcp::hash_alg_to_mask(p.hash_alg);
  }
  for (const std::string& s : o.sign) {
    auto v = parse_sign_mask(s);
    if (!v) return v.failure();
    p.lcp_sign_alg_mask |= *v;
  }
  return p;
}

std::string text_policy(const std::string& file, const lcp::Policy& p) {
  std::string s = file + ": LCP policy " + lh::policy_version_string(p.version) + ", type " +
                  (p.policy_type == lcp::kPolicyTypeList ? "list" : "any") + ", " +
                  std::to_string(p.size()) + " bytes\n";
  const nlohmann::json j = lh::policy_json(p);
  auto names = [](const nlohmann::json& a) {
    std::string r;
    for (const auto& x : a) r += (r.empty() ? "" : ", ") + x.get<std::string>();
    return r.empty() ? std::string("none") : r;
  };
  char b[256];
  std::snprintf(b, sizeof(b),
                "  hash_alg: %s\n  sinit_min_version: %u\n  max_sinit_min_ver: 0x%x\n",
                j["hash_alg"].get<std::string>().c_str(), p.sinit_min_version, p.max_sinit_min_ver);
  s += b;
  s += "  data_revocation_counters:";
  for (uint16_t c : p.data_revocation_counters) s += " " + std::to_string(c);
  std::snprintf(b, sizeof(b), "\n  policy_control: 0x%08x\n", p.policy_control);
  s += b;
  s += "  lcp_hash_alg_mask: " + names(j["lcp_hash_alg_mask"]["algorithms"]) + "\n";
  s += "  lcp_sign_alg_mask: " + names(j["lcp_sign_alg_mask"]["algorithms"]) + "\n";
  s += "  aux_hash_alg_mask: " + names(j["aux_hash_alg_mask"]["algorithms"]) + "\n";
  s += "  policy_hash: " + j["policy_hash"].get<std::string>() + "\n";
  return s;
}

void setup_create(CLI::App& pol, Invocation& inv) {
  auto o = std::make_shared<CreateOptions>();
  auto* sub = pol.add_subcommand("create", "Create a policy (and, for type list, its data file)");
  sub->add_option("--type", o->type, "any or list")->required();
  sub->add_option("--alg", o->alg, "PolicyHash algorithm: sha256, sha384, sha512, sm3")->required();
  sub->add_option("--sign", o->sign,
                  "Allowed list signing algorithm (repeatable): rsa-2048-sha256, rsa-3072-sha256, "
                  "rsa-3072-sha384, ecdsa-p256, ecdsa-p384, sm2, lms, mldsa or a mask")
      ->required();
  sub->add_option("--mask", o->mask, "Allowed policy hash algorithm (repeatable; default --alg)");
  sub->add_option("--auxalg", o->auxalg, "AuxHashAlgMask (3.0/3.1; default: --alg for 3.0)");
  sub->add_option("--polver", o->polver, "Policy version 3.0 (default), 3.1 or 3.2");
  sub->add_option("--minver", o->minver, "SINITMinVersion (default 0)");
  sub->add_option("--max-sinit-min", o->max_sinit_min, "MaxSinitMinVer (default 0xff)");
  sub->add_option("--rev", o->rev, "DataRevocationCounters, up to 8 comma separated numbers");
  sub->add_option("--ctrl", o->ctrl, "PolicyControl (default 0)");
  sub->add_option("-o,--output,--pol", o->pol, "Output policy file (--pol: lcp2_crtpol's name)")
      ->required();
  sub->add_option("--data", o->data, "Output policy data file (type list)");
  sub->add_option("lists", o->lists, "List files (type list: 1 to 8, same version)");
  sub->add_flag("--json", o->json, "Print the created policy as JSON");
  on_run(sub, inv, [o]() {
    auto p = policy_from(*o);
    if (!p) return report(p.failure());
    if (p->policy_type == lcp::kPolicyTypeList && o->data.empty())
      return report(fail(Errc::kUsage, "a policy of type list needs --data FILE"));
    if (p->policy_type == lcp::kPolicyTypeAny && !o->data.empty())
      return report(fail(Errc::kUsage, "a policy of type any has no data file (drop --data)"));
    if (o->lists.size() > lcp::kMaxLists)
      return report(fail(Errc::kUsage, "a policy data file holds at most 8 lists, " +
                                           std::to_string(o->lists.size()) + " were given"));
    std::vector<lh::ListFile> lists;
    for (const auto& f : o->lists) {
      auto l = lh::read_list_file(f);
      if (!l) return report(l.failure());
      lists.push_back(std::move(*l));
    }
    std::vector<const lh::ListFile*> ptrs;
    for (const auto& l : lists) ptrs.push_back(&l);
    auto built = lh::build_policy(*p, ptrs);
    if (!built) return report(built.failure());
    // The data file and the policy name each other (PolicyHash): both are written, or neither.
    std::vector<tlaunch::host::FileWrite> files;
    if (!built->data_bytes.empty()) files.push_back({o->data, built->data_bytes});
    files.push_back({o->pol, built->policy_bytes});
    auto w = tlaunch::host::write_files_atomic(files);
    if (!w) return report(w.failure());
    if (o->json) {
      nlohmann::json j = {{"version", lh::kJsonVersion},
                          {"policy_file", o->pol},
                          {"policy", lh::policy_json(built->policy)}};
      if (!o->data.empty()) j["data_file"] = o->data;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::fputs(text_policy(o->pol, built->policy).c_str(), stdout);
      if (!o->data.empty())
        std::printf("%s: policy data file, %zu list%s, %zu bytes\n", o->data.c_str(), lists.size(),
                    lists.size() == 1 ? "" : "s", built->data_bytes.size());
    }
    return static_cast<int>(kExitOk);
  });
}

void setup_show(CLI::App& pol, Invocation& inv) {
  struct Opt {
    std::string pol, data;
    bool json = false;
  };
  auto o = std::make_shared<Opt>();
  auto* sub = pol.add_subcommand(
      "show", "Print a policy and (optionally) check its data file: exit 1 if they do not match");
  sub->add_option("policy", o->pol, "Policy file")->required();
  sub->add_option("data", o->data, "Policy data file");
  sub->add_flag("--json", o->json, "Machine-readable output (schemas/lcp-policy.v1.schema.json)");
  on_run(sub, inv, [o]() {
    auto p = lh::read_policy_file(o->pol);
    if (!p) return report(p.failure());
    nlohmann::json j = {{"version", lh::kJsonVersion},
                        {"policy_file", o->pol},
                        {"policy", lh::policy_json(p->policy)}};
    std::string text = text_policy(o->pol, p->policy);
    int rc = kExitOk;
    std::string problem;
    if (!o->data.empty()) {
      auto d = lh::read_policy_data_file(o->data);
      if (!d) return report(d.failure());
      nlohmann::json dj;
      dj["num_lists"] = d->view.num_lists;
      dj["lists"] = nlohmann::json::array();
      text += o->data + ": policy data file, " + std::to_string(d->view.num_lists) + " list" +
              (d->view.num_lists == 1 ? "" : "s") + "\n";
      for (uint8_t i = 0; i < d->view.num_lists; ++i) {
        const lcp::ListView& l = d->view.lists[i];
        auto v = lh::verify_list(l);
        lh::ListCheck c;
        if (v) {
          c = *v;
        } else {
          c.is_signed = true;
          c.reason = v.failure().message;
        }
        dj["lists"].push_back(lh::list_json(l, l.is_signed ? &c : nullptr));
        text += "  list " + std::to_string(i) + ": " + lh::list_kind(l) + ", " +
                std::to_string(l.element_count) + " element(s), " +
                (l.is_signed ? (c.valid ? "signature valid" : "signature INVALID: " + c.reason)
                             : std::string("unsigned")) +
                "\n";
        if (l.is_signed && !c.valid && problem.empty())
          problem =
              o->data + ": list " + std::to_string(i) + ": signature does not verify: " + c.reason;
      }
      j["data_file"] = o->data;
      j["data"] = std::move(dj);
      bool matches = false;
      if (p->policy.policy_type == lcp::kPolicyTypeList) {
        auto m = lh::data_matches_policy(d->view, p->policy);
        if (!m) return report(m.failure());
        matches = *m;
        text += std::string("  policy hash: ") +
                (matches ? "matches the data file" : "DOES NOT match the data file") + "\n";
        if (!matches && problem.empty())
          problem = o->data + ": PolicyHash of the data file does not match " + o->pol;
      } else if (problem.empty()) {
        problem = o->pol + ": a policy of type any uses no data file";
      }
      j["policy_hash_matches"] = matches;
    }
    if (o->json)
      std::printf("%s\n", j.dump(2).c_str());
    else
      std::fputs(text.c_str(), stdout);
    if (!problem.empty()) rc = report(tlaunch::host::Failure{Errc::kVerifyFailed, problem, 0});
    return rc;
  });
}

}  // namespace

void setup_lcp_policy(CLI::App& lcp_noun, Invocation& inv) {
  auto* pol = lcp_noun.add_subcommand(
      "policy", "LCP policies (LCP_POLICY_2 3.0/3.1/3.2) and policy data files");
  pol->require_subcommand(1);
  setup_create(*pol, inv);
  setup_show(*pol, inv);
}

}  // namespace tlaunch::cli
