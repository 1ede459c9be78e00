// Defensive Multiboot 1 / Multiboot2 information walker (see boot_info.h).
#include "boot_info.h"

namespace tlaunch::launcher {
namespace {

// Multiboot2 tag types (Multiboot2 Specification §3.6.x).
constexpr uint32_t kTagEnd = 0;
constexpr uint32_t kTagCmdline = 1;
constexpr uint32_t kTagLoaderName = 2;
constexpr uint32_t kTagModule = 3;
constexpr uint32_t kTagMmap = 6;
constexpr uint32_t kTagEfi32 = 11;
constexpr uint32_t kTagEfi64 = 12;
constexpr uint32_t kTagAcpiOld = 14;
constexpr uint32_t kTagAcpiNew = 15;
constexpr uint32_t kTagEfiMmap = 17;
constexpr uint32_t kTagEfiBs = 18;
// EFI_MEMORY_DESCRIPTOR: Type, pad, PhysicalStart, VirtualStart, NumberOfPages, Attribute (UEFI
// spec, GetMemoryMap()); firmware may use a larger stride, never a smaller one.
constexpr uint32_t kMinEfiDescSize = 40;
constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;

// Multiboot 1 info flags (Multiboot 0.6.96 §3.3).
constexpr uint32_t kMb1FlagCmdline = 1u << 2;
constexpr uint32_t kMb1FlagMods = 1u << 3;
constexpr uint32_t kMb1FlagMmap = 1u << 6;
constexpr uint32_t kMb1FlagLoaderName = 1u << 9;
constexpr uint32_t kMb1InfoSize = 72;  // up to and including boot_loader_name (offset 64) + apm

Error at(const char* message, const char* field, uint32_t offset) {
  return make_error(Errc::kBadValue, message, field, offset);
}

// A NUL-terminated string inside `in` starting at `from`: the bytes before the NUL.
Result<ByteSpan> string_in(ByteSpan in, size_t from, const char* field, uint32_t base) {
  for (size_t i = from; i < in.size; ++i)
    if (in[i] == 0) return in.subspan(from, i - from);
  return at("string is not NUL-terminated inside its structure", field,
            base + static_cast<uint32_t>(from));
}

// A NUL-terminated string at a physical address (Multiboot 1), at most kMaxStringLength bytes.
Result<ByteSpan> string_at(const PhysMem& mem, uint32_t addr, const char* field, uint32_t offset) {
  if (addr == 0) return at("string pointer is null", field, offset);
  for (size_t i = 0; i <= kMaxStringLength; ++i) {
    ByteSpan b;
    if (!mem.view(static_cast<uint64_t>(addr) + i, 1, &b))
      return at("string runs outside addressable memory", field, offset);
    if (b[0] == 0) {
      ByteSpan s;
      if (!mem.view(addr, i, &s)) return at("string outside addressable memory", field, offset);
      return s;
    }
  }
  return at("string longer than 4096 bytes or not terminated", field, offset);
}

Status add_region(BootInfo* out, uint64_t base, uint64_t length, uint32_t type, uint32_t offset) {
  if (out->num_regions >= kMaxMemRegions)
    return at("more than 128 memory map entries", "mmap", offset);
  if (length != 0 && base + length < base)
    return at("memory map entry wraps around", "mmap.length", offset);
  out->regions[out->num_regions++] = MemRegion{base, length, type};
  return ok_status();
}

Status parse_mb2(const PhysMem& mem, uint32_t info_addr, BootInfo* out) {
  out->protocol = 2;
  if (info_addr % 8 != 0) return at("Multiboot2 information is not 8-byte aligned", "mbi", 0);
  ByteSpan head;
  if (!mem.view(info_addr, 8, &head)) return at("Multiboot2 information not addressable", "mbi", 0);
  ByteReader hr(head);
  const uint32_t total = *hr.le32("total_size");
  if (total < 16 || total > kMaxMb2InfoSize)
    return with_value(at("Multiboot2 total_size out of range (16 bytes .. 1 MiB)", "total_size", 0),
                      total);
  ByteSpan info;
  if (!mem.view(info_addr, total, &info))
    return at("Multiboot2 information not addressable", "mbi", 0);

  size_t off = 8;
  bool seen_cmdline = false, seen_name = false;
  for (;;) {
    if (off + 8 > info.size)
      return at("tag list ends without an end tag", "tag", static_cast<uint32_t>(off));
    ByteReader tr(info.subspan(off, 8), off);
    const uint32_t type = *tr.le32("type");
    const uint32_t size = *tr.le32("size");
    if (size < 8 || size > info.size - off)
      return with_value(at("tag size smaller than its header or past total_size", "tag.size",
                           static_cast<uint32_t>(off + 4)),
                        size);
    ByteSpan tag = info.subspan(off, size);
    const uint32_t base = static_cast<uint32_t>(off);
    switch (type) {
      case kTagEnd:
        if (size != 8) return with_value(at("end tag size is not 8", "tag.size", base + 4), size);
        return ok_status();
      case kTagCmdline:
      case kTagLoaderName: {
        auto s = string_in(tag, 8, type == kTagCmdline ? "cmdline" : "boot_loader_name", base);
        if (!s.ok()) return s.error();
        bool& seen = type == kTagCmdline ? seen_cmdline : seen_name;
        if (!seen) (type == kTagCmdline ? out->cmdline : out->loader_name) = *s;
        seen = true;
        break;
      }
      case kTagModule: {
        if (size < 17) return with_value(at("module tag too small", "tag.size", base + 4), size);
        if (out->num_modules >= kMaxBootModules) return at("more than 128 modules", "module", base);
        ByteReader mr(tag.subspan(8, 8), base + 8);
        ModuleInfo m;
        m.start = *mr.le32("mod_start");
        m.end = *mr.le32("mod_end");
        auto s = string_in(tag, 16, "module.string", base);
        if (!s.ok()) return s.error();
        m.string = *s;
        out->modules[out->num_modules++] = m;
        break;
      }
      case kTagMmap: {
        if (size < 16)
          return with_value(at("memory map tag too small", "tag.size", base + 4), size);
        ByteReader mr(tag.subspan(8, 8), base + 8);
        const uint32_t entry_size = *mr.le32("entry_size");
        if (entry_size < 24 || entry_size % 8 != 0)
          return with_value(
              at("memory map entry_size must be a multiple of 8 and >= 24", "entry_size", base + 8),
              entry_size);
        for (size_t e = 16; e + entry_size <= size; e += entry_size) {
          ByteReader er(tag.subspan(e, 24), base + e);
          const uint64_t b = *er.le64("base_addr");
          const uint64_t l = *er.le64("length");
          const uint32_t t = *er.le32("type");
          TLAUNCH_TRY(add_region(out, b, l, t, static_cast<uint32_t>(base + e)));
        }
        out->has_mmap = true;
        break;
      }
      case kTagEfi32:
      case kTagEfi64: {
        const uint32_t need = type == kTagEfi64 ? 16 : 12;
        if (size < need)
          return with_value(at("EFI system table tag too small", "tag.size", base + 4), size);
        ByteReader er(tag.subspan(8, need - 8), base + 8);
        out->efi.has_systab = true;
        out->efi.systab_64 = type == kTagEfi64;
        out->efi.systab = type == kTagEfi64 ? *er.le64("pointer") : *er.le32("pointer");
        break;
      }
      case kTagEfiMmap: {
        if (size < 16)
          return with_value(at("EFI memory map tag too small", "tag.size", base + 4), size);
        ByteReader er(tag.subspan(8, 8), base + 8);
        const uint32_t desc_size = *er.le32("descr_size");
        const uint32_t desc_version = *er.le32("descr_vers");
        if (desc_size < kMinEfiDescSize || desc_size % 8 != 0)
          return with_value(at("EFI memory descriptor size must be a multiple of 8 and >= 40",
                               "descr_size", base + 8),
                            desc_size);
        if ((size - 16) % desc_size != 0)
          return with_value(
              at("EFI memory map is not a whole number of descriptors", "tag.size", base + 4),
              size);
        out->efi.has_mmap = true;
        out->efi.desc_size = desc_size;
        out->efi.desc_version = desc_version;
        out->efi.mmap = tag.subspan(16, size - 16);
        break;
      }
      case kTagEfiBs:
        out->efi.boot_services_active = true;
        break;
      case kTagAcpiOld:
      case kTagAcpiNew: {
        // A copy of the RSDP (ACPI §5.2.5 "Root System Description Pointer"): 20 bytes (revision
        // 0, tag 14) or 36 (revision 2+, tag 15). A tag too small for that is a malformed
        // structure; one whose bytes are no RSDP ("RSD PTR " signature) is noted and ignored:
        // Linux can still find the RSDP itself. The new tag wins over the old one whatever
        // their order.
        const size_t need = type == kTagAcpiNew ? kRsdpV2Size : kRsdpV1Size;
        if (size < 8 + need)
          return with_value(at("ACPI RSDP tag too small", "tag.size", base + 4), size);
        ByteSpan rsdp = tag.subspan(8, need);
        if (!equal_bytes(rsdp.data, reinterpret_cast<const uint8_t*>("RSD PTR "), 8)) {
          out->acpi_tag_bad = true;
        } else if (out->acpi_tag != kTagAcpiNew) {
          out->rsdp = rsdp;
          out->acpi_tag = static_cast<uint8_t>(type);
        }
        break;
      }
      default:
        break;  // other tags (framebuffer, SMBIOS, ...) are not needed
    }
    off += (size + 7u) & ~size_t{7};
  }
}

Status parse_mb1(const PhysMem& mem, uint32_t info_addr, BootInfo* out) {
  out->protocol = 1;
  ByteSpan info;
  if (!mem.view(info_addr, kMb1InfoSize, &info))
    return at("Multiboot information not addressable", "mbi", 0);
  ByteReader r(info);
  const uint32_t flags = *r.le32("flags");
  auto field32 = [&](size_t off, const char* name) {
    ByteReader f(info.subspan(off, 4), off);
    return *f.le32(name);
  };
  if (flags & kMb1FlagCmdline) {
    auto s = string_at(mem, field32(16, "cmdline"), "cmdline", 16);
    if (!s.ok()) return s.error();
    out->cmdline = *s;
  }
  if (flags & kMb1FlagLoaderName) {
    auto s = string_at(mem, field32(64, "boot_loader_name"), "boot_loader_name", 64);
    if (!s.ok()) return s.error();
    out->loader_name = *s;
  }
  if (flags & kMb1FlagMods) {
    const uint32_t count = field32(20, "mods_count");
    const uint32_t addr = field32(24, "mods_addr");
    if (count > kMaxBootModules)
      return with_value(at("more than 128 modules", "mods_count", 20), count);
    ByteSpan mods;
    if (count > 0 && !mem.view(addr, uint64_t{count} * 16, &mods))
      return at("module list not addressable", "mods_addr", 24);
    for (uint32_t i = 0; i < count; ++i) {
      ByteReader mr(mods.subspan(i * 16, 16));
      ModuleInfo m;
      m.start = *mr.le32("mod_start");
      m.end = *mr.le32("mod_end");
      const uint32_t str = *mr.le32("string");
      if (str != 0) {
        auto s = string_at(mem, str, "module.string", 24);
        if (!s.ok()) return with_item(s.error(), static_cast<int32_t>(i));
        m.string = *s;
      }
      out->modules[out->num_modules++] = m;
    }
  }
  if (flags & kMb1FlagMmap) {
    const uint32_t length = field32(44, "mmap_length");
    const uint32_t addr = field32(48, "mmap_addr");
    if (length > 64 * 1024)
      return with_value(at("memory map larger than 64 KiB", "mmap_length", 44), length);
    ByteSpan map;
    if (!mem.view(addr, length, &map)) return at("memory map not addressable", "mmap_addr", 48);
    // Each entry: size (of the rest), base_addr, length, type; next entry at +size+4.
    size_t off = 0;
    while (off < map.size) {
      if (map.size - off < 4) return at("memory map entry header truncated", "mmap.size", 44);
      ByteReader sr(map.subspan(off, 4));
      const uint32_t esize = *sr.le32("size");
      if (esize < 20 || esize > map.size - off - 4)
        return with_value(at("memory map entry size out of range", "mmap.size", 44), esize);
      ByteReader er(map.subspan(off + 4, 20));
      const uint64_t b = *er.le64("base_addr");
      const uint64_t l = *er.le64("length");
      const uint32_t t = *er.le32("type");
      TLAUNCH_TRY(add_region(out, b, l, t, 48));
      off += size_t{esize} + 4;
    }
    out->has_mmap = true;
  }
  return ok_status();
}

}  // namespace

Status parse_boot_info(const PhysMem& mem, uint32_t magic, uint32_t info_addr, BootInfo* out) {
  *out = BootInfo();
  if (magic == kMb2BootMagic) return parse_mb2(mem, info_addr, out);
  if (magic == kMb1BootMagic) return parse_mb1(mem, info_addr, out);
  return with_value(make_error(Errc::kUnsupported, "not started by a Multiboot loader (EAX magic)"),
                    magic);
}

bool in_available_ram(const BootInfo& info, uint64_t start, uint64_t end) {
  for (size_t i = 0; i < info.num_regions; ++i) {
    const MemRegion& r = info.regions[i];
    if (r.type == kMemAvailable && start >= r.base && end <= r.base + r.length) return true;
  }
  return false;
}

Status check_modules(const BootInfo& info, uint32_t avoid_start, uint32_t avoid_end) {
  if (info.num_modules == 0)
    return make_error(Errc::kNotFound, "no modules: module 0 must be the kernel");
  for (size_t i = 0; i < info.num_modules; ++i) {
    const ModuleInfo& m = info.modules[i];
    const int32_t item = static_cast<int32_t>(i);
    if (m.end < m.start)
      return with_item(make_error(Errc::kBadValue, "module ends before it starts", "mod_end"),
                       item);
    if (info.has_mmap && m.end > m.start && !in_available_ram(info, m.start, m.end))
      return with_item(
          make_error(Errc::kBadValue, "module lies outside available RAM", "mod_start"), item);
    if (m.start < avoid_end && m.end > avoid_start)
      return with_item(
          make_error(Errc::kBadValue, "module overlaps the launcher image", "mod_start"), item);
  }
  return ok_status();
}

}  // namespace tlaunch::launcher
