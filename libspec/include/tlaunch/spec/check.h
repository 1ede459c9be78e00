// Does the installed launch policy accept what the machine would boot? `tlaunch doctor` reads
// the VLP from NV and passes it here with the machine's grub.cfg and /boot; for every menu entry
// that starts a multiboot2 launcher this hashes the modules as GRUB would load them and runs the
// launcher's own decision code (libpolicy launch.h) over them. A module that would fail is
// explained with the reference manifest of the installed build (reference.json of `tlaunch
// apply`): its file changed (digest mismatch), its command line changed (with a word diff), or
// both.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch.h"

namespace tlaunch::host::spec {

struct BootCheckInput {
  std::string grub_cfg;  // path of grub.cfg
  // Host directory that holds what GRUB's root device holds: a GRUB path /x is looked up at
  // root + /x, then (a separate /boot partition) at root + /boot/x.
  std::string root = "/";
  // The VLP as the launcher would read it (already capped at 2124 bytes), or the reason there
  // is none (index absent, unreadable, PPWRITE).
  launch::PolicySource source = launch::PolicySource::kNvAbsent;
  Bytes policy;
  // reference.json of the installed build, if known (null otherwise).
  nlohmann::json reference;
  // The TPM's allocated PCR banks (with extpol=embedded the launcher measures for each).
  std::vector<HashAlg> banks{HashAlg::kSha256};
};

struct ModuleCheck {
  size_t index = 0;  // VLP module number
  size_t line = 0;   // grub.cfg line of its module2 command
  std::string grub_path;
  std::string host_path;  // "" when not found
  std::string cmdline;    // as GRUB hands it over
  bool nounzip = false;
  // ok: verified (or the entry accepts any image); missing-file; unreadable; not-in-policy (no
  // VLP entry covers it); digest-mismatch; cmdline-differs; digest-and-cmdline; mismatch (no
  // reference to tell which).
  std::string status;
  std::string reason;       // in words
  int policy_entry = -1;    // VLP entry that covers it
  std::string measurement;  // H(H(cmdline) || H(loaded)) in the launcher's algorithm, hex
  std::string loaded_digest;
  uint64_t loaded_size = 0;
  // From the reference manifest, when it has this module:
  std::string expected_cmdline;
  std::string expected_loaded_digest;
  std::vector<std::string> cmdline_diff;  // " word", "-word", "+word"
};

struct EntryCheck {
  size_t line = 0;
  std::string title;
  std::vector<std::string> submenus;
  std::string launcher;  // multiboot2 path
  std::string launcher_cmdline;
  std::vector<ModuleCheck> modules;  // measured modules, in VLP order
  // SINIT ACMs and LCP data files tboot and the tlaunch launcher remove before numbering
  // modules (tboot's module layout, libpolicy txt_modules.h): "sinit PATH", "lcp-data PATH".
  std::vector<std::string> skipped;
  std::vector<std::string> unresolved;  // GRUB variables used in its module lines
  // The launcher's decision for this entry (launch::evaluate with the real policy).
  std::string verdict;  // pass | fail
  std::string error;    // TB_ERR_*
  std::string action;   // continue | unmeasured | halt
};

struct BootCheck {
  std::string policy_state;  // "nv" (valid policy read), "default" (absent/invalid: default policy)
  std::string policy_note;   // why the default policy is in force, if it is
  bool reference_known = false;
  bool reference_matches = false;  // reference.json describes the policy in NV
  std::vector<EntryCheck> entries;
  std::vector<std::string> notes;  // e.g. spec entries missing from grub.cfg
  bool ok() const;
};

// Errors only for an unreadable grub.cfg (kIo) or one GRUB could not parse (kBadValue);
// everything about the modules is a finding in the result.
Expected<BootCheck> check_boot(const BootCheckInput& in);

nlohmann::json boot_check_json(const BootCheck& c);

// Word-level difference of two command lines (LCS over blank-separated words): " w" kept,
// "-w" only in `expected`, "+w" only in `actual`.
std::vector<std::string> word_diff(const std::string& expected, const std::string& actual);

}  // namespace tlaunch::host::spec
