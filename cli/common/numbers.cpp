#include "numbers.h"

#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/number.h"

namespace tlaunch::cli {
namespace {

std::string grammar_text(uint64_t max) {
  return "expected a number 0.." + std::to_string(max) +
         " (decimal, or 0x and hex digits; a leading 0 is still decimal)";
}

}  // namespace

host::Expected<uint64_t> parse_number_option(const std::string& text, const std::string& option,
                                             uint64_t max) {
  uint64_t v = 0;
  if (!parse_number(host::as_bytes(text), max, &v))
    return host::fail(Errc::kUsage, option + " '" + text + "': " + grammar_text(max));
  return v;
}

CLI::Validator number_check(uint64_t max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        uint64_t v = 0;
        if (!parse_number(host::as_bytes(text), max, &v))
          return "'" + text + "': " + grammar_text(max);
        text = std::to_string(v);
        return std::string();
      },
      "NUMBER", "number");
}

}  // namespace tlaunch::cli
