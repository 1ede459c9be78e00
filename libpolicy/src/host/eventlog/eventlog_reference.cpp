// A log compared with `tlaunch build`'s reference.json, and reference states for verifiers
// (host/eventlog_host.h; docs/attestation.md).
#include <algorithm>
#include <set>

#include "tlaunch/policy/host/eventlog/eventlog_host.h"

namespace tlaunch::host::log {

namespace {

using nlohmann::json;

std::string hexd(const Digest& d) { return hex(d.bytes, d.size); }

std::string text_of(ByteSpan s) {
  std::string out;
  for (size_t i = 0; i < s.size; ++i) {
    const uint8_t c = s[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      out += b;
    }
  }
  return out;
}
std::string text_of(const std::string& s) {
  return text_of(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// One launcher event of the log, decoded.
struct Actual {
  size_t index = 0;  // in log.events
  const eventlog::Event* event = nullptr;
  Result<launch::LaunchEventData> data = make_error(Errc::kInternal, "unset");
};

std::vector<Actual> launcher_events(const Log& log) {
  std::vector<Actual> out;
  for (size_t i = 0; i < log.events.size(); ++i) {
    const eventlog::Event& e = log.events[i];
    if (e.type != eventlog::kEvTbMeasurement || !launch::is_launch_data(e.data)) continue;
    out.push_back({i, &e, launch::decode_launch_data(e.data, e.data_offset)});
  }
  return out;
}

std::string entry_label(const json& entries, size_t i) {
  return std::to_string(i) + " \"" + entries[i].value("title", std::string()) + "\"";
}

std::string describe_expected(const json& ev, const json* mod) {
  std::string s =
      "PCR " + std::to_string(ev.value("pcr", 0)) + ", " + ev.value("kind", std::string("?"));
  if (ev.contains("module")) s += " " + std::to_string(ev["module"].get<int>());
  if (mod != nullptr) {
    s += " (" + mod->value("file", std::string()) + ", cmdline \"" +
         text_of(mod->value("cmdline", std::string())) + "\")";
  }
  for (auto& [alg, d] : ev["digests"].items()) s += ", " + alg + " " + d.get<std::string>();
  return s;
}

struct Diff {
  std::string field;
  std::string bank;
  std::string log;
  std::string expected;
};

// Compares launcher event k of the log with the reference's event k. Empty: equal.
std::vector<Diff> compare_event(const Actual& a, const json& ev, const json* mod, Hasher& h) {
  std::vector<Diff> diffs;
  const eventlog::Event& e = *a.event;
  if (!a.data.ok()) {
    diffs.push_back(
        {"event data", "", describe(a.data.error(), "does not decode"), "tlaunch data"});
    return diffs;
  }
  const launch::LaunchEventData& d = *a.data;
  Status consistent = launch::check_launch_event(h, e, d);
  if (!consistent.ok())
    diffs.push_back({"event data", alg_name(static_cast<uint16_t>(consistent.error().value)),
                     "does not describe the extended digest", "data that hashes to the digest"});
  const uint32_t want_pcr = ev.value("pcr", 0u);
  if (e.pcr != want_pcr)
    diffs.push_back({"pcr", "", std::to_string(e.pcr), std::to_string(want_pcr)});
  const std::string kind = launch::event_kind_name(d.kind);
  if (kind != ev.value("kind", std::string()))
    diffs.push_back({"kind", "", kind, ev.value("kind", std::string())});
  if (d.kind != launch::EventKind::kPolicyControl && ev.contains("module") &&
      d.module != ev["module"].get<unsigned>())
    diffs.push_back({"module", "", std::to_string(d.module), ev["module"].dump()});
  if (mod != nullptr && d.kind != launch::EventKind::kPolicyControl) {
    const std::string cmd = mod->value("cmdline", std::string());
    if (std::string(d.text.begin(), d.text.end()) != cmd)
      diffs.push_back({"cmdline", "", "\"" + text_of(d.text) + "\"", "\"" + text_of(cmd) + "\""});
    for (size_t i = 0; i < d.num_components; ++i) {
      const std::string alg = alg_name(static_cast<uint16_t>(d.components[i].alg));
      if (!mod->contains("digests") || !(*mod)["digests"].contains(alg)) continue;
      const std::string want = (*mod)["digests"][alg].value("loaded", std::string());
      if (hexd(d.components[i]) != want)
        diffs.push_back({"image", alg, hexd(d.components[i]), want});
    }
  }
  size_t common = 0;
  for (auto& [alg, want] : ev["digests"].items()) {
    const HashAlgInfo* info = find_hash_alg_by_name(alg.c_str());
    const Digest* got = info ? e.digest(info->id) : nullptr;
    if (got == nullptr) continue;
    ++common;
    if (hexd(*got) != want.get<std::string>())
      diffs.push_back({"measurement", alg, hexd(*got), want.get<std::string>()});
  }
  if (common == 0)
    diffs.push_back({"measurement", "", "no bank in common with the reference",
                     "a digest in "
                     "one of the reference's banks"});
  return diffs;
}

struct EntryResult {
  size_t entry = 0;
  size_t compared = 0;
  bool match = true;
  size_t first = 0;  // launcher event index of the first difference
  json mismatch;
  std::string what;
};

EntryResult check_entry(const std::vector<Actual>& actual, const json& reference, size_t entry,
                        Hasher& h) {
  EntryResult r;
  r.entry = entry;
  const json& ent = reference["entries"][entry];
  const json& launch = ent["launch"];
  // Nothing is extended (or logged) unless the action is continue.
  const json empty = json::array();
  const json& events =
      launch.value("action", std::string()) == "continue" ? launch["events"] : empty;
  auto module_of = [&](const json& ev) -> const json* {
    if (!ev.contains("module")) return nullptr;
    for (const auto& m : ent["modules"])
      if (m.value("index", -1) == ev["module"].get<int>()) return &m;
    return nullptr;
  };
  const size_t n = std::max(actual.size(), events.size());
  for (size_t k = 0; k < n; ++k) {
    json mm;
    mm["launcher_event"] = k;
    if (k >= actual.size()) {
      const json* mod = module_of(events[k]);
      mm["log_event"] = nullptr;
      mm["expected"] = events[k];
      r.what = "the log has " + std::to_string(actual.size()) +
               " launcher events; the reference expects more: launcher event " + std::to_string(k) +
               ": " + describe_expected(events[k], mod);
    } else if (k >= events.size()) {
      const Actual& a = actual[k];
      mm["log_event"] = a.index;
      r.what = "log event " + std::to_string(a.index) + " (launcher event " + std::to_string(k) +
               ", PCR " + std::to_string(a.event->pcr) +
               ") is not in the reference, which expects " + std::to_string(events.size()) +
               " launcher events";
    } else {
      const json* mod = module_of(events[k]);
      auto diffs = compare_event(actual[k], events[k], mod, h);
      r.compared = k + 1;
      if (diffs.empty()) continue;
      const Actual& a = actual[k];
      mm["log_event"] = a.index;
      mm["expected"] = events[k];
      json jd = json::array();
      std::string what = "log event " + std::to_string(a.index) + " (launcher event " +
                         std::to_string(k) + ") differs: expected " +
                         describe_expected(events[k], mod);
      for (const auto& d : diffs) {
        jd.push_back(
            {{"field", d.field}, {"bank", d.bank}, {"log", d.log}, {"expected", d.expected}});
        what += "\n  " + d.field + (d.bank.empty() ? "" : " " + d.bank) + ": log " + d.log +
                ", expected " + d.expected;
      }
      mm["differences"] = jd;
      r.what = what;
    }
    r.match = false;
    r.first = k;
    r.mismatch = mm;
    return r;
  }
  r.compared = n;
  return r;
}

Expected<size_t> select_entry(const json& entries, const std::string& entry,
                              const std::string& reference_name) {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entry == std::to_string(i) || entry == entries[i].value("id", std::string()) ||
        entry == entries[i].value("title", std::string()))
      return i;
  return fail(Errc::kNotFound,
              reference_name + ": no boot entry \"" + entry + "\" (give an index, id or title)");
}

HostStatus check_shape(const json& reference, const std::string& name) {
  if (!reference.is_object() || !reference.contains("entries") ||
      !reference["entries"].is_array() || reference["entries"].empty())
    return fail(Errc::kBadValue,
                name +
                    ": not a reference manifest of `tlaunch build` (no \"entries\"; "
                    "schemas/reference.v1.schema.json)");
  for (const auto& e : reference["entries"])
    if (!e.is_object() || !e.contains("launch") || !e["launch"].contains("events") ||
        !e.contains("modules"))
      return fail(Errc::kBadValue, name + ": an entry without \"launch\" events or \"modules\"");
  return host_ok();
}

}  // namespace

Expected<ReferenceCheck> check_reference(const Log& log, const json& reference,
                                         const std::string& reference_name,
                                         const std::string& entry, Hasher& h) {
  auto shape = check_shape(reference, reference_name);
  if (!shape) return shape.failure();
  const json& entries = reference["entries"];
  const auto actual = launcher_events(log);
  std::vector<EntryResult> results;
  try {
    if (!entry.empty()) {
      auto i = select_entry(entries, entry, reference_name);
      if (!i) return i.failure();
      results.push_back(check_entry(actual, reference, *i, h));
    } else {
      for (size_t i = 0; i < entries.size(); ++i)
        results.push_back(check_entry(actual, reference, i, h));
    }
  } catch (const json::exception& ex) {
    return fail(Errc::kBadValue, reference_name + ": unexpected shape: " + ex.what());
  }
  // The entry that matches, else the one that matched longest (the first of equals).
  const EntryResult* best = &results[0];
  for (const auto& r : results) {
    if (r.match) {
      best = &r;
      break;
    }
    if (!best->match && r.first > best->first) best = &r;
  }
  ReferenceCheck c;
  c.entry = entry_label(entries, best->entry);
  c.compared = best->compared;
  if (!best->match)
    c.mismatches.push_back({best->mismatch.value("log_event", json()).is_number()
                                ? best->mismatch["log_event"].get<size_t>()
                                : log.events.size(),
                            best->what});
  json j;
  j["reference"] = reference_name;
  j["entry"] = {{"index", best->entry},
                {"title", entries[best->entry].value("title", std::string())}};
  j["launcher_events"] = actual.size();
  j["compared"] = best->compared;
  j["match"] = best->match;
  if (!best->match) {
    j["mismatch"] = best->mismatch;
    j["mismatch"]["message"] = best->what;
  }
  c.json = j;
  return c;
}

Expected<json> keylime_tpm_policy(const json& reference, launch::PcrStart start,
                                  const std::string& entry, std::vector<std::string>* notes) {
  auto shape = check_shape(reference, "reference");
  if (!shape) return shape.failure();
  const json& entries = reference["entries"];
  std::vector<size_t> use;
  if (!entry.empty()) {
    auto i = select_entry(entries, entry, "reference");
    if (!i) return i.failure();
    use.push_back(*i);
  } else {
    for (size_t i = 0; i < entries.size(); ++i) use.push_back(i);
  }
  const char* key = start == launch::PcrStart::kZero ? "drtm" : "no_drtm";
  std::map<int, std::vector<std::string>> values;
  try {
    for (size_t i : use) {
      const json& pcrs = entries[i]["launch"]["pcrs"][key];
      for (const auto& v : pcrs) {
        if (v["extends"].get<size_t>() == 0) {
          const std::string note = "PCR " + std::to_string(v["pcr"].get<int>()) + " " +
                                   v["bank"].get<std::string>() +
                                   ": not extended by the launch (left at its start value), "
                                   "not exported; a verifier must not read that bank";
          if (std::find(notes->begin(), notes->end(), note) == notes->end()) notes->push_back(note);
          continue;
        }
        auto& list = values[v["pcr"].get<int>()];
        std::string hexv = v["value"].get<std::string>();
        if (std::find(list.begin(), list.end(), hexv) == list.end()) list.push_back(hexv);
      }
    }
  } catch (const json::exception& ex) {
    return fail(Errc::kBadValue, std::string("reference: unexpected shape: ") + ex.what());
  }
  if (values.empty())
    return fail(Errc::kBadValue, "reference: the launch extends no PCR (nothing to attest)");
  json out = json::object();
  for (const auto& [pcr, list] : values) out[std::to_string(pcr)] = list;
  return out;
}

}  // namespace tlaunch::host::log
