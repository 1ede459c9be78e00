// Upstream-identical text dump of LCP elements (lcptools-v2 polelt.c display_policy_element(),
// the display() function of each *_elt.c plugin, lcputils.c dump_hex(), include/uuid.h
// print_uuid()), and the JSON form (schemas/lcp-element.v1.schema.json).
#include "tlaunch/policy/host/lcp/lcp_element_text.h"

#include <cstdio>
#include <string>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {
namespace {

// printf "0x%x"
std::string hex_x(unsigned long long v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", v);
  return buf;
}
// printf "0x%08x"
std::string hex_08x(unsigned long long v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%08llx", v);
  return buf;
}
std::string hex_04x(unsigned long long v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%04llx", v);
  return buf;
}

// lcputils.c dump_hex(prefix, data, n, 16): the prefix before every 16 bytes, "%02x " per byte,
// a newline after each 16 bytes and after a partial last line; nothing at all for n == 0.
void dump_hex(std::string& out, const std::string& prefix, ByteSpan data) {
  static const char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < data.size) {
    if (i % 16 == 0) out += prefix;
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xF];
    out += ' ';
    ++i;
    if (i % 16 == 0) out += '\n';
  }
  if (i % 16 != 0) out += '\n';
}

// include/uuid.h print_uuid(): two lines, the second indented with two tabs.
std::string print_uuid(const Uuid& u) {
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "{0x%08x, 0x%04x, 0x%04x, 0x%04x,\n\t\t{0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, "
                "0x%02x}}",
                u.data1, u.data2, u.data3, u.data4, u.data5[0], u.data5[1], u.data5[2], u.data5[3],
                u.data5[4], u.data5[5]);
  return buf;
}

// mle_elt.c display()
void show_mle2(std::string& out, const std::string& p, const Mle2View& m) {
  out += p + " sinit_min_version: " + hex_x(m.sinit_min_version) + "\n";
  out += p + " hash_alg: " + hash_alg_str(m.hashes.hash_alg).c_str() + "\n";
  out += p + " num_hashes: " + std::to_string(m.hashes.count) + "\n";
  for (size_t i = 0; i < m.hashes.count; ++i) {
    out += p + " hashes[" + std::to_string(i) + "]:\n";
    dump_hex(out, p, m.hashes.at(i));
  }
}

// sbios_elt.c display(): the fallback hash is dumped with an empty prefix right after its label,
// each further hash after "<p>" with prefix "    " (so only its first line carries <p>).
void show_sbios2(std::string& out, const std::string& p, const Sbios2View& s) {
  out += p + " hash_alg: " + hash_alg_str(s.hash_alg).c_str() + "\n";
  out += p + " fallback_hash: ";
  dump_hex(out, "", s.fallback_hash);
  out += p + " num_hashes: " + std::to_string(s.hashes.count) + "\n";
  for (size_t i = 0; i < s.hashes.count; ++i) {
    out += p + " hashes[" + std::to_string(i) + "]:\n";
    out += p;
    dump_hex(out, "    ", s.hashes.at(i));
  }
}

// stm_elt.c display(): "hashes[i]" without a colon, followed by a newline and one space.
void show_stm2(std::string& out, const std::string& p, const Stm2View& s) {
  out += p + " hash_alg: " + hash_alg_str(s.hashes.hash_alg).c_str() + "\n";
  out += p + " num_hashes: " + std::to_string(s.hashes.count) + "\n";
  for (size_t i = 0; i < s.hashes.count; ++i) {
    out += p + " hashes[" + std::to_string(i) + "]\n ";
    out += p;
    dump_hex(out, "    ", s.hashes.at(i));
  }
}

// pconf2_elt.c display(): no space after the prefix, tboot alg names, only the first PCRInfo and
// PCRs 0-7 of its first selection, then an empty line.
void show_pconf2(std::string& out, const std::string& p, const Pconf2View& v) {
  out += p + "alg: " + tb_hash_alg_str(v.hash_alg) + "\n";
  ByteReader r(v.pcr_infos);
  auto info = read_pcr_info(r);  // validated by decode_pconf2: num_pcr_infos >= 1
  out += p + "pcrs:";
  if (info && info->count > 0 && info->selections[0].size_of_select > 0) {
    uint8_t val = info->selections[0].select[0];
    for (int i = 0; i < 8; ++i, val = static_cast<uint8_t>(val >> 1))
      if (val & 1) {
        // PCR 0..7: one digit. (Not `" " + std::to_string(i)`: GCC 12 -O2 reports a false
        // -Wrestrict overlap in that temporary, which breaks Release builds with -Werror.)
        out += ' ';
        out += static_cast<char>('0' + i);
      }
  }
  out += "\n";
  out += p + "quote:\n";
  if (info) dump_hex(out, p + "   ", info->digest);
  out += "\n";
}

// custom_elt.c display()
void show_custom(std::string& out, const std::string& p, const CustomView& c) {
  out += p + " uuid: " + print_uuid(c.uuid) + "\n";
  out += p + " data:\n";
  dump_hex(out, p, c.data);
}

const char* json_type_name(uint32_t type) {
  switch (type) {
    case kEltMle:
      return "mle-legacy";
    case kEltPconf:
      return "pconf-legacy";
    case kEltSbios:
      return "sbios-legacy";
    case kEltCustom:
      return "custom-legacy";
    default: {
      const char* n = element_type_name(type);
      return n != nullptr ? n : "unknown";
    }
  }
}

nlohmann::json alg_json(uint16_t alg) {
  const HashAlgInfo* info = find_hash_alg(alg);
  return info != nullptr ? nlohmann::json(info->name) : nlohmann::json(hex_04x(alg));
}

nlohmann::json hashes_json(const HashArray& h) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < h.count; ++i) {
    ByteSpan d = h.at(i);
    a.push_back(tlaunch::host::hex(d.data, d.size));
  }
  return a;
}

}  // namespace

std::string uuid_string(const Uuid& u) {
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "{0x%08x, 0x%04x, 0x%04x, 0x%04x, {0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, "
                "0x%02x}}",
                u.data1, u.data2, u.data3, u.data4, u.data5[0], u.data5[1], u.data5[2], u.data5[3],
                u.data5[4], u.data5[5]);
  return buf;
}

std::string element_text(const ElementView& e) { return element_text(e, "    ", false); }

std::string element_text(const ElementView& e, const std::string& prefix, bool brief) {
  std::string out;
  out += prefix + " size: " + hex_x(e.size) + "\n";
  const char* name = element_type_name(e.type);
  out += prefix + " type: '" + hex_x(e.type) + "' (" + (name ? name : "unknown") + ")\n";
  out += prefix + " policy_elt_control: " + hex_08x(e.policy_elt_control) + "\n";
  if (brief) return out;
  // polelt.c: the plugin gets the prefix plus four spaces.
  const std::string p = prefix + "    ";
  out += prefix + " data:\n";
  switch (e.type) {
    case kEltMle2: {
      auto v = decode_mle2(e);
      if (v) {
        show_mle2(out, p, *v);
        return out;
      }
      break;
    }
    case kEltSbios2: {
      auto v = decode_sbios2(e);
      if (v) {
        show_sbios2(out, p, *v);
        return out;
      }
      break;
    }
    case kEltStm2: {
      auto v = decode_stm2(e);
      if (v) {
        show_stm2(out, p, *v);
        return out;
      }
      break;
    }
    case kEltPconf2: {
      auto v = decode_pconf2(e);
      if (v) {
        show_pconf2(out, p, *v);
        return out;
      }
      break;
    }
    case kEltCustom2: {
      auto v = decode_custom(e);
      if (v) {
        show_custom(out, p, *v);
        return out;
      }
      break;
    }
    default:
      break;
  }
  // No HEAD plugin for the type (legacy 0x00..0x03), or a body that does not decode (only
  // possible for views not made by read_element): polelt.c dumps the raw data.
  dump_hex(out, p, e.body);
  return out;
}

nlohmann::json element_json(const ElementView& e) {
  nlohmann::json j;
  j["size"] = e.size;
  j["type"] = e.type;
  j["type_name"] = json_type_name(e.type);
  j["policy_elt_control"] = e.policy_elt_control;
  switch (e.type) {
    case kEltMle2: {
      auto v = decode_mle2(e);
      if (!v) break;
      j["sinit_min_version"] = v->sinit_min_version;
      j["hash_alg"] = alg_json(v->hashes.hash_alg);
      j["hashes"] = hashes_json(v->hashes);
      break;
    }
    case kEltSbios2: {
      auto v = decode_sbios2(e);
      if (!v) break;
      j["hash_alg"] = alg_json(v->hash_alg);
      j["fallback_hash"] = tlaunch::host::hex(v->fallback_hash.data, v->fallback_hash.size);
      j["hashes"] = hashes_json(v->hashes);
      break;
    }
    case kEltStm2: {
      auto v = decode_stm2(e);
      if (!v) break;
      j["hash_alg"] = alg_json(v->hashes.hash_alg);
      j["hashes"] = hashes_json(v->hashes);
      break;
    }
    case kEltPconf2: {
      auto v = decode_pconf2(e);
      if (!v) break;
      j["hash_alg"] = alg_json(v->hash_alg);
      nlohmann::json infos = nlohmann::json::array();
      ByteReader r(v->pcr_infos);
      for (size_t i = 0; i < v->num_pcr_infos; ++i) {
        auto info = read_pcr_info(r);
        if (!info) break;
        nlohmann::json sels = nlohmann::json::array();
        for (size_t s = 0; s < info->count; ++s) {
          const PcrSelection& sel = info->selections[s];
          nlohmann::json pcrs = nlohmann::json::array();
          for (size_t b = 0; b < sel.size_of_select * 8u; ++b)
            if (sel.select[b / 8] & (1u << (b % 8))) pcrs.push_back(b);
          sels.push_back({{"hash_alg", alg_json(sel.hash)}, {"pcrs", pcrs}});
        }
        infos.push_back({{"pcr_selections", sels},
                         {"pcr_digest", tlaunch::host::hex(info->digest.data, info->digest.size)}});
      }
      j["pcr_infos"] = infos;
      break;
    }
    case kEltCustom:
    case kEltCustom2: {
      auto v = decode_custom(e);
      if (!v) break;
      j["uuid"] = uuid_string(v->uuid);
      j["tboot_policy"] = v->uuid == kTbootCustomUuid;
      j["data"] = tlaunch::host::hex(v->data.data, v->data.size);
      break;
    }
    case kEltMle: {
      auto v = decode_mle_legacy(e);
      if (!v) break;
      j["sinit_min_version"] = v->sinit_min_version;
      j["hash_alg"] = "sha1";
      j["hashes"] = hashes_json(HashArray{kAlgSha1, 20, v->num_hashes, v->hashes});
      break;
    }
    default:
      j["data"] = tlaunch::host::hex(e.body.data, e.body.size);
      break;
  }
  return j;
}

}  // namespace tlaunch::lcp::host
