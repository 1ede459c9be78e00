// Expansion of a "kernels" rule into ordinary spec entries (tlaunch/spec/kernel_rule.h). The
// shapes follow Debian 12's /etc/grub.d/10_linux (grub2 2.06-13): which files are kernels, how the
// version is read from the name, where the initrd is looked for, the normal and recovery command
// lines and the entry titles.
#include "tlaunch/spec/kernel_rule.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace tlaunch::host::spec {

using nlohmann::json;

SystemFacts SystemFacts::current() {
  SystemFacts f;
  struct utsname u {};
  if (::uname(&u) == 0) f.running_kernel = u.release;
  return f;
}

namespace {

// dpkg's and coreutils' verrevcmp character order: "~" sorts before the end of a string, letters
// before everything else that is not a digit.
int order(int c) {
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

}  // namespace

int version_compare(const std::string& a, const std::string& b) {
  // coreutils lib/filevercmp.c also sets aside a file suffix (".tar.gz") first; a kernel release
  // ("6.1.0-50-cloud-amd64") never ends in one (a suffix starts with "." and a letter), so the
  // comparison is verrevcmp itself.
  size_t i = 0, j = 0;
  const size_t n = a.size(), m = b.size();
  while (i < n || j < m) {
    int first_diff = 0;
    while ((i < n && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
           (j < m && !std::isdigit(static_cast<unsigned char>(b[j])))) {
      int ac = i < n ? order(static_cast<unsigned char>(a[i])) : 0;
      int bc = j < m ? order(static_cast<unsigned char>(b[j])) : 0;
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < n && a[i] == '0') ++i;
    while (j < m && b[j] == '0') ++j;
    while (i < n && j < m && std::isdigit(static_cast<unsigned char>(a[i])) &&
           std::isdigit(static_cast<unsigned char>(b[j]))) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < n && std::isdigit(static_cast<unsigned char>(a[i]))) return 1;
    if (j < m && std::isdigit(static_cast<unsigned char>(b[j]))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

std::string fs_uuid_of(const std::string& path) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) return "";
  const char* dir = "/dev/disk/by-uuid";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir), ::closedir);
  if (!d) return "";
  std::string found;
  while (const dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::stat((std::string(dir) + "/" + name).c_str(), &st) != 0) continue;
    // The smallest name, should two links point at the same device: the result must not depend
    // on the directory's order.
    if (S_ISBLK(st.st_mode) && st.st_rdev == target.st_dev && (found.empty() || name < found))
      found = name;
  }
  return found;
}

namespace {

bool is_regular(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// grub-mkconfig_lib's grub_file_is_not_garbage: dpkg's temporary files (a kernel being
// unpacked is vmlinuz-V.dpkg-new), rpm's, documentation and signatures are not kernels.
bool is_garbage(const std::string& name) {
  if (name.find(".dpkg-") != std::string::npos) return true;
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".rpmsave") || ends(".rpmnew") || ends(".sig") || name.rfind("README", 0) == 0;
}

// 10_linux: version=`echo $basename | sed -e "s,^[^0-9]*-,,g"` (on x86 the kernels are
// vmlinuz-*; kernel-* is another distribution's naming).
std::string version_of(const std::string& name) {
  size_t i = 0;
  while (i < name.size() && !std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  size_t dash = name.rfind('-', i);
  return dash == std::string::npos ? "" : name.substr(dash + 1);
}

// The first initrd 10_linux finds for a version (its list, without the early-microcode images,
// which GRUB would load as a second initrd, and Gentoo's genkernel names).
std::string find_initrd(const std::string& dir, const std::string& version) {
  std::string alt = version;
  if (alt.size() > 4 && alt.compare(alt.size() - 4, 4, ".old") == 0) alt.resize(alt.size() - 4);
  for (const std::string& n :
       {"initrd.img-" + version, "initrd-" + version + ".img", "initrd-" + version + ".gz",
        "initrd-" + version, "initramfs-" + version + ".img", "initrd.img-" + alt,
        "initrd-" + alt + ".img", "initrd-" + alt, "initramfs-" + alt + ".img"})
    if (is_regular(dir + "/" + n)) return n;
  return "";
}

// GRUB hands over the words of a linux/module2 line joined by one space (10_linux passes
// "root=... ro ${args}" unquoted): the command line is those words.
std::string join_words(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    size_t i = 0;
    while (i < p.size()) {
      while (i < p.size() && (p[i] == ' ' || p[i] == '\t')) ++i;
      size_t start = i;
      while (i < p.size() && p[i] != ' ' && p[i] != '\t') ++i;
      if (i == start) continue;
      if (!out.empty()) out += ' ';
      out.append(p, start, i - start);
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

json expansion_json(const KernelRuleExpansion& x) {
  json j;
  j["rule"] = x.json_path;
  j["dir"] = x.dir;
  j["running"] = x.running.empty() ? json(nullptr) : json(x.running);
  j["installed"] = x.installed;
  j["selected"] = x.selected;
  j["running_kept"] = x.running_kept;
  j["entries"] = x.entry_ids;
  return j;
}

json expand_kernel_rule(const json& rule, const std::string& json_path, const SystemFacts& facts,
                        KernelRuleExpansion* out, std::vector<Issue>* issues,
                        std::vector<Issue>* missing) {
  KernelRuleExpansion& x = *out;
  x = KernelRuleExpansion();
  x.json_path = json_path;
  x.dir = rule.value("dir", std::string("/boot"));
  const std::string at = pointer_append(json_path, "kernels");
  json entries = json::array();

  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(x.dir.c_str()), ::closedir);
  if (!d) {
    missing->push_back({pointer_append(at, "dir"), "cannot read the directory " + x.dir});
    return entries;
  }
  while (const dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name.rfind("vmlinuz-", 0) != 0 || is_garbage(name)) continue;
    if (!is_regular(x.dir + "/" + name)) continue;
    std::string v = version_of(name);
    if (!v.empty() && "vmlinuz-" + v == name) x.installed.push_back(v);
  }
  if (x.installed.empty()) {
    missing->push_back({pointer_append(at, "dir"), "no kernel (vmlinuz-VERSION) in " + x.dir});
    return entries;
  }
  std::sort(x.installed.begin(), x.installed.end(),
            [](const std::string& a, const std::string& b) { return version_compare(a, b) > 0; });

  size_t newest = rule.contains("newest") ? rule["newest"].get<size_t>() : x.installed.size();
  x.selected.assign(x.installed.begin(),
                    x.installed.begin() + std::min(newest, x.installed.size()));
  // A rolling update: until the new kernel has booted, the one running now stays accepted
  // (docs/kernel-updates.md).
  if (rule.value("keep_running", true) && !facts.running_kernel.empty()) {
    x.running = facts.running_kernel;
    bool installed =
        std::find(x.installed.begin(), x.installed.end(), x.running) != x.installed.end();
    bool selected = std::find(x.selected.begin(), x.selected.end(), x.running) != x.selected.end();
    if (installed && !selected) {
      x.selected.push_back(x.running);
      x.running_kept = true;
    }
  }

  // 10_linux: "root=${LINUX_ROOT_DEVICE} ro ${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}"
  // and, for recovery, "root=... ro ${GRUB_CMDLINE_LINUX_RECOVERY:-single} ${GRUB_CMDLINE_LINUX}";
  // LINUX_ROOT_DEVICE is UUID=<the root file system's UUID> when udev knows it.
  std::string root = rule.value("root", std::string("auto"));
  if (root == "auto") {
    std::string uuid = fs_uuid_of("/");
    if (uuid.empty()) {
      issues->push_back({pointer_append(at, "root"),
                         "is \"auto\", but no link in /dev/disk/by-uuid points at the device of / "
                         "(no udev, or a file system without a UUID): write the root= value, "
                         "e.g. \"UUID=...\" or \"/dev/sda1\""});
      return entries;
    }
    root = "UUID=" + uuid;
  }
  const std::string linux_args = rule.value("cmdline_linux", std::string());
  const std::string linux_default = rule.value("cmdline_linux_default", std::string("quiet"));
  const std::string recovery_args = rule.value("cmdline_recovery", std::string("single"));
  const bool recovery = rule.value("recovery", true);
  const std::string title =
      rule.value("title", std::string("Debian GNU/Linux, with tlaunch and Linux {version}"));
  const std::string initrds = rule.value("initrd", std::string("debian"));

  for (const std::string& v : x.selected) {
    std::string initrd = initrds == "none" ? "" : find_initrd(x.dir, v);
    auto entry = [&](bool rec) {
      json e;
      e["title"] = replace_all(title, "{version}", v) + (rec ? " (recovery mode)" : "");
      e["id"] = "tlaunch-" + v + (rec ? "-recovery" : "");
      e["kernel"] = {
          {"file", x.dir + "/vmlinuz-" + v},
          {"cmdline", rec ? join_words({"root=" + root, "ro", recovery_args, linux_args})
                          : join_words({"root=" + root, "ro", linux_args, linux_default})}};
      if (!initrd.empty()) e["initrd"] = {{"file", x.dir + "/" + initrd}};
      return e;
    };
    for (bool rec : {false, true}) {
      if (rec && !recovery) continue;
      entries.push_back(entry(rec));
      x.entry_ids.push_back(entries.back()["id"].get<std::string>());
    }
  }
  return entries;
}

}  // namespace tlaunch::host::spec
