// Boot entries described by rule instead of by file (launch spec "entries": [{"kernels": {...}}]):
// the kernels installed in a directory, the newest N of them (or all) plus the running one, their
// initrds by the distribution's naming and the command lines Debian's /etc/grub.d/10_linux builds.
// A rule is expanded when a spec is loaded (tlaunch build, grub, apply), so the policy follows
// what is installed at that moment; reference.json lists what each rule expanded to.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

// GNU sort -V order (coreutils filevercmp), which grub-mkconfig_lib's version_sort uses to find
// the newest kernel: runs of digits compare as numbers, other characters as bytes, with "~"
// before everything and letters before other characters. Returns <0, 0, >0.
int version_compare(const std::string& a, const std::string& b);

// Expands the rule at json_path (the object under "kernels") into ordinary spec entries
// (objects with title, id, kernel, initrd), newest kernel first, each followed by its recovery
// entry. Problems go to *issues (the spec is wrong) or *missing (the system lacks something: the
// directory, any kernel), each with its JSON path, as parse_launch_spec() reports them; the
// directory listing and /dev/disk/by-uuid ("root": "auto") are all it reads.
// The summary of the expansion goes to *x.
nlohmann::json expand_kernel_rule(const nlohmann::json& rule, const std::string& json_path,
                                  const SystemFacts& facts, KernelRuleExpansion* x,
                                  std::vector<Issue>* issues, std::vector<Issue>* missing);

// reference.json's form of an expansion.
nlohmann::json expansion_json(const KernelRuleExpansion& x);

// The UUID of the file system holding path, as /dev/disk/by-uuid names it (udev); "" when no
// link there points at its device.
std::string fs_uuid_of(const std::string& path);

}  // namespace tlaunch::host::spec
