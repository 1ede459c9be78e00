#include "tlaunch/tpmnv/attributes.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace tlaunch::tpmnv {
namespace {

struct AttrName {
  uint32_t mask;
  const char* name;
};

// One row per single-bit attribute, in bit order (docs/reference/nv.md §1.1).
constexpr AttrName kAttrNames[] = {
    {attr::kPpWrite, "ppwrite"},
    {attr::kOwnerWrite, "ownerwrite"},
    {attr::kAuthWrite, "authwrite"},
    {attr::kPolicyWrite, "policywrite"},
    {attr::kPolicyDelete, "policydelete"},
    {attr::kWriteLocked, "writelocked"},
    {attr::kWriteAll, "writeall"},
    {attr::kWriteDefine, "writedefine"},
    {attr::kWriteStClear, "write_stclear"},
    {attr::kGlobalLock, "globallock"},
    {attr::kPpRead, "ppread"},
    {attr::kOwnerRead, "ownerread"},
    {attr::kAuthRead, "authread"},
    {attr::kPolicyRead, "policyread"},
    {attr::kNoDa, "no_da"},
    {attr::kOrderly, "orderly"},
    {attr::kClearStClear, "clear_stclear"},
    {attr::kReadLocked, "readlocked"},
    {attr::kWritten, "written"},
    {attr::kPlatformCreate, "platformcreate"},
    {attr::kReadStClear, "read_stclear"},
};

// TPM_NT values (Part 2 Table 203; tpm2-tools spells them like this after "nt=").
struct NtName {
  uint32_t value;
  const char* name;
};
constexpr NtName kNtNames[] = {{0, "ordinary"}, {1, "counter"},  {2, "bits"},
                               {4, "extend"},   {8, "pin_fail"}, {9, "pin_pass"}};

std::string lower_trim(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_number(const std::string& s, uint64_t max, uint64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > max) return false;
  if (s[0] == '-' || s[0] == '+') return false;
  *out = v;
  return true;
}

}  // namespace

const char* nt_name(uint32_t nt) {
  for (const NtName& n : kNtNames)
    if (n.value == nt) return n.name;
  return nullptr;
}

std::string format_handle(uint32_t handle) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", handle);
  return buf;
}

std::string attributes_to_string(uint32_t attributes) {
  std::string out;
  auto add = [&out](const std::string& token) {
    if (!out.empty()) out += '|';
    out += token;
  };
  uint32_t known = 0;
  for (const AttrName& a : kAttrNames) {
    known |= a.mask;
    // Print in bit order, NT right after policywrite (where its bits are).
    if (a.mask == attr::kPolicyDelete && nt_of(attributes) != 0) {
      const char* n = nt_name(nt_of(attributes));
      add(std::string("nt=") + (n ? n : std::to_string(nt_of(attributes))));
    }
    if (attributes & a.mask) add(a.name);
  }
  uint32_t rest = attributes & ~(known | attr::kNtMask);
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%X", rest);
    add(buf);
  }
  return out;
}

host::Expected<uint32_t> parse_attributes(const std::string& text) {
  std::string s = lower_trim(text);
  if (s.empty()) return host::fail(Errc::kUsage, "empty attribute list");
  uint64_t number = 0;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    if (!parse_number(s, 0xFFFFFFFFu, &number))
      return host::fail(Errc::kUsage, "attributes '" + text + "': not a 32-bit number");
    return static_cast<uint32_t>(number);
  }
  uint32_t value = 0;
  size_t start = 0;
  while (start <= s.size()) {
    size_t bar = s.find('|', start);
    std::string token = s.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    start = bar == std::string::npos ? s.size() + 1 : bar + 1;
    if (token.empty()) return host::fail(Errc::kUsage, "attributes '" + text + "': empty name");
    if (token.rfind("nt=", 0) == 0) {
      std::string v = token.substr(3);
      bool found = false;
      for (const NtName& n : kNtNames) {
        if (v == n.name) {
          number = n.value;
          found = true;
        }
      }
      if (!found && !parse_number(v, 0xF, &number))
        return host::fail(Errc::kUsage, "attributes: unknown NV type '" + v + "'");
      value = (value & ~attr::kNtMask) | static_cast<uint32_t>(number << attr::kNtShift);
      continue;
    }
    bool found = false;
    for (const AttrName& a : kAttrNames) {
      if (token == a.name) {
        value |= a.mask;
        found = true;
      }
    }
    if (!found)
      return host::fail(Errc::kUsage, "attributes: unknown attribute name '" + token +
                                          "' (expected tpm2-tools names such as ownerwrite, "
                                          "authread, no_da, or a hex number)");
  }
  return value;
}

}  // namespace tlaunch::tpmnv
