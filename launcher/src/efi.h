// What Linux needs from a UEFI boot that it would otherwise get from its own EFI stub, built from
// what GRUB x86_64-efi's multiboot2 passed (boot_info.h EfiBootInfo): the memory map as an e820
// table, the EFI system table and memory map for boot_params.efi_info (so Linux keeps its EFI
// runtime services and finds ACPI through the configuration table), and the firmware's ACPI RSDP
// for boot_params.acpi_rsdp_addr. The BIOS path (no EFI memory map) keeps the loader's Multiboot
// memory map as it is. Pure code over PhysMem: the host unit tests run it on crafted tables.
//
// Sources: UEFI specification ("EFI_SYSTEM_TABLE", "EFI_CONFIGURATION_TABLE", GetMemoryMap()
// memory types and attributes); Linux Documentation/arch/x86/zero-page.rst and
// arch/x86/include/uapi/asm/bootparam.h (efi_info, acpi_rsdp_addr, setup_data/SETUP_E820_EXT);
// Linux arch/x86/platform/efi/efi.c do_add_efi_memmap (how Linux itself turns EFI memory types
// into e820 types); ACPI specification "Root System Description Pointer" (signature, checksums).
#pragma once

#include "boot_info.h"

namespace tlaunch::launcher {

// e820 type numbers (zero-page.rst; Multiboot uses the same numbers).
inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;
inline constexpr uint32_t kE820Acpi = 3;
inline constexpr uint32_t kE820Nvs = 4;
inline constexpr uint32_t kE820Unusable = 5;
inline constexpr uint32_t kE820Pmem = 7;
inline constexpr uint32_t kE820SoftReserved = 0xEFFFFFFF;

// The zero page holds 128 entries; the rest go into one SETUP_E820_EXT setup_data node.
inline constexpr size_t kE820ZeroPage = 128;
inline constexpr size_t kMaxE820 = 512;

struct E820Table {
  bool from_efi = false;  // derived from the EFI memory map (else the Multiboot map as is)
  size_t count = 0;
  MemRegion entries[kMaxE820];
};

// EFI memory type + attribute -> e820 type, as Linux's do_add_efi_memmap does: loader/boot
// services/conventional memory is RAM when write-back cacheable (soft-reserved when marked
// EFI_MEMORY_SP), ACPI reclaim/NVS, unusable and persistent memory keep their meaning, everything
// else (reserved, runtime services code/data, MMIO, PAL code, unaccepted) is reserved.
uint32_t efi_type_to_e820(uint32_t efi_type, uint64_t attribute);

// The memory map Linux gets. With an EFI memory map and boot services exited: one entry per
// EFI descriptor, converted, sorted by address, touching ranges of the same type merged (the EFI
// map is fine-grained; Linux merges the same way). Otherwise the Multiboot map, unchanged.
// Errors: a descriptor that wraps past 2^64, more than kMaxE820 ranges after merging.
Status build_e820(const BootInfo& info, E820Table* out);

// True if [start, end) lies inside one RAM range of the table.
bool e820_has_ram(const E820Table& t, uint64_t start, uint64_t end);

// The EFI part of the Linux hand-over (boot_params.efi_info).
struct EfiHandover {
  bool present = false;
  uint32_t signature = 0;  // "EL64" (64-bit firmware) / "EL32", as the u32 Linux compares
  uint64_t systab = 0;
  uint32_t memmap = 0;  // physical address of the copy of the EFI memory map
  uint32_t memmap_size = 0;
  uint32_t desc_size = 0;
  uint32_t desc_version = 0;
  const char* why_not = nullptr;  // when !present but the loader was UEFI: why
};

// Decides the EFI hand-over and copies the EFI memory map into `copy` (physical address
// `copy_phys`, memory the launcher owns below the kernel; Linux memblock-reserves the map where
// efi_info says it is, and the decompressor never writes below the kernel's load address).
// No hand-over (why_not set) when the loader left boot services running (Linux could not call
// ExitBootServices() from here), passed no system table or no memory map, or the map does not fit.
EfiHandover plan_efi_handover(const BootInfo& info, MutableByteSpan copy, uint32_t copy_phys);

// The firmware's ACPI RSDP, found through the EFI system table's configuration table (ACPI 2.0
// entry preferred over 1.0) and validated (signature, checksum, extended checksum). `matches`
// tells whether it equals the copy the loader put in its ACPI tag (when there is one).
struct RsdpFound {
  uint64_t addr = 0;
  uint8_t revision = 0;
  bool loader_copy = false;  // the loader passed an ACPI tag
  bool matches = false;      // ... and it holds the same bytes
};
Result<RsdpFound> find_acpi_rsdp(const PhysMem& mem, const BootInfo& info);

}  // namespace tlaunch::launcher
