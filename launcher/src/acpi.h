// ACPI tables the launcher reads, defensively (every length and address checked against what the
// table declares and what PhysMem can view): ACPI Specification 6.4 §5.2.5 (RSDP), §5.2.6 (system
// description table header), §5.2.7 (RSDT), §5.2.8 (XSDT); TCG ACPI Specification (TPM2 table:
// Log Area Minimum Length at offset 64, Log Area Start Address at offset 68, present when the
// table is at least 76 bytes long — Linux drivers/char/tpm/eventlog/acpi.c reads the same).
// Pure code: the host unit tests run it on crafted tables.
#pragma once

#include "boot_info.h"

namespace tlaunch::launcher {

inline constexpr size_t kSdtHeaderSize = 36;

// The table with this signature ("TPM2"), through the XSDT when the RSDP (revision 2+) has one,
// else the RSDT. kNotFound when no table has it; kBadValue/kTruncated naming the field for a
// malformed structure.
Result<ByteSpan> find_acpi_table(const PhysMem& mem, ByteSpan rsdp, const char signature[4]);

// The firmware's TPM event log area from the TPM2 table. kNotFound: no TPM2 table, or one
// without a log area (shorter than 76 bytes, LAML or LASA zero).
struct LogArea {
  uint64_t start = 0;   // LASA
  uint32_t length = 0;  // LAML
};
Result<LogArea> tpm2_log_area(const PhysMem& mem, ByteSpan rsdp);

}  // namespace tlaunch::launcher
