#include "parse_errors.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "exit_codes.h"

namespace tlaunch::cli {
namespace {

// The selected commands, root first: [tlaunch, vlp, create].
std::vector<const CLI::App*> selected_path(const CLI::App& root) {
  std::vector<const CLI::App*> path{&root};
  for (;;) {
    std::vector<CLI::App*> subs = path.back()->get_subcommands();
    if (subs.empty()) break;
    path.push_back(subs.front());
  }
  return path;
}

std::string path_text(const std::vector<const CLI::App*>& path) {
  std::string s;
  for (const CLI::App* a : path) s += (s.empty() ? "" : " ") + a->get_name();
  return s;
}

// "vlp create: " for messages (after "tlaunch: error: "); "" for the root itself.
std::string context(const std::vector<const CLI::App*>& path) {
  std::string s;
  for (size_t i = 1; i < path.size(); ++i) s += (s.empty() ? "" : " ") + path[i]->get_name();
  return s.empty() ? s : s + ": ";
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(s->get_name());
  return names;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours ("--tpye" is one edit from "--type").
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
  std::string best = closest_name(word, names);
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

// The message for an argument CLI11 could not place, said in the context of the deepest
// selected command.
std::string leftover_message(const std::vector<const CLI::App*>& path, size_t owner,
                             const std::string& arg) {
  const CLI::App& deepest = *path.back();
  const std::string where = context(path);
  if (arg.size() > 1 && arg[0] == '-') {
    const std::string name = arg.substr(0, arg.find('='));
    return where + "unknown option '" + name + "'" + did_you_mean(name, option_names(deepest));
  }
  const CLI::App& app = *path[owner];
  std::vector<std::string> commands = command_names(app);
  if (owner + 1 == path.size() && !commands.empty())
    return context(std::vector<const CLI::App*>(path.begin(), path.begin() + owner + 1)) +
           "unknown command '" + arg + "'" + did_you_mean(arg, commands) +
           "; commands: " + join(commands);
  return where + "unexpected argument '" + arg + "'";
}

std::string required_message(const std::vector<const CLI::App*>& path, const std::string& what) {
  const std::string where = context(path);
  static const std::string kSuffix = " is required";
  if (what == "A subcommand is required")
    return where + "a command is needed: " + join(command_names(*path.back()));
  if (what.size() > kSuffix.size() &&
      what.compare(what.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    std::string name = what.substr(0, what.size() - kSuffix.size());
    if (!name.empty() && name[0] == '-') return where + "the option " + name + " is required";
    if (name.find(' ') == std::string::npos) {
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return where + "the argument " + name + " is required";
    }
  }
  return where + what;
}

}  // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = 3;  // at most 2 edits
  for (const std::string& n : names) {
    size_t d = edit_distance(word, n);
    if (d < best_distance) {
      best_distance = d;
      best = n;
    }
  }
  if (!best.empty()) return best;
  std::vector<std::string> prefixed;
  for (const std::string& n : names)
    if (word.size() >= 3 && n.rfind(word, 0) == 0) prefixed.push_back(n);
  return prefixed.size() == 1 ? prefixed.front() : std::string();
}

std::string parse_error_message(const CLI::App& root, const CLI::ParseError& e) {
  std::vector<const CLI::App*> path = selected_path(root);
  // What CLI11 could not place explains the error better than the rule it checked first.
  for (size_t i = path.size(); i-- > 0;) {
    std::vector<std::string> rest = path[i]->remaining(false);
    if (!rest.empty()) return leftover_message(path, i, rest.front());
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr)
    return required_message(path, e.what());
  return context(path) + e.what();
}

int report_parse_error(const CLI::App& root, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    root.exit(e, std::cout, std::cerr);  // --help, --help-all
    return kExitOk;
  }
  std::vector<const CLI::App*> path = selected_path(root);
  std::fprintf(stderr, "tlaunch: error: %s\n  (see '%s --help')\n",
               parse_error_message(root, e).c_str(), path_text(path).c_str());
  return kExitUsage;
}

}  // namespace tlaunch::cli
