// What tboot does with TPM NV at launch, over the Transport seam (freestanding; used by the
// launcher, unit-tested with a fake TPM): read the VLP index the way read_policy_from_tpm() and
// check_index_attribute() do (docs/reference/vlp.md §5.1–§5.2, docs/reference/nv.md §2.2/§4), and
// record the launch error in the error index (docs/reference/vlp.md §7.4).
#pragma once

#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/tpmnv/core/commands.h"

namespace tlaunch::tpm {

// TPM 2.0 handle sets (docs/reference/nv.md §2): the TCG set (SINIT tpm_nv_index_set = 1) and the
// older Intel set.
inline constexpr uint32_t kVlpIndexTcg = 0x01C10131;
inline constexpr uint32_t kErrIndexTcg = 0x01C10132;
inline constexpr uint32_t kVlpIndexLegacy = 0x01200001;
inline constexpr uint32_t kErrIndexLegacy = 0x01200002;
// The VLP and error index of a handle set (the launcher's nv_index_set= option).
constexpr uint32_t vlp_index(launch::NvIndexSet s) {
  return s == launch::NvIndexSet::kLegacy ? kVlpIndexLegacy : kVlpIndexTcg;
}
constexpr uint32_t error_index(launch::NvIndexSet s) {
  return s == launch::NvIndexSet::kLegacy ? kErrIndexLegacy : kErrIndexTcg;
}
// tboot reads policy NV in 256-byte chunks (tboot/common/policy.c read_policy_from_tpm).
inline constexpr uint16_t kVlpReadChunk = 256;

struct VlpRead {
  launch::PolicySource source = launch::PolicySource::kNvAbsent;
  size_t size = 0;           // bytes read into the buffer (kNvRead)
  bool have_public = false;  // NV_ReadPublic answered
  NvPublic pub;              // its answer
  bool capped = false;       // the index is larger than the buffer: only the first bytes were read
  size_t chunks = 0;         // NV_Read transfers that returned data
  Error error;               // the TPM/transport error behind kNvAbsent / kNvUnreadable
};

// NV_ReadPublic for the size (capped at buf.size, like tboot's 2124-byte buffer), then NV_Read
// in 256-byte chunks with authHandle = the index and an empty password; a failing or empty chunk
// ends the loop, and at least one byte makes the read a success (a partial read is handed to the
// validator as is, as tboot does). Then the PPWRITE check: an index with TPMA_NV_PPWRITE is
// refused (kNvPpWrite). An undefined index (TPM_RC_HANDLE) is kNvAbsent.
VlpRead read_vlp(Transport& t, uint32_t index, MutableByteSpan buf);

// The launcher's read: the VLP index of the handle set `preferred` (nv_index_set=), and when that
// index is not defined, the other set's. The option chooses a set, it cannot hide the owner's
// policy: a policy in the other set is in force (issue 16 item 7). *index_used receives the
// index the result is from.
VlpRead read_vlp_either_set(Transport& t, launch::NvIndexSet preferred, MutableByteSpan buf,
                            uint32_t* index_used);

// Writes `value` as 4 bytes little-endian at offset 0 of the error index (tb_error.c
// write_tb_error_code; authHandle = the index, empty password). *defined tells whether the index
// exists; an absent index is not an error (nothing is written), one smaller than 4 bytes is.
Status write_error_index(Transport& t, uint32_t index, uint32_t value, bool* defined);

}  // namespace tlaunch::tpm
