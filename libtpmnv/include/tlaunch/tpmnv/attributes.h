// TPMA_NV attribute words: names, parsing and printing (host).
// Bit positions: TCG TPM 2.0 Part 2 §13.4 (TPMA_NV), tpm2-tss include/tss2/tss2_tpm2_types.h;
// the lower-case token spelling is the one tpm2-tools accepts and prints (lib/tpm2_attr_util.c),
// so that `--attributes 'ownerwrite|authread'` means the same thing to both tools
// (docs/reference/nv.md §1.1).
#pragma once

#include <cstdint>
#include <string>

#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::tpmnv {

namespace attr {
inline constexpr uint32_t kPpWrite = 0x00000001;
inline constexpr uint32_t kOwnerWrite = 0x00000002;
inline constexpr uint32_t kAuthWrite = 0x00000004;
inline constexpr uint32_t kPolicyWrite = 0x00000008;
inline constexpr uint32_t kNtMask = 0x000000F0;
inline constexpr uint32_t kNtShift = 4;
inline constexpr uint32_t kPolicyDelete = 0x00000400;
inline constexpr uint32_t kWriteLocked = 0x00000800;
inline constexpr uint32_t kWriteAll = 0x00001000;
inline constexpr uint32_t kWriteDefine = 0x00002000;
inline constexpr uint32_t kWriteStClear = 0x00004000;
inline constexpr uint32_t kGlobalLock = 0x00008000;
inline constexpr uint32_t kPpRead = 0x00010000;
inline constexpr uint32_t kOwnerRead = 0x00020000;
inline constexpr uint32_t kAuthRead = 0x00040000;
inline constexpr uint32_t kPolicyRead = 0x00080000;
inline constexpr uint32_t kNoDa = 0x02000000;
inline constexpr uint32_t kOrderly = 0x04000000;
inline constexpr uint32_t kClearStClear = 0x08000000;
inline constexpr uint32_t kReadLocked = 0x10000000;
inline constexpr uint32_t kWritten = 0x20000000;
inline constexpr uint32_t kPlatformCreate = 0x40000000;
inline constexpr uint32_t kReadStClear = 0x80000000;
// Bits the TPM sets by itself; they describe the index's state, not its definition
// (Part 2 §13.4: WRITELOCKED, WRITTEN and READLOCKED "shall be CLEAR" in NV_DefineSpace).
inline constexpr uint32_t kStateBits = kWriteLocked | kWritten | kReadLocked;
// Bits 8-9 and 20-24 are reserved (Part 2 Table 204).
inline constexpr uint32_t kReservedBits = 0x00000300 | 0x01F00000;
}  // namespace attr

// "ownerwrite|policywrite|authread|no_da" for 0x0204000A; NT other than ordinary prints as nt=N;
// reserved bits as 0x.... Empty string for 0.
std::string attributes_to_string(uint32_t attributes);

// Accepts tpm2-tools style names joined with '|' (case-insensitive, blanks ignored, "nt=N"
// with N a number or ordinary|counter|bits|extend|pin_fail|pin_pass), or a number (0x... or
// decimal). Errors (kUsage) name the offending token.
host::Expected<uint32_t> parse_attributes(const std::string& text);

// The TPM_NT of an attribute word and its tpm2-tools name.
inline uint32_t nt_of(uint32_t attributes) {
  return (attributes & attr::kNtMask) >> attr::kNtShift;
}
const char* nt_name(uint32_t nt);  // "ordinary", "counter", ... or nullptr

std::string format_handle(uint32_t handle);  // "0x01C10131"

}  // namespace tlaunch::tpmnv
