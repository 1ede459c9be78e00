#include "vlp_common.h"

#include <strings.h>

#include "numbers.h"

namespace tlaunch::cli::vlpcmd {

host::Expected<uint8_t> parse_module(const std::string& text) {
  if (strcasecmp(text.c_str(), "any") == 0) return vlp::kModNumAny;
  // docs/reference/vlp.md §3.4: module indices 0..127 (TB_POL_MAX_MOD_NUM); 129 is spelled "any".
  auto v = parse_number_option(text, "--module", vlp::kMaxModNum);
  if (!v) return host::fail(Errc::kUsage, v.failure().message + ", or 'any'");
  return static_cast<uint8_t>(*v);
}

host::Expected<uint8_t> parse_pcr(const std::string& text) {
  if (strcasecmp(text.c_str(), "none") == 0) return vlp::kPcrNone;
  auto v = parse_number_option(text, "--pcr",
                               vlp::kMaxPcr);  // docs/reference/vlp.md §3.5: 0..23, 255 = none
  if (!v) return host::fail(Errc::kUsage, v.failure().message + ", or 'none'");
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
