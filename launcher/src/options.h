// The launcher's command line (the Multiboot command line of the image). Option names follow
// tboot's where tboot has the option (tboot/common/cmdline.c: logging, loglvl, serial, pcr_map,
// extpol); the rest are this launcher's own. Tokens without '=' (e.g. the image path QEMU puts
// first) are ignored; unknown keys and bad values are reported, never fatal.
#pragma once

#include "tlaunch/policy/base.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/sha2.h"

namespace tlaunch::launcher {

enum class Level : uint8_t { kNone = 0, kErr = 1, kWarn = 2, kInfo = 3, kDetail = 4, kAll = 5 };

struct Options {
  bool log_serial = true;        // logging=serial|none (vga and memory are accepted, not used)
  Level level = Level::kAll;     // loglvl=none|err|warn|info|detail|all
  uint16_t serial_port = 0x3F8;  // serial=<baud>[,<fmt>[,<io port>]]
  uint32_t serial_baud = 115200;
  launch::PcrMap pcr_map = launch::PcrMap::kDa;  // pcr_map=da|legacy
  bool legacy_nv = false;                        // nv_index_set=tcg|legacy
  bool embedded = false;                         // extpol=sha256|sha384|sha512|embedded|agile
  HashAlg cur_alg = HashAlg::kSha256;
  Sha256Impl sha256 = Sha256Impl::kAuto;  // sha_ni=auto|off
  bool write_error_index = true;          // error_index=on|off
  bool debug_exit = false;                // debug_exit=<io port>|off
  uint16_t debug_exit_port = 0;
  // Problems found while parsing (reported once the console is up).
  size_t num_bad = 0;
  ByteSpan first_bad;  // the first offending token
};

Options parse_options(ByteSpan cmdline);

}  // namespace tlaunch::launcher
