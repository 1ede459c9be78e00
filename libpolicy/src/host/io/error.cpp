#include "tlaunch/policy/host/io/error.h"

#include <cstdio>

namespace tlaunch::host {

std::string describe(const Error& e, const std::string& context) {
  std::string s = context.empty() ? std::string() : context + ": ";
  s += e.message;
  std::string detail;
  auto add = [&detail](const std::string& part) {
    if (!detail.empty()) detail += ", ";
    detail += part;
  };
  if (e.field) add(std::string("field '") + e.field + "'");
  if (e.item >= 0) add("entry " + std::to_string(e.item));
  if (e.offset != kNoOffset) add("byte offset " + std::to_string(e.offset));
  if (e.has_value) add("value " + std::to_string(e.value));
  if (e.tpm_rc != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", e.tpm_rc);
    add(std::string("TPM rc ") + buf);
  }
  if (!detail.empty()) s += " (" + detail + ")";
  return s;
}

}  // namespace tlaunch::host
