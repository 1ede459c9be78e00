// Boot information from the loader, read defensively: Multiboot2 (GRUB `multiboot2`) and
// Multiboot 1 (QEMU `-kernel`, GRUB `multiboot`). Every length and pointer in the structure is
// checked before it is followed; a malformed structure is an error value naming the field and its
// byte offset, never a read outside what the structure declares.
// Formats: Multiboot2 Specification 2.0 §3.6 (boot information, tags 1/2/3/6/0, and for UEFI
// 11/12 EFI system table, 14/15 ACPI RSDP copies, 17 EFI memory map, 18 boot services not
// terminated);
// Multiboot Specification 0.6.96 §3.3 (boot information), §3.3 mmap entries.
// Pure code (no I/O) so the host unit tests run it on crafted inputs.
#pragma once

#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/launch.h"

namespace tlaunch::launcher {

// Access to physical memory. The launcher runs with paging off (identity); tests use a buffer.
// view() fails instead of returning a range that wraps or leaves the addressable space.
class PhysMem {
 public:
  virtual bool view(uint64_t addr, uint64_t len, ByteSpan* out) const = 0;

 protected:
  ~PhysMem() = default;
};

inline constexpr uint32_t kMb1BootMagic = 0x2BADB002;  // EAX at entry, Multiboot 1
inline constexpr uint32_t kMb2BootMagic = 0x36D76289;  // EAX at entry, Multiboot2
inline constexpr size_t kMaxBootModules = launch::kMaxModules;
inline constexpr size_t kMaxMemRegions = 128;  // also the zero page's e820 table size
inline constexpr uint32_t kMaxMb2InfoSize = 1u << 20;
inline constexpr size_t kMaxStringLength = 4096;
inline constexpr uint32_t kMemAvailable = 1;  // e820 / Multiboot memory type "available RAM"

struct ModuleInfo {
  uint32_t start = 0;
  uint32_t end = 0;  // exclusive (mod_end)
  ByteSpan string;   // the module's command line, without its NUL
};

struct MemRegion {
  uint64_t base = 0;
  uint64_t length = 0;
  uint32_t type = 0;
};

// What a UEFI loader handed over (Multiboot2 only). GRUB x86_64-efi exits boot services before it
// jumps (grub-core/loader/multiboot_mbi2.c: unless the image asks to keep them, which this one
// does not) and passes the system table and the memory map as it was at ExitBootServices().
struct EfiBootInfo {
  bool has_systab = false;
  bool systab_64 = false;  // tag 12 (x86_64 firmware); tag 11 gives a 32-bit table
  uint64_t systab = 0;
  bool boot_services_active = false;  // tag 18: the loader did not call ExitBootServices()
  bool has_mmap = false;
  uint32_t desc_size = 0;     // EFI_MEMORY_DESCRIPTOR stride (at least 40 bytes)
  uint32_t desc_version = 0;  // EFI_MEMORY_DESCRIPTOR_VERSION (1)
  ByteSpan mmap;              // the descriptors, a whole number of desc_size each
};

struct BootInfo {
  uint8_t protocol = 0;  // 1 or 2
  ByteSpan cmdline;      // the launcher's own command line
  ByteSpan loader_name;
  size_t num_modules = 0;
  ModuleInfo modules[kMaxBootModules];
  bool has_mmap = false;
  size_t num_regions = 0;
  MemRegion regions[kMaxMemRegions];
  EfiBootInfo efi;
  // The RSDP copy of the Multiboot2 ACPI tags: tag 15 (revision 2+, 36 bytes) preferred over 14
  // (revision 0, 20 bytes), when its signature is "RSD PTR "; else empty. acpi_tag is the tag type
  // it came from (0: none), acpi_tag_bad when an ACPI tag was present but did not hold an RSDP.
  ByteSpan rsdp;
  uint8_t acpi_tag = 0;
  bool acpi_tag_bad = false;
};

// Parses the boot information the loader handed over in EBX (with the magic from EAX).
Status parse_boot_info(const PhysMem& mem, uint32_t magic, uint32_t info_addr, BootInfo* out);

// tboot verify_loader_context() plus the checks a launcher that hashes memory needs: at least one
// module; mod_end >= mod_start; with a memory map, every module inside available RAM; no module
// overlapping [avoid_start, avoid_end) (the launcher's own image). Error item = module index.
Status check_modules(const BootInfo& info, uint32_t avoid_start, uint32_t avoid_end);

// True if [start, end) lies inside one available memory region.
bool in_available_ram(const BootInfo& info, uint64_t start, uint64_t end);

}  // namespace tlaunch::launcher
