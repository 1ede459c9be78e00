// Installed policy vs. what GRUB would load (tlaunch/spec/check.h).
#include "tlaunch/spec/check.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/txt_modules.h"
#include "tlaunch/policy/vlp.h"
#include "tlaunch/spec/build.h"
#include "tlaunch/spec/grub_cfg.h"
#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

using nlohmann::json;

namespace {

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A GRUB path on the host: root + path, else root + /boot + path (GRUB's root is a separate
// /boot partition). "(hd0,1)/x" device prefixes are dropped.
std::string host_path_for(const std::string& root, std::string grub_path) {
  if (!grub_path.empty() && grub_path[0] == '(') {
    size_t close = grub_path.find(')');
    grub_path = close == std::string::npos ? grub_path : grub_path.substr(close + 1);
  }
  std::string base = root == "/" ? "" : root;
  if (!base.empty() && base.back() == '/') base.pop_back();
  if (is_file(base + grub_path)) return base + grub_path;
  if (grub_path.rfind("/boot/", 0) != 0 && is_file(base + "/boot" + grub_path))
    return base + "/boot" + grub_path;
  return "";
}

const char* source_reason(launch::PolicySource s) {
  switch (s) {
    case launch::PolicySource::kNvRead:
      return "";
    case launch::PolicySource::kNvAbsent:
      return "the VLP index is not defined";
    case launch::PolicySource::kNvUnreadable:
      return "the VLP index cannot be read (never written, or not readable with an empty "
             "password)";
    case launch::PolicySource::kNvPpWrite:
      return "the VLP index has TPMA_NV_PPWRITE, which the launcher refuses";
    case launch::PolicySource::kTpmNotReady:
      return "no TPM";
  }
  return "";
}

std::string tb_error_text(vlp::TbError e) {
  const char* n = vlp::tb_error_name(static_cast<uint32_t>(e));
  return n ? n : "TB_ERR_" + std::to_string(static_cast<uint32_t>(e));
}

// The reference manifest's modules with this VLP number and GRUB path, those of the entry with
// the same title first.
std::vector<const json*> reference_candidates(const json& ref, size_t index,
                                              const std::string& grub_path,
                                              const std::string& title) {
  std::vector<const json*> same_title, others;
  if (!ref.is_object() || !ref.contains("entries")) return others;
  for (const json& e : ref["entries"]) {
    if (!e.contains("modules") || !e["modules"].is_array()) continue;
    bool same = e.value("title", std::string()) == title;
    for (const json& m : e["modules"])  // by reference: the pointers outlive this loop
      if (m.value("index", size_t{9999}) == index &&
          m.value("grub_path", std::string()) == grub_path)
        (same ? same_title : others).push_back(&m);
  }
  same_title.insert(same_title.end(), others.begin(), others.end());
  return same_title;
}

size_t common_words(const std::string& a, const std::string& b) {
  size_t n = 0;
  for (const std::string& w : word_diff(a, b)) n += !w.empty() && w[0] == ' ';
  return n;
}

std::string ref_loaded(const json& m, const std::string& alg) {
  if (!m.contains("digests") || !m["digests"].contains(alg)) return "";
  return m["digests"][alg].value("loaded", std::string());
}

// Fills status/reason of a module the launcher would not accept, with the reference manifest
// telling the file change from the command-line change.
void explain_mismatch(ModuleCheck& m, const std::string& title, const BootCheckInput& in,
                      bool reference_usable, const std::string& alg, const vlp::Policy& policy) {
  std::string entry_text = "VLP entry " + std::to_string(m.policy_entry);
  if (m.policy_entry >= 0)
    entry_text += " (" +
                  std::to_string(policy.entry(static_cast<size_t>(m.policy_entry)).num_hashes) +
                  " hashes)";
  auto candidates = reference_usable
                        ? reference_candidates(in.reference, m.index, m.grub_path, title)
                        : std::vector<const json*>{};
  if (candidates.empty()) {
    m.status = "mismatch";
    m.reason = "its measurement " + m.measurement + " is not in " + entry_text + "; " +
               (reference_usable ? "the reference manifest has no module " +
                                       std::to_string(m.index) + " at " + m.grub_path
                                 : "without the reference manifest of the installed build "
                                   "(tlaunch apply writes it) it cannot tell whether the file or "
                                   "the command line changed");
    return;
  }
  // The candidate closest to what grub.cfg loads: same command line, else the most words in
  // common (the entry with the same title wins ties: it comes first), and among those the same
  // file.
  const json* best = nullptr;
  size_t best_score = 0;
  for (const json* c : candidates) {
    std::string cl = c->value("cmdline", std::string());
    size_t score = (cl == m.cmdline ? 4096 : common_words(cl, m.cmdline)) * 2 +
                   (ref_loaded(*c, alg) == m.loaded_digest ? 1 : 0);
    if (best == nullptr || score > best_score) {
      best = c;
      best_score = score;
    }
  }
  m.expected_cmdline = best->value("cmdline", std::string());
  m.expected_loaded_digest = ref_loaded(*best, alg);
  bool cmdline_same = m.expected_cmdline == m.cmdline;
  bool digest_same = m.expected_loaded_digest == m.loaded_digest;
  if (!cmdline_same) m.cmdline_diff = word_diff(m.expected_cmdline, m.cmdline);
  std::string file_change =
      "the file " + m.host_path + " changed since the policy was built: as GRUB loads it, it is " +
      std::to_string(m.loaded_size) + " bytes with " + alg + " " + m.loaded_digest +
      "; the policy was built for " + std::to_string(best->value("loaded_size", uint64_t{0})) +
      " bytes with " + alg + " " + m.expected_loaded_digest;
  std::string cmd_change =
      "the command line in grub.cfg differs from the one the policy was "
      "built for";
  if (!digest_same && !cmdline_same) {
    m.status = "digest-and-cmdline";
    m.reason = file_change + ", and " + cmd_change;
  } else if (!digest_same) {
    m.status = "digest-mismatch";
    m.reason = file_change;
  } else if (!cmdline_same) {
    m.status = "cmdline-differs";
    m.reason = cmd_change;
  } else {
    m.status = "mismatch";
    m.reason = "file and command line are the ones of the reference manifest, yet " + entry_text +
               " does not list the measurement " + m.measurement +
               ": the policy in NV was not built from this reference";
  }
}

}  // namespace

bool BootCheck::ok() const {
  if (policy_state != "nv" || entries.empty()) return false;
  if (reference_known && !reference_matches) return false;
  for (const auto& e : entries)
    if (e.verdict != "pass") return false;
  return true;
}

std::vector<std::string> word_diff(const std::string& expected, const std::string& actual) {
  std::vector<std::string> a = split_words(expected), b = split_words(actual);
  // LCS table; command lines have at most a few hundred words (1023 bytes).
  std::vector<std::vector<uint16_t>> t(a.size() + 1, std::vector<uint16_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      t[i][j] = a[i] == b[j] ? static_cast<uint16_t>(t[i + 1][j + 1] + 1)
                             : std::max(t[i + 1][j], t[i][j + 1]);
  std::vector<std::string> out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out.push_back(" " + a[i]);
      ++i;
      ++j;
    } else if (i < a.size() && (j == b.size() || t[i + 1][j] >= t[i][j + 1])) {
      out.push_back("-" + a[i++]);  // removals before additions, as diff(1) prints them
    } else {
      out.push_back("+" + b[j++]);
    }
  }
  // Same words, different blanks: say so rather than print an empty diff.
  if (expected != actual && a == b) out.push_back("~blanks differ");
  return out;
}

namespace {

// What the check of every menu entry needs: the input, the policy in force and whether the
// reference manifest describes it.
struct CheckContext {
  explicit CheckContext(const BootCheckInput& input) : in(input) {}
  const BootCheckInput& in;
  vlp::Policy policy = vlp::default_policy(true);  // the policy in force
  bool from_nv = false;                            // policy is the valid VLP read from NV
  bool reference_usable = false;  // the reference manifest describes this policy's build
  Bytes all_modules_policy;       // from_nv: the policy with type "nonfatal"
};

// The policy in force, decided like the launcher (docs/reference/vlp.md §5): a valid NV policy,
// else default.
void decide_policy(CheckContext& ctx, BootCheck& out) {
  const BootCheckInput& in = ctx.in;
  if (in.source == launch::PolicySource::kNvRead) {
    auto d = vlp::decode(ByteSpan(in.policy.data(), in.policy.size()));
    if (d.ok()) {
      ctx.policy = *d;
      ctx.from_nv = true;
    } else {
      out.policy_note = describe(d.error(), "the VLP in NV is invalid");
    }
  } else {
    out.policy_note = source_reason(in.source);
  }
  out.policy_state = ctx.from_nv ? "nv" : "default";
  if (!ctx.from_nv) out.policy_note += ": the launcher uses its built-in default policy";
}

// Does the reference manifest describe this policy? Its policy digest against the NV policy's.
void check_reference(CheckContext& ctx, BootCheck& out) {
  const json& ref = ctx.in.reference;
  out.reference_known = ref.is_object() && ref.contains("policy");
  if (out.reference_known && ctx.from_nv) {
    Bytes exact(ctx.policy.size(), 0);
    auto n = vlp::encode(ctx.policy, MutableByteSpan(exact.data(), exact.size()));
    std::string alg = ref["policy"].value("hash_alg", std::string("sha256"));
    const HashAlgInfo* info = find_hash_alg_by_name(alg.c_str());
    OpenSslHasher h;
    if (n.ok() && info) {
      auto d = hash_once(h, info->id, ByteSpan(exact.data(), *n));
      out.reference_matches =
          d.ok() && ref["policy"]["digests"].value(alg, std::string()) == digest_hex(*d);
    }
    if (!out.reference_matches)
      out.notes.push_back(
          "the reference manifest describes a different policy than the one in "
          "NV (the policy was provisioned from another build)");
  }
  ctx.reference_usable = out.reference_known && (out.reference_matches || !ctx.from_nv);
}

// The same policy with type "nonfatal": its decision goes through every module, which tells
// each module's fate even when the real policy would halt at the first failure. Module
// verification does not depend on the policy type (docs/reference/vlp.md §6.2).
HostStatus make_all_modules_policy(CheckContext& ctx) {
  if (!ctx.from_nv) return host_ok();
  vlp::Policy p = ctx.policy;
  p.policy_type = vlp::kContNonFatal;
  ctx.all_modules_policy.assign(p.size(), 0);
  auto n =
      vlp::encode(p, MutableByteSpan(ctx.all_modules_policy.data(), ctx.all_modules_policy.size()));
  if (!n.ok()) return fail(n.error(), "internal: re-encoding the VLP");
  return host_ok();
}

EntryCheck entry_header(const GrubMenuEntry& ge) {
  EntryCheck ec;
  ec.line = ge.line;
  ec.title = ge.title;
  ec.submenus = ge.submenus;
  ec.launcher = ge.multiboot2->path;
  ec.launcher_cmdline = ge.multiboot2->cmdline;
  ec.unresolved = ge.multiboot2->unresolved;
  return ec;
}

// A module2 line of the entry, found and hashed as GRUB loads it (status empty: loaded).
struct Loaded {
  const GrubLoad* gl = nullptr;
  std::string host;
  std::string status, reason;
  LoadedFile lf;
};

std::vector<Loaded> load_modules(const CheckContext& ctx, const GrubMenuEntry& ge,
                                 const std::vector<HashAlg>& measure_algs, EntryCheck& ec) {
  std::vector<Loaded> loads;
  for (const GrubLoad& gl : ge.modules) {
    for (const auto& u : gl.unresolved) ec.unresolved.push_back(u);
    Loaded l;
    l.gl = &gl;
    l.host = host_path_for(ctx.in.root, gl.path);
    if (l.host.empty()) {
      l.status = "missing-file";
      l.reason = "GRUB cannot load " + gl.path + ": no such file under " + ctx.in.root;
    } else if (auto lf = hash_loaded_file(l.host, gl.nounzip, measure_algs, gl.cmdline); !lf) {
      l.status = "unreadable";
      l.reason = lf.failure().message;
    } else {
      l.lf = std::move(*lf);
    }
    loads.push_back(std::move(l));
  }
  return loads;
}

// tboot's module layout (txt_modules.h), which the launcher applies too: SINIT ACMs and the LCP
// data file leave the list before numbering. The rest become ec.modules and the launch inputs;
// false when GRUB cannot load one of them.
bool number_modules(const std::vector<Loaded>& loads, const std::vector<HashAlg>& measure_algs,
                    EntryCheck& ec, std::vector<launch::ModuleInput>& inputs) {
  std::vector<launch::ModuleHead> heads;
  for (const Loaded& l : loads)
    heads.push_back({ByteSpan(l.lf.head.data(), l.lf.head.size()), l.lf.loaded_size});
  std::vector<launch::TxtModule> kinds(loads.size());
  launch::classify_txt_modules(heads.data(), heads.size(), kinds.data());

  bool loadable = true;
  for (size_t i = 0; i < loads.size(); ++i) {
    const Loaded& l = loads[i];
    if (kinds[i] != launch::TxtModule::kNone) {
      ec.skipped.push_back(std::string(launch::txt_module_name(kinds[i])) + " " + l.gl->path);
      continue;
    }
    ModuleCheck m;
    m.index = ec.modules.size();
    m.line = l.gl->line;
    m.grub_path = l.gl->path;
    m.host_path = l.host;
    m.cmdline = l.gl->cmdline;
    m.nounzip = l.gl->nounzip;
    if (!l.status.empty()) {
      m.status = l.status;
      m.reason = l.reason;
      loadable = false;
      ec.modules.push_back(std::move(m));
      continue;
    }
    m.loaded_digest = digest_hex(l.lf.digests[0].loaded);
    m.loaded_size = l.lf.loaded_size;
    m.measurement = digest_hex(l.lf.digests[0].measurement);
    launch::ModuleInput mi;
    mi.num_digests = measure_algs.size();
    for (size_t a = 0; a < measure_algs.size(); ++a) mi.image[a] = l.lf.digests[a].loaded;
    inputs.push_back(mi);
    ec.modules.push_back(std::move(m));
  }
  // Command lines point into the ModuleCheck strings, which stay put from here on.
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i].cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(ec.modules[i].cmdline.data()),
                                 ec.modules[i].cmdline.size());
  return loadable;
}

// Each module's fate under the policy: from a run of the all-modules policy when the policy is
// from NV (the real one may stop at the first failure).
void explain_modules(const CheckContext& ctx, const launch::Outcome& each, const std::string& alg,
                     EntryCheck& ec) {
  for (ModuleCheck& m : ec.modules) m.status = "ok";
  for (size_t s = 0; s < each.num_steps; ++s) {
    const launch::Step& step = each.steps[s];
    if (step.kind != launch::StepKind::kModule || step.module >= ec.modules.size()) continue;
    ModuleCheck& m = ec.modules[step.module];
    m.policy_entry = step.entry;
    if (step.error == vlp::TbError::kModulesNotInPolicy) {
      m.status = "not-in-policy";
      m.reason = "no VLP entry covers module " + std::to_string(m.index) +
                 " (the policy lists fewer modules than this entry loads)";
    } else if (step.error == vlp::TbError::kModuleVerificationFailed) {
      explain_mismatch(m, ec.title, ctx.in, ctx.reference_usable, alg, ctx.policy);
    } else if (!step.verified) {
      m.reason = step.entry >= 0 ? "accepted without a check (hash type any)" : "";
    }
  }
}

// The launcher's decision for the entry (launch::evaluate, as the launcher runs it), and each
// module's fate.
HostStatus decide_entry(const CheckContext& ctx, const launch::Config& cfg,
                        const std::vector<launch::ModuleInput>& inputs, const std::string& alg,
                        EntryCheck& ec) {
  const BootCheckInput& in = ctx.in;
  OpenSslHasher h;
  auto run = [&](const Bytes& bytes, launch::Outcome* o) {
    launch::Input li;
    li.source = in.source;
    if (in.source == launch::PolicySource::kNvRead)
      li.policy_bytes = ByteSpan(bytes.data(), bytes.size());
    li.modules = inputs.data();
    li.num_modules = inputs.size();
    li.has_launcher_cmdline = true;  // the launcher measures its own line first
    li.launcher_cmdline = as_bytes(ec.launcher_cmdline);
    return launch::evaluate(h, cfg, li, o);
  };
  auto real = std::make_unique<launch::Outcome>();
  auto st = run(in.policy, real.get());
  if (!st.ok()) return fail(st.error(), in.grub_cfg + ": entry '" + ec.title + "'");
  ec.verdict = real->pass() ? "pass" : "fail";
  ec.error = tb_error_text(real->error);
  ec.action = vlp::action_name(real->action);

  auto each = std::make_unique<launch::Outcome>();
  st = ctx.from_nv ? run(ctx.all_modules_policy, each.get()) : run(in.policy, each.get());
  if (!st.ok()) return fail(st.error(), in.grub_cfg + ": entry '" + ec.title + "'");
  explain_modules(ctx, *each, alg, ec);
  return host_ok();
}

// One menu entry that starts the launcher.
Expected<EntryCheck> check_entry(const CheckContext& ctx, const GrubMenuEntry& ge, BootCheck& out) {
  EntryCheck ec = entry_header(ge);
  // The launcher's configuration from its command line and the TPM's banks, by the rule the
  // launcher runs (launch_options.h).
  const launch::Config cfg = launch::config_from_cmdline(as_bytes(ec.launcher_cmdline),
                                                         ctx.in.banks.data(), ctx.in.banks.size());
  if (cfg.embedded)
    out.notes.push_back("entry '" + ec.title +
                        "': extpol=embedded, the launcher verifies modules only under a halt "
                        "or continue policy, and with SHA-256 (tboot verifies none)");
  HashAlg algs[launch::kMaxBanks];
  const std::vector<HashAlg> measure_algs(algs, algs + launch::measurement_algs(cfg, algs));

  std::vector<launch::ModuleInput> inputs;
  const bool loadable =
      number_modules(load_modules(ctx, ge, measure_algs, ec), measure_algs, ec, inputs);
  if (!loadable || ec.modules.empty()) {
    ec.verdict = "fail";
    ec.error = ec.modules.empty() ? "no module: nothing for the launcher to boot"
                                  : "GRUB cannot load every module of this entry";
    ec.action = "none";
    return ec;
  }
  auto st = decide_entry(ctx, cfg, inputs, alg_name(measure_algs[0]), ec);
  if (!st) return st.failure();
  return ec;
}

// Entries of the installed build that grub.cfg does not offer.
void note_missing_entries(const BootCheckInput& in, BootCheck& out) {
  if (!in.reference.is_object()) return;
  for (const json& re : in.reference.value("entries", json::array())) {
    std::string title = re.value("title", std::string());
    bool found = std::any_of(out.entries.begin(), out.entries.end(),
                             [&](const EntryCheck& e) { return e.title == title; });
    if (!found)
      out.notes.push_back("the entry '" + title + "' of the installed build is not in " +
                          in.grub_cfg + " (run update-grub, or tlaunch grub)");
  }
}

}  // namespace

Expected<BootCheck> check_boot(const BootCheckInput& in) {
  auto text = read_file(in.grub_cfg, 16u << 20);
  if (!text) return text.failure();
  auto menu = parse_grub_cfg(std::string(text->begin(), text->end()), in.grub_cfg);
  if (!menu) return menu.failure();

  BootCheck out;
  CheckContext ctx(in);
  decide_policy(ctx, out);
  check_reference(ctx, out);
  if (auto st = make_all_modules_policy(ctx); !st) return st.failure();

  for (const GrubMenuEntry& ge : *menu) {
    if (!ge.multiboot2) continue;
    auto ec = check_entry(ctx, ge, out);
    if (!ec) return ec.failure();
    out.entries.push_back(std::move(*ec));
  }
  if (out.entries.empty())
    out.notes.push_back(in.grub_cfg + " has no menu entry that starts a multiboot2 launcher");
  note_missing_entries(in, out);
  return out;
}

json boot_check_json(const BootCheck& c) {
  json j;
  j["policy"] = c.policy_state;
  if (!c.policy_note.empty()) j["policy_note"] = c.policy_note;
  j["reference_known"] = c.reference_known;
  j["reference_matches"] = c.reference_matches;
  j["ok"] = c.ok();
  j["notes"] = c.notes;
  json entries = json::array();
  for (const EntryCheck& e : c.entries) {
    json je;
    je["line"] = e.line;
    je["title"] = e.title;
    je["submenus"] = e.submenus;
    je["launcher"] = e.launcher;
    je["launcher_cmdline"] = e.launcher_cmdline;
    je["verdict"] = e.verdict;
    je["error"] = e.error;
    je["action"] = e.action;
    je["skipped"] = e.skipped;
    je["unresolved_variables"] = e.unresolved;
    json mods = json::array();
    for (const ModuleCheck& m : e.modules) {
      json jm;
      jm["index"] = m.index;
      jm["line"] = m.line;
      jm["grub_path"] = m.grub_path;
      jm["host_path"] = m.host_path;
      jm["cmdline"] = m.cmdline;
      jm["nounzip"] = m.nounzip;
      jm["status"] = m.status;
      jm["reason"] = m.reason;
      jm["policy_entry"] = m.policy_entry;
      jm["measurement"] = m.measurement;
      jm["loaded_digest"] = m.loaded_digest;
      if (!m.expected_loaded_digest.empty() || !m.cmdline_diff.empty()) {
        jm["expected_cmdline"] = m.expected_cmdline;
        jm["expected_loaded_digest"] = m.expected_loaded_digest;
        jm["cmdline_diff"] = m.cmdline_diff;
      }
      mods.push_back(jm);
    }
    je["modules"] = mods;
    entries.push_back(je);
  }
  j["entries"] = entries;
  return j;
}

}  // namespace tlaunch::host::spec
