#include "spec_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::cli::spec {

using host::spec::Issue;
using host::spec::LaunchSpec;

namespace {

std::string first_difference(const host::Bytes& have, const host::Bytes& want) {
  size_t n = std::min(have.size(), want.size());
  size_t i = 0;
  while (i < n && have[i] == want[i]) ++i;
  if (i == n && have.size() != want.size())
    return "is " + std::to_string(have.size()) + " bytes, expected " + std::to_string(want.size());
  // Text outputs: name the line, which is what a reviewer looks at.
  size_t line = 1;
  for (size_t k = 0; k < i; ++k) line += want[k] == '\n';
  return "differs from byte " + std::to_string(i) + " (line " + std::to_string(line) + ")";
}

}  // namespace

host::Expected<LaunchSpec> load(const std::string& path, const host::spec::SystemFacts& facts) {
  return host::spec::load_launch_spec(path, facts);
}

host::Expected<host::spec::BuildResult> load_and_build(const std::string& path,
                                                       const host::spec::SystemFacts& facts,
                                                       LaunchSpec* spec_out) {
  auto spec = load(path, facts);
  if (!spec) return spec.failure();
  auto built = host::spec::build_launch(*spec);
  if (!built) return built.failure();
  if (spec_out) *spec_out = std::move(*spec);
  return built;
}

void RunningKernelOption::add_to(CLI::App* sub) {
  sub->add_option("--running-kernel", release,
                  "The running kernel a \"kernels\" rule keeps (default: uname -r); \"\" = none")
      ->each([this](const std::string&) { given = true; });
}

host::spec::SystemFacts RunningKernelOption::facts() const {
  host::spec::SystemFacts f = host::spec::SystemFacts::current();
  if (given) f.running_kernel = release;
  return f;
}

const char* file_state_name(FileState s) {
  switch (s) {
    case FileState::kUnchanged:
      return "unchanged";
    case FileState::kCreated:
      return "new";
    case FileState::kChanged:
      return "changed";
  }
  return "?";
}

CLI::Option* add_output_dir(CLI::App* sub, std::string& dir, const std::string& help) {
  return sub->add_option("-o,--output", dir, help)
      ->capture_default_str()
      ->transform([](std::string s) {
        while (s.size() > 1 && s.back() == '/') s.pop_back();
        return s;
      });
}

host::Expected<std::vector<FileStatus>> compare_dir(const std::string& dir,
                                                    const host::spec::BuildResult& built) {
  std::vector<FileStatus> out;
  for (const auto& f : built.files) {
    FileStatus s;
    s.name = f.name;
    s.path = dir + "/" + f.name;
    struct stat st {};
    if (::stat(s.path.c_str(), &st) != 0) {
      if (errno != ENOENT)
        return host::fail(Errc::kIo, s.path + ": cannot stat: " + std::strerror(errno));
      s.state = FileState::kCreated;
      s.detail = "missing";
    } else {
      auto have = host::read_file(s.path, 64u << 20);
      if (!have) return have.failure();
      if (*have != f.data) {
        s.state = FileState::kChanged;
        s.detail = first_difference(*have, f.data);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

host::HostStatus check_dir_writable(const std::string& dir) {
  std::string part = dir.empty() ? "." : dir;
  for (;;) {
    struct stat st {};
    if (::stat(part.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return host::fail(Errc::kIo, part + ": exists and is not a directory");
      if (::access(part.c_str(), W_OK | X_OK) != 0)
        return host::fail(Errc::kIo,
                          part + ": cannot write in the directory: " + std::strerror(errno));
      return host::host_ok();
    }
    if (errno != ENOENT)
      return host::fail(Errc::kIo, part + ": cannot stat: " + std::strerror(errno));
    const size_t slash = part.find_last_of('/');
    if (slash == std::string::npos) {
      part = ".";
    } else {
      part = slash == 0 ? "/" : part.substr(0, slash);
    }
  }
}

host::HostStatus write_dir(const std::string& dir, const host::spec::BuildResult& built,
                           const std::vector<FileStatus>& status) {
  // mkdir -p: /var/lib/tlaunch on a fresh machine, out/x for a build.
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    std::string part = dir.substr(0, at);
    struct stat st {};
    if (::stat(part.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return host::fail(Errc::kIo, part + ": exists and is not a directory");
      continue;
    }
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return host::fail(Errc::kIo, part + ": cannot create the directory: " + std::strerror(errno));
  }
  // The outputs name each other (grub.cfg the policy's command lines, reference.json the
  // policy's digests): the changed ones are replaced together or not at all.
  std::vector<host::FileWrite> files;
  for (size_t i = 0; i < built.files.size(); ++i) {
    if (status[i].state == FileState::kUnchanged) continue;
    files.push_back({status[i].path, built.files[i].data});
  }
  return host::write_files_atomic(files);
}

}  // namespace tlaunch::cli::spec
