// The launcher's events in the TCG event log: one TCG_PCR_EVENT2 per launch::Event it extends,
// with exactly the digests it extends (docs/reference/eventlog.md §3–§4). The launcher calls
// log_launch_event() right after each PCR_Extend; `tlaunch predict --log` and the unit tests call
// the same code on the host, so the log the launcher writes can be predicted byte for byte.
//
// Event type: EVTTYPE_TB_MEASUREMENT (0x501), what tboot uses for the same measurements. tboot
// writes no event data; ours says what was measured, so that the log alone tells which module and
// which command line produced a PCR value and a verifier can recompute every digest from it:
//
//   offset size  field (little-endian)
//   0      8     signature "tlaunch\0"
//   8      1     version = 1
//   9      1     kind: 0 policy control, 1 module 0 (always measured), 2 module per policy entry,
//                  3 the launcher's own command line (its first event)
//   10     2     module index (0 for the policy control and command-line events)
//   12     2     policy entry that placed the event, 0xFFFF for none
//   14     1     flags: bit 0 = the policy in force came from NV (policy control event)
//   15     1     n: number of component digests (1..4; 0 for the command-line event)
//   16     4     value: policy_control (policy control event), else 0
//   20     n ×   component digest: algorithm id (2 bytes), digest (its size)
//                  policy control: P = H_cur(policy) or zeros (vlp.md §6.3), one digest
//                  module: H_alg(image as loaded), one per measurement algorithm
//   ..     4     text size
//   ..           text: the module's command line exactly as hashed (modules), the launcher's
//                  command line (command-line event), else empty
//
// Consistency (check_launch_event): policy control digest[b] = H_b(value || P); module
// digest[b] = H_b(H_b(text) || component[b]) — the formulas of measure.h; command line
// digest[b] = H_b(text).
#pragma once

#include "tlaunch/policy/eventlog.h"
#include "tlaunch/policy/launch.h"

namespace tlaunch::launch {

inline constexpr uint8_t kEventDataVersion = 1;
inline constexpr size_t kEventDataSignatureSize = 8;
extern const uint8_t kEventDataSignature[kEventDataSignatureSize];
// Event data without the text: header, the largest component list, the text size.
inline constexpr size_t kEventDataFixedMax = 20 + kMaxBanks * (2 + kMaxDigestSize) + 4;
inline constexpr uint16_t kNoEntry = 0xFFFF;
// The type of the Linux setup_data entry (boot protocol, struct setup_data) in which the launcher
// hands its own log to Linux: "TLOG" read as a little-endian u32. Linux keeps the entry reserved
// and shows it as /sys/kernel/boot_params/setup_data/<n>/{type,data} (docs/attestation.md).
inline constexpr uint32_t kSetupDataType = 0x474F4C54;

// What the launcher writes for one event.
struct LogRecord {
  uint32_t pcr = 0;
  uint32_t type = eventlog::kEvTbMeasurement;
  const Digest* digests = nullptr;  // the launch::Event's own digests: what is extended
  size_t num_digests = 0;
  ByteSpan data;  // in the caller's buffer
};

// The record of outcome.events[index]. `input` is the input the outcome was evaluated from
// (module command lines and image digests); the event data is encoded into data_buf, which needs
// kEventDataFixedMax bytes plus the module's command line.
Result<LogRecord> launch_record(Hasher& h, const Config& config, const Input& input,
                                const Outcome& outcome, size_t index, MutableByteSpan data_buf);

// launch_record() appended to `log`. The launcher calls it after extending the event.
Status log_launch_event(eventlog::Writer& log, Hasher& h, const Config& config, const Input& input,
                        const Outcome& outcome, size_t index, MutableByteSpan data_buf);

// Bytes the records of the outcome's extended events (launch::extended_events()) take in `log`:
// what a log area must have room for before the launcher appends anything to it.
Result<size_t> launch_events_size(const eventlog::Writer& log, Hasher& h, const Config& config,
                                  const Input& input, const Outcome& outcome,
                                  MutableByteSpan data_buf);

// A new log for a launcher that decided with `config`: its Spec ID event declares the
// measurement algorithms (measurement_algs(), in that order), the banks every event extends.
Result<eventlog::Writer> create_launch_log(MutableByteSpan buf, const Config& config);

// Whether an existing log (a firmware's) can take the launcher's events: it declares exactly the
// measurement algorithms, no more and no fewer (every event must carry a digest for each declared
// algorithm, and the launcher extends only these banks).
bool log_takes_launch_events(const eventlog::SpecId& spec, const Config& config);

// Decoded event data.
struct LaunchEventData {
  EventKind kind = EventKind::kModule;
  uint16_t module = 0;
  uint16_t entry = kNoEntry;
  bool policy_from_nv = false;
  uint32_t value = 0;
  size_t num_components = 0;
  Digest components[kMaxBanks];
  ByteSpan text;

  const Digest* component(HashAlg alg) const;
};

// Encodes event data (the layout above) into `out`; kTooLarge when it does not fit.
Result<ByteSpan> encode_launch_data(const LaunchEventData& data, MutableByteSpan out);
// True when the data starts with the launcher's signature (an event the launcher wrote, or one
// that claims to be).
bool is_launch_data(ByteSpan data);
// Decodes event data; error offsets are `base` (the data's offset in the log) plus the position.
Result<LaunchEventData> decode_launch_data(ByteSpan data, uint32_t base = 0);
// Recomputes every digest of the event from its data; kVerifyFailed (value = the algorithm) when
// one differs: the data does not describe what was extended.
Status check_launch_event(Hasher& h, const eventlog::Event& event, const LaunchEventData& data);

}  // namespace tlaunch::launch
