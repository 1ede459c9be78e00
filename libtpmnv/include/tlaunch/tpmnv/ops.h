// NV operations over an NvDevice, written once for `tlaunch nv` and `tlaunch nv provision`:
// preconditions checked before the TPM is asked to change anything, chunking by
// TPM_PT_NV_BUFFER_MAX, read-back verification.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tlaunch/tpmnv/catalogue.h"
#include "tlaunch/tpmnv/device.h"

namespace tlaunch::tpmnv {

// Largest payload of one NV_Write/NV_Read: TPM_PT_NV_BUFFER_MAX, and never more than
// TPM2B_MAX_NV_BUFFER holds (MAX_NV_BUFFER_SIZE = 2048 in tpm2-tss).
uint32_t chunk_size(const TpmLimits& limits);

// [offset, offset + size) cut into pieces of at most `max` bytes: (offset, length) pairs. A
// range that fits one command is one piece (so a TPM never holds half a small policy).
std::vector<std::pair<uint32_t, uint32_t>> chunks(uint32_t offset, size_t size, uint32_t max);

// The index's public area, or kNotFound "NV index 0x... (vlp) is not defined".
host::Expected<NvPublic> require_index(NvDevice& dev, const Target& target);

// Why `size` bytes at `offset` cannot be written to the index (before any TPM write):
// too large (kTooLarge), write-locked (kConflict), not an ordinary index (kUnsupported), no
// write authorization (kBadValue).
host::HostStatus check_writable(const Target& target, const NvPublic& pub, uint32_t offset,
                                size_t size);

struct WriteOptions {
  uint32_t offset = 0;
  bool verify = true;
  // Current content of [offset, offset + data.size) if known: chunks that already hold the
  // wanted bytes are not written again (repairing an interrupted multi-chunk write).
  const Bytes* existing = nullptr;
  // When two or more NV_Write commands are needed from offset 0: clear byte 0 first and write the
  // head chunk last, so that an interrupted write never leaves a mix of old and new content that
  // decodes as a third policy (a VLP is invalid with version byte 0). Off: plain ascending order.
  bool head_last = true;
};

struct WriteResult {
  size_t bytes = 0;         // bytes written
  size_t commands = 0;      // NV_Write commands issued
  size_t skipped = 0;       // chunks already correct
  bool head_last = false;   // the torn-write-safe order was used (WriteOptions::head_last)
  uint32_t chunk = 0;       // chunk size used
  bool verified = false;    // read back and compared equal
  std::string verify_note;  // why verification was skipped, if it was
};

// Checks, writes in chunks, reads back and compares (kVerifyFailed on a difference).
host::Expected<WriteResult> write_index(NvDevice& dev, const Target& target, const NvPublic& pub,
                                        ByteSpan data, const WriteOptions& options);

// Reads [offset, offset + size) (size: to the end of the index when nullopt) in chunks.
// kNotFound-free: the caller has the public area. An index never written: kBadValue.
host::Expected<Bytes> read_index(NvDevice& dev, const Target& target, const NvPublic& pub,
                                 uint32_t offset, std::optional<size_t> size);

}  // namespace tlaunch::tpmnv
