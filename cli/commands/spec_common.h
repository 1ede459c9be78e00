// Shared pieces of the launch-spec verbs (build, grub, apply, doctor): loading a spec with its NV
// settings checked against libtpmnv's catalogue, building it, comparing and writing the output
// directory.
#pragma once

#include <string>
#include <vector>

#include "command.h"
#include "tlaunch/spec/build.h"
#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::cli::spec {

// Adds -o,--output DIR: an output directory whose trailing slashes are dropped, so that "out/"
// names its files "out/vlp.pol", never "out//vlp.pol".
CLI::Option* add_output_dir(CLI::App* sub, std::string& dir, const std::string& help);

// Loads a spec (libspec launch_spec.h: parsed, checked, NV indices resolved against libtpmnv's
// catalogue, "kernels" rules expanded). Every problem is reported as
// "<spec>: <json path>: <reason>".
host::Expected<host::spec::LaunchSpec> load(const std::string& path,
                                            const host::spec::SystemFacts& facts);

// load() + build_launch().
host::Expected<host::spec::BuildResult> load_and_build(const std::string& path,
                                                       const host::spec::SystemFacts& facts,
                                                       host::spec::LaunchSpec* spec_out = nullptr);

// --running-kernel RELEASE (build, grub, apply): the kernel a "kernels" rule keeps as the running
// one, instead of uname -r. Previews the policy as it will be after a reboot into RELEASE.
struct RunningKernelOption {
  std::string release;
  bool given = false;
  void add_to(CLI::App* sub);
  host::spec::SystemFacts facts() const;
};

enum class FileState : uint8_t { kUnchanged, kCreated, kChanged };
const char* file_state_name(FileState s);  // "unchanged" | "new" | "changed"

struct FileStatus {
  std::string name;
  std::string path;
  FileState state = FileState::kUnchanged;
  std::string detail;  // for a changed file: where it first differs
};

// Compares the built files with DIR/<name> (missing = kCreated). Unreadable existing files are
// an error (kIo).
host::Expected<std::vector<FileStatus>> compare_dir(const std::string& dir,
                                                    const host::spec::BuildResult& built);

// Whether write_dir() could create DIR and write in it (DIR, or its nearest existing parent, is
// a writable directory). Changes nothing: apply checks it before it touches the TPM.
host::HostStatus check_dir_writable(const std::string& dir);

// Creates DIR (and its parents) if needed and writes (atomically) every file that is new or
// changed.
host::HostStatus write_dir(const std::string& dir, const host::spec::BuildResult& built,
                           const std::vector<FileStatus>& status);

}  // namespace tlaunch::cli::spec
