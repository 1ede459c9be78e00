// The --uuid syntax of lcp2_crtpolelt custom (libpolicy lcp::host::parse_uuid, custom_elt.c
// string_to_uuid(); docs/reference/lcp.md §7.5).
//
// Properties: an accepted text formats (uuid_string, the form --show prints) to a text that
// parses to the same UUID; "tboot" gives the tboot UUID; and adding white space around the
// accepted text changes nothing at the front and the end (upstream skips it).
#include <string>
#include <string_view>

#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"

using namespace tlaunch::lcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto u = tlaunch::lcp::host::parse_uuid(text);
  if (!u) return 0;
  const std::string canon = tlaunch::lcp::host::uuid_string(*u);
  auto again = tlaunch::lcp::host::parse_uuid(canon);
  FUZZ_CHECK(again.has_value() && *again == *u);
  if (text.find("tboot") == std::string::npos) {
    auto spaced = tlaunch::lcp::host::parse_uuid(" \t" + text + " ");
    FUZZ_CHECK(spaced.has_value() && *spaced == *u);
  }
  return 0;
}
