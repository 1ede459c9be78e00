// The launcher's boot-information walker (launcher/src/boot_info.cpp: Multiboot2 §3.6 and
// Multiboot 0.6.96 §3.3), compiled for the host. The launcher runs it on what the loader left in
// memory before anything else; a crash there is a machine that does not boot.
//
// Input: byte 0 selects the protocol (0: Multiboot2, 1: Multiboot 1, else a wrong EAX magic),
// bytes 1..2 the offset of the information structure inside the memory image (Multiboot2 rounds
// it to 8), the rest is the memory image. The image sits at physical address kBase; outside it
// nothing is addressable, so under ASan any read outside what the structure declares fails.
//
// Properties:
//  * every string the walker returns lies inside the memory image (Multiboot2: inside
//    [info, info + total_size)) and holds no NUL; counts stay within the fixed capacities;
//  * oracle (Multiboot2): an independent walk of the tag list here finds the same modules (start,
//    end, string) in the same order and the same first command line;
//  * Multiboot2 has no pointers, so the same bytes at another physical address parse to the same
//    result (position independence);
//  * check_modules() accepts only modules with start <= end, inside available RAM when there is a
//    memory map, and clear of the launcher image;
//  * UEFI (launcher/src/efi.cpp): the EFI memory map the walker returned lies inside the memory
//    image, is a whole number of descriptors; build_e820() gives the Multiboot map as is, or from
//    the EFI map a table sorted by address with no two touching ranges of one type left
//    unmerged, each range's ends covered by descriptors of its type; plan_efi_handover() copies
//    exactly the map; find_acpi_rsdp() (which follows the system table pointer into the image)
//    returns only an address whose bytes start with "RSD PTR ".
#include <map>

#include "boot_info.h"
#include "efi.h"
#include "fuzz.h"

using namespace tlaunch;
using namespace tlaunch::launcher;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::inside;
using tlaunch::fuzz::same;

namespace {

constexpr uint64_t kBase = 0x100000;  // 1 MiB, where GRUB typically puts the information

class OneRegion final : public PhysMem {
 public:
  OneRegion(uint64_t base, ByteSpan bytes) : base_(base), bytes_(bytes) {}
  bool view(uint64_t addr, uint64_t len, ByteSpan* out) const override {
    if (addr < base_ || addr - base_ > bytes_.size || len > bytes_.size - (addr - base_))
      return false;
    *out = ByteSpan(bytes_.data + (addr - base_), static_cast<size_t>(len));
    return true;
  }

 private:
  uint64_t base_;
  ByteSpan bytes_;
};

uint32_t le32(ByteSpan b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

bool no_nul(ByteSpan s) {
  for (size_t i = 0; i < s.size; ++i)
    if (s[i] == 0) return false;
  return true;
}

// Independent walk of a Multiboot2 tag list that parse_boot_info() accepted: modules (type 3) and
// the first command line (type 1), Multiboot2 §3.6.1-§3.6.3.
struct Mb2Oracle {
  struct Mod {
    uint32_t start, end;
    ByteSpan string;
  };
  std::vector<Mod> modules;
  ByteSpan cmdline;
  bool have_cmdline = false;
};
Mb2Oracle walk_mb2(ByteSpan info) {
  Mb2Oracle o;
  size_t off = 8;
  while (off + 8 <= info.size) {
    const uint32_t type = le32(info, off), size = le32(info, off + 4);
    FUZZ_CHECK(size >= 8 && off + size <= info.size);
    if (type == 0) break;
    auto str = [&](size_t from) {
      size_t i = from;
      while (info[i] != 0) ++i;  // parse_boot_info() checked the NUL is inside the tag
      FUZZ_CHECK(i < off + size);
      return info.subspan(from, i - from);
    };
    if (type == 1 && !o.have_cmdline) {
      o.cmdline = str(off + 8);
      o.have_cmdline = true;
    }
    if (type == 3) o.modules.push_back({le32(info, off + 8), le32(info, off + 12), str(off + 16)});
    off += (size + 7) & ~size_t{7};
  }
  return o;
}

void check_common(const BootInfo& bi, ByteSpan mem) {
  FUZZ_CHECK(bi.num_modules <= kMaxBootModules && bi.num_regions <= kMaxMemRegions);
  FUZZ_CHECK(inside(bi.cmdline, mem) && no_nul(bi.cmdline));
  FUZZ_CHECK(inside(bi.loader_name, mem) && no_nul(bi.loader_name));
  for (size_t i = 0; i < bi.num_modules; ++i)
    FUZZ_CHECK(inside(bi.modules[i].string, mem) && no_nul(bi.modules[i].string));
  for (size_t i = 0; i < bi.num_regions; ++i)
    FUZZ_CHECK(bi.regions[i].length == 0 ||
               bi.regions[i].base + bi.regions[i].length > bi.regions[i].base);

  // The launcher's own image in the fuzz world: [2 MiB, 2 MiB + 64 KiB).
  const uint32_t avoid_start = 0x200000, avoid_end = 0x210000;
  Status s = check_modules(bi, avoid_start, avoid_end);
  if (s.ok()) {
    FUZZ_CHECK(bi.num_modules >= 1);
    for (size_t i = 0; i < bi.num_modules; ++i) {
      const ModuleInfo& m = bi.modules[i];
      FUZZ_CHECK(m.start <= m.end);
      FUZZ_CHECK(!(m.start < avoid_end && m.end > avoid_start));
      if (bi.has_mmap && m.end > m.start) FUZZ_CHECK(in_available_ram(bi, m.start, m.end));
    }
  } else {
    FUZZ_CHECK(s.error().item < static_cast<int32_t>(bi.num_modules));
  }
}

uint64_t le64(ByteSpan b, size_t at) { return le32(b, at) | uint64_t{le32(b, at + 4)} << 32; }

void check_uefi(const BootInfo& bi, const PhysMem& phys, ByteSpan info) {
  const EfiBootInfo& e = bi.efi;
  if (e.has_mmap) {
    FUZZ_CHECK(inside(e.mmap, info) && e.desc_size >= 40 && e.mmap.size % e.desc_size == 0);
  }
  if (bi.acpi_tag != 0) {
    FUZZ_CHECK(inside(bi.rsdp, info) && bi.rsdp.size == (bi.acpi_tag == 15 ? 36u : 20u));
  }
  static E820Table t;
  t = E820Table();
  Status s = build_e820(bi, &t);
  if (s.ok()) {
    FUZZ_CHECK(t.count <= kMaxE820);
    FUZZ_CHECK(t.from_efi == (e.has_mmap && !e.boot_services_active));
    for (size_t i = 0; i < t.count; ++i) {
      const MemRegion& r = t.entries[i];
      if (!t.from_efi) {  // the Multiboot map, entry for entry
        FUZZ_CHECK(r.base == bi.regions[i].base && r.length == bi.regions[i].length &&
                   r.type == bi.regions[i].type);
        continue;
      }
      if (i > 0) {
        const MemRegion& p = t.entries[i - 1];
        FUZZ_CHECK(p.base <= r.base);
        FUZZ_CHECK(!(p.type == r.type && p.base + p.length == r.base));
      }
      // Every byte of the range is some descriptor's (same e820 type): check both ends.
      bool start_covered = false, end_covered = false;
      for (size_t off = 0; off < e.mmap.size; off += e.desc_size) {
        const uint64_t b = le64(e.mmap, off + 8), n = le64(e.mmap, off + 24) * 4096;
        if (n == 0 || efi_type_to_e820(le32(e.mmap, off), le64(e.mmap, off + 32)) != r.type)
          continue;
        start_covered = start_covered || (r.base >= b && r.base - b < n);
        end_covered = end_covered || (r.base + r.length - 1 >= b && r.base + r.length - 1 - b < n);
      }
      FUZZ_CHECK(start_covered && end_covered);
    }
  }
  static uint8_t copy[8192];
  EfiHandover h = plan_efi_handover(bi, MutableByteSpan(copy, sizeof(copy)), 0x180000);
  if (h.present) {
    FUZZ_CHECK(e.has_systab && e.has_mmap && !e.boot_services_active && h.why_not == nullptr);
    FUZZ_CHECK(h.memmap_size == e.mmap.size && equal_bytes(copy, e.mmap.data, e.mmap.size));
  } else {
    FUZZ_CHECK((h.why_not != nullptr) == (e.has_systab || e.has_mmap));
  }
  auto r = find_acpi_rsdp(phys, bi);
  if (r.ok()) {
    ByteSpan at;
    FUZZ_CHECK(phys.view(r->addr, 20, &at));
    FUZZ_CHECK(equal_bytes(at.data, reinterpret_cast<const uint8_t*>("RSD PTR "), 8));
    FUZZ_CHECK(r->loader_copy == (bi.acpi_tag != 0));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const uint8_t proto = fin.u8();
  uint32_t info_off = fin.u16();
  const ByteSpan mem = fin.rest();
  const uint32_t magic = proto == 0 ? kMb2BootMagic : proto == 1 ? kMb1BootMagic : 0x1BADB002u;
  if (proto == 0) info_off &= ~7u;
  const uint32_t info_addr = static_cast<uint32_t>(kBase) + info_off;

  OneRegion phys(kBase, mem);
  static BootInfo bi;  // 128 modules + 128 regions: keep it off the stack
  bi = BootInfo();
  Status st = parse_boot_info(phys, magic, info_addr, &bi);
  if (!st.ok()) {
    FUZZ_CHECK(st.error().code != Errc::kOk && st.error().message[0] != '\0');
    if (proto > 1) FUZZ_CHECK(st.error().code == Errc::kUnsupported);
    return 0;
  }
  FUZZ_CHECK(proto <= 1 && bi.protocol == (proto == 0 ? 2 : 1));
  check_common(bi, mem);

  if (proto == 0) {
    const uint32_t total = le32(mem, info_off);
    const ByteSpan info = mem.subspan(info_off, total);
    FUZZ_CHECK(inside(bi.cmdline, info) && inside(bi.loader_name, info));
    Mb2Oracle o = walk_mb2(info);
    FUZZ_CHECK(o.modules.size() == bi.num_modules);
    for (size_t i = 0; i < bi.num_modules; ++i) {
      FUZZ_CHECK(o.modules[i].start == bi.modules[i].start &&
                 o.modules[i].end == bi.modules[i].end);
      FUZZ_CHECK(o.modules[i].string.data == bi.modules[i].string.data &&
                 o.modules[i].string.size == bi.modules[i].string.size);
    }
    FUZZ_CHECK(o.have_cmdline
                   ? o.cmdline.data == bi.cmdline.data && o.cmdline.size == bi.cmdline.size
                   : bi.cmdline.size == 0);

    // The same structure 8 MiB higher parses the same.
    OneRegion moved(kBase + 0x800000, mem);
    static BootInfo bi2;
    bi2 = BootInfo();
    FUZZ_CHECK(parse_boot_info(moved, magic, info_addr + 0x800000, &bi2).ok());
    FUZZ_CHECK(bi2.num_modules == bi.num_modules && bi2.num_regions == bi.num_regions &&
               bi2.has_mmap == bi.has_mmap && same(bi2.cmdline, bi.cmdline));
    for (size_t i = 0; i < bi.num_modules; ++i)
      FUZZ_CHECK(bi2.modules[i].start == bi.modules[i].start &&
                 same(bi2.modules[i].string, bi.modules[i].string));
    check_uefi(bi, phys, info);
  }
  return 0;
}
