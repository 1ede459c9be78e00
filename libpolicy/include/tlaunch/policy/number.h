// The one number grammar of tlaunch (man/tlaunch.1, NUMBERS): a number is either decimal digits
// ("10", "010" — a leading zero does NOT mean octal) or "0x"/"0X" followed by hexadecimal digits
// ("0x10"). No sign, no white space, no suffix; the value must fit the caller's maximum. Every
// numeric option of the tlaunch CLI, the launch spec's numeric strings and the launcher's command
// line use it. (The drop-in front ends keep their upstream tools' own number rules, see
// docs/compat.md.)
//
// Core code: freestanding.
#pragma once

#include "tlaunch/policy/base.h"

namespace tlaunch {

// Parses all of `text` as a number <= max. False if it is not a number in the grammar above or
// exceeds max; *out is untouched then.
bool parse_number(ByteSpan text, uint64_t max, uint64_t* out);

}  // namespace tlaunch
