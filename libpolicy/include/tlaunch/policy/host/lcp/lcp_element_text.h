// Human (upstream-identical) and JSON renderings of LCP policy elements.
// The text is exactly what lcptools-v2 display_policy_element() prints (polelt.c and the
// *_elt.c display functions), so that `lcp2_crtpolelt --show`, `lcp2_crtpollist --show` and
// `lcp2_crtpol --show` embed identical element dumps (vectors elt-*, list-*, pol-*).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tlaunch/policy/lcp_element.h"

namespace tlaunch::lcp::host {

// The lines starting "<prefix> size: 0x..", e.g. with the default prefix of four spaces:
//      size: 0x72
//      type: '0x10' (mle2)
//      policy_elt_control: 0x00000000
//      data:
//          ...type-specific dump...
// lcp2_crtpolelt --show and lcp2_crtpollist --show use prefix "    "; lcp2_crtpol --show of a
// data file uses a deeper prefix. brief: only the three header lines (lcp2_crtpol --brief).
std::string element_text(const ElementView& e);
std::string element_text(const ElementView& e, const std::string& prefix, bool brief = false);

// JSON object following schemas/lcp-element.v1.schema.json ("element" definition):
// {"size", "type", "type_name", "policy_elt_control", ...typed fields...}.
nlohmann::json element_json(const ElementView& e);

// "{0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {0xkk, ...}}" on one line (print_uuid without its
// line break), used by JSON and the tlaunch human output.
std::string uuid_string(const Uuid& u);

}  // namespace tlaunch::lcp::host
