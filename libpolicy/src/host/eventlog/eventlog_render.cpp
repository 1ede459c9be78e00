// Text, JSON and CEL-JSON renderings of event logs (host/eventlog_host.h).
#include <cstdio>

#include "tlaunch/policy/host/eventlog/eventlog_host.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"

namespace tlaunch::host::log {

namespace {

using nlohmann::json;

std::string hexs(ByteSpan s) { return hex(s.data, s.size); }
std::string hexd(const Digest& d) { return hex(d.bytes, d.size); }

// "0x" and `width` hex digits.
std::string hexnum(unsigned long v, int width) {
  char b[32];
  std::snprintf(b, sizeof(b), "0x%0*lx", width, v);
  return b;
}

// The bytes as a JSON string: valid UTF-8 is kept, any other byte becomes U+FFFD. *lossy says
// whether that happened (then the caller adds the hex form).
std::string utf8_lossy(ByteSpan s, bool* lossy) {
  std::string out;
  *lossy = false;
  size_t i = 0;
  while (i < s.size) {
    const uint8_t c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size;
    for (size_t k = 1; ok && k < n; ++k) ok = (s[i + k] >> 6) == 2;
    if (ok && n == 2) ok = c >= 0xC2;  // overlong
    if (ok && n == 3) {
      const uint32_t cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
      ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok && n == 4) {
      const uint32_t cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12);
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      *lossy = true;
      ++i;
      continue;
    }
    out.append(reinterpret_cast<const char*>(s.data + i), n);
    i += n;
  }
  return out;
}

// For text output: printable ASCII as is, everything else \xNN, quotes and backslashes escaped.
std::string quoted(ByteSpan s, size_t max = SIZE_MAX) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size && i < max; ++i) {
    const uint8_t c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x" + hexnum(c, 2).substr(2);
    }
  }
  out += "\"";
  if (s.size > max) out += " ... (" + std::to_string(s.size) + " bytes)";
  return out;
}

// Printable ASCII, possibly NUL-terminated (firmware version strings, GRUB's EV_IPL text).
bool printable(ByteSpan s) {
  size_t n = s.size;
  while (n > 0 && s[n - 1] == 0) --n;
  if (n == 0) return false;
  for (size_t i = 0; i < n; ++i)
    if (s[i] < 0x20 || s[i] >= 0x7F) return false;
  return true;
}

json digests_json(const eventlog::Event& e) {
  json d = json::object();
  for (size_t k = 0; k < e.num_digests; ++k)
    d[alg_name(static_cast<uint16_t>(e.digests[k].alg))] = hexd(e.digests[k]);
  return d;
}

// The launcher's event data, decoded and checked against the event's digests.
json launch_data_json(const eventlog::Event& e) {
  json t;
  auto d = launch::decode_launch_data(e.data, e.data_offset);
  if (!d.ok()) {
    t["error"] = describe(d.error(), "event data");
    return t;
  }
  t["kind"] = launch::event_kind_name(d->kind);
  json comps = json::object();
  for (size_t i = 0; i < d->num_components; ++i)
    comps[alg_name(static_cast<uint16_t>(d->components[i].alg))] = hexd(d->components[i]);
  if (d->kind == launch::EventKind::kPolicyControl) {
    t["policy_control"] = d->value;
    t["policy_source"] = d->policy_from_nv ? "nv" : "default";
    t["policy_digest"] = comps;
  } else if (d->kind == launch::EventKind::kLauncherCmdline) {
    bool lossy = false;
    t["cmdline"] = utf8_lossy(d->text, &lossy);
    if (lossy) t["cmdline_hex"] = hexs(d->text);
  } else {
    t["module"] = d->module;
    if (d->entry != launch::kNoEntry) t["entry"] = d->entry;
    bool lossy = false;
    t["cmdline"] = utf8_lossy(d->text, &lossy);
    if (lossy) t["cmdline_hex"] = hexs(d->text);
    t["image"] = comps;
  }
  OpenSslHasher h;
  Status s = launch::check_launch_event(h, e, *d);
  t["consistent"] = s.ok();
  if (!s.ok()) t["error"] = describe(s.error(), "event data");
  return t;
}

std::string launch_data_text(const eventlog::Event& e) {
  auto d = launch::decode_launch_data(e.data, e.data_offset);
  if (!d.ok()) return "tlaunch event data that does not decode: " + describe(d.error(), "data");
  std::string s;
  auto comps = [&]() {
    std::string c;
    // Appended piece by piece: `" " + std::string` trips GCC 12's -Wrestrict at -O2.
    for (size_t i = 0; i < d->num_components; ++i) {
      if (i) c += ' ';
      c += alg_name(static_cast<uint16_t>(d->components[i].alg));
      c += ':';
      c += hexd(d->components[i]);
    }
    return c;
  };
  if (d->kind == launch::EventKind::kPolicyControl) {
    s = "policy control " + hexnum(d->value, 8) + ", policy from " +
        (d->policy_from_nv ? "NV" : "the built-in default") + ", H(policy) " + comps();
  } else if (d->kind == launch::EventKind::kLauncherCmdline) {
    s = "the launcher's command line " + quoted(d->text);
  } else {
    s = std::string(d->kind == launch::EventKind::kModule0
                        ? "module 0 (always measured)"
                        : "module " + std::to_string(d->module)) +
        (d->entry != launch::kNoEntry ? ", policy entry " + std::to_string(d->entry) : "") +
        ", cmdline " + quoted(d->text) + ", image " + comps();
  }
  OpenSslHasher h;
  Status c = launch::check_launch_event(h, e, *d);
  if (!c.ok()) s += "\n      INCONSISTENT: " + describe(c.error(), "event data");
  return s;
}

const char* start_name(launch::PcrStart s) { return s == launch::PcrStart::kZero ? "zero" : "ff"; }

}  // namespace

std::string alg_name(uint16_t alg) {
  const HashAlgInfo* i = find_hash_alg(alg);
  return i ? i->name : hexnum(alg, 4);
}

std::string type_name(uint32_t type) {
  const char* n = eventlog::event_type_name(type);
  return n ? n : hexnum(type, 8);
}

json log_json(const Log& log) {
  json j;
  j["source"] = log.source;
  j["size"] = log.bytes->size();
  j["format"] = "tcg2";
  json spec;
  spec["platform_class"] = log.spec.platform_class;
  spec["version"] =
      std::to_string(log.spec.version_major) + "." + std::to_string(log.spec.version_minor);
  spec["errata"] = log.spec.errata;
  spec["uintn_size"] = log.spec.uintn_size;
  json algs = json::array();
  for (size_t i = 0; i < log.spec.num_algs; ++i)
    algs.push_back({{"alg", alg_name(log.spec.algs[i].alg)},
                    {"id", log.spec.algs[i].alg},
                    {"size", log.spec.algs[i].size}});
  spec["algorithms"] = algs;
  spec["vendor_info"] = hexs(log.spec.vendor_info);
  j["spec_id"] = spec;
  json events = json::array();
  for (size_t i = 0; i < log.events.size(); ++i) {
    const eventlog::Event& e = log.events[i];
    json je;
    je["index"] = i;
    je["offset"] = e.offset;
    je["pcr"] = e.pcr;
    je["type"] = e.type;
    const char* n = eventlog::event_type_name(e.type);
    je["type_name"] = n ? json(n) : json(nullptr);
    je["digests"] = digests_json(e);
    je["data"] = hexs(e.data);
    if (printable(e.data)) {
      bool lossy = false;
      size_t len = e.data.size;
      while (len > 0 && e.data[len - 1] == 0) --len;
      je["text"] = utf8_lossy(ByteSpan(e.data.data, len), &lossy);
    }
    if (e.type == eventlog::kEvTbMeasurement && launch::is_launch_data(e.data))
      je["tlaunch"] = launch_data_json(e);
    events.push_back(je);
  }
  j["events"] = events;
  j["launcher_events"] = log.launcher_events();
  j["trailing_zero_bytes"] = log.bytes->size() - log.end;
  return j;
}

std::string log_text(const Log& log) {
  std::string s = log.source + ": TCG crypto-agile event log, " +
                  std::to_string(log.bytes->size()) + " bytes, " +
                  std::to_string(log.events.size()) + " events (" +
                  std::to_string(log.launcher_events()) + " by the tlaunch launcher)\n";
  s += "Spec ID: platform class " + std::to_string(log.spec.platform_class) + ", spec " +
       std::to_string(log.spec.version_major) + "." + std::to_string(log.spec.version_minor) +
       " errata " + std::to_string(log.spec.errata) + ", banks";
  for (size_t i = 0; i < log.spec.num_algs; ++i) {
    s += ' ';
    s += alg_name(log.spec.algs[i].alg);
  }
  s += "\n";
  for (size_t i = 0; i < log.events.size(); ++i) {
    const eventlog::Event& e = log.events[i];
    char head[96];
    std::snprintf(head, sizeof(head), "%4zu  pcr %2u  %-32s ", i, e.pcr, type_name(e.type).c_str());
    s += head;
    if (e.type == eventlog::kEvTbMeasurement && launch::is_launch_data(e.data))
      s += launch_data_text(e);
    else if (e.data.size == 0)
      s += "(no data)";
    else if (printable(e.data))
      s += quoted(e.data, 120);
    else
      s += std::to_string(e.data.size) + " bytes " +
           hex(e.data.data, e.data.size < 32 ? e.data.size : 32) + (e.data.size > 32 ? "..." : "");
    s += "\n";
    for (size_t k = 0; k < e.num_digests; ++k)
      s += "      " + alg_name(static_cast<uint16_t>(e.digests[k].alg)) + " " + hexd(e.digests[k]) +
           "\n";
  }
  return s;
}

json replay_json(const Log& log, const Replay& r, launch::PcrStart start) {
  json j;
  j["source"] = log.source;
  j["pcr_start"] = start_name(start);
  json banks = json::array();
  for (size_t i = 0; i < log.spec.num_algs; ++i) {
    const HashAlg b = static_cast<HashAlg>(log.spec.algs[i].alg);
    banks.push_back({{"bank", alg_name(log.spec.algs[i].alg)}, {"replayed", evp_md(b) != nullptr}});
  }
  j["banks"] = banks;
  json values = json::array();
  for (const auto& v : r.values)
    values.push_back({{"pcr", v.pcr},
                      {"bank", alg_name(static_cast<uint16_t>(v.value.alg))},
                      {"value", hexd(v.value)},
                      {"extends", v.extends}});
  j["pcrs"] = values;
  return j;
}

std::string replay_text(const Log& log, const Replay& r, launch::PcrStart start) {
  std::string s = log.source + ": PCRs after replaying " + std::to_string(log.events.size()) +
                  " events (PCR 17-22 from " +
                  (start == launch::PcrStart::kZero ? "zero, after a DRTM" : "all ones, no DRTM") +
                  ")\n";
  for (size_t i = 0; i < log.spec.num_algs; ++i)
    if (evp_md(static_cast<HashAlg>(log.spec.algs[i].alg)) == nullptr)
      s += "bank " + alg_name(log.spec.algs[i].alg) + " not replayed (not hashable here)\n";
  for (const auto& v : r.values) {
    char head[48];
    std::snprintf(head, sizeof(head), "pcr %2u %-7s ", v.pcr,
                  alg_name(static_cast<uint16_t>(v.value.alg)).c_str());
    s += head + hexd(v.value) + "  (" + std::to_string(v.extends) + " event" +
         (v.extends == 1 ? "" : "s") + ")\n";
  }
  return s;
}

json cel_json(const Log& log) {
  json records = json::array();
  for (size_t i = 0; i < log.events.size(); ++i) {
    const eventlog::Event& e = log.events[i];
    json digests = json::array();
    for (size_t k = 0; k < e.num_digests; ++k)
      digests.push_back({{"hashAlg", alg_name(static_cast<uint16_t>(e.digests[k].alg))},
                         {"digest", hexd(e.digests[k])}});
    const char* n = eventlog::event_type_name(e.type);
    // PFP types by their TCG name; others (tboot's 0x501) by number.
    const bool tcg_name = n != nullptr && e.type != eventlog::kEvTbMeasurement;
    records.push_back(
        {{"recnum", i},
         {"pcr", e.pcr},
         {"digests", digests},
         {"content_type", "pcclient_std"},
         {"content",
          {{"event_type", tcg_name ? json(n) : json(e.type)}, {"event_data", hexs(e.data)}}}});
  }
  return records;
}

}  // namespace tlaunch::host::log
