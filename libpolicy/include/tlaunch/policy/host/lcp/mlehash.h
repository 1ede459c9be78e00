// The MLE measurement lcp2_mlehash computes (docs/reference/lcp.md §11; upstream
// lcptools-v2/mlehash.c, include/mle.h): the file (gzip or plain) is read, its ELF32 PT_LOAD
// segments are expanded back to back from offset 0 (docs/reference/upstream-quirks.md#q50: p_paddr
// is ignored for placement, which is what the upstream tool and the golden vectors do), the MLE
// header is found by its UUID at a 16-byte aligned offset, an optional command line is written into
// the header's command line area, and H(image[MleStartOff .. MleEndOff)) is the result.
//
// Unlike upstream every offset and size is bounds-checked (docs/reference/upstream-quirks.md#q52: a
// truncated ELF is an error, not a random hash), a truncated or corrupt gzip stream is an error,
// and a command line longer than the area is truncated the way tboot truncates it at boot
// (docs/reference/upstream-quirks.md#q53).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::lcp::host {

using Bytes = std::vector<uint8_t>;

// MLE_HDR_UUID (include/mle.h): bytes 5a ac 82 90 6f 47 a7 74 0f 5c 55 a2 cb 51 b6 42.
inline constexpr Uuid kMleHeaderUuid = {
    0x9082ac5a, 0x476f, 0x74a7, 0x5c0f, {0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42}};
inline constexpr size_t kMleHeaderSize = 52;  // mle_hdr_t
// safestringlib RSIZE_MAX_MEM: upstream's copies fail beyond 256 MiB, so no image it can hash
// expands to more; we refuse such images instead of allocating them.
inline constexpr size_t kMaxExpandedImage = 256u << 20;

// mle_hdr_t, all fields little-endian (include/mle.h; Intel TXT MLE Developer's Guide, "MLE
// Header").
struct MleHeader {
  uint32_t image_offset = 0;  // where the header was found in the expanded image
  uint32_t length = 0;
  uint32_t version = 0;
  uint32_t entry_point = 0;
  uint32_t first_valid_page = 0;
  uint32_t mle_start_off = 0;
  uint32_t mle_end_off = 0;
  uint32_t capabilities = 0;
  uint32_t cmdline_start_off = 0;
  uint32_t cmdline_end_off = 0;
};

struct MleImage {
  Bytes image;  // PT_LOAD segments packed back to back (file bytes, then zeros up to p_memsz)
  MleHeader header;
};

// Reads the file, decompressing gzip (all members; trailing non-gzip bytes after a member are
// ignored as zlib's gzread does). Failures: kNotFound/kIo (file), kTruncated/kBadValue (gzip).
tlaunch::host::Expected<Bytes> read_mle_file(const std::string& path);

// Checks the ELF header as upstream's is_elf_image() does, expands the PT_LOAD segments and
// finds and validates the MLE header. `context` names the file in messages.
tlaunch::host::Expected<MleImage> expand_mle_image(const Bytes& file, const std::string& context);

struct MleHashResult {
  Digest digest;
  bool cmdline_truncated =
      false;  // the command line did not fit and was cut (docs/reference/upstream-quirks.md#q53)
  size_t cmdline_area = 0;  // CmdlineEndOff - CmdlineStartOff
};

// H(image[MleStartOff .. MleEndOff)) after writing `cmdline` into the command line area:
// the area [CmdlineStartOff, CmdlineEndOff) is zero-filled and the string copied to its start,
// followed by a NUL if it fits. Given no cmdline, the area is hashed as it is in the file
// (upstream: an empty --cmdline "" still zero-fills). If the area is empty the cmdline is ignored.
// A string longer than the area keeps its first (End - Start) characters: tboot zero-fills its
// CMDLINE_SIZE buffer and copies at most CMDLINE_SIZE - 1 = End - Start characters (tboot
// common/tboot.c, txt/txt.c).
tlaunch::host::Expected<MleHashResult> mle_hash(MleImage image, HashAlg alg,
                                                const std::optional<std::string>& cmdline);

// The digest as lcp2_mlehash prints it (hash.c print_hash()): lowercase hex bytes separated by
// single spaces, then "\n" — one line of a hash file.
std::string mle_hash_line(const Digest& d);

}  // namespace tlaunch::lcp::host
