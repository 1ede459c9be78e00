// Launcher command-line parsing (see options.h).
#include "options.h"

namespace tlaunch::launcher {
namespace {

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool eq(ByteSpan s, const char* lit) {
  size_t n = cstr_len(lit);
  return s.size == n && equal_bytes(s.data, reinterpret_cast<const uint8_t*>(lit), n);
}

// Decimal, or hexadecimal with 0x; the whole span must be a number.
bool parse_number(ByteSpan s, uint32_t* out) {
  if (s.size == 0) return false;
  uint32_t base = 10;
  size_t i = 0;
  if (s.size > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  uint64_t v = 0;
  for (; i < s.size; ++i) {
    uint8_t c = s[i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = static_cast<uint32_t>((c | 0x20) - 'a' + 10);
    } else {
      return false;
    }
    v = v * base + d;
    if (v > 0xFFFFFFFFull) return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
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

bool apply(Options* o, ByteSpan key, ByteSpan val) {
  if (eq(key, "logging")) {
    // A comma list as in tboot; serial output is on if "serial" is listed.
    bool serial = false, ok = val.size > 0;
    ByteSpan rest = val;
    while (rest.size > 0) {
      ByteSpan item = split(rest, ',', &rest);
      if (eq(item, "serial")) {
        serial = true;
      } else if (!(eq(item, "vga") || eq(item, "memory") || eq(item, "none"))) {
        ok = false;
      }
    }
    if (ok) o->log_serial = serial;
    return ok;
  }
  if (eq(key, "loglvl")) {
    // tboot accepts a comma list of err,warn,info,detail or all/none; the most verbose wins.
    Level best = Level::kNone;
    ByteSpan rest = val;
    bool ok = val.size > 0;
    while (rest.size > 0) {
      ByteSpan item = split(rest, ',', &rest);
      Level l;
      if (eq(item, "none"))
        l = Level::kNone;
      else if (eq(item, "err"))
        l = Level::kErr;
      else if (eq(item, "warn"))
        l = Level::kWarn;
      else if (eq(item, "info"))
        l = Level::kInfo;
      else if (eq(item, "detail"))
        l = Level::kDetail;
      else if (eq(item, "all") || eq(item, "debug"))
        l = Level::kAll;
      else {
        ok = false;
        continue;
      }
      if (static_cast<uint8_t>(l) > static_cast<uint8_t>(best)) best = l;
    }
    if (ok) o->level = best;
    return ok;
  }
  if (eq(key, "serial")) {
    ByteSpan rest;
    ByteSpan baud = split(val, ',', &rest);
    uint32_t b = 0;
    if (!parse_number(baud, &b) || b == 0 || b > 115200 || 115200 % b != 0) return false;
    ByteSpan rest2;
    split(rest, ',', &rest2);  // data/parity/stop format: only 8n1 is produced
    uint32_t port = o->serial_port;
    if (rest2.size > 0 && (!parse_number(rest2, &port) || port > 0xFFFF)) return false;
    o->serial_baud = b;
    o->serial_port = static_cast<uint16_t>(port);
    return true;
  }
  if (eq(key, "pcr_map")) {
    if (eq(val, "da"))
      o->pcr_map = launch::PcrMap::kDa;
    else if (eq(val, "legacy"))
      o->pcr_map = launch::PcrMap::kLegacy;
    else
      return false;
    return true;
  }
  if (eq(key, "nv_index_set")) {
    if (eq(val, "tcg") || eq(val, "1"))
      o->legacy_nv = false;
    else if (eq(val, "legacy") || eq(val, "0"))
      o->legacy_nv = true;
    else
      return false;
    return true;
  }
  if (eq(key, "extpol")) {
    o->embedded = false;
    if (eq(val, "sha256") || eq(val, "agile"))
      o->cur_alg = HashAlg::kSha256;
    else if (eq(val, "sha384"))
      o->cur_alg = HashAlg::kSha384;
    else if (eq(val, "sha512"))
      o->cur_alg = HashAlg::kSha512;
    else if (eq(val, "embedded"))
      o->embedded = true;
    else
      return false;
    return true;
  }
  if (eq(key, "sha_ni")) {
    if (eq(val, "auto") || eq(val, "on"))
      o->sha256 = Sha256Impl::kAuto;
    else if (eq(val, "off"))
      o->sha256 = Sha256Impl::kGeneric;
    else
      return false;
    return true;
  }
  if (eq(key, "error_index")) {
    if (eq(val, "on"))
      o->write_error_index = true;
    else if (eq(val, "off"))
      o->write_error_index = false;
    else
      return false;
    return true;
  }
  if (eq(key, "debug_exit")) {
    if (eq(val, "off")) {
      o->debug_exit = false;
      return true;
    }
    uint32_t port = 0;
    if (!parse_number(val, &port) || port == 0 || port > 0xFFFF) return false;
    o->debug_exit = true;
    o->debug_exit_port = static_cast<uint16_t>(port);
    return true;
  }
  return false;
}

}  // namespace

Options parse_options(ByteSpan cmdline) {
  Options o;
  size_t i = 0;
  while (i < cmdline.size) {
    while (i < cmdline.size && is_space(cmdline[i])) ++i;
    size_t start = i;
    while (i < cmdline.size && !is_space(cmdline[i])) ++i;
    if (i == start) break;
    ByteSpan tok = cmdline.subspan(start, i - start);
    ByteSpan val;
    ByteSpan key = split(tok, '=', &val);
    if (key.size == tok.size) continue;  // no '=': the image path or a bare word
    if (!apply(&o, key, val)) {
      if (o.num_bad++ == 0) o.first_bad = tok;
    }
  }
  return o;
}

}  // namespace tlaunch::launcher
