// The number grammar of every numeric `tlaunch` option (man/tlaunch.1, NUMBERS): decimal digits
// ("010" is ten: a leading zero never means octal) or "0x" and hexadecimal digits; no sign, no
// white space. The rule itself is libpolicy's parse_number() (tlaunch/policy/number.h), the one
// the launch spec and the launcher's command line use too. The drop-in front ends keep their
// upstream tools' rules instead (docs/compat.md).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::cli {

// `text` as a number <= max, or kUsage "OPTION 'TEXT': expected a number 0..MAX (...)".
host::Expected<uint64_t> parse_number_option(const std::string& text, const std::string& option,
                                             uint64_t max);

// The same rule for options CLI11 stores in an integer: add with ->transform(number_check(max)).
// A value outside the grammar or above max is a parse error naming the option; CLI11 then
// converts the decimal form.
CLI::Validator number_check(uint64_t max);

}  // namespace tlaunch::cli
