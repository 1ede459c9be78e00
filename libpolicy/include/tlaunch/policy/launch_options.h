// The launcher's command line and the launch configuration it selects: the ONE place where the
// launcher options are interpreted. The launcher parses its Multiboot command line with it at boot;
// `tlaunch predict`, the launch spec (build, check) and `tlaunch doctor` parse the launcher's
// command line (from the user, the spec or grub.cfg) with the same code, and all of them turn the
// options plus the TPM's PCR banks into a launch::Config with make_config(). A rule about options,
// banks or what is extended is therefore written once (launcher/README.md documents the options).
//
// Option names follow tboot's where tboot has the option (tboot common/cmdline.c: logging, loglvl,
// serial, pcr_map, extpol); the rest are this launcher's own. Tokens without '=' (e.g. the image
// path QEMU puts first) are ignored; an option given twice takes its last value (as tboot's
// cmdline parser does); unknown keys and bad values are recorded, never fatal.
//
// Core code: freestanding, no heap.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/sha2.h"

namespace tlaunch::launch {

enum class LogLevel : uint8_t { kNone = 0, kErr = 1, kWarn = 2, kInfo = 3, kDetail = 4, kAll = 5 };

// tboot extpol= (docs/reference/vlp.md §6.1): one algorithm that measures and verifies, or
// embedded (one digest per allocated PCR bank, each with its own algorithm).
enum class ExtPol : uint8_t { kSha256 = 0, kSha384, kSha512, kEmbedded };

// Which TPM 2.0 NV handle set holds the VLP and the error index (tboot's tpm_nv_index_set).
enum class NvIndexSet : uint8_t { kTcg = 0, kLegacy = 1 };

// Bit per option, for LauncherOptions::given (which options the command line set explicitly).
inline constexpr uint32_t kOptLogging = 1u << 0;
inline constexpr uint32_t kOptLoglvl = 1u << 1;
inline constexpr uint32_t kOptSerial = 1u << 2;
inline constexpr uint32_t kOptPcrMap = 1u << 3;
inline constexpr uint32_t kOptNvIndexSet = 1u << 4;
inline constexpr uint32_t kOptExtpol = 1u << 5;
inline constexpr uint32_t kOptShaNi = 1u << 6;
inline constexpr uint32_t kOptErrorIndex = 1u << 7;
inline constexpr uint32_t kOptDebugExit = 1u << 8;
inline constexpr uint32_t kOptAllBanks = 1u << 9;
inline constexpr uint32_t kOptFailClosed = 1u << 10;

struct LauncherOptions {
  bool log_serial = true;           // logging=serial|vga|memory|none (a comma list)
  LogLevel level = LogLevel::kAll;  // loglvl=none|err|warn|info|detail|all (most verbose wins)
  uint16_t serial_port = 0x3F8;     // serial=<baud>[,<fmt>[,<io port>]]
  uint32_t serial_baud = 115200;
  PcrMap pcr_map = PcrMap::kDa;                // pcr_map=da|legacy|loc0
  NvIndexSet nv_index_set = NvIndexSet::kTcg;  // nv_index_set=tcg|1|legacy|0
  ExtPol extpol = ExtPol::kSha256;        // extpol=sha256|sha384|sha512|embedded (agile=sha256)
  Sha256Impl sha256 = Sha256Impl::kAuto;  // sha_ni=auto|on|off
  bool write_error_index = true;          // error_index=on|off
  bool debug_exit = false;                // debug_exit=<io port>|off
  uint16_t debug_exit_port = 0;
  bool all_banks = false;    // all_banks=on|off: with a fixed extpol, measure for every bank too
  bool fail_closed = false;  // fail_closed=on|off: halt instead of an unmeasured launch

  uint32_t given = 0;  // OptionBit of every option the command line set (valid value)
  // Problems found while parsing (the launcher reports them once its console is up).
  size_t num_bad = 0;
  ByteSpan first_bad;  // the first offending token
};

// Parses a launcher command line. Never fails: bad tokens are counted in num_bad.
LauncherOptions parse_launcher_options(ByteSpan cmdline);

// The option keyword of a value, as the launcher accepts it back ("da", "sha384", "tcg").
const char* pcr_map_name(PcrMap m);
const char* extpol_name(ExtPol e);
const char* nv_index_set_name(NvIndexSet s);
// The hash algorithm of a fixed extpol; kNull for embedded.
HashAlg extpol_alg(ExtPol e);

// Whether the launcher can measure into a PCR bank of this algorithm: it hashes with the
// freestanding SHA code (SHA-1, SHA-256/384/512; no SM3). The one bank filter of the project.
bool measurable_bank(HashAlg alg);

// The launch configuration from the options and the PCR banks the TPM has allocated (in the
// TPM's order; `allocated` may contain algorithms the launcher cannot hash, they are skipped):
//  - pcr_map and the policy algorithm (cur_alg) from pcr_map= / extpol=, fail_closed=;
//  - extpol=embedded, or a fixed extpol with all_banks=on: one measurement per allocated bank the
//    launcher can hash, in the TPM's order, at most kMaxBanks (a fixed extpol also measures with
//    cur_alg, launch.h measurement_algs); with embedded and no such bank, SHA-256 alone (the TPM
//    then ignores the digest for a bank it does not have, so the PCRs keep their start values —
//    predict says the same).
// fallback_bank tells that last case apart so that tools can warn about it.
struct ConfigNotes {
  bool fallback_bank = false;
};
Config make_config(const LauncherOptions& opts, const HashAlg* allocated, size_t num_allocated,
                   ConfigNotes* notes = nullptr);

// parse_launcher_options() then make_config(): the configuration the launcher with this command
// line would use on a TPM with these allocated banks. What predict, the launch spec and doctor
// call; *opts receives the parsed options when asked for.
Config config_from_cmdline(ByteSpan cmdline, const HashAlg* allocated, size_t num_allocated,
                           LauncherOptions* opts = nullptr, ConfigNotes* notes = nullptr);

// The measurements the launcher extends for an outcome, in order: all of them when the action is
// continue, none for a halt or an unmeasured launch. The launcher extends exactly these and
// predict_pcrs() replays exactly these.
size_t extended_events(const Outcome& outcome);

}  // namespace tlaunch::launch
