// tboot's module layout: before it numbers the Multiboot modules for the VLP, tboot removes the
// SINIT ACMs and one LCP policy-data module from the list (tboot common/loader.c
// remove_txt_modules, called by post_launch() right before verify_all_modules()), so that the
// kernel is module 0 and the initrd module 1 whatever TXT files grub.cfg also loads. The launcher,
// `tlaunch predict`, the launch spec (build, check) and doctor all decide with this one function,
// with tboot's recognition rules (docs/reference/vlp.md §6.1):
//
//  * SINIT ACM (txt/acmod.c is_sinit_acmod, quiet): at least sizeof(acm_hdr_t) = 1216 bytes;
//    size*4 (header field, dwords) does not overflow and equals the module size, or the module
//    is 64 KiB..256 KiB longer (padding); module_type 2 (chipset) and module_vendor 0x8086; the
//    ACM information table at (header_len + scratch_size)*4 fits in size*4, carries the ACM UUID
//    v3 7fc03aaa-46a7-18db-ac2e-698f8d417f5a, info-table version >= 3 and chipset ACM type 1
//    (SINIT).
//  * Scanning: from the last module down to module 1 (module 0 is never removed), every SINIT.
//  * LCP policy data (find_lcp_module), on the list left after that: the first module, again from
//    the last down to module 1, that starts with the LCP_POLICY_DATA_UUID
//    ab0d1925-eee7-48eb-a9fc-0bac5a262d0e (16 bytes, old format); if none, the first that starts
//    with "Intel(R) TXT LCP_POLICY_DATA" (28 bytes, LCP v2/v3 file). tboot's scan gives up at the
//    first module (from the end) shorter than what it compares, so a short module behind the LCP
//    file hides it; reproduced. At most one LCP module is removed.
//
// Core code: freestanding, no heap.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/launch.h"

namespace tlaunch::launch {

enum class TxtModule : uint8_t { kNone = 0, kSinit = 1, kLcpPolicyData = 2 };
const char* txt_module_name(TxtModule k);  // "", "sinit", "lcp-data"

// What classification needs of a module: its first bytes as loaded (at least kTxtModuleHead bytes,
// or all of it when it is shorter) and its full size as loaded.
inline constexpr size_t kTxtModuleHead = 64 * 1024;
struct ModuleHead {
  ByteSpan head;
  uint64_t size = 0;
};

// tboot's is_sinit_acmod(base, size, quiet=true), over the module's head.
bool is_sinit_acm(const ModuleHead& m);

// tboot's remove_txt_modules: kinds[i] for each of the n modules (kNone: kept). Returns how many
// are removed. n may be 0.
size_t classify_txt_modules(const ModuleHead* modules, size_t n, TxtModule* kinds);

}  // namespace tlaunch::launch
