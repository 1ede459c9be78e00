// Resolves the spec's NV indices against libtpmnv's catalogue (libspec/src/nv.cpp).
#pragma once

#include <vector>

#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

// Fills in each index's handle for the spec's handle set and reports, with their JSON paths,
// explicit handles that contradict the catalogue and definitions the launcher would refuse.
void resolve_nv(LaunchSpec& spec, std::vector<Issue>& issues);

}  // namespace tlaunch::host::spec
