// Launcher options and the launch configuration (see launch_options.h).
#include "tlaunch/policy/launch_options.h"

#include "tlaunch/policy/number.h"

namespace tlaunch::launch {
namespace {

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool eq(ByteSpan s, const char* lit) {
  const size_t n = cstr_len(lit);
  return s.size == n && equal_bytes(s.data, reinterpret_cast<const uint8_t*>(lit), n);
}

// Splits s at the first `sep`; returns the head, leaves the tail in *rest.
ByteSpan split(ByteSpan s, uint8_t sep, ByteSpan* rest) {
  for (size_t i = 0; i < s.size; ++i) {
    if (s[i] == sep) {
      *rest = s.subspan(i + 1, s.size - i - 1);
      return s.subspan(0, i);
    }
  }
  *rest = ByteSpan();
  return s;
}

// A keyword table entry: the word and the value it stands for.
template <class T>
struct Word {
  const char* word;
  T value;
};

template <class T, size_t N>
bool lookup(ByteSpan s, const Word<T> (&table)[N], T* out) {
  for (const Word<T>& w : table) {
    if (eq(s, w.word)) {
      *out = w.value;
      return true;
    }
  }
  return false;
}

constexpr Word<PcrMap> kPcrMaps[] = {
    {"da", PcrMap::kDa}, {"legacy", PcrMap::kLegacy}, {"loc0", PcrMap::kLoc0}};
// tboot's tpm_nv_index_set bit: 1 = TCG set, 0 = the older Intel set.
constexpr Word<NvIndexSet> kNvSets[] = {{"tcg", NvIndexSet::kTcg},
                                        {"1", NvIndexSet::kTcg},
                                        {"legacy", NvIndexSet::kLegacy},
                                        {"0", NvIndexSet::kLegacy}};
// "agile" is tboot's older spelling of the default (sha256).
constexpr Word<ExtPol> kExtpols[] = {{"sha256", ExtPol::kSha256},
                                     {"agile", ExtPol::kSha256},
                                     {"sha384", ExtPol::kSha384},
                                     {"sha512", ExtPol::kSha512},
                                     {"embedded", ExtPol::kEmbedded}};
constexpr Word<Sha256Impl> kShaNi[] = {
    {"auto", Sha256Impl::kAuto}, {"on", Sha256Impl::kAuto}, {"off", Sha256Impl::kGeneric}};
constexpr Word<bool> kOnOff[] = {{"on", true}, {"off", false}};
constexpr Word<LogLevel> kLevels[] = {{"none", LogLevel::kNone},     {"err", LogLevel::kErr},
                                      {"warn", LogLevel::kWarn},     {"info", LogLevel::kInfo},
                                      {"detail", LogLevel::kDetail}, {"all", LogLevel::kAll},
                                      {"debug", LogLevel::kAll}};

// logging=: a comma list as in tboot; serial output is on if "serial" is listed.
bool parse_logging(ByteSpan val, LauncherOptions* o) {
  bool serial = false;
  ByteSpan rest = val;
  if (val.size == 0) return false;
  while (rest.size > 0) {
    ByteSpan item = split(rest, ',', &rest);
    if (eq(item, "serial"))
      serial = true;
    else if (!(eq(item, "vga") || eq(item, "memory") || eq(item, "none")))
      return false;
  }
  o->log_serial = serial;
  return true;
}

// loglvl=: tboot accepts a comma list of err,warn,info,detail or all/none; the most verbose wins.
bool parse_loglvl(ByteSpan val, LauncherOptions* o) {
  LogLevel best = LogLevel::kNone;
  ByteSpan rest = val;
  if (val.size == 0) return false;
  while (rest.size > 0) {
    LogLevel l;
    if (!lookup(split(rest, ',', &rest), kLevels, &l)) return false;
    if (static_cast<uint8_t>(l) > static_cast<uint8_t>(best)) best = l;
  }
  o->level = best;
  return true;
}

// serial=<baud>[,<fmt>[,<io port>]]: only 8N1 is produced, the format is not checked.
bool parse_serial(ByteSpan val, LauncherOptions* o) {
  ByteSpan rest;
  uint64_t baud = 0;
  if (!parse_number(split(val, ',', &rest), 115200, &baud) || baud == 0 || 115200 % baud != 0)
    return false;
  ByteSpan port_text;
  split(rest, ',', &port_text);
  uint64_t port = o->serial_port;
  if (port_text.size > 0 && !parse_number(port_text, 0xFFFF, &port)) return false;
  o->serial_baud = static_cast<uint32_t>(baud);
  o->serial_port = static_cast<uint16_t>(port);
  return true;
}

bool parse_debug_exit(ByteSpan val, LauncherOptions* o) {
  if (eq(val, "off")) {
    o->debug_exit = false;
    return true;
  }
  uint64_t port = 0;
  if (!parse_number(val, 0xFFFF, &port) || port == 0) return false;
  o->debug_exit = true;
  o->debug_exit_port = static_cast<uint16_t>(port);
  return true;
}

// Applies one key=value; returns the option's bit, or 0 when the key or value is not understood
// (the options are then left as they were).
uint32_t apply(LauncherOptions* o, ByteSpan key, ByteSpan val) {
  if (eq(key, "logging")) return parse_logging(val, o) ? kOptLogging : 0;
  if (eq(key, "loglvl")) return parse_loglvl(val, o) ? kOptLoglvl : 0;
  if (eq(key, "serial")) return parse_serial(val, o) ? kOptSerial : 0;
  if (eq(key, "pcr_map")) return lookup(val, kPcrMaps, &o->pcr_map) ? kOptPcrMap : 0;
  if (eq(key, "nv_index_set")) return lookup(val, kNvSets, &o->nv_index_set) ? kOptNvIndexSet : 0;
  if (eq(key, "extpol")) return lookup(val, kExtpols, &o->extpol) ? kOptExtpol : 0;
  if (eq(key, "sha_ni")) return lookup(val, kShaNi, &o->sha256) ? kOptShaNi : 0;
  if (eq(key, "error_index"))
    return lookup(val, kOnOff, &o->write_error_index) ? kOptErrorIndex : 0;
  if (eq(key, "debug_exit")) return parse_debug_exit(val, o) ? kOptDebugExit : 0;
  if (eq(key, "all_banks")) return lookup(val, kOnOff, &o->all_banks) ? kOptAllBanks : 0;
  if (eq(key, "fail_closed")) return lookup(val, kOnOff, &o->fail_closed) ? kOptFailClosed : 0;
  return 0;
}

}  // namespace

LauncherOptions parse_launcher_options(ByteSpan cmdline) {
  LauncherOptions o;
  size_t i = 0;
  while (i < cmdline.size) {
    while (i < cmdline.size && is_space(cmdline[i])) ++i;
    const size_t start = i;
    while (i < cmdline.size && !is_space(cmdline[i])) ++i;
    if (i == start) break;
    const ByteSpan tok = cmdline.subspan(start, i - start);
    ByteSpan val;
    const ByteSpan key = split(tok, '=', &val);
    if (key.size == tok.size) continue;  // no '=': the image path or a bare word
    const uint32_t bit = apply(&o, key, val);
    if (bit != 0) {
      o.given |= bit;
    } else if (o.num_bad++ == 0) {
      o.first_bad = tok;
    }
  }
  return o;
}

const char* pcr_map_name(PcrMap m) {
  switch (m) {
    case PcrMap::kDa:
      return "da";
    case PcrMap::kLegacy:
      return "legacy";
    case PcrMap::kLoc0:
      return "loc0";
  }
  return "da";
}

const char* extpol_name(ExtPol e) {
  switch (e) {
    case ExtPol::kSha256:
      return "sha256";
    case ExtPol::kSha384:
      return "sha384";
    case ExtPol::kSha512:
      return "sha512";
    case ExtPol::kEmbedded:
      return "embedded";
  }
  return "unknown";
}

const char* nv_index_set_name(NvIndexSet s) { return s == NvIndexSet::kLegacy ? "legacy" : "tcg"; }

HashAlg extpol_alg(ExtPol e) {
  switch (e) {
    case ExtPol::kSha256:
      return HashAlg::kSha256;
    case ExtPol::kSha384:
      return HashAlg::kSha384;
    case ExtPol::kSha512:
      return HashAlg::kSha512;
    case ExtPol::kEmbedded:
      return HashAlg::kNull;
  }
  return HashAlg::kNull;
}

bool measurable_bank(HashAlg a) {
  return a == HashAlg::kSha1 || a == HashAlg::kSha256 || a == HashAlg::kSha384 ||
         a == HashAlg::kSha512;
}

Config make_config(const LauncherOptions& opts, const HashAlg* allocated, size_t num_allocated,
                   ConfigNotes* notes) {
  Config config;
  config.pcr_map = opts.pcr_map;
  config.embedded = opts.extpol == ExtPol::kEmbedded;
  config.all_banks = opts.all_banks && !config.embedded;
  config.fail_closed = opts.fail_closed;
  config.cur_alg = config.embedded ? HashAlg::kSha256 : extpol_alg(opts.extpol);
  if (notes) *notes = ConfigNotes();
  if (config.embedded || config.all_banks) {
    for (size_t b = 0; b < num_allocated && config.num_banks < kMaxBanks; ++b) {
      bool seen = false;
      for (size_t k = 0; k < config.num_banks; ++k) seen = seen || config.banks[k] == allocated[b];
      if (measurable_bank(allocated[b]) && !seen) config.banks[config.num_banks++] = allocated[b];
    }
    if (config.num_banks == 0 && config.embedded) {
      config.banks[config.num_banks++] = HashAlg::kSha256;
      if (notes) notes->fallback_bank = true;
    }
  }
  return config;
}

Config config_from_cmdline(ByteSpan cmdline, const HashAlg* allocated, size_t num_allocated,
                           LauncherOptions* opts, ConfigNotes* notes) {
  const LauncherOptions o = parse_launcher_options(cmdline);
  if (opts) *opts = o;
  return make_config(o, allocated, num_allocated, notes);
}

size_t extended_events(const Outcome& outcome) {
  return outcome.action == vlp::Action::kContinue ? outcome.num_events : 0;
}

}  // namespace tlaunch::launch
