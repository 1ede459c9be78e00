// grub.cfg for a launch spec: writing the menu entries (`tlaunch build`, `tlaunch grub`) and
// reading them back (`tlaunch doctor`), with GRUB 2.06's quoting rules so that the command line a
// module gets at boot is byte for byte the one the policy was built from.
//
// GRUB facts (grub-2.06, files under grub-core/):
//  * script/yylex.l: words are separated by blanks; inside '...' every byte is literal; inside
//    "..." only \\ \" \$ and \<newline> are escapes and $var is expanded; outside quotes \x is x
//    and \<newline> continues the line; # starts a comment at the beginning of a word.
//  * loader/multiboot.c grub_cmd_module() / loader/multiboot_mbi2.c grub_multiboot_add_module():
//    a module's string is argv[1..] (the arguments after the file name) joined with one space;
//    grub_cmd_multiboot() does the same for the kernel (our launcher): "Skip filename".
//  * `module2 --nounzip` opens the file without the decompression filters (gzio, xzio, lzopio).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

// One argument written so that GRUB's parser yields exactly `word` (plain when it is made of
// characters GRUB never treats specially, else single-quoted with '\'' for a quote).
std::string grub_quote_word(const std::string& word);

// Arguments for grub.cfg such that module2/multiboot2 hand over exactly `cmdline`: words joined
// by single blanks are written word by word (each quoted as needed); a command line GRUB could
// not rebuild from words (empty words: leading, trailing or repeated blanks, TABs) is written as
// one single-quoted argument, which GRUB passes through unchanged.
std::string grub_cmdline_args(const std::string& cmdline);

// Which decompression modules GRUB needs for the files it decompresses (gzio, xzio, lzopio):
// GRUB only decompresses what a loaded filter recognises, so the entry loads them explicitly.
struct GrubRenderInputs {
  std::vector<std::string> decompressors;  // sorted, e.g. {"gzio"}
};

// The grub.cfg fragment for the spec: a header comment, then one menuentry per boot entry (in a
// submenu when grub.submenu is set), in the style of tboot's 20_linux_tboot.
std::string render_grub_cfg(const LaunchSpec& spec, const GrubRenderInputs& inputs);

// ----------------------------------------------------------------------------------- reading

// A multiboot2/module2 command of a menu entry, as GRUB would execute it.
struct GrubLoad {
  size_t line = 0;                      // 1-based line of the command in the file
  std::string command;                  // "multiboot2" or "module2"
  bool nounzip = false;                 // module2 --nounzip
  std::string path;                     // the file argument
  std::string cmdline;                  // what the loaded image gets: the arguments joined by ' '
  std::vector<std::string> unresolved;  // variables used but not set in the file ($vt_handoff)
};

struct GrubMenuEntry {
  size_t line = 0;
  std::string title;
  std::vector<std::string> submenus;  // enclosing submenu titles, outermost first
  std::optional<GrubLoad> multiboot2;
  std::vector<GrubLoad> modules;  // module2 commands in order
  bool has_linux = false;         // a plain `linux` entry (not a multiboot launch)
};

// Reads every menuentry of a grub.cfg. Variables set with `set name=value` (or name=value)
// before use are substituted; others are listed in GrubLoad::unresolved and expand to "". Fails
// (kBadValue, with the line) on unterminated quotes or unbalanced braces.
Expected<std::vector<GrubMenuEntry>> parse_grub_cfg(const std::string& text,
                                                    const std::string& name);

}  // namespace tlaunch::host::spec
