// The launch decision of tboot's verified launch, shared by the launcher (which enforces it) and
// `tlaunch predict` (which computes the same result offline). One copy of the rules (sections of
// docs/reference/vlp.md):
//   * which policy is in force (NV policy, else the built-in default; §5),
//   * the ordered list of measurements ("VL entries") and their PCRs (§6.2–§6.4),
//   * per-module verification against the policy (§6.2),
//   * the error of each step and the action the policy in force takes for it (§7).
// Sources: tboot/common/policy.c (set_policy, verify_g_policy, verify_module, verify_all_modules,
// apply_policy, evaluate_error) and tboot/common/tboot.c (begin_launch order of checks).
// Core code: no heap, fixed capacities, errors as values.
#pragma once

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::launch {

inline constexpr size_t kMaxBanks = 4;       // measurement algorithms per event
inline constexpr size_t kMaxVlEntries = 32;  // tboot MAX_VL_HASHES: later entries are dropped
// The VL entries plus the launcher's own command-line event, which is not one of tboot's.
inline constexpr size_t kMaxEvents = kMaxVlEntries + 1;
inline constexpr size_t kMaxModules = 128;  // module indices a policy can name (0..127)
inline constexpr size_t kMaxSteps = kMaxModules + 5;

// PCR mapping (docs/reference/vlp.md §6.4). TPM 2.0 always uses DA; legacy is tboot's TPM 1.2
// default. loc0 is this launcher's own: the DA mapping with the DRTM PCRs 17-22, which only
// localities 1-4 may extend, moved to static-OS PCRs locality 0 may extend, right after the
// firmware's (0-7), GRUB's (8, 9) and IMA's (10): 17 -> 11, 18 -> 12, 19-22 -> 13 (map_pcr). For
// platforms without a measured launch, where software gets locality 0 only (launcher/README.md "PCR
// mappings").
enum class PcrMap : uint8_t { kDa = 0, kLegacy = 1, kLoc0 = 2 };

// The PCR an event for `pcr` (a DA/legacy PCR, as tboot and policy entries name them) goes to.
uint8_t map_pcr(PcrMap map, uint8_t pcr);
// The lowest locality that may extend `pcr` (PC Client PTP: 17-19 and 21-22 need locality 2,
// 20 locality 1, 0-16 and 23 any; docs/reference/tpm-interfaces.md §1).
uint8_t pcr_extend_locality(uint8_t pcr);

// tboot's `extpol=` (docs/reference/vlp.md §6.1): a fixed algorithm (cur_alg; modules are verified
// against the policy) or "embedded" (one digest per PCR bank, each with its own algorithm; tboot
// verifies nothing then — this launcher still verifies under a halt or continue policy, item 7 of
// issue 16). all_banks (launcher option, not tboot's): with a fixed extpol, every allocated bank
// the launcher can hash gets its own digest of the same data; verification still uses cur_alg.
// fail_closed (launcher option): an unmeasured launch becomes a halt.
struct Config {
  PcrMap pcr_map = PcrMap::kDa;
  bool embedded = false;
  bool all_banks = false;
  bool fail_closed = false;
  HashAlg cur_alg = HashAlg::kSha256;
  // With embedded or all_banks: the PCR banks to measure for (the TPM's allocated banks the
  // launcher can hash, in the TPM's order).
  size_t num_banks = 0;
  HashAlg banks[kMaxBanks] = {};
};

// The algorithms every module image must be hashed with under `config`, in event digest order:
// {cur_alg} for a fixed extpol; cur_alg then the other banks with all_banks; the banks for
// embedded, then cur_alg if no bank has it (the digest modules are verified with). Returns the
// count.
size_t measurement_algs(const Config& config, HashAlg out[kMaxBanks]);

// Where the VLP came from, as seen by the caller that talked to the TPM (docs/reference/vlp.md
// §5.1–§5.2).
enum class PolicySource : uint8_t {
  kNvRead = 0,    // `bytes` = what NV_Read returned (capped at 2124 bytes like tboot)
  kNvAbsent,      // the index is not defined
  kNvUnreadable,  // NV_ReadPublic / NV_Read failed or returned 0 bytes
  kNvPpWrite,     // the index has TPMA_NV_PPWRITE: refused (docs/reference/nv.md §4
                  // check_index_attribute)
  kTpmNotReady,   // no usable TPM: TB_ERR_TPM_NOT_READY before any policy is read
};
const char* policy_source_name(PolicySource s);

struct ModuleInput {
  ByteSpan cmdline;  // the module's string exactly as the loader passed it, without its NUL
  size_t num_digests = 0;
  Digest image[kMaxBanks];  // H(image bytes as loaded), one per measurement_algs() entry
};

struct Input {
  PolicySource source = PolicySource::kNvAbsent;
  ByteSpan policy_bytes;  // for kNvRead
  // The launcher's own command line (Multiboot command line, without its NUL): measured as the
  // first event, H_bank(cmdline) into PCR 17 (mapped), so that an edit of the launcher's line in
  // grub.cfg shows in the PCRs. The launcher always passes it, and so must every tool that
  // predicts its PCRs; only tests of tboot's own rules leave it out.
  bool has_launcher_cmdline = false;
  ByteSpan launcher_cmdline;
  // The highest TPM locality the launcher holds (2 when it got the locality tboot extends at;
  // 0 on a platform that gives software locality 0 only). Events for PCRs that need more cannot be
  // recorded: TB_ERR_TPM_NOT_READY under the policy in force (StepKind::kLocality).
  uint8_t tpm_locality = 2;
  // tboot verify_loader_context(): false if the boot information was malformed, had no module,
  // or a module ended before it started. Gives TB_ERR_FATAL.
  bool loader_ok = true;
  const ModuleInput* modules = nullptr;
  size_t num_modules = 0;
};

enum class EventKind : uint8_t {
  kPolicyControl = 0,
  kModule0 = 1,
  kModule = 2,
  kLauncherCmdline = 3
};
const char* event_kind_name(EventKind k);

// One VL entry: what is extended into which PCR (one digest per measurement algorithm).
struct Event {
  uint8_t pcr = 0;
  EventKind kind = EventKind::kModule;
  uint8_t module = 0;  // for kModule0 / kModule
  int16_t entry = -1;  // policy entry that placed it (kModule), else -1
  size_t num_digests = 0;
  Digest digests[kMaxBanks];
};

// One apply_policy() call of tboot: a check, its error and the resulting action. kLocality is the
// launcher's own last check: every event's PCR can be extended at the locality it holds.
enum class StepKind : uint8_t { kTpm = 0, kPolicy, kLoader, kModule0, kModule, kLocality };
const char* step_kind_name(StepKind k);

struct Step {
  StepKind kind = StepKind::kPolicy;
  uint16_t module = 0;    // kModule0 / kModule
  int16_t entry = -1;     // matching policy entry (kModule), -1 if none
  int16_t matched = -1;   // index of the matching hash in the entry, -1 if none/ANY
  bool verified = false;  // the module was checked against the entry (IMAGE, not skipped)
  uint8_t pcr = 0;        // kLocality: the first event PCR the held locality cannot extend
  vlp::TbError error = vlp::TbError::kNone;
  vlp::Action action = vlp::Action::kContinue;
};

struct Outcome {
  vlp::Policy policy;  // the policy in force at the end
  bool policy_from_nv = false;
  Error policy_error;  // why the NV policy was not used (decode error), if it was read
  size_t num_events = 0;
  Event events[kMaxEvents];
  size_t dropped_events = 0;  // VL entries beyond kMaxVlEntries (tboot drops them, warning)
  size_t num_steps = 0;
  Step steps[kMaxSteps];
  // The result: if a step's action is not continue, processing stops there and that step's
  // error/action are the result; otherwise the action is continue and the error is the first
  // non-NONE error of any step (TB_ERR_NONE when everything verified).
  vlp::TbError error = vlp::TbError::kNone;
  vlp::Action action = vlp::Action::kContinue;
  bool pass() const { return error == vlp::TbError::kNone; }
};

// Runs the launch decision. Returns an error only for misuse (unsupported algorithm in config,
// a module without the image digests measurement_algs() asks for); every policy outcome, good or
// bad, is a successful return with the verdict in *out.
Status evaluate(Hasher& h, const Config& config, const Input& input, Outcome* out);

// PCR prediction: the values of every PCR an event touches, in each of `banks`, after the
// launcher extended what it extends (launch_options.h extended_events(): every event when the
// action is continue, none otherwise), in order. Events carry digests only for their measurement
// algorithms; a bank with no digest in an event is not extended by it (tboot's fixed extpol
// extends one bank).
// Start: PCRs 17–22 start at all 0xFF when there was no DRTM (QEMU: locality 4 never resets them,
// docs/reference/boot-lab.md §4), at zero after a DRTM reset; all other PCRs start at zero.
enum class PcrStart : uint8_t { kAllOnes = 0, kZero = 1 };
inline constexpr size_t kMaxPcrValues = 24 * kMaxBanks;
struct PcrValue {
  uint8_t pcr = 0;
  Digest value;
  size_t extends = 0;  // how many events extended this PCR in this bank
};
struct PcrValues {
  size_t count = 0;
  PcrValue values[kMaxPcrValues];  // sorted by PCR, then bank order
};
Digest pcr_start_value(uint8_t pcr, HashAlg bank, PcrStart start);
Status predict_pcrs(Hasher& h, const Outcome& outcome, const HashAlg* banks, size_t num_banks,
                    PcrStart start, PcrValues* out);

}  // namespace tlaunch::launch
