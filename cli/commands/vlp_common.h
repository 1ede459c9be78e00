// Shared pieces of the `tlaunch vlp` verbs (man/tlaunch-vlp.1): value parsing for --module/--pcr
// and the policy-file lookups. Formats: docs/reference/vlp.md.
#pragma once

#include <string>

#include "command.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::cli::vlpcmd {

// A non-negative number: decimal (leading zeros allowed, never octal) or 0x hexadecimal.
host::Expected<unsigned long> parse_unsigned(const std::string& text, const char* option);
// --module: 0..127 or "any" (129). NV entries (130/131) are not created by tlaunch.
host::Expected<uint8_t> parse_module(const std::string& text);
// --pcr: 0..23 or "none" (255).
host::Expected<uint8_t> parse_pcr(const std::string& text);

// The entry for exactly this mod_num (unlike tboot's boot-time lookup, an earlier ANY entry
// does not stand in for it), or -1.
int find_exact_entry(const vlp::Policy& p, uint8_t mod_num);

// "module 3" / "the any-module entry" for messages.
std::string module_label(uint8_t mod_num);

}  // namespace tlaunch::cli::vlpcmd
