// Launch spec: JSON -> model, with every problem reported by its JSON Pointer path.
#include "tlaunch/spec/launch_spec.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "nv.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/spec/kernel_rule.h"

namespace tlaunch::host::spec {

using nlohmann::json;

size_t LaunchSpec::module_slots() const {
  size_t n = 0;
  for (const auto& e : entries) n = std::max(n, e.modules.size());
  return n;
}

namespace {

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

HashAlg alg_from_name(const std::string& name) {
  const HashAlgInfo* info = find_hash_alg_by_name(name.c_str());
  return info ? info->id : HashAlg::kNull;
}

uint8_t pcr_from_json(const json& v, uint8_t fallback) {
  if (v.is_null()) return fallback;
  if (v.is_string()) return vlp::kPcrNone;  // "none" (the schema allows nothing else)
  return static_cast<uint8_t>(v.get<double>());
}

// Duplicate member names are legal JSON that parsers resolve differently (nlohmann and Python
// keep the last one): in a file that says which command line is hashed, that is an ambiguity, so
// it is an error. Tracked with the parser callback: one frame per open object/array, which knows
// its JSON Pointer path.
class DuplicateKeyCheck {
 public:
  bool operator()(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({event == json::parse_event_t::array_start, 0, child_path(), {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        advance();
        break;
      case json::parse_event_t::key:
        if (!frames_.empty()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second && issues.size() < 20)
            issues.push_back({pointer_append(f.path, f.key),
                              "the member \"" + f.key + "\" appears twice in the same object"});
        }
        break;
      case json::parse_event_t::value:
        advance();
        break;
    }
    return true;
  }
  std::vector<Issue> issues;

 private:
  struct Frame {
    bool array;
    size_t count;
    std::string path;
    std::set<std::string> keys;
    std::string key;
  };
  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    return f.array ? pointer_append(f.path, f.count) : pointer_append(f.path, f.key);
  }
  void advance() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
  }
  std::vector<Frame> frames_;
};

class Parser {
 public:
  Parser(const std::string& spec_path, const SystemFacts& facts, std::vector<Issue>& issues,
         std::vector<Issue>& missing)
      : facts_(facts), issues_(issues), missing_(missing) {
    spec_.spec_path = spec_path;
    spec_.spec_name = base_name(spec_path);
    spec_.base_dir = dir_name(spec_path);
  }

  LaunchSpec run(const json& doc) {
    const json& pol = doc["policy"];
    std::string type = pol["type"].get<std::string>();
    spec_.policy_type = type == "nonfatal"   ? vlp::kContNonFatal
                        : type == "continue" ? vlp::kContVerifyFail
                                             : vlp::kHalt;
    spec_.policy_alg = alg_from_name(pol.value("hash_alg", std::string("sha256")));
    spec_.extend_pcr17 = pol.value("extend_pcr17", true);
    if (pol.contains("other_modules")) {
      spec_.other_modules = true;
      spec_.other_modules_pcr =
          pcr_from_json(pol["other_modules"].value("pcr", json()), vlp::kPcrNone);
    }
    const std::string map = doc.value("pcr_map", std::string("da"));
    spec_.pcr_map = map == "legacy" ? launch::PcrMap::kLegacy
                    : map == "loc0" ? launch::PcrMap::kLoc0
                                    : launch::PcrMap::kDa;
    spec_.all_banks = doc.value("all_banks", false);
    if (doc.contains("banks")) {
      spec_.banks.clear();
      for (const auto& b : doc["banks"]) spec_.banks.push_back(alg_from_name(b.get<std::string>()));
    }

    if (doc.contains("grub")) parse_grub(doc["grub"]);

    const json& l = doc["launcher"];
    spec_.launcher.ref = file_ref(l, "/launcher");
    spec_.launcher.cmdline = l.value("cmdline", std::string());
    spec_.launcher.nounzip = l.value("nounzip", spec_.grub.nounzip);
    // "fs_uuid": "auto": the file system the launcher is on, which holds what GRUB loads.
    if (spec_.grub.root == GrubRoot::kFsUuid && spec_.grub.root_value == "auto") {
      spec_.grub.root_value = fs_uuid_of(spec_.launcher.ref.host_path);
      if (spec_.grub.root_value.empty())
        issue("/grub/root/fs_uuid",
              "is \"auto\", but no link in /dev/disk/by-uuid points at the device holding " +
                  spec_.launcher.ref.host_path + ": write the file system's UUID");
    }

    const json& entries = doc["entries"];
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string path = pointer_append("/entries", i);
      if (!entries[i].contains("kernels")) {
        parse_entry(entries[i], path);
        continue;
      }
      // A rule: its entries take its place, in order (newest kernel first).
      KernelRuleExpansion x;
      json made = expand_kernel_rule(entries[i]["kernels"], path, facts_, &x, &issues_, &missing_);
      for (const json& e : made) {
        // What the rule made must be an entry a spec could have written (a command line over
        // 1023 bytes, a title with a control character from the version string, ...).
        bool ok = true;
        for (const Issue& is : validate_against_schema(entry_schema(), e)) {
          issue(pointer_append(path, "kernels"),
                "the entry made for " + e["kernel"]["file"].get<std::string>() + ": " +
                    (is.path.empty() ? "/" : is.path) + ": " + is.reason);
          ok = false;
        }
        if (ok) parse_entry(e, path);
      }
      spec_.rules.push_back(std::move(x));
    }
    check_module_slots();

    if (doc.contains("sinits"))
      for (size_t i = 0; i < doc["sinits"].size(); ++i)
        spec_.sinits.push_back(file_ref(doc["sinits"][i], pointer_append("/sinits", i)));

    // SINIT ACMs and the LCP data file follow the measured modules; tboot and the tlaunch
    // launcher remove them before numbering (txt_modules.h), so they take no module number.
    if (doc.contains("lcp")) parse_lcp(doc["lcp"]);
    parse_nv(doc.value("nv", json::object()));
    check_launcher_options();
    check_grub_paths();
    return std::move(spec_);
  }

 private:
  void issue(const std::string& path, const std::string& reason) {
    issues_.push_back({path, reason});
  }

  // The schema of one entry given by its files ($defs/entry), for the entries rules make.
  static const json& entry_schema() {
    static const json s = [] {
      json root = json::parse(launch_spec_schema_text());
      json one;
      one["$defs"] = root["$defs"];
      one["$ref"] = "#/$defs/entry";
      return one;
    }();
    return s;
  }

  std::string resolve(const std::string& file) const {
    if (!file.empty() && file[0] == '/') return file;
    return spec_.base_dir + "/" + file;
  }

  // A file the build reads: must exist and be a regular file.
  std::string existing_file(const std::string& file, const std::string& path) {
    std::string p = resolve(file);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      missing_.push_back({path, "the file " + p + " does not exist"});
    else if (!S_ISREG(st.st_mode))
      missing_.push_back({path, p + " is not a regular file"});
    return p;
  }

  FileRef file_ref(const json& obj, const std::string& path) {
    FileRef r;
    r.json_path = path;
    r.file = obj["file"].get<std::string>();
    r.host_path = existing_file(r.file, pointer_append(path, "file"));
    if (obj.contains("grub_path"))
      r.grub_path = obj["grub_path"].get<std::string>();
    else
      r.grub_path = spec_.grub.path_prefix + "/" + base_name(r.file);
    return r;
  }

  ModuleSpec module(const json& m, const std::string& path, const std::string& role, size_t index) {
    ModuleSpec s;
    s.ref = file_ref(m, path);
    s.role = role;
    s.cmdline = m.value("cmdline", std::string());
    // Defaults as in tboot's documentation (docs/policy_v2.txt): module 0 is extended by the
    // launcher unconditionally (docs/reference/vlp.md §6.2), so its entry uses no PCR; the others
    // go to 19.
    s.pcr = pcr_from_json(m.value("pcr", json()), index == 0 ? vlp::kPcrNone : 19);
    s.verify = m.value("verify", std::string("image")) == "image";
    if (m.contains("as_loaded")) {
      s.as_loaded_explicit = true;
      s.as_loaded = m["as_loaded"] == "raw" ? AsLoaded::kRaw : AsLoaded::kGrub;
    }
    s.nounzip = m.value("nounzip", spec_.grub.nounzip);
    return s;
  }

  void parse_entry(const json& e, const std::string& path) {
    EntrySpec es;
    es.json_path = path;
    es.title = e["title"].get<std::string>();
    es.id = e.value("id", std::string());
    es.modules.push_back(module(e["kernel"], pointer_append(path, "kernel"), "kernel", 0));
    if (e.contains("initrd"))
      es.modules.push_back(module(e["initrd"], pointer_append(path, "initrd"), "initrd", 1));
    if (e.contains("modules"))
      for (size_t i = 0; i < e["modules"].size(); ++i)
        es.modules.push_back(module(e["modules"][i],
                                    pointer_append(pointer_append(path, "modules"), i), "module",
                                    es.modules.size()));
    if (!es.id.empty())
      for (const auto& other : spec_.entries)
        if (other.id == es.id)
          issue(pointer_append(path, "id"),
                "the id \"" + es.id + "\" is already used by " + other.json_path);
    spec_.entries.push_back(std::move(es));
  }

  // Module i of every entry is checked against the same VLP entry (mod_num i), which has one PCR
  // and one hash type: entries must agree on them.
  void check_module_slots() {
    for (size_t slot = 0; slot < spec_.module_slots(); ++slot) {
      const ModuleSpec* first = nullptr;
      for (const auto& e : spec_.entries) {
        if (slot >= e.modules.size()) continue;
        const ModuleSpec& m = e.modules[slot];
        if (first == nullptr) {
          first = &m;
          continue;
        }
        if (m.pcr != first->pcr)
          issue(pointer_append(m.ref.json_path, "pcr"),
                "is " + pcr_text(m.pcr) + " but " + first->ref.json_path + " says " +
                    pcr_text(first->pcr) + ": both are module " + std::to_string(slot) +
                    ", verified by the same VLP entry, which has one PCR");
        if (m.verify != first->verify)
          issue(pointer_append(m.ref.json_path, "verify"),
                std::string("is \"") + (m.verify ? "image" : "any") + "\" but " +
                    first->ref.json_path + " says \"" + (first->verify ? "image" : "any") +
                    "\": both are module " + std::to_string(slot) +
                    ", verified by the same VLP entry, which has one hash type");
      }
    }
    if (spec_.module_slots() > vlp::kMaxModNum + 1)
      issue("/entries", "more than 128 modules: VLP module numbers end at 127");
  }

  static std::string pcr_text(uint8_t pcr) {
    return pcr == vlp::kPcrNone ? std::string("\"none\"") : std::to_string(pcr);
  }

  void parse_grub(const json& g) {
    GrubSpec& s = spec_.grub;
    s.submenu = g.value("submenu", std::string());
    s.path_prefix = g.value("path_prefix", std::string("/boot"));
    if (g.contains("root")) {
      const json& r = g["root"];
      if (r.contains("device")) {
        s.root = GrubRoot::kDevice;
        s.root_value = r["device"].get<std::string>();
      } else if (r.contains("fs_uuid")) {
        s.root = GrubRoot::kFsUuid;
        s.root_value = r["fs_uuid"].get<std::string>();
      } else if (r.contains("label")) {
        s.root = GrubRoot::kLabel;
        s.root_value = r["label"].get<std::string>();
      }
    }
    if (g.contains("insmod")) s.insmod = g["insmod"].get<std::vector<std::string>>();
    s.nounzip = g.value("nounzip", false);
    if (g.contains("classes")) s.classes = g["classes"].get<std::vector<std::string>>();
    s.messages = g.value("messages", true);
  }

  NvIndexSpec nv_index(const json& j, const std::string& path, bool define) {
    NvIndexSpec n;
    n.json_path = path;
    n.define = define;
    if (!j.is_object()) return n;
    if (j.contains("handle"))
      n.explicit_handle =
          static_cast<uint32_t>(std::stoul(j["handle"].get<std::string>().substr(2), nullptr, 16));
    if (j.contains("size")) n.size = j["size"].get<uint32_t>();
    if (j.contains("attributes")) {
      // Parsed and checked against what the launcher accepts by the caller, with libtpmnv's
      // catalogue rules (one copy of them): see cli/commands/spec_common.cpp.
      n.has_attributes = true;
      n.attributes = j["attributes"].get<std::string>();
    }
    return n;
  }

  void parse_nv(const json& nv) {
    NvSpec& s = spec_.nv;
    s.handle_set = nv.value("handle_set", std::string("tcg")) == "legacy" ? HandleSet::kLegacy
                                                                          : HandleSet::kTcg;
    s.vlp = nv_index(nv.value("vlp", json()), "/nv/vlp", true);
    json err = nv.value("error", json(true));
    s.error = nv_index(err, "/nv/error", !(err.is_boolean() && !err.get<bool>()));
    if (nv.contains("po") && !spec_.lcp)
      issue("/nv/po", "there is no lcp section: nothing would be written into the PO index");
    s.po = nv_index(nv.value("po", json()), "/nv/po", spec_.lcp.has_value());
  }

  void parse_lcp(const json& l) {
    LcpSpec s;
    s.json_path = "/lcp";
    std::string ver = l.value("version", std::string("3.2"));
    s.version = ver == "3.0" ? 0x0300 : ver == "3.1" ? 0x0301 : 0x0302;
    s.hash_alg = alg_from_name(l.value("hash_alg", std::string("sha256")));
    s.min_sinit_version = l.value("min_sinit_version", uint8_t{0});
    s.control = l.value("control", uint32_t{0});
    s.data_grub_path = l.value("data_file", spec_.grub.path_prefix + "/lcp.data");
    const json& lists = l["lists"];
    for (size_t i = 0; i < lists.size(); ++i) {
      std::string lp = pointer_append("/lcp/lists", i);
      const json& lj = lists[i];
      LcpListSpec ls;
      ls.json_path = lp;
      ls.version =
          static_cast<uint16_t>(std::stoul(lj.value("version", std::string("0x300")), nullptr, 16));
      for (size_t k = 0; k < lj["elements"].size(); ++k) {
        const json& ej = lj["elements"][k];
        std::string ep = pointer_append(pointer_append(lp, "elements"), k);
        LcpElementSpec es;
        es.json_path = ep;
        std::string t = ej["type"].get<std::string>();
        es.kind = t == "mle"      ? LcpElementKind::kMle
                  : t == "vlp"    ? LcpElementKind::kVlp
                  : t == "custom" ? LcpElementKind::kCustom
                                  : LcpElementKind::kFile;
        es.hash_alg = alg_from_name(ej.value("hash_alg", std::string("sha256")));
        es.min_sinit_version = ej.value("min_sinit_version", uint8_t{0});
        es.control = ej.value("control", uint32_t{1});  // lcptools DEFAULT_POL_ELT_CONTROL
        es.uuid = ej.value("uuid", std::string());
        if (ej.contains("file")) {
          es.file = ej["file"].get<std::string>();
          es.host_path = existing_file(es.file, pointer_append(ep, "file"));
        }
        if ((es.kind == LcpElementKind::kCustom || es.kind == LcpElementKind::kFile) &&
            es.file.empty())
          issue(ep, "a \"" + t + "\" element needs \"file\"");
        if (es.kind == LcpElementKind::kCustom && es.uuid.empty())
          issue(ep, "a \"custom\" element needs \"uuid\"");
        if (es.kind != LcpElementKind::kCustom && !es.uuid.empty())
          issue(pointer_append(ep, "uuid"), "only \"custom\" elements have a uuid");
        ls.elements.push_back(std::move(es));
      }
      if (lj.contains("signing")) {
        const json& sj = lj["signing"];
        LcpSigningSpec ss;
        ss.json_path = pointer_append(lp, "signing");
        ss.alg = sj["alg"].get<std::string>();
        ss.hash_alg = sj.value("hash_alg", std::string());
        if (sj.contains("public_key"))
          ss.public_key = existing_file(sj["public_key"].get<std::string>(),
                                        pointer_append(ss.json_path, "public_key"));
        if (sj.contains("private_key"))
          ss.private_key = existing_file(sj["private_key"].get<std::string>(),
                                         pointer_append(ss.json_path, "private_key"));
        if (sj.contains("signature"))
          ss.signature = existing_file(sj["signature"].get<std::string>(),
                                       pointer_append(ss.json_path, "signature"));
        ss.passphrase = sj.value("passphrase", std::string());
        ss.revocation_counter = sj.value("revocation_counter", uint16_t{0});
        if (ss.public_key.empty()) issue(ss.json_path, "a signed list needs \"public_key\"");
        if (!ss.private_key.empty() && !ss.signature.empty())
          issue(ss.json_path,
                "\"private_key\" (sign here) and \"signature\" (signed elsewhere) "
                "exclude each other");
        if (ss.alg == "rsa" && ls.version == 0x300)
          issue(pointer_append(ss.json_path, "alg"),
                "list version 0x300 is signed with rsapss or ecdsa, not PKCS#1 v1.5 rsa");
        if (ss.alg == "rsapss" && ls.version != 0x300)
          issue(pointer_append(ss.json_path, "alg"), "rsapss needs list version 0x300");
        ls.signing = std::move(ss);
      }
      s.lists.push_back(std::move(ls));
    }
    spec_.lcp = std::move(s);
  }

  // Options of the launcher that change what the spec describes must not contradict it. The
  // command line is read with the launcher's own parser (launch_options.h).
  void check_launcher_options() {
    const std::string at = "/launcher/cmdline";
    const launch::LauncherOptions o =
        launch::parse_launcher_options(as_bytes(spec_.launcher.cmdline));
    if (o.num_bad != 0)
      issue(at, "the launcher does not understand \"" + as_string(o.first_bad) +
                    "\" (launcher/README.md lists its options)");
    auto given = [&](uint32_t bit) { return (o.given & bit) ? "" : " (its default)"; };
    // tboot option extpol= selects the measuring algorithm; default sha256 (docs/reference/vlp.md
    // §6.1).
    const HashAlgInfo* pa = find_hash_alg(static_cast<uint16_t>(spec_.policy_alg));
    const std::string want_alg = pa ? pa->name : "sha256";
    if (o.extpol == launch::ExtPol::kEmbedded)
      issue(at,
            "extpol=embedded: tboot would verify no module against the VLP "
            "(docs/reference/vlp.md §6.2), the tlaunch launcher only a halt or continue policy "
            "and with SHA-256; remove it (to measure every PCR bank, add all_banks=on)");
    else if (launch::extpol_alg(o.extpol) != spec_.policy_alg)
      issue(at, std::string("the launcher measures with ") + launch::extpol_name(o.extpol) +
                    given(launch::kOptExtpol) + " but /policy/hash_alg is " + want_alg +
                    ": add extpol=" + want_alg);
    const launch::PcrMap want_map = spec_.pcr_map;
    if (o.all_banks != spec_.all_banks)
      issue(at, std::string("all_banks=") + (o.all_banks ? "on" : "off") +
                    given(launch::kOptAllBanks) + " contradicts /all_banks " +
                    (spec_.all_banks ? "true" : "false") +
                    ": add all_banks=" + (spec_.all_banks ? "on" : "off"));
    if (o.pcr_map != want_map)
      issue(at, std::string("pcr_map=") + launch::pcr_map_name(o.pcr_map) +
                    given(launch::kOptPcrMap) + " contradicts /pcr_map \"" +
                    launch::pcr_map_name(want_map) +
                    "\": add pcr_map=" + launch::pcr_map_name(want_map));
    const launch::NvIndexSet want_set = spec_.nv.handle_set;
    if (o.nv_index_set != want_set)
      issue(at, std::string("nv_index_set=") + launch::nv_index_set_name(o.nv_index_set) +
                    given(launch::kOptNvIndexSet) + " contradicts /nv/handle_set \"" +
                    launch::nv_index_set_name(want_set) +
                    "\": add nv_index_set=" + launch::nv_index_set_name(want_set));
  }

  // Two different files at the same GRUB path cannot both be loaded.
  void check_grub_paths() {
    std::map<std::string, const FileRef*> seen;
    auto visit = [&](const FileRef& r) {
      auto [it, inserted] = seen.emplace(r.grub_path, &r);
      if (!inserted && it->second->host_path != r.host_path)
        issue(pointer_append(r.json_path, "grub_path"),
              "\"" + r.grub_path + "\" is also the GRUB path of " + it->second->json_path +
                  ", which is a different file (" + it->second->file + ")");
    };
    visit(spec_.launcher.ref);
    for (const auto& e : spec_.entries)
      for (const auto& m : e.modules) visit(m.ref);
    for (const auto& s : spec_.sinits) visit(s);
  }

  LaunchSpec spec_;
  const SystemFacts& facts_;
  std::vector<Issue>& issues_;
  std::vector<Issue>& missing_;
};

}  // namespace

Expected<LaunchSpec> parse_launch_spec(const std::string& text, const std::string& spec_path,
                                       const SystemFacts& facts) {
  // A spec is a few levels deep. A pathologically nested document would make every recursive
  // walk over it (validation, equality, printing a value in a message) exhaust the stack.
  constexpr int kMaxDepth = 64;
  struct TooDeep {};
  DuplicateKeyCheck dup;
  json doc;
  try {
    doc = json::parse(text, [&dup](int depth, json::parse_event_t ev, json& parsed) {
      if (depth > kMaxDepth) throw TooDeep{};
      return dup(ev, parsed);
    });
  } catch (const TooDeep&) {
    return fail(Errc::kBadValue, spec_path + ": /: the document nests deeper than " +
                                     std::to_string(kMaxDepth) + " levels");
  } catch (const json::exception& e) {
    // parse_error for bad syntax ("[json.exception.parse_error.101] parse error at line 3, column
    // 5: ...") and out_of_range.406 for a number no double holds (1e400): keep the text after the
    // "[json.exception.*] " prefix. Found by tests/fuzz/fuzz_launch_spec (docs/robustness.md).
    std::string what = e.what();
    size_t at = what.find("] ");
    return fail(Errc::kBadValue, spec_path + ": not valid JSON: " +
                                     (at == std::string::npos ? what : what.substr(at + 2)));
  }
  if (!dup.issues.empty()) return fail(Errc::kBadValue, format_issues(dup.issues, spec_path));

  static const json schema = json::parse(launch_spec_schema_text());
  std::vector<Issue> issues = validate_against_schema(schema, doc);
  if (!issues.empty()) return fail(Errc::kBadValue, format_issues(issues, spec_path));

  std::vector<Issue> missing;
  Parser p(spec_path, facts, issues, missing);
  LaunchSpec spec = p.run(doc);
  if (issues.empty() && missing.empty()) resolve_nv(spec, issues);
  if (!issues.empty()) {
    issues.insert(issues.end(), missing.begin(), missing.end());
    return fail(Errc::kBadValue, format_issues(issues, spec_path));
  }
  if (!missing.empty()) return fail(Errc::kIo, format_issues(missing, spec_path));
  return spec;
}

Expected<LaunchSpec> load_launch_spec(const std::string& path, const SystemFacts& facts) {
  // A spec is a small text file; 1 MiB is far beyond any real one and bounds a mistaken path.
  auto bytes = read_file(path, 1u << 20);
  if (!bytes) return bytes.failure();
  return parse_launch_spec(std::string(bytes->begin(), bytes->end()), path, facts);
}

}  // namespace tlaunch::host::spec
