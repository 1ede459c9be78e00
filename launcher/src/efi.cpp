// UEFI hand-over pieces (see efi.h).
#include "efi.h"

namespace tlaunch::launcher {
namespace {

// UEFI memory types (GetMemoryMap()).
constexpr uint32_t kEfiLoaderCode = 1;
constexpr uint32_t kEfiLoaderData = 2;
constexpr uint32_t kEfiBootServicesCode = 3;
constexpr uint32_t kEfiBootServicesData = 4;
constexpr uint32_t kEfiConventional = 7;
constexpr uint32_t kEfiUnusable = 8;
constexpr uint32_t kEfiAcpiReclaim = 9;
constexpr uint32_t kEfiAcpiNvs = 10;
constexpr uint32_t kEfiPersistent = 14;
// Memory attributes.
constexpr uint64_t kEfiMemoryWb = 0x8;
constexpr uint64_t kEfiMemorySp = 0x40000;
constexpr uint64_t kEfiPageSize = 4096;

// "IBI SYST" (EFI_SYSTEM_TABLE_SIGNATURE).
constexpr uint64_t kEfiSystabSignature = 0x5453595320494249ull;
// EFI_SYSTEM_TABLE: NumberOfTableEntries / ConfigurationTable offsets and the table's size, for
// 64-bit firmware (UINTN and pointers of 8 bytes) and 32-bit firmware (4 bytes).
constexpr size_t kSystab64Count = 104, kSystab64Tables = 112, kSystab64Size = 120;
constexpr size_t kSystab32Count = 64, kSystab32Tables = 68, kSystab32Size = 72;
constexpr size_t kMaxConfigTables = 1024;
// EFI_ACPI_20_TABLE_GUID 8868e871-e4f1-11d3-bc22-0080c73c8881 and ACPI_TABLE_GUID
// eb9d2d30-2d88-11d3-9a16-0090273fc14d, in their in-memory byte order.
constexpr uint8_t kAcpi20Guid[16] = {0x71, 0xE8, 0x68, 0x88, 0xF1, 0xE4, 0xD3, 0x11,
                                     0xBC, 0x22, 0x00, 0x80, 0xC7, 0x3C, 0x88, 0x81};
constexpr uint8_t kAcpi10Guid[16] = {0x30, 0x2D, 0x9D, 0xEB, 0x88, 0x2D, 0xD3, 0x11,
                                     0x9A, 0x16, 0x00, 0x90, 0x27, 0x3F, 0xC1, 0x4D};
// RSDP: signature, checksum over the first 20 bytes; from revision 2, length (offset 20) and an
// extended checksum over `length` bytes.
constexpr size_t kRsdpV1 = 20;
constexpr size_t kRsdpV2 = 36;
constexpr size_t kMaxRsdp = 4096;

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint64_t le64(const uint8_t* p) { return le32(p) | (uint64_t{le32(p + 4)} << 32); }

Error not_found(const char* message) { return make_error(Errc::kNotFound, message); }

// Inserts [base, base+len) of `type` keeping the table sorted by base, merging with a neighbour
// of the same type that it touches.
Status insert_range(E820Table* t, uint64_t base, uint64_t len, uint32_t type) {
  size_t at = 0;
  while (at < t->count && t->entries[at].base < base) ++at;
  if (at > 0) {
    MemRegion& prev = t->entries[at - 1];
    if (prev.type == type && prev.base + prev.length == base) {
      prev.length += len;
      if (at < t->count && t->entries[at].type == type &&
          prev.base + prev.length == t->entries[at].base) {
        prev.length += t->entries[at].length;
        for (size_t i = at; i + 1 < t->count; ++i) t->entries[i] = t->entries[i + 1];
        --t->count;
      }
      return ok_status();
    }
  }
  if (at < t->count && t->entries[at].type == type && base + len == t->entries[at].base) {
    t->entries[at].base = base;
    t->entries[at].length += len;
    return ok_status();
  }
  if (t->count == kMaxE820)
    return make_error(Errc::kTooLarge, "more than 512 memory ranges in the EFI memory map");
  for (size_t i = t->count; i > at; --i) t->entries[i] = t->entries[i - 1];
  t->entries[at] = MemRegion{base, len, type};
  ++t->count;
  return ok_status();
}

bool checksum_ok(ByteSpan b) {
  uint8_t sum = 0;
  for (size_t i = 0; i < b.size; ++i) sum = static_cast<uint8_t>(sum + b[i]);
  return sum == 0;
}

// A valid RSDP at `addr`: its bytes (20 for revision 0, `length` from revision 2).
Result<ByteSpan> rsdp_at(const PhysMem& mem, uint64_t addr) {
  ByteSpan v1;
  if (addr == 0 || !mem.view(addr, kRsdpV1, &v1))
    return not_found("the RSDP the configuration table names is not addressable");
  if (!equal_bytes(v1.data, reinterpret_cast<const uint8_t*>("RSD PTR "), 8) || !checksum_ok(v1))
    return make_error(Errc::kBadValue,
                      "the configuration table's RSDP has a bad signature or checksum");
  if (v1[15] < 2) return v1;
  ByteSpan head;
  if (!mem.view(addr, kRsdpV2, &head))
    return not_found("the RSDP the configuration table names is not addressable");
  const uint32_t len = le32(head.data + 20);
  ByteSpan full;
  if (len < kRsdpV2 || len > kMaxRsdp || !mem.view(addr, len, &full) || !checksum_ok(full))
    return make_error(Errc::kBadValue,
                      "the configuration table's RSDP has a bad length or "
                      "extended checksum");
  return full;
}

}  // namespace

uint32_t efi_type_to_e820(uint32_t efi_type, uint64_t attribute) {
  switch (efi_type) {
    case kEfiLoaderCode:
    case kEfiLoaderData:
    case kEfiBootServicesCode:
    case kEfiBootServicesData:
    case kEfiConventional:
      if (attribute & kEfiMemorySp) return kE820SoftReserved;
      return (attribute & kEfiMemoryWb) ? kE820Ram : kE820Reserved;
    case kEfiAcpiReclaim:
      return kE820Acpi;
    case kEfiAcpiNvs:
      return kE820Nvs;
    case kEfiUnusable:
      return kE820Unusable;
    case kEfiPersistent:
      return kE820Pmem;
    default:
      return kE820Reserved;
  }
}

Status build_e820(const BootInfo& info, E820Table* out) {
  out->count = 0;
  out->from_efi = info.efi.has_mmap && !info.efi.boot_services_active;
  if (!out->from_efi) {
    // BIOS path (and UEFI with boot services still running): the loader's map as it is.
    if (!info.has_mmap) return ok_status();
    for (size_t i = 0; i < info.num_regions && i < kMaxE820; ++i)
      out->entries[out->count++] = info.regions[i];
    return ok_status();
  }
  const ByteSpan m = info.efi.mmap;
  for (size_t off = 0; off + info.efi.desc_size <= m.size; off += info.efi.desc_size) {
    const uint8_t* d = m.data + off;
    const uint32_t type = le32(d);
    const uint64_t base = le64(d + 8);
    const uint64_t pages = le64(d + 24);
    const uint64_t attr = le64(d + 32);
    if (pages == 0) continue;
    if (pages > (~uint64_t{0} - base) / kEfiPageSize)
      return with_item(with_value(make_error(Errc::kBadValue,
                                             "EFI memory descriptor wraps past the address space",
                                             "NumberOfPages"),
                                  pages),
                       static_cast<int32_t>(off / info.efi.desc_size));
    TLAUNCH_TRY(insert_range(out, base, pages * kEfiPageSize, efi_type_to_e820(type, attr)));
  }
  return ok_status();
}

bool e820_has_ram(const E820Table& t, uint64_t start, uint64_t end) {
  for (size_t i = 0; i < t.count; ++i) {
    const MemRegion& r = t.entries[i];
    if (r.type == kE820Ram && start >= r.base && end <= r.base + r.length) return true;
  }
  return false;
}

EfiHandover plan_efi_handover(const BootInfo& info, MutableByteSpan copy, uint32_t copy_phys) {
  EfiHandover h;
  const EfiBootInfo& e = info.efi;
  if (!e.has_systab && !e.has_mmap) return h;  // not a UEFI loader: nothing to say
  if (e.boot_services_active) {
    h.why_not = "the loader left EFI boot services running";
  } else if (!e.has_systab) {
    h.why_not = "the loader passed no EFI system table";
  } else if (!e.has_mmap) {
    h.why_not = "the loader passed no EFI memory map";
  } else if (e.mmap.size > copy.size) {
    h.why_not = "the EFI memory map is larger than the launcher's copy of it";
  }
  if (h.why_not) return h;
  copy_bytes(copy.data, e.mmap.data, e.mmap.size);
  h.present = true;
  // "EL64" / "EL32" read as a little-endian u32 (EFI64_LOADER_SIGNATURE, EFI32_LOADER_SIGNATURE).
  h.signature = e.systab_64 ? le32(reinterpret_cast<const uint8_t*>("EL64"))
                            : le32(reinterpret_cast<const uint8_t*>("EL32"));
  h.systab = e.systab;
  h.memmap = copy_phys;
  h.memmap_size = static_cast<uint32_t>(e.mmap.size);
  h.desc_size = e.desc_size;
  h.desc_version = e.desc_version;
  return h;
}

Result<RsdpFound> find_acpi_rsdp(const PhysMem& mem, const BootInfo& info) {
  const EfiBootInfo& e = info.efi;
  if (!e.has_systab) return not_found("no EFI system table");
  const size_t table_size = e.systab_64 ? kSystab64Size : kSystab32Size;
  ByteSpan st;
  if (!mem.view(e.systab, table_size, &st))
    return not_found("the EFI system table is not addressable (above 4 GiB?)");
  if (le64(st.data) != kEfiSystabSignature)
    return make_error(Errc::kBadValue, "the EFI system table has no \"IBI SYST\" signature");
  const uint64_t count =
      e.systab_64 ? le64(st.data + kSystab64Count) : le32(st.data + kSystab32Count);
  const uint64_t tables =
      e.systab_64 ? le64(st.data + kSystab64Tables) : le32(st.data + kSystab32Tables);
  const size_t entry = e.systab_64 ? 24 : 20;
  if (count > kMaxConfigTables)
    return with_value(make_error(Errc::kBadValue, "implausible EFI configuration table count"),
                      count);
  ByteSpan ct;
  if (count == 0 || !mem.view(tables, count * entry, &ct))
    return not_found("the EFI configuration table is empty or not addressable");
  uint64_t acpi20 = 0, acpi10 = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* g = ct.data + i * entry;
    const uint64_t ptr = e.systab_64 ? le64(g + 16) : le32(g + 16);
    if (equal_bytes(g, kAcpi20Guid, 16) && acpi20 == 0) acpi20 = ptr;
    if (equal_bytes(g, kAcpi10Guid, 16) && acpi10 == 0) acpi10 = ptr;
  }
  const uint64_t addr = acpi20 ? acpi20 : acpi10;
  if (addr == 0) return not_found("the EFI configuration table has no ACPI entry");
  auto r = rsdp_at(mem, addr);
  if (!r.ok()) return r.error();
  RsdpFound f;
  f.addr = addr;
  f.revision = (*r)[15];
  f.loader_copy = info.acpi_tag != 0;
  if (f.loader_copy) {
    const ByteSpan c = info.rsdp;
    const size_t n = c.size < r->size ? c.size : r->size;
    f.matches = n >= kRsdpV1 && equal_bytes(c.data, r->data, n);
  }
  return f;
}

}  // namespace tlaunch::launcher
