#include "tlaunch/tpmnv/plan.h"

#include <algorithm>
#include <set>

#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/vlp.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/content.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::tpmnv {
namespace {

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

host::Failure entry_error(const std::string& path, size_t i, const std::string& index,
                          const std::string& msg, Errc code = Errc::kBadValue) {
  std::string where = path + ": indices[" + std::to_string(i) + "]";
  if (!index.empty()) where += " (" + index + ")";
  return host::fail(code, where + ": " + msg);
}

bool parse_hex(const std::string& text, Bytes* out) {
  std::string h;
  for (char c : text)
    if (c != ' ' && c != ':' && c != '\n' && c != '\t') h += c;
  if (h.rfind("0x", 0) == 0) h = h.substr(2);
  if (h.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = h[i + k];
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<uint8_t>(v));
  }
  return true;
}

constexpr const char* kEntryKeys[] = {"index", "size", "attributes", "hierarchy", "auth_policy",
                                      "force", "file", "hex",        "tb_error",  "description"};

}  // namespace

void set_tb_error(PlanEntry& p, uint32_t code) {
  // tb_error_t is a u32 stored little-endian at offset 0 (docs/reference/vlp.md §7.1; tboot
  // tb_error.c).
  p.content = Bytes{static_cast<uint8_t>(code), static_cast<uint8_t>(code >> 8),
                    static_cast<uint8_t>(code >> 16), static_cast<uint8_t>(code >> 24)};
  p.origin = ContentOrigin::kTbError;
  p.tb_error = code;
  p.content_source = std::string("tb_error ") +
                     (vlp::tb_error_name(code) ? vlp::tb_error_name(code) : std::to_string(code));
}

nlohmann::json plan_to_json(const ProvisionPlan& plan) {
  nlohmann::json doc;
  doc["$schema"] = "https://tlaunch.invalid/schemas/nv-plan.v1.schema.json";
  doc["version"] = 1;
  doc["handle_set"] = handle_set_name(plan.handle_set);
  if (!plan.description.empty()) doc["description"] = plan.description;
  nlohmann::json indices = nlohmann::json::array();
  for (const PlanEntry& p : plan.entries) {
    nlohmann::json e;
    e["index"] = p.index;
    if (p.size) e["size"] = *p.size;
    if (p.attributes) e["attributes"] = attributes_to_string(*p.attributes);
    if (p.hierarchy) e["hierarchy"] = hierarchy_name(*p.hierarchy);
    if (p.auth_policy) e["auth_policy"] = host::hex(*p.auth_policy);
    if (p.force) e["force"] = true;
    switch (p.origin) {
      case ContentOrigin::kFile:
        e["file"] = p.content_file;
        break;
      case ContentOrigin::kTbError:
        if (const char* n = vlp::tb_error_name(p.tb_error))
          e["tb_error"] = n;
        else
          e["tb_error"] = p.tb_error;
        break;
      case ContentOrigin::kHex:
      case ContentOrigin::kNone:
        if (p.content) e["hex"] = host::hex(*p.content);
        break;
    }
    if (!p.description.empty()) e["description"] = p.description;
    indices.push_back(std::move(e));
  }
  doc["indices"] = std::move(indices);
  return doc;
}

const char* action_name(Action a) {
  switch (a) {
    case Action::kCreate:
      return "create";
    case Action::kRewrite:
      return "rewrite";
    case Action::kUnchanged:
      return "unchanged";
    case Action::kConflict:
      return "conflict";
    case Action::kReplace:
      return "replace";
  }
  return "?";
}

host::Expected<ProvisionPlan> load_plan(const std::string& path) {
  host::Expected<Bytes> raw = host::read_file(path, 1 << 20);
  if (!raw) return raw.failure();
  nlohmann::json doc = nlohmann::json::parse(raw->begin(), raw->end(), nullptr, false);
  if (doc.is_discarded()) return host::fail(Errc::kBadValue, path + ": not valid JSON");
  return parse_plan(doc, path);
}

host::Expected<ProvisionPlan> parse_plan(const nlohmann::json& doc, const std::string& path) {
  ProvisionPlan plan;
  plan.path = path;
  if (!doc.is_object()) return host::fail(Errc::kBadValue, path + ": the plan must be an object");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& k = it.key();
    if (k != "$schema" && k != "version" && k != "handle_set" && k != "indices" &&
        k != "description")
      return host::fail(Errc::kBadValue, path + ": unknown key '" + k + "'");
  }
  if (!doc.contains("version") || doc["version"] != 1)
    return host::fail(Errc::kBadValue, path + ": \"version\" must be 1");
  if (doc.contains("handle_set")) {
    const nlohmann::json& s = doc["handle_set"];
    if (s == "tcg")
      plan.handle_set = HandleSet::kTcg;
    else if (s == "legacy")
      plan.handle_set = HandleSet::kLegacy;
    else
      return host::fail(Errc::kBadValue, path + ": \"handle_set\" must be \"tcg\" or \"legacy\"");
  }
  if (doc.contains("description") && doc["description"].is_string())
    plan.description = doc["description"].get<std::string>();
  if (!doc.contains("indices") || !doc["indices"].is_array() || doc["indices"].empty())
    return host::fail(Errc::kBadValue, path + ": \"indices\" must be a non-empty array");
  std::string base = dir_of(path);
  std::set<uint32_t> seen;
  size_t i = 0;
  for (const nlohmann::json& e : doc["indices"]) {
    PlanEntry p;
    if (!e.is_object()) return entry_error(path, i, "", "must be an object");
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (std::find_if(std::begin(kEntryKeys), std::end(kEntryKeys),
                       [&](const char* key) { return it.key() == key; }) == std::end(kEntryKeys))
        return entry_error(path, i, "", "unknown key '" + it.key() + "'");
    }
    if (!e.contains("index") || !e["index"].is_string())
      return entry_error(path, i, "", "\"index\" (a catalogue name or hex handle) is required");
    p.index = e["index"].get<std::string>();
    host::Expected<Target> t = resolve_target(p.index, plan.handle_set);
    if (!t) return entry_error(path, i, p.index, t.failure().message);
    p.target = *t;
    if (!seen.insert(p.target.handle).second)
      return entry_error(path, i, p.index,
                         "handle " + format_handle(p.target.handle) + " appears twice");
    if (e.contains("size")) {
      if (!e["size"].is_number_unsigned() || e["size"].get<uint64_t>() == 0 ||
          e["size"].get<uint64_t>() > 0xFFFF)
        return entry_error(path, i, p.index, "\"size\" must be 1..65535");
      p.size = static_cast<uint16_t>(e["size"].get<uint64_t>());
    }
    if (e.contains("attributes")) {
      if (!e["attributes"].is_string())
        return entry_error(path, i, p.index, "\"attributes\" must be a string");
      host::Expected<uint32_t> a = parse_attributes(e["attributes"].get<std::string>());
      if (!a) return entry_error(path, i, p.index, a.failure().message);
      p.attributes = *a;
    }
    if (e.contains("hierarchy")) {
      if (e["hierarchy"] == "owner")
        p.hierarchy = Hierarchy::kOwner;
      else if (e["hierarchy"] == "platform")
        p.hierarchy = Hierarchy::kPlatform;
      else
        return entry_error(path, i, p.index, "\"hierarchy\" must be \"owner\" or \"platform\"");
    }
    if (e.contains("auth_policy")) {
      Bytes b;
      if (!e["auth_policy"].is_string() || !parse_hex(e["auth_policy"].get<std::string>(), &b))
        return entry_error(path, i, p.index, "\"auth_policy\" must be a hex string");
      p.auth_policy = b;
    }
    if (e.contains("force")) {
      if (!e["force"].is_boolean())
        return entry_error(path, i, p.index, "\"force\" must be true or false");
      p.force = e["force"].get<bool>();
    }
    int sources = e.contains("file") + e.contains("hex") + e.contains("tb_error");
    if (sources > 1)
      return entry_error(path, i, p.index, "give at most one of \"file\", \"hex\", \"tb_error\"");
    if (e.contains("file")) {
      if (!e["file"].is_string()) return entry_error(path, i, p.index, "\"file\" must be a string");
      std::string f = e["file"].get<std::string>();
      std::string full = (!f.empty() && f[0] == '/') ? f : base + "/" + f;
      host::Expected<Bytes> data = host::read_file(full, 0xFFFF);
      if (!data) return entry_error(path, i, p.index, data.failure().message, data.failure().code);
      p.content = std::move(*data);
      p.origin = ContentOrigin::kFile;
      p.content_file = f;
      p.content_source = "file " + f;
    } else if (e.contains("hex")) {
      Bytes b;
      if (!e["hex"].is_string() || !parse_hex(e["hex"].get<std::string>(), &b))
        return entry_error(path, i, p.index, "\"hex\" must be a hex string");
      p.content = b;
      p.origin = ContentOrigin::kHex;
      p.content_source = "hex";
    } else if (e.contains("tb_error")) {
      uint32_t code = 0;
      if (e["tb_error"].is_string()) {
        if (!vlp::tb_error_from_name(e["tb_error"].get<std::string>().c_str(), &code))
          return entry_error(path, i, p.index, "unknown tboot error name");
      } else if (e["tb_error"].is_number_unsigned() &&
                 e["tb_error"].get<uint64_t>() <= 0xFFFFFFFF) {
        code = static_cast<uint32_t>(e["tb_error"].get<uint64_t>());
      } else {
        return entry_error(path, i, p.index, "\"tb_error\" must be a TB_ERR_* name or a number");
      }
      set_tb_error(p, code);
    }
    if (e.contains("description")) {
      if (!e["description"].is_string())
        return entry_error(path, i, p.index, "\"description\" must be a string");
      p.description = e["description"].get<std::string>();
    }
    if (p.content && p.content->empty())
      return entry_error(path, i, p.index, "the content is empty");
    if (!p.target.spec && (!p.attributes || (!p.size && !p.content)))
      return entry_error(path, i, p.index,
                         "an index outside the catalogue needs \"attributes\" and \"size\"");
    plan.entries.push_back(std::move(p));
    ++i;
  }
  return plan;
}

bool has_conflict(const std::vector<Step>& steps) {
  return std::any_of(steps.begin(), steps.end(),
                     [](const Step& s) { return s.action == Action::kConflict; });
}

host::Expected<std::vector<Step>> make_plan(NvDevice& dev, const ProvisionPlan& plan,
                                            bool replace) {
  host::Expected<TpmLimits> limits = dev.limits();
  if (!limits) return limits.failure();
  uint32_t chunk = chunk_size(*limits);
  std::vector<Step> steps;
  // First everything that needs no TPM: definitions and sizes.
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const PlanEntry& e = plan.entries[i];
    Step s;
    s.entry = i;
    std::optional<uint16_t> size = e.size;
    if (!size && e.content && e.target.spec && e.content->size() > e.target.spec->default_size)
      size = static_cast<uint16_t>(e.content->size());
    if (!size && !e.target.spec && e.content) size = static_cast<uint16_t>(e.content->size());
    host::Expected<NvDefinition> def = make_definition(
        e.target, size, e.attributes, e.hierarchy, e.auth_policy, limits->nv_index_max, &s.note);
    if (!def) return entry_error(plan.path, i, e.index, def.failure().message, def.failure().code);
    s.want = *def;
    std::vector<std::string> problems = check_definition(e.target.spec, s.want, false);
    if (e.force) problems = check_tpm_rules(s.want);
    if (!problems.empty()) {
      std::string msg = "refusing the definition " + attributes_to_string(s.want.attributes) +
                        ", " + std::to_string(s.want.size) + " bytes:";
      for (const std::string& p : problems) msg += "\n  - " + p;
      if (!e.force && e.target.spec) msg += "\n  (\"force\": true accepts it anyway)";
      return entry_error(plan.path, i, e.index, msg);
    }
    if (limits->nv_index_max && s.want.size > limits->nv_index_max)
      return entry_error(plan.path, i, e.index,
                         "size " + std::to_string(s.want.size) +
                             " exceeds this TPM's TPM_PT_NV_INDEX_MAX (" +
                             std::to_string(limits->nv_index_max) + ")",
                         Errc::kTooLarge);
    if (e.content && e.content->size() > s.want.size)
      return entry_error(plan.path, i, e.index,
                         e.content_source + " holds " + std::to_string(e.content->size()) +
                             " bytes; the index has " + std::to_string(s.want.size),
                         Errc::kTooLarge);
    // The content as the launcher / SINIT decodes it (check_content, tlaunch-nv-provision(1)).
    if (e.content && e.target.spec) {
      host::HostStatus c = check_content(e.target.spec->content, *e.content, e.content_source);
      if (!c && !e.force)
        return entry_error(plan.path, i, e.index,
                           c.failure().message + "\n  (\"force\": true writes it anyway)",
                           c.failure().code);
      if (!c) s.note += (s.note.empty() ? "" : "; ") + ("\"force\": " + c.failure().message);
    }
    steps.push_back(std::move(s));
  }
  // Then the TPM's state, read-only.
  for (Step& s : steps) {
    const PlanEntry& e = plan.entries[s.entry];
    host::Expected<std::optional<NvPublic>> cur = dev.read_public(e.target.handle);
    if (!cur) return cur.failure();
    s.current = *cur;
    if (!s.current) {
      s.action = Action::kCreate;
      s.reason = "not defined";
      continue;
    }
    const NvPublic& have = *s.current;
    std::string diff = compare_definition(s.want, have.attributes, have.size, policy_bytes(have));
    if (!diff.empty()) {
      s.action = replace ? Action::kReplace : Action::kConflict;
      s.reason = diff;
      continue;
    }
    if (!e.content) {
      s.action = Action::kUnchanged;
      s.reason = "defined as wanted; no content in the plan";
      continue;
    }
    const Bytes& want = *e.content;
    if (!(have.attributes & attr::kWritten)) {
      s.action = Action::kRewrite;
      s.reason = "defined as wanted, never written";
      continue;
    }
    host::Expected<AuthRole> rrole = read_role(have.attributes);
    if (!rrole || *rrole == AuthRole::kPolicy || (have.attributes & attr::kReadLocked)) {
      s.action = replace ? Action::kReplace : Action::kConflict;
      s.reason =
          "the content cannot be read back to compare (no password read access or "
          "read-locked)";
      continue;
    }
    host::Expected<Bytes> content = read_index(dev, e.target, have, 0, want.size());
    if (!content) return content.failure();
    s.current_content = std::move(*content);
    while (s.matching_prefix < want.size() &&
           s.current_content[s.matching_prefix] == want[s.matching_prefix])
      ++s.matching_prefix;
    if (s.matching_prefix == want.size()) {
      s.action = Action::kUnchanged;
      s.reason = "definition and content match";
      continue;
    }
    if (have.attributes & attr::kWriteLocked) {
      s.action = replace ? Action::kReplace : Action::kConflict;
      s.reason = "write-locked and holds different content";
      continue;
    }
    s.action = Action::kRewrite;
    // Chunks that already hold the wanted bytes: an interrupted multi-chunk write (head-last
    // order, ops.h) leaves later chunks new and byte 0 cleared, so look at every chunk.
    size_t same_chunks = 0, all_chunks = 0;
    for (auto [off, len] : chunks(0, want.size(), chunk)) {
      ++all_chunks;
      if (std::equal(want.begin() + off, want.begin() + off + len, s.current_content.begin() + off))
        ++same_chunks;
    }
    if (all_chunks > 1 && same_chunks > 0) {
      s.partial = true;
      s.reason = std::to_string(same_chunks) + " of " + std::to_string(all_chunks) + " chunks (" +
                 std::to_string(chunk) +
                 " bytes each) already hold the content (an interrupted "
                 "multi-chunk write?); rewriting the others";
    } else {
      s.reason = "content differs from byte " + std::to_string(s.matching_prefix);
    }
  }
  return steps;
}

host::Expected<ApplyResult> apply_plan(NvDevice& dev, const ProvisionPlan& plan,
                                       std::vector<Step>& steps) {
  ApplyResult r;
  if (has_conflict(steps))
    return host::fail(Errc::kConflict, plan.path + ": the plan has conflicts; nothing applied");
  for (Step& s : steps) {
    const PlanEntry& e = plan.entries[s.entry];
    bool define = s.action == Action::kCreate || s.action == Action::kReplace;
    bool write = e.content && s.action != Action::kUnchanged;
    if (s.action == Action::kReplace) {
      TPMNV_TRY(dev.undefine(*s.current));
      ++r.undefined;
    }
    if (define) {
      TPMNV_TRY(dev.define(s.want));
      ++r.defined;
    }
    if (write) {
      const NvPublic pub = define ? public_of(s.want) : *s.current;
      WriteOptions opt;
      if (!define && s.current_content.size() == e.content->size())
        opt.existing = &s.current_content;
      host::Expected<WriteResult> w =
          write_index(dev, e.target, pub, ByteSpan(e.content->data(), e.content->size()), opt);
      if (!w) {
        host::Failure f = w.failure();
        if (define && f.code != Errc::kTpmUnreachable) {
          // Leave no half-made index behind: the TPM is as before this step.
          if (dev.undefine(pub))
            f.message += "\n  (the index defined by this step was removed again)";
        }
        return f;
      }
      s.nv_writes = w->commands;
      s.skipped_chunks = w->skipped;
      s.verified = w->verified;
      r.nv_writes += w->commands;
      ++r.written;
    }
    s.applied = define || write;
  }
  return r;
}

nlohmann::json step_json(const ProvisionPlan& plan, const Step& s) {
  const PlanEntry& e = plan.entries[s.entry];
  nlohmann::json j;
  j["index"] = e.index;
  j["name"] = e.target.spec ? nlohmann::json(e.target.spec->name) : nlohmann::json(nullptr);
  j["handle"] = format_handle(e.target.handle);
  j["action"] = action_name(s.action);
  j["reason"] = s.reason;
  if (!s.note.empty()) j["note"] = s.note;
  j["want"] = {{"hierarchy", hierarchy_name(s.want.hierarchy)},
               {"attributes", attributes_to_string(s.want.attributes)},
               {"attributes_hex", format_handle(s.want.attributes)},
               {"size", s.want.size},
               {"auth_policy", host::hex(s.want.auth_policy)}};
  if (s.current) {
    j["current"] = {{"attributes", attributes_to_string(s.current->attributes)},
                    {"attributes_hex", format_handle(s.current->attributes)},
                    {"size", s.current->size},
                    {"written", (s.current->attributes & attr::kWritten) != 0}};
  } else {
    j["current"] = nullptr;
  }
  if (e.content) {
    j["content"] = {{"source", e.content_source}, {"size", e.content->size()}};
  } else {
    j["content"] = nullptr;
  }
  j["partial_write"] = s.partial;
  j["applied"] = s.applied;
  j["nv_writes"] = s.nv_writes;
  j["skipped_chunks"] = s.skipped_chunks;
  j["verified"] = s.verified;
  return j;
}

}  // namespace tlaunch::tpmnv
