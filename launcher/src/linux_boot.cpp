// Linux 32-bit boot protocol planning (see linux_boot.h). Offsets: Linux boot.rst ("The real-mode
// kernel header") and zero-page.rst.
#include "linux_boot.h"

namespace tlaunch::launcher {
namespace {

constexpr size_t kOffAcpiRsdpAddr = 0x070;
constexpr size_t kOffEfiInfo = 0x1C0;  // struct efi_info, 8 u32 (bootparam.h)
constexpr size_t kOffE820Entries = 0x1E8;
constexpr size_t kOffSetupSects = 0x1F1;
constexpr size_t kOffBootFlag = 0x1FE;  // 0xAA55
constexpr size_t kOffJump = 0x200;      // the byte at 0x201 gives the header's end
constexpr size_t kOffHeader = 0x202;    // "HdrS"
constexpr size_t kOffVersion = 0x206;
constexpr size_t kOffTypeOfLoader = 0x210;
constexpr size_t kOffLoadflags = 0x211;
constexpr size_t kOffCode32Start = 0x214;
constexpr size_t kOffRamdiskImage = 0x218;
constexpr size_t kOffRamdiskSize = 0x21C;
constexpr size_t kOffCmdLinePtr = 0x228;
constexpr size_t kOffInitrdAddrMax = 0x22C;
constexpr size_t kOffKernelAlignment = 0x230;
constexpr size_t kOffRelocatable = 0x234;
constexpr size_t kOffCmdlineSize = 0x238;
constexpr size_t kOffSetupData = 0x250;
constexpr uint32_t kSetupE820Ext = 1;
constexpr size_t kOffPrefAddress = 0x258;
constexpr size_t kOffInitSize = 0x260;
constexpr size_t kOffE820Table = 0x2D0;
constexpr size_t kE820EntrySize = 20;
constexpr uint8_t kLoadedHigh = 0x01;

Error bad(const char* message, const char* field, size_t offset) {
  return make_error(Errc::kBadValue, message, field, static_cast<uint32_t>(offset));
}

uint32_t le32_at(ByteSpan b, size_t off) {
  return static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
         (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
}
void put32(MutableByteSpan b, size_t off, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b.data[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(MutableByteSpan b, size_t off, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) b.data[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

Result<LinuxPlan> plan_linux(const LinuxRequest& req, MutableByteSpan bp) {
  if (bp.size != kBootParamsSize)
    return make_error(Errc::kInternal, "boot_params must be 4096 bytes");
  if (req.e820 == nullptr) return make_error(Errc::kInternal, "no e820 table to hand over");
  const E820Table& e820 = *req.e820;
  fill_bytes(bp.data, 0, bp.size);
  const ByteSpan k = req.kernel;
  if (k.size < 0x280) return bad("module 0 is too small to be a bzImage", "setup header", 0);
  if (k[kOffBootFlag] != 0x55 || k[kOffBootFlag + 1] != 0xAA)
    return bad("module 0 has no boot sector signature 0xAA55", "boot_flag", kOffBootFlag);
  if (!(k[kOffHeader] == 'H' && k[kOffHeader + 1] == 'd' && k[kOffHeader + 2] == 'r' &&
        k[kOffHeader + 3] == 'S'))
    return bad("module 0 is not a Linux bzImage (no \"HdrS\")", "header", kOffHeader);
  LinuxPlan plan;
  plan.protocol = static_cast<uint16_t>(k[kOffVersion] | (k[kOffVersion + 1] << 8));
  if (plan.protocol < kMinBootProtocol)
    return with_value(bad("boot protocol older than 2.10", "version", kOffVersion), plan.protocol);
  if (!(k[kOffLoadflags] & kLoadedHigh))
    return bad("not a bzImage (LOADED_HIGH clear)", "loadflags", kOffLoadflags);
  if (k[kOffRelocatable] == 0)
    return bad("kernel is not relocatable; the launcher itself occupies 1 MiB",
               "relocatable_kernel", kOffRelocatable);
  // The setup header runs from 0x1F1 to 0x202 + the jump offset at 0x201.
  const size_t hdr_end = kOffHeader + k[kOffJump + 1];
  if (k[kOffJump] != 0xEB || hdr_end > kOffE820Table || hdr_end > k.size)
    return bad("setup header length out of range", "jump", kOffJump);
  uint32_t setup_sects = k[kOffSetupSects];
  if (setup_sects == 0) setup_sects = 4;
  const uint64_t pm_off = (uint64_t{setup_sects} + 1) * 512;
  if (pm_off >= k.size)
    return bad("setup_sects points past the end of module 0", "setup_sects", kOffSetupSects);
  plan.kernel_src = req.kernel_phys + static_cast<uint32_t>(pm_off);
  plan.kernel_size = static_cast<uint32_t>(k.size - pm_off);
  plan.init_size = le32_at(k, kOffInitSize);
  if (plan.init_size < plan.kernel_size) plan.init_size = plan.kernel_size;

  uint32_t align = le32_at(k, kOffKernelAlignment);
  if (align == 0 || (align & (align - 1)) != 0 || align > 0x40000000)
    return with_value(
        bad("kernel_alignment is not a power of two", "kernel_alignment", kOffKernelAlignment),
        align);
  const uint32_t cmdline_size = le32_at(k, kOffCmdlineSize);
  if (req.cmdline.size > cmdline_size)
    return with_value(bad("module 0's command line is longer than the kernel accepts",
                          "cmdline_size", kOffCmdlineSize),
                      req.cmdline.size);

  // Place the kernel above everything that must survive, at its preferred address if that is
  // higher, aligned; the whole init_size must be RAM below 4 GiB. Where that spot is not RAM (an
  // EFI memory map has holes), the lowest aligned spot above it in a RAM range that holds
  // init_size.
  uint64_t pref = 0;
  for (int i = 7; i >= 0; --i) pref = (pref << 8) | k[kOffPrefAddress + static_cast<size_t>(i)];
  uint64_t lowest = req.reserved_end;
  if (pref > lowest && pref < 0x100000000ull) lowest = pref;
  const auto aligned = [&](uint64_t a) { return (a + align - 1) & ~uint64_t{align - 1}; };
  uint64_t load = 0;
  bool found = false;
  for (size_t i = 0; i < e820.count; ++i) {
    const MemRegion& r = e820.entries[i];
    if (r.type != kE820Ram) continue;
    const uint64_t at = aligned(r.base > lowest ? r.base : lowest);
    if (at + plan.init_size > 0x100000000ull || at + plan.init_size > r.base + r.length) continue;
    if (!found || at < load) load = at;
    found = true;
  }
  if (!found)
    return with_value(bad("no available RAM for the kernel above the modules (init_size)",
                          "init_size", kOffInitSize),
                      plan.init_size);
  plan.load_addr = static_cast<uint32_t>(load);

  // Zero page: the setup header as in the image, then what a boot loader fills in.
  copy_bytes(bp.data + kOffSetupSects, k.data + kOffSetupSects, hdr_end - kOffSetupSects);
  bp.data[kOffTypeOfLoader] = 0xFF;  // undefined loader id
  put32(bp, kOffCode32Start, plan.load_addr);
  put32(bp, kOffCmdLinePtr, req.cmdline_phys);
  if (req.initrd != nullptr && req.initrd->end > req.initrd->start) {
    const uint32_t max = le32_at(k, kOffInitrdAddrMax);
    if (req.initrd->end - 1 > max)
      return with_value(
          bad("initrd (module 1) lies above initrd_addr_max", "initrd_addr_max", kOffInitrdAddrMax),
          req.initrd->end);
    plan.initrd_addr = req.initrd->start;
    plan.initrd_size = req.initrd->end - req.initrd->start;
    put32(bp, kOffRamdiskImage, plan.initrd_addr);
    put32(bp, kOffRamdiskSize, plan.initrd_size);
  }
  if (e820.count == 0)
    return make_error(Errc::kNotFound,
                      "the loader passed no memory map for the kernel's e820 table");
  const size_t ext = e820.count > kE820ZeroPage ? e820.count - kE820ZeroPage : 0;
  if (ext > 0 && req.setup_data.size < kSetupDataHeader + ext * kE820EntrySize)
    return with_value(make_error(Errc::kTooLarge, "more e820 entries than the launcher can pass"),
                      e820.count);
  for (size_t i = 0; i < e820.count; ++i) {
    MutableByteSpan dst = bp;
    size_t at = kOffE820Table + i * kE820EntrySize;
    if (i >= kE820ZeroPage) {
      dst = req.setup_data;
      at = kSetupDataHeader + (i - kE820ZeroPage) * kE820EntrySize;
    }
    put64(dst, at, e820.entries[i].base);
    put64(dst, at + 8, e820.entries[i].length);
    put32(dst, at + 16, e820.entries[i].type);  // Multiboot uses the e820 type numbers
    ++plan.e820_entries;
  }
  bp.data[kOffE820Entries] = static_cast<uint8_t>(ext > 0 ? kE820ZeroPage : e820.count);
  if (ext > 0) {
    put64(req.setup_data, 0, 0);  // the only node: next = 0
    put32(req.setup_data, 8, kSetupE820Ext);
    put32(req.setup_data, 12, static_cast<uint32_t>(ext * kE820EntrySize));
    put64(bp, kOffSetupData, req.setup_data_phys);
    plan.e820_ext_entries = ext;
  }
  if (req.efi.present) {
    put32(bp, kOffEfiInfo + 0, req.efi.signature);
    put32(bp, kOffEfiInfo + 4, static_cast<uint32_t>(req.efi.systab));
    put32(bp, kOffEfiInfo + 8, req.efi.desc_size);
    put32(bp, kOffEfiInfo + 12, req.efi.desc_version);
    put32(bp, kOffEfiInfo + 16, req.efi.memmap);
    put32(bp, kOffEfiInfo + 20, req.efi.memmap_size);
    put32(bp, kOffEfiInfo + 24, static_cast<uint32_t>(req.efi.systab >> 32));
    put32(bp, kOffEfiInfo + 28, 0);  // efi_memmap_hi: the copy is below 4 GiB
  }
  if (req.acpi_rsdp != 0) put64(bp, kOffAcpiRsdpAddr, req.acpi_rsdp);
  return plan;
}

Status add_setup_data(MutableByteSpan bp, MutableByteSpan entry, uint64_t entry_phys, uint32_t type,
                      uint32_t len) {
  if (bp.size != kBootParamsSize) return make_error(Errc::kInternal, "boot_params size");
  if (entry_phys == 0 || entry_phys % 8 != 0)
    return with_value(make_error(Errc::kBadValue, "setup_data entry not 8-byte aligned"),
                      entry_phys);
  if (entry.size < kSetupDataHeaderSize || len > entry.size - kSetupDataHeaderSize)
    return with_value(make_error(Errc::kTooLarge, "setup_data entry larger than its buffer"), len);
  uint64_t next = 0;
  for (size_t i = 0; i < 8; ++i)
    next |= static_cast<uint64_t>(bp.data[kOffSetupData + i]) << (8 * i);
  put64(entry, 0, next);
  put32(entry, 8, type);
  put32(entry, 12, len);
  put64(bp, kOffSetupData, entry_phys);
  return ok_status();
}

}  // namespace tlaunch::launcher
