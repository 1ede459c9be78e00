// Upstream-identical text of LCP lists, policy data files and policies, exactly as lcptools-v2
// prints them (pollist2.c display_tpm20_policy_list/display_tpm20_signature, pollist2_1.c
// display_tpm20_policy_list_2_1/display_tpm20_signature_2_1, poldata.c display_policy_data,
// pol.c display_policy, lcputils.c dump_hex), so that `lcp2_crtpollist --show` and
// `lcp2_crtpol --show` match the golden vectors byte for byte. Element dumps come from
// lcp_element_text.h.
#pragma once

#include <string>

#include "tlaunch/policy/lcp_list.h"
#include "tlaunch/policy/lcp_policy.h"

namespace tlaunch::lcp::host {

// lcputils.c dump_hex(): `prefix` at the start of every line of `per_line` bytes, each byte
// "%02x ", a line break after each full line and after a last partial line.
std::string hex_dump(const std::string& prefix, ByteSpan data, size_t per_line = 16);

// A LIST2 list (without the "policy list file:" line). brief: no element data, no key/signature
// bytes (lcp2_crtpol --brief).
std::string list2_text(const ListView& l, const std::string& prefix, bool brief);
// A LIST2_1 list, starting "LCP_POLICY_LIST_2_1 structure:". The signature part always uses an
// eight-space prefix and ignores brief, as upstream does.
std::string list21_text(const ListView& l, const std::string& prefix, bool brief);
std::string list_text(const ListView& l, const std::string& prefix, bool brief);

// The body of a policy data file display (file_signature, num_lists, each list); LIST2_1 lists
// are always shown in full (poldata.c passes brief = false for them).
std::string policy_data_text(const PolicyDataView& d, const std::string& prefix, bool brief);

// pol.c display_policy().
std::string policy_text(const Policy& p, const std::string& prefix);

}  // namespace tlaunch::lcp::host
