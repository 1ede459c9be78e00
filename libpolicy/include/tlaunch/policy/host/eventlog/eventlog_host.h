// Host side of the TCG event log (`tlaunch log`, man/tlaunch-log.1): a log loaded and decoded as a
// whole, replayed per bank, rendered as text, JSON (schemas/log.v1.schema.json) and TCG Canonical
// Event Log JSON, and compared with the reference manifest of `tlaunch build` (reference.json).
// Decoding is eventlog.h's core reader; this adds ownership, names and comparisons.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/eventlog.h"
#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/launch_log.h"

namespace tlaunch::host::log {

// A decoded log. Views (event data, vendor info) point into *bytes, which the log shares.
struct Log {
  std::string source;  // where it came from, as the user named it
  std::shared_ptr<const Bytes> bytes;
  eventlog::SpecId spec;
  size_t header_size = 0;
  size_t end = 0;  // where the events end (the rest is zero bytes)
  std::vector<eventlog::Event> events;

  size_t launcher_events() const;  // events with the launcher's event data
};

// Decodes a crypto-agile log. Errors name the source, the field and the byte offset (kBadValue,
// kTruncated, kUnsupported: exit 3 / 9).
Expected<Log> parse_log(Bytes bytes, const std::string& source);
Expected<Log> load_log(const std::string& path);

// ---- where a running system keeps logs (under `root`, "/" normally)
inline constexpr const char* kFirmwareLogPath =
    "/sys/kernel/security/tpm0/binary_bios_measurements";
inline constexpr const char* kSetupDataDir = "/sys/kernel/boot_params/setup_data";
// The setup_data entry that holds the launcher's log (its `type` file reads 0x474f4c54), or "".
std::string find_setup_data_log(const std::string& root);

// ---- replay
// PCR values after extending every event (EV_NO_ACTION excepted) in order, per declared bank.
// Start values: zero; PCR 0 takes the locality of a StartupLocality event (PFP §10.4.5.3);
// PCRs 17–22 start at all ones unless `start` is kZero (a DRTM reset them; launch.h).
struct Replayed {
  uint32_t pcr = 0;
  Digest value;
  size_t extends = 0;
};
struct Replay {
  std::vector<Replayed> values;  // sorted by PCR, then declared bank order; extended PCRs only
  const Replayed* find(uint32_t pcr, HashAlg bank) const;
};
Expected<Replay> replay(const Log& log, launch::PcrStart start,
                        std::optional<size_t> events_limit = std::nullopt);
// The start value replay() uses for one PCR of the log.
Digest start_value(const Log& log, uint32_t pcr, HashAlg bank, launch::PcrStart start);
// The values one PCR takes in one bank: [start, after its 1st event, ..., after its last].
Expected<std::vector<Digest>> pcr_history(const Log& log, uint32_t pcr, HashAlg bank,
                                          launch::PcrStart start);

// ---- renderings
std::string alg_name(uint16_t alg);    // "sha256", else "0x0012"
std::string type_name(uint32_t type);  // EV_... or 0x...
nlohmann::json log_json(const Log& log);
std::string log_text(const Log& log);
nlohmann::json replay_json(const Log& log, const Replay& r, launch::PcrStart start);
std::string replay_text(const Log& log, const Replay& r, launch::PcrStart start);
// TCG Canonical Event Log, JSON encoding (TCG CEL v1.0 §5; the shape systemd-pcrlock prints):
// [{"recnum", "pcr", "digests": [{"hashAlg", "digest"}], "content_type": "pcclient_std",
//   "content": {"event_type", "event_data"}}], one record per TCG_PCR_EVENT2.
nlohmann::json cel_json(const Log& log);

// ---- comparison with reference.json (schemas/reference.v1.schema.json)
struct Mismatch {
  size_t event = 0;  // index in log.events of the first event that differs (or where one
                     // is missing: log.events.size() when the log ends early)
  std::string what;  // one paragraph: what differs and what was expected
};
struct ReferenceCheck {
  std::string entry;                 // the boot entry compared with ("0: Debian")
  size_t compared = 0;               // launcher events compared
  std::vector<Mismatch> mismatches;  // the first difference only, or empty
  nlohmann::json json;               // the same as JSON (for --json)
};
// Compares the launcher's events in the log with the events a boot entry of reference.json
// expects (in order: PCR, kind, module, command line, image digest, every digest), and checks that
// each launcher event's data describes its digests. `entry` selects an entry by index, id or
// title; empty: the only entry, else the entry that matches, else the one that matches longest.
Expected<ReferenceCheck> check_reference(const Log& log, const nlohmann::json& reference,
                                         const std::string& reference_name,
                                         const std::string& entry, Hasher& h);

// Keylime `tpm_policy` (keylime/tpm/tpm_util.py readPolicy): {"17": [hex, ...], ...}: for each PCR
// the launch extends, its expected value in every bank the launch extends it in, for every boot
// entry of reference.json (or the one `entry` names). A bank the launch leaves at its start value
// is left out — listing all-ones would let a boot without the launcher pass — and named in *notes.
Expected<nlohmann::json> keylime_tpm_policy(const nlohmann::json& reference, launch::PcrStart start,
                                            const std::string& entry,
                                            std::vector<std::string>* notes);

}  // namespace tlaunch::host::log
