// Linux x86 boot protocol, 32-bit entry (Linux Documentation/arch/x86/boot.rst "32-bit boot
// protocol", zero-page.rst): validates a bzImage's setup header, chooses where the protected-mode
// kernel goes, and fills the zero page (boot_params) with the setup header, command line pointer,
// initrd, the e820 table (efi.h build_e820; entries past the zero page's 128 in a SETUP_E820_EXT
// setup_data node) and, on UEFI, efi_info and acpi_rsdp_addr (efi.h). Pure code: the launcher
// then copies the kernel and jumps (entry.S); the host unit tests check the zero page byte by
// byte.
#pragma once

#include "boot_info.h"
#include "efi.h"
#include "tlaunch/policy/bytes.h"

namespace tlaunch::launcher {

inline constexpr size_t kBootParamsSize = 4096;
inline constexpr uint16_t kMinBootProtocol = 0x020A;  // 2.10: init_size, pref_address

struct LinuxPlan {
  uint16_t protocol = 0;     // setup header version
  uint32_t kernel_src = 0;   // physical address of the protected-mode code inside module 0
  uint32_t kernel_size = 0;  // bytes to copy
  uint32_t load_addr = 0;    // where it goes; also the 32-bit entry point (startup_32)
  uint32_t init_size = 0;    // memory the kernel needs from load_addr while it starts
  uint32_t initrd_addr = 0;
  uint32_t initrd_size = 0;
  size_t e820_entries = 0;      // in the zero page and the setup_data node together
  size_t e820_ext_entries = 0;  // of which in the SETUP_E820_EXT node
};

// A setup_data node (zero-page.rst, bootparam.h struct setup_data): next u64, type u32, len u32,
// data. SETUP_E820_EXT = 1 holds further e820 entries.
inline constexpr size_t kSetupDataHeader = 16;
inline constexpr size_t kSetupDataSize = kSetupDataHeader + (kMaxE820 - kE820ZeroPage) * 20;

struct LinuxRequest {
  ByteSpan kernel;                     // module 0 as loaded
  uint32_t kernel_phys = 0;            // its physical address
  const ModuleInfo* initrd = nullptr;  // module 1, if any
  ByteSpan cmdline;                    // the kernel command line (module 0's string)
  uint32_t cmdline_phys = 0;           // where the caller placed it (NUL-terminated)
  uint32_t reserved_end = 0;  // end of everything that must survive: launcher, modules, zero page
  const E820Table* e820 = nullptr;  // the memory map Linux gets (build_e820); required
  MutableByteSpan setup_data;       // kSetupDataSize bytes for entries beyond 128 (or empty)
  uint32_t setup_data_phys = 0;
  EfiHandover efi;         // boot_params.efi_info when efi.present
  uint64_t acpi_rsdp = 0;  // boot_params.acpi_rsdp_addr when not 0
};

// Fills boot_params (exactly kBootParamsSize bytes, zeroed here first) and returns the plan.
// Errors name the setup-header field (offset into the image) that makes the kernel unbootable.
Result<LinuxPlan> plan_linux(const LinuxRequest& req, MutableByteSpan boot_params);

// setup_data (boot protocol 2.09+, boot.rst "Details of header fields: setup_data"): a linked list
// of { u64 next; u32 type; u32 len; u8 data[len]; } headed by boot_params.hdr.setup_data (0x250).
// Linux keeps every entry's memory reserved and shows it in /sys/kernel/boot_params/setup_data.
inline constexpr size_t kSetupDataHeaderSize = 16;
// Puts `entry` (its 16-byte header, then `len` bytes of data already in place, at physical
// address `entry_phys`, 8-byte aligned) at the head of the list in boot_params (after
// plan_linux()).
Status add_setup_data(MutableByteSpan boot_params, MutableByteSpan entry, uint64_t entry_phys,
                      uint32_t type, uint32_t len);

}  // namespace tlaunch::launcher
