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

}  // namespace tlaunch::tpmnv
