// The one place where a command line CLI11 could not parse becomes a message (man/tlaunch.1,
// EXIT STATUS 2). CLI11 reports the first rule it checks, which is often not the mistake: with
// `vlp create x.pol --tpye halt` it says "--type is required" and with `tlaunch frobnicate` "A
// subcommand is required". Here the arguments CLI11 could not place are looked at first, so the
// message names the unknown option or command (with the closest known one), and every message
// has the "tlaunch: error:" prefix and says which command it is about.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tlaunch::cli {

// Prints help (for --help / --help-all: exit 0) or "tlaunch: error: ..." and returns the exit
// code. `root` is the application that threw `e` from parse().
int report_parse_error(const CLI::App& root, const CLI::ParseError& e);

// The message report_parse_error() prints after "tlaunch: error: " (for tests and reuse).
std::string parse_error_message(const CLI::App& root, const CLI::ParseError& e);

// The known name closest to `word` (edit distance at most 2, or a unique prefix), or "".
std::string closest_name(const std::string& word, const std::vector<std::string>& names);

}  // namespace tlaunch::cli
