// What an NV index holds, decoded through libpolicy (the one set of format rules): a tboot VLP,
// an LCP_POLICY_2, the tboot error code, the SGX SVN byte; anything else as hex.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tlaunch/tpmnv/catalogue.h"

namespace tlaunch::tpmnv {

struct ContentView {
  bool valid = false;   // decoded without error
  std::string text;     // human form, lines indented by two spaces, ends with '\n'
  nlohmann::json json;  // {"kind": ..., "valid": ..., ...}
};

// `data` is the index's whole data area; `label` names it in messages ("0x01C10131 (vlp)").
ContentView describe_content(ContentKind kind, const Bytes& data, const std::string& label);

// Checks bytes about to become the whole content of an index that holds `kind`, with the decoder
// the launcher uses (the SINIT reads the PO policy with the same rules): a VLP or an
// LCP_POLICY_2 must decode exactly, the tboot error code needs 4 bytes, the SE SVN one byte. ACM
// data (AUX) and indices outside the catalogue are not checked. The failure names `what`, the
// field and the byte offset (kTruncated / kBadValue / kUnsupported from the decoder).
host::HostStatus check_content(ContentKind kind, const Bytes& data, const std::string& what);

}  // namespace tlaunch::tpmnv
