// ACPI table lookup and the TPM2 table's log area (see acpi.h).
#include "acpi.h"

namespace tlaunch::launcher {
namespace {

Error at(Errc code, const char* message, const char* field, uint64_t addr) {
  return with_value(make_error(code, message, field), addr);
}

// The table at `addr`: its header, then the whole table as its length field says.
Result<ByteSpan> table_at(const PhysMem& mem, uint64_t addr) {
  ByteSpan hdr;
  if (!mem.view(addr, kSdtHeaderSize, &hdr))
    return at(Errc::kBadValue, "ACPI table address outside memory", "Address", addr);
  ByteReader r(hdr);
  TLAUNCH_TRY(r.skip(4, "Signature"));
  auto length = r.le32("Length");
  if (!length.ok()) return length.error();
  if (*length < kSdtHeaderSize)
    return at(Errc::kBadValue, "ACPI table shorter than its header", "Length", *length);
  ByteSpan table;
  if (!mem.view(addr, *length, &table))
    return at(Errc::kBadValue, "ACPI table extends outside memory", "Length", addr);
  return table;
}

}  // namespace

Result<ByteSpan> find_acpi_table(const PhysMem& mem, ByteSpan rsdp, const char signature[4]) {
  ByteReader r(rsdp);
  auto sig = r.bytes(8, "Signature");
  if (!sig.ok()) return sig.error();
  if (!equal_bytes(sig->data, reinterpret_cast<const uint8_t*>("RSD PTR "), 8))
    return make_error(Errc::kBadValue, "not an RSDP", "Signature", 0);
  TLAUNCH_TRY(r.skip(7, "Checksum/OEMID"));
  auto revision = r.u8("Revision");
  if (!revision.ok()) return revision.error();
  auto rsdt = r.le32("RsdtAddress");
  if (!rsdt.ok()) return rsdt.error();
  uint64_t root = *rsdt;
  size_t entry_size = 4;
  if (*revision >= 2 && rsdp.size >= 36) {
    TLAUNCH_TRY(r.skip(4, "Length"));
    auto xsdt = r.le64("XsdtAddress");
    if (!xsdt.ok()) return xsdt.error();
    if (*xsdt != 0) {
      root = *xsdt;
      entry_size = 8;
    }
  }
  if (root == 0) return make_error(Errc::kNotFound, "the RSDP points at no RSDT/XSDT");
  auto table = table_at(mem, root);
  if (!table.ok()) return table.error();
  ByteReader entries(table->subspan(kSdtHeaderSize, table->size - kSdtHeaderSize));
  while (entries.remaining() >= entry_size) {
    auto e = entry_size == 8 ? entries.le64("Entry") : Result<uint64_t>(*entries.le32("Entry"));
    if (!e.ok()) return e.error();
    if (*e == 0) continue;
    auto t = table_at(mem, *e);
    if (!t.ok()) return t.error();
    if (equal_bytes(t->data, reinterpret_cast<const uint8_t*>(signature), 4)) return *t;
  }
  return make_error(Errc::kNotFound, "no ACPI table with this signature");
}

Result<LogArea> tpm2_log_area(const PhysMem& mem, ByteSpan rsdp) {
  auto t = find_acpi_table(mem, rsdp, "TPM2");
  if (!t.ok()) return t.error();
  if (t->size < 76)
    return with_value(make_error(Errc::kNotFound, "TPM2 table without a log area", "Length"),
                      t->size);
  ByteReader r(t->subspan(64, 12));
  LogArea a;
  a.length = *r.le32("LAML");
  a.start = *r.le64("LASA");
  if (a.length == 0 || a.start == 0)
    return make_error(Errc::kNotFound, "TPM2 table with an empty log area", "LASA");
  ByteSpan area;
  if (!mem.view(a.start, a.length, &area))
    return at(Errc::kBadValue, "TPM2 log area outside memory", "LASA", a.start);
  return a;
}

}  // namespace tlaunch::launcher
