#include "spec_common.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "tlaunch/policy/host/file_io.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"

namespace tlaunch::cli::spec {

using host::spec::Issue;
using host::spec::LaunchSpec;
using host::spec::NvIndexSpec;

namespace {

// One index of the spec against the catalogue: its handle in the chosen set, and whether the
// definition it implies is one the launcher (or SINIT, for the PO index) accepts.
void resolve_index(NvIndexSpec& n, const char* name, tpmnv::HandleSet set, const char* set_name,
                   std::vector<Issue>& issues) {
  const tpmnv::IndexSpec* cat = tpmnv::find_index_spec(name);
  if (cat == nullptr) {
    issues.push_back({n.json_path, std::string("internal: no catalogue row '") + name + "'"});
    return;
  }
  n.handle = tpmnv::handle_of(*cat, set);
  if (n.explicit_handle != 0 && n.explicit_handle != n.handle)
    issues.push_back({host::spec::pointer_append(n.json_path, "handle"),
                      "is " + tpmnv::format_handle(n.explicit_handle) + " but the " + set_name +
                          " handle set (/nv/handle_set) puts the " + name + " index at " +
                          tpmnv::format_handle(n.handle) + ", the only handle the launcher reads"});
  if (!n.define) return;
  std::optional<uint32_t> attrs;
  if (n.has_attributes) {
    auto a = tpmnv::parse_attributes(n.attributes);
    if (!a) {
      issues.push_back(
          {host::spec::pointer_append(n.json_path, "attributes"), a.failure().message});
      return;
    }
    attrs = *a;
  }
  std::optional<uint16_t> size;
  if (n.size != 0) size = static_cast<uint16_t>(n.size);
  tpmnv::Target t;
  t.handle = n.handle;
  t.spec = cat;
  std::string note;
  // TPM_PT_NV_INDEX_MAX is unknown offline (0: no cap); `tlaunch apply` checks it on the TPM.
  auto def = tpmnv::make_definition(t, size, attrs, std::nullopt, std::nullopt, 0, &note);
  if (!def) {
    issues.push_back({n.json_path, def.failure().message});
    return;
  }
  for (const std::string& p : tpmnv::check_definition(cat, *def, false)) {
    std::string at =
        n.has_attributes ? host::spec::pointer_append(n.json_path, "attributes") : n.json_path;
    if (p.rfind("size ", 0) == 0) at = host::spec::pointer_append(n.json_path, "size");
    issues.push_back({at, p});
  }
}

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

host::Expected<LaunchSpec> load(const std::string& path) {
  auto spec = host::spec::load_launch_spec(path);
  if (!spec) return spec.failure();
  std::vector<Issue> issues;
  tpmnv::HandleSet set = spec->nv.handle_set == host::spec::HandleSet::kTcg
                             ? tpmnv::HandleSet::kTcg
                             : tpmnv::HandleSet::kLegacy;
  const char* set_name = tpmnv::handle_set_name(set);
  resolve_index(spec->nv.vlp, "vlp", set, set_name, issues);
  resolve_index(spec->nv.error, "error", set, set_name, issues);
  resolve_index(spec->nv.po, "po", set, set_name, issues);
  if (!issues.empty()) return host::fail(Errc::kBadValue, host::spec::format_issues(issues, path));
  return spec;
}

host::Expected<host::spec::BuildResult> load_and_build(const std::string& path,
                                                       LaunchSpec* spec_out) {
  auto spec = load(path);
  if (!spec) return spec.failure();
  auto built = host::spec::build_launch(*spec);
  if (!built) return built.failure();
  if (spec_out) *spec_out = std::move(*spec);
  return built;
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
  for (size_t i = 0; i < built.files.size(); ++i) {
    if (status[i].state == FileState::kUnchanged) continue;
    auto w = host::write_file_atomic(status[i].path, built.files[i].data);
    if (!w) return w.failure();
  }
  return host::host_ok();
}

}  // namespace tlaunch::cli::spec
