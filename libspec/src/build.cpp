// `tlaunch build` in memory: VLP, grub.cfg, NV plan and reference manifest from a launch spec.
#include "tlaunch/spec/build.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/txt_modules.h"
#include "tlaunch/policy/vlp.h"
#include "tlaunch/spec/grub_cfg.h"
#include "tlaunch/spec/kernel_rule.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"

namespace tlaunch::host::spec {

using nlohmann::json;

std::string alg_name(HashAlg alg) {
  const HashAlgInfo* info = find_hash_alg(static_cast<uint16_t>(alg));
  return info ? info->name : "unknown";
}

std::string digest_hex(const Digest& d) { return hex(d.bytes, d.size); }

const BankDigests* LoadedFile::find(HashAlg alg) const {
  for (const auto& d : digests)
    if (d.alg == alg) return &d;
  return nullptr;
}

const OutputFile* BuildResult::find(const std::string& name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

json pcr_json(uint8_t pcr) { return pcr == vlp::kPcrNone ? json("none") : json(pcr); }

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", v);
  return buf;
}

// The algorithms a module is hashed with: the reported banks plus the policy's algorithm (the
// one the VLP holds), without repeats, banks first.
std::vector<HashAlg> module_algs(const LaunchSpec& spec) {
  std::vector<HashAlg> algs = spec.banks;
  if (std::find(algs.begin(), algs.end(), spec.policy_alg) == algs.end())
    algs.push_back(spec.policy_alg);
  return algs;
}

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes json_bytes(const json& j) { return text_bytes(j.dump(2) + "\n"); }

struct ModuleResult {
  ModuleSpec spec;  // the spec's module
  LoadedFile loaded;
  Digest policy_measurement;  // what the VLP holds for it (policy hash_alg)
};

struct EntryResult {
  const EntrySpec* spec = nullptr;
  std::vector<ModuleResult> modules;
};

class Builder {
 public:
  explicit Builder(const LaunchSpec& spec) : spec_(spec), algs_(module_algs(spec)) {}

  Expected<BuildResult> run() {
    // Hash every distinct (file, loading mode) once: several entries often share an initrd.
    for (const EntrySpec& e : spec_.entries) {
      EntryResult er;
      er.spec = &e;
      for (const ModuleSpec& m : e.modules) {
        auto loaded = load(m.ref, m.nounzip, m.cmdline);
        if (!loaded) return loaded.failure();
        ModuleResult mr;
        mr.spec = m;
        mr.loaded = *loaded;
        const BankDigests* pd = mr.loaded.find(spec_.policy_alg);
        mr.policy_measurement = pd->measurement;
        check_mode(m, mr.loaded);
        er.modules.push_back(std::move(mr));
      }
      entries_.push_back(std::move(er));
    }
    for (const FileRef& ref : spec_.sinits) {
      auto loaded = load(ref, true, "");
      if (!loaded) return loaded.failure();
      sinits_.push_back(std::move(*loaded));
    }
    auto launcher = load(spec_.launcher.ref, false, spec_.launcher.cmdline);
    if (!launcher) return launcher.failure();
    launcher_ = *launcher;
    check_layout(nullptr);
    if (!issues_.empty()) return fail(Errc::kBadValue, format_issues(issues_, spec_.spec_path));

    BuildResult r;
    r.grub_cfg = render_grub_cfg(spec_, grub_inputs());

    HostStatus made = make_policy(&r.vlp);
    if (!made) return made.failure();
    if (!issues_.empty()) return fail(Errc::kBadValue, format_issues(issues_, spec_.spec_path));
    LcpBuild lcp;
    if (spec_.lcp) {
      auto b = build_lcp(spec_, r.vlp);
      if (!b) return b.failure();
      lcp = std::move(*b);
      if (!lcp.pending.empty()) {
        r.pending = lcp.pending;
        r.files = lcp.tbs;
        return r;
      }
      check_layout(&lcp.data);
      if (!issues_.empty()) return fail(Errc::kBadValue, format_issues(issues_, spec_.spec_path));
    }
    auto plan = make_plan(r.vlp, lcp.policy);
    if (!plan) return plan.failure();
    r.plan = std::move(*plan);
    auto ref = make_reference(r.vlp);
    if (!ref) return ref.failure();
    r.reference = std::move(*ref);

    r.files.push_back({kVlpFile, r.vlp});
    r.files.push_back({kGrubFile, text_bytes(r.grub_cfg)});
    r.files.push_back({kPlanFile, json_bytes(tpmnv::plan_to_json(r.plan))});
    r.files.push_back({kReferenceFile, json_bytes(r.reference)});
    if (spec_.lcp) {
      r.files.push_back({kLcpPolicyFile, lcp.policy});
      r.files.push_back({kLcpDataFile, lcp.data});
      for (auto& t : lcp.tbs) r.files.push_back(std::move(t));
    }
    return r;
  }

 private:
  // tboot's module layout (txt_modules.h), which the tlaunch launcher applies too: GRUB loads
  // each entry's measured modules, then the SINIT ACMs, then the LCP data file (when built:
  // `lcp_data`); SINITs and the LCP data file must leave the list before numbering, the measured
  // modules must stay. Anything else is an issue at the file's place in the spec.
  void check_layout(const Bytes* lcp_data) {
    for (const EntryResult& e : entries_) {
      std::vector<launch::ModuleHead> heads;
      std::vector<std::string> where;
      for (const ModuleResult& m : e.modules) {
        heads.push_back(
            {ByteSpan(m.loaded.head.data(), m.loaded.head.size()), m.loaded.loaded_size});
        where.push_back(m.spec.ref.json_path);
      }
      const size_t first_sinit = heads.size();
      for (size_t i = 0; i < sinits_.size(); ++i) {
        heads.push_back(
            {ByteSpan(sinits_[i].head.data(), sinits_[i].head.size()), sinits_[i].loaded_size});
        where.push_back(spec_.sinits[i].json_path);
      }
      const size_t lcp_at = heads.size();
      if (lcp_data != nullptr) {
        heads.push_back({ByteSpan(lcp_data->data(), lcp_data->size()), lcp_data->size()});
        where.push_back("/lcp");
      }
      std::vector<launch::TxtModule> kinds(heads.size());
      launch::classify_txt_modules(heads.data(), heads.size(), kinds.data());
      for (size_t i = 0; i < heads.size(); ++i) {
        const launch::TxtModule want = i < first_sinit ? launch::TxtModule::kNone
                                       : i < lcp_at    ? launch::TxtModule::kSinit
                                                       : launch::TxtModule::kLcpPolicyData;
        if (kinds[i] == want) continue;
        std::string what;
        if (want == launch::TxtModule::kNone)
          what = std::string("looks like ") +
                 (kinds[i] == launch::TxtModule::kSinit ? "a SINIT ACM" : "LCP policy data") +
                 " to tboot's module layout (remove_txt_modules): tboot and the launcher would "
                 "take it out of the module list before numbering";
        else if (want == launch::TxtModule::kSinit)
          what =
              "is not a SINIT ACM by tboot's rules (is_sinit_acmod: ACM header, chipset type, "
              "vendor 0x8086, ACM UUID v3, SINIT type, size): tboot and the launcher would "
              "number it as a module, after the measured ones";
        else
          what =
              "the LCP data file is not found by tboot's find_lcp_module (a short module "
              "after it stops the search)";
        Issue is{where[i], what + " (in " + e.spec->json_path + ")"};
        if (std::find_if(issues_.begin(), issues_.end(),
                         [&](const Issue& x) { return x.path == is.path; }) == issues_.end())
          issues_.push_back(is);
      }
    }
  }

  Expected<LoadedFile> load(const FileRef& ref, bool nounzip, const std::string& cmdline) {
    std::string key = ref.host_path + (nounzip ? "\n1" : "\n0");
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      auto l = hash_loaded_file(ref.host_path, nounzip, algs_, "");
      if (!l) {
        Failure f = l.failure();
        f.message =
            spec_.spec_path + ": " + pointer_append(ref.json_path, "file") + ": " + f.message;
        return f;
      }
      it = cache_.emplace(key, std::move(*l)).first;
    }
    // Same file, its own command line: only the cmdline digest and the measurement change.
    LoadedFile out = it->second;
    OpenSslHasher h;
    for (BankDigests& d : out.digests) {
      auto c = hash_once(
          h, d.alg, ByteSpan(reinterpret_cast<const uint8_t*>(cmdline.data()), cmdline.size()));
      if (!c.ok()) return fail(c.error(), "hashing a command line");
      d.cmdline = *c;
      auto m = module_measurement(
          h, d.alg, ByteSpan(reinterpret_cast<const uint8_t*>(cmdline.data()), cmdline.size()),
          d.loaded);
      if (!m.ok()) return fail(m.error(), "computing a module measurement");
      d.measurement = *m;
    }
    return out;
  }

  // A module whose reference digest is declared "raw" must reach the launcher undecompressed.
  void check_mode(const ModuleSpec& m, const LoadedFile& l) {
    if (m.as_loaded != AsLoaded::kRaw || m.nounzip || l.codecs.empty()) return;
    std::string codecs;
    for (const auto& c : l.codecs) codecs += (codecs.empty() ? "" : "+") + c;
    issues_.push_back(
        {pointer_append(m.ref.json_path, "as_loaded"),
         "is \"raw\", but " + m.ref.file + " is " + codecs +
             "-compressed and module2 without --nounzip hands over the decompressed " +
             std::to_string(l.loaded_size) + " bytes, not the file's " +
             std::to_string(l.file_size) +
             ": set \"nounzip\": true to load it as is, or as_loaded \"grub\" to measure what "
             "GRUB hands over"});
  }

  GrubRenderInputs grub_inputs() const {
    std::set<std::string> mods;
    for (const EntryResult& e : entries_)
      for (const ModuleResult& m : e.modules)
        for (const auto& c : m.loaded.codecs)
          mods.insert(c == "gzip" ? "gzio" : c == "xz" ? "xzio" : "lzopio");
    for (const auto& c : launcher_.codecs)
      mods.insert(c == "gzip" ? "gzio" : c == "xz" ? "xzio" : "lzopio");
    GrubRenderInputs in;
    in.decompressors.assign(mods.begin(), mods.end());
    return in;
  }

  // The VLP: entry i verifies module i of every boot entry; its hashes are the measurements of
  // all entries' module i, without repeats, in entry order (docs/reference/vlp.md §2, §6.2).
  HostStatus make_policy(Bytes* out) {
    size_t slots = 0;  // module numbers in use (SINITs and LCP data take none)
    for (const EntryResult& e : entries_) slots = std::max(slots, e.modules.size());
    const size_t h = digest_size(static_cast<uint16_t>(spec_.policy_alg));
    std::vector<std::vector<Digest>> hashes(slots);
    std::vector<const ModuleSpec*> first(slots, nullptr);
    for (const EntryResult& e : entries_)
      for (size_t i = 0; i < e.modules.size(); ++i) {
        if (!first[i]) first[i] = &e.modules[i].spec;
        if (!e.modules[i].spec.verify) continue;
        const Digest& d = e.modules[i].policy_measurement;
        if (std::find(hashes[i].begin(), hashes[i].end(), d) == hashes[i].end())
          hashes[i].push_back(d);
      }
    size_t size = vlp::kHeaderSize;
    size_t total_hashes = 0;
    for (size_t i = 0; i < slots; ++i) {
      size += vlp::kEntryHeaderSize + hashes[i].size() * h;
      total_hashes += hashes[i].size();
      if (hashes[i].size() > 255)
        issues_.push_back({"/entries", "module " + std::to_string(i) + " has " +
                                           std::to_string(hashes[i].size()) +
                                           " different measurements; a VLP entry holds 255"});
    }
    if (spec_.other_modules) size += vlp::kEntryHeaderSize;
    const size_t n_entries = slots + (spec_.other_modules ? 1 : 0);
    const std::string shape =
        std::to_string(n_entries) + (n_entries == 1 ? " entry, " : " entries, ") +
        std::to_string(total_hashes) + " hashes of " + std::to_string(h) + " bytes";
    if (size > vlp::kMaxPolicySize)
      issues_.push_back({"/entries", "the VLP would be " + std::to_string(size) + " bytes (" +
                                         shape + "): more than the " +
                                         std::to_string(vlp::kMaxPolicySize) +
                                         " bytes the launcher reads from NV (tboot "
                                         "MAX_TB_POLICY_SIZE); use fewer entries or a shorter "
                                         "/policy/hash_alg"});
    else if (spec_.nv.vlp.size != 0 && size > spec_.nv.vlp.size)
      issues_.push_back({"/nv/vlp/size", "is " + std::to_string(spec_.nv.vlp.size) +
                                             " bytes, but the VLP needs " + std::to_string(size) +
                                             " (" + shape + ")"});
    if (!issues_.empty()) return host_ok();

    vlp::Policy pol = vlp::Policy::create(spec_.policy_type, static_cast<uint8_t>(spec_.policy_alg),
                                          spec_.extend_pcr17 ? vlp::kCtlExtendPcr17 : 0);
    for (size_t i = 0; i < slots; ++i) {
      vlp::Entry e;
      e.mod_num = static_cast<uint8_t>(i);
      e.pcr = first[i]->pcr;
      e.hash_type = first[i]->verify ? vlp::kHashImage : vlp::kHashAny;
      auto idx = pol.add_entry(e);
      if (!idx.ok()) return fail(idx.error(), spec_.spec_path + ": building the VLP");
      for (const Digest& d : hashes[i]) {
        auto st = pol.add_hash(*idx, d.span());
        if (!st.ok()) return fail(st.error(), spec_.spec_path + ": building the VLP");
      }
    }
    if (spec_.other_modules) {
      // Last, because an ANY entry shadows every later entry (tboot find_policy_entry()).
      vlp::Entry e;
      e.mod_num = vlp::kModNumAny;
      e.pcr = spec_.other_modules_pcr;
      e.hash_type = vlp::kHashAny;
      auto idx = pol.add_entry(e);
      if (!idx.ok()) return fail(idx.error(), spec_.spec_path + ": building the VLP");
    }
    out->assign(pol.size(), 0);
    auto n = vlp::encode(pol, MutableByteSpan(out->data(), out->size()));
    if (!n.ok()) return fail(n.error(), spec_.spec_path + ": encoding the VLP");
    out->resize(*n);
    return host_ok();
  }

  // The NV provisioning plan (libtpmnv plan.h; nv-plan.json is its JSON form). The VLP index
  // without a size gets the catalogue's (the largest VLP, capped by the TPM), so later kernels
  // fit without redefining.
  Expected<tpmnv::ProvisionPlan> make_plan(const Bytes& vlp, const Bytes& lcp_policy) const {
    tpmnv::ProvisionPlan plan;
    plan.path = kPlanFile;
    plan.handle_set = spec_.nv.handle_set;
    plan.description = "NV indices of " + spec_.spec_name + " (tlaunch build)";
    auto entry = [&](const NvIndexSpec& n, const char* name) -> Expected<tpmnv::PlanEntry> {
      tpmnv::PlanEntry e;
      e.index = name;
      auto t = tpmnv::resolve_target(name, spec_.nv.handle_set);
      if (!t) return t.failure();
      e.target = *t;
      if (n.size != 0) e.size = static_cast<uint16_t>(n.size);
      if (n.has_attributes) {
        auto a = tpmnv::parse_attributes(n.attributes);
        if (!a)
          return fail(a.failure().code,
                      spec_.spec_path + ": " + n.json_path + ": " + a.failure().message);
        e.attributes = *a;
      }
      return e;
    };
    auto file_content = [](tpmnv::PlanEntry& e, const char* file, const Bytes& bytes) {
      e.content = bytes;
      e.origin = tpmnv::ContentOrigin::kFile;
      e.content_file = file;
      e.content_source = std::string("file ") + file;
    };
    auto v = entry(spec_.nv.vlp, "vlp");
    if (!v) return v.failure();
    file_content(*v, kVlpFile, vlp);
    v->description = "tboot VLP read by the launcher at " + hex32(spec_.nv.vlp.handle);
    plan.entries.push_back(std::move(*v));
    if (spec_.nv.error.define) {
      auto e = entry(spec_.nv.error, "error");
      if (!e) return e.failure();
      // Written once so that the launcher can read it (an index never written cannot be read,
      // and tboot then stops using it); `tlaunch apply` does not reset an error recorded since.
      tpmnv::set_tb_error(*e, static_cast<uint32_t>(vlp::TbError::kNone));
      e->description = "launch error record of the launcher";
      plan.entries.push_back(std::move(*e));
    }
    if (spec_.lcp) {
      auto p = entry(spec_.nv.po, "po");
      if (!p) return p.failure();
      file_content(*p, kLcpPolicyFile, lcp_policy);
      p->description = "platform owner LCP policy read by SINIT";
      plan.entries.push_back(std::move(*p));
    }
    return plan;
  }

  json digests_json(const LoadedFile& l, bool with_cmdline) const {
    json d = json::object();
    for (const BankDigests& b : l.digests) {
      json x;
      x["file"] = digest_hex(b.file);
      x["loaded"] = digest_hex(b.loaded);
      if (with_cmdline) {
        x["cmdline"] = digest_hex(b.cmdline);
        x["measurement"] = digest_hex(b.measurement);
      }
      d[alg_name(b.alg)] = x;
    }
    return d;
  }

  json file_json(const FileRef& ref, const LoadedFile& l) const {
    json j;
    j["file"] = ref.file;
    j["grub_path"] = ref.grub_path;
    j["size"] = l.file_size;
    j["loaded_size"] = l.loaded_size;
    j["compression"] = l.codecs;
    return j;
  }

  Expected<json> make_reference(const Bytes& vlp_bytes) const {
    OpenSslHasher h;
    json ref;
    ref["$schema"] = "https://tlaunch.invalid/schemas/reference.v1.schema.json";
    ref["version"] = 1;
    ref["spec"] = spec_.spec_name;
    ref["generator"] = "tlaunch build";

    json pol;
    pol["file"] = kVlpFile;
    pol["size"] = vlp_bytes.size();
    pol["type"] = vlp::policy_type_keyword(spec_.policy_type);
    pol["hash_alg"] = alg_name(spec_.policy_alg);
    pol["control"] = spec_.extend_pcr17 ? vlp::kCtlExtendPcr17 : 0;
    json pd = json::object();
    for (HashAlg a : algs_) {
      auto d = hash_once(h, a, ByteSpan(vlp_bytes.data(), vlp_bytes.size()));
      if (!d.ok()) return fail(d.error(), "hashing the VLP");
      pd[alg_name(a)] = digest_hex(*d);
    }
    pol["digests"] = pd;
    auto decoded = vlp::decode(ByteSpan(vlp_bytes.data(), vlp_bytes.size()));
    if (!decoded.ok()) return fail(decoded.error(), "internal: the VLP just built does not decode");
    json pentries = json::array();
    for (size_t i = 0; i < decoded->num_entries(); ++i) {
      const vlp::Entry& e = decoded->entry(i);
      json je;
      je["mod_num"] = e.mod_num == vlp::kModNumAny ? json("any") : json(e.mod_num);
      je["pcr"] = pcr_json(e.pcr);
      je["hash_type"] = e.hash_type == vlp::kHashImage ? "image" : "any";
      json hs = json::array();
      for (size_t k = 0; k < e.num_hashes; ++k) {
        ByteSpan s = decoded->hash(i, k);
        hs.push_back(hex(s.data, s.size));
      }
      je["hashes"] = hs;
      pentries.push_back(je);
    }
    pol["entries"] = pentries;
    ref["policy"] = pol;

    json nv;
    nv["handle_set"] = launch::nv_index_set_name(spec_.nv.handle_set);
    nv["vlp"] = hex32(spec_.nv.vlp.handle);
    if (spec_.nv.error.define) nv["error"] = hex32(spec_.nv.error.handle);
    if (spec_.lcp) nv["po"] = hex32(spec_.nv.po.handle);
    ref["nv"] = nv;

    json banks = json::array();
    for (HashAlg b : spec_.banks) banks.push_back(alg_name(b));
    ref["banks"] = banks;
    ref["pcr_map"] = launch::pcr_map_name(spec_.pcr_map);
    ref["all_banks"] = spec_.all_banks;

    json launcher = file_json(spec_.launcher.ref, launcher_);
    launcher["cmdline"] = spec_.launcher.cmdline;
    launcher["digests"] = digests_json(launcher_, false);
    ref["launcher"] = launcher;

    json sinits = json::array();
    for (size_t i = 0; i < sinits_.size(); ++i) {
      json s = file_json(spec_.sinits[i], sinits_[i]);
      s["digests"] = digests_json(sinits_[i], false);
      sinits.push_back(s);
    }
    ref["sinits"] = sinits;

    json entries = json::array();
    for (const EntryResult& e : entries_) {
      json je;
      je["title"] = e.spec->title;
      if (!e.spec->id.empty()) je["id"] = e.spec->id;
      json mods = json::array();
      for (size_t i = 0; i < e.modules.size(); ++i) {
        const ModuleResult& m = e.modules[i];
        json jm = file_json(m.spec.ref, m.loaded);
        jm["index"] = i;
        jm["role"] = m.spec.role;
        jm["cmdline"] = m.spec.cmdline;
        jm["nounzip"] = m.spec.nounzip;
        jm["pcr"] = pcr_json(m.spec.pcr);
        jm["verify"] = m.spec.verify ? "image" : "any";
        jm["digests"] = digests_json(m.loaded, true);
        mods.push_back(jm);
      }
      je["modules"] = mods;
      auto launch = predict(vlp_bytes, e);
      if (!launch) return launch.failure();
      je["launch"] = std::move(*launch);
      entries.push_back(je);
    }
    ref["entries"] = entries;
    // What each "kernels" rule expanded to: the kernels found, the ones selected (with the
    // running one kept beside the newest), and the entries made.
    if (!spec_.rules.empty()) {
      json rules = json::array();
      for (const KernelRuleExpansion& x : spec_.rules) rules.push_back(expansion_json(x));
      ref["rules"] = rules;
    }
    return ref;
  }

  // What the launcher does with this entry's modules and the VLP read from NV: the same
  // decision code the launcher runs (libpolicy launch.h), then the PCR values it leads to.
  Expected<json> predict(const Bytes& vlp_bytes, const EntryResult& e) const {
    OpenSslHasher h;
    // The launcher's configuration comes from its command line in grub.cfg and the TPM's banks,
    // through the one rule the launcher itself runs (launch_options.h).
    const launch::Config cfg = launch::config_from_cmdline(as_bytes(spec_.launcher.cmdline),
                                                           spec_.banks.data(), spec_.banks.size());
    HashAlg algs[launch::kMaxBanks];
    const size_t num_algs = launch::measurement_algs(cfg, algs);
    std::vector<launch::ModuleInput> mods(e.modules.size());
    for (size_t i = 0; i < e.modules.size(); ++i) {
      mods[i].cmdline = as_bytes(e.modules[i].spec.cmdline);
      mods[i].num_digests = num_algs;
      for (size_t a = 0; a < num_algs; ++a) {
        const BankDigests* d = e.modules[i].loaded.find(algs[a]);
        if (d == nullptr)
          return fail(Errc::kInternal, spec_.spec_path + ": " + e.spec->json_path +
                                           ": internal error: no digest for the launcher's "
                                           "measurement algorithm");
        mods[i].image[a] = d->loaded;
      }
    }
    launch::Input in;
    in.source = launch::PolicySource::kNvRead;
    in.policy_bytes = ByteSpan(vlp_bytes.data(), vlp_bytes.size());
    in.modules = mods.data();
    in.num_modules = mods.size();
    in.has_launcher_cmdline = true;  // the launcher measures its own line first
    in.launcher_cmdline = as_bytes(spec_.launcher.cmdline);
    auto outcome = std::make_unique<launch::Outcome>();
    auto st = launch::evaluate(h, cfg, in, outcome.get());
    if (!st.ok()) return fail(st.error(), spec_.spec_path + ": " + e.spec->json_path);
    if (!outcome->policy_from_nv || !outcome->pass())
      return fail(Errc::kInternal,
                  spec_.spec_path + ": " + e.spec->json_path +
                      ": internal error: the launcher's decision code rejects the policy built "
                      "for this entry (" +
                      (vlp::tb_error_name(static_cast<uint32_t>(outcome->error))
                           ? vlp::tb_error_name(static_cast<uint32_t>(outcome->error))
                           : "?") +
                      ")");
    json j;
    j["verdict"] = outcome->pass() ? "pass" : "fail";
    j["error"] = vlp::tb_error_name(static_cast<uint32_t>(outcome->error));
    j["action"] = vlp::action_name(outcome->action);
    json events = json::array();
    for (size_t i = 0; i < outcome->num_events; ++i) {
      const launch::Event& ev = outcome->events[i];
      json je;
      je["pcr"] = ev.pcr;
      je["kind"] = launch::event_kind_name(ev.kind);
      if (ev.kind == launch::EventKind::kModule0 || ev.kind == launch::EventKind::kModule)
        je["module"] = ev.module;
      json d = json::object();
      for (size_t k = 0; k < ev.num_digests; ++k)
        d[alg_name(ev.digests[k].alg)] = digest_hex(ev.digests[k]);
      je["digests"] = d;
      events.push_back(je);
    }
    j["events"] = events;
    json pcrs = json::object();
    for (auto [name, start] : {std::pair{"drtm", launch::PcrStart::kZero},
                               std::pair{"no_drtm", launch::PcrStart::kAllOnes}}) {
      auto values = std::make_unique<launch::PcrValues>();
      st = launch::predict_pcrs(h, *outcome, spec_.banks.data(), spec_.banks.size(), start,
                                values.get());
      if (!st.ok()) return fail(st.error(), spec_.spec_path + ": predicting PCRs");
      json list = json::array();
      for (size_t i = 0; i < values->count; ++i) {
        const launch::PcrValue& v = values->values[i];
        json jv;
        jv["pcr"] = v.pcr;
        jv["bank"] = alg_name(v.value.alg);
        jv["value"] = digest_hex(v.value);
        jv["extends"] = v.extends;
        list.push_back(jv);
      }
      pcrs[name] = list;
    }
    j["pcrs"] = pcrs;
    return j;
  }

  const LaunchSpec& spec_;
  std::vector<HashAlg> algs_;
  std::map<std::string, LoadedFile> cache_;
  std::vector<EntryResult> entries_;
  std::vector<LoadedFile> sinits_;  // spec_.sinits as loaded (--nounzip)
  LoadedFile launcher_;
  std::vector<Issue> issues_;
};

}  // namespace

Expected<LoadedFile> hash_loaded_file(const std::string& path, bool nounzip,
                                      const std::vector<HashAlg>& algs,
                                      const std::string& cmdline) {
  // One read of the file for every algorithm, raw and as GRUB 2.06 loads it (loaded_image.h).
  auto d = digest_as_loaded(path, nounzip ? LoadMode::kRaw : LoadMode::kGrub,
                            std::span<const HashAlg>(algs.data(), algs.size()));
  if (!d) return d.failure();
  auto m = module_measurements(*d, cmdline);
  if (!m) return m.failure();
  LoadedFile out;
  out.file_size = d->raw_size;
  out.loaded_size = d->loaded_size;
  out.head = std::move(d->head);
  for (const FilterLayer& l : d->layers)
    if (l.decompressed) out.codecs.push_back(codec_name(l.codec));
  for (size_t i = 0; i < algs.size(); ++i) {
    BankDigests b;
    b.alg = algs[i];
    b.file = d->raw[i];
    b.loaded = d->image[i];
    b.cmdline = (*m)[i].cmdline;
    b.measurement = (*m)[i].module;
    out.digests.push_back(b);
  }
  return out;
}

Expected<BuildResult> build_launch(const LaunchSpec& spec) { return Builder(spec).run(); }

Expected<std::string> build_grub_cfg(const LaunchSpec& spec) {
  // A full build: entries for a spec whose policy cannot be built (too large for its index, ...)
  // would boot into a launcher that rejects them, so `tlaunch grub` refuses the same specs.
  auto r = Builder(spec).run();
  if (!r) return r.failure();
  return r->grub_cfg;
}

}  // namespace tlaunch::host::spec
