#include "vlp_common.h"

#include <strings.h>

#include <cctype>
#include <charconv>

namespace tlaunch::cli::vlpcmd {

host::Expected<unsigned long> parse_unsigned(const std::string& text, const char* option) {
  const char* b = text.c_str();
  const char* e = b + text.size();
  int base = 10;
  if (text.size() > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) {
    base = 16;
    b += 2;
  }
  unsigned long v = 0;
  auto r = std::from_chars(b, e, v, base);
  if (text.empty() || r.ec != std::errc() || r.ptr != e)
    return host::fail(Errc::kUsage, std::string(option) + " '" + text +
                                        "': expected a decimal or 0x-hexadecimal number");
  return v;
}

host::Expected<uint8_t> parse_module(const std::string& text) {
  if (strcasecmp(text.c_str(), "any") == 0) return vlp::kModNumAny;
  auto v = parse_unsigned(text, "--module");
  if (!v) return v.failure();
  // docs/reference/vlp.md §3.4: module indices 0..127 (TB_POL_MAX_MOD_NUM); 129 is spelled "any".
  if (*v > vlp::kMaxModNum)
    return host::fail(Errc::kUsage, "--module " + text + ": module numbers are 0..127 or 'any'");
  return static_cast<uint8_t>(*v);
}

host::Expected<uint8_t> parse_pcr(const std::string& text) {
  if (strcasecmp(text.c_str(), "none") == 0) return vlp::kPcrNone;
  auto v = parse_unsigned(text, "--pcr");
  if (!v) return v.failure();
  if (*v > vlp::kMaxPcr)  // docs/reference/vlp.md §3.5: TB_POL_MAX_PCR 23, 255 = none
    return host::fail(Errc::kUsage, "--pcr " + text + ": PCR numbers are 0..23 or 'none'");
  return static_cast<uint8_t>(*v);
}

int find_exact_entry(const vlp::Policy& p, uint8_t mod_num) {
  for (size_t i = 0; i < p.num_entries(); ++i)
    if (p.entry(i).mod_num == mod_num) return static_cast<int>(i);
  return -1;
}

std::string module_label(uint8_t mod_num) {
  if (mod_num == vlp::kModNumAny) return "the any-module entry";
  return "module " + std::to_string(mod_num);
}

}  // namespace tlaunch::cli::vlpcmd
