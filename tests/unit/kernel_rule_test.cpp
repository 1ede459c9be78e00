// "kernels" rules of the launch spec (tlaunch/spec/kernel_rule.h): version order as sort -V,
// which files are kernels and initrds (10_linux's rules), newest N plus the running kernel, the
// command lines and titles 10_linux would write, and problems reported by JSON path.
#include "tlaunch/spec/kernel_rule.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tlaunch::host::spec {
namespace {

using nlohmann::json;

// A scratch /boot with kernels (and, when asked, initrds), and a launcher beside it.
class BootDir {
 public:
  BootDir() {
    char tmpl[] = "/tmp/tlaunch-rule-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    put("launcher.elf");
  }
  ~BootDir() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void put(const std::string& name) const {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << "content of " << name;
  }
  void kernel(const std::string& v, bool initrd = true) const {
    put("vmlinuz-" + v);
    if (initrd) put("initrd.img-" + v);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

json spec_with(const BootDir& b, json rule) {
  rule["dir"] = b.dir();
  json s = json::parse(R"({"version": 1, "policy": {"type": "halt"},
                           "launcher": {"file": "launcher.elf"}})");
  s["entries"] = json::array({json{{"kernels", rule}}});
  return s;
}

Expected<LaunchSpec> parse(const BootDir& b, const json& rule, const std::string& running = "") {
  SystemFacts f;
  f.running_kernel = running;
  return parse_launch_spec(spec_with(b, rule).dump(), b.dir() + "/spec.json", f);
}

std::vector<std::string> ids(const LaunchSpec& s) {
  std::vector<std::string> out;
  for (const auto& e : s.entries) out.push_back(e.id);
  return out;
}

TEST(KernelRule, VersionOrderIsSortV) {
  // What `sort -V` (coreutils 9.1, Debian 12) prints for these, oldest first.
  std::vector<std::string> want = {"5.10.0-9-amd64",       "6.1.0-9-amd64",
                                   "6.1.0-10-amd64",       "6.1.0-50-cloud-amd64",
                                   "6.1.0-57-cloud-amd64", "6.1.0-57-cloud-amd64.old",
                                   "6.10.0-1-amd64"};
  std::vector<std::string> got = want;
  std::reverse(got.begin(), got.end());
  std::sort(got.begin(), got.end(),
            [](const std::string& a, const std::string& b) { return version_compare(a, b) < 0; });
  EXPECT_EQ(got, want);
  EXPECT_EQ(version_compare("6.1.0-50", "6.1.0-050"), 0);
  EXPECT_LT(version_compare("6.1~rc1", "6.1"), 0);  // "~" sorts before the end
  EXPECT_GT(version_compare("6.1a", "6.1"), 0);
}

TEST(KernelRule, VersionOrderAgreesWithSortV) {
  // The same list through the real sort -V: the rule picks the kernel grub-mkconfig calls newest.
  std::vector<std::string> v = {"6.1.0-57-cloud-amd64",
                                "6.1.0-9-amd64",
                                "6.1.0-10-amd64",
                                "6.1.0-10-rt-amd64",
                                "6.1.0-1a",
                                "6.1.0-1~b",
                                "4.19.0-27-686-pae",
                                "6.1.0-50-cloud-amd64",
                                "6.10.0-1-amd64",
                                "6.9.12-amd64"};
  char tmpl[] = "/tmp/tlaunch-sortv-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  {
    std::ofstream f(dir + "/in");
    for (const auto& s : v) f << s << "\n";
  }
  ASSERT_EQ(std::system(("LC_ALL=C sort -V '" + dir + "/in' > '" + dir + "/out'").c_str()), 0);
  std::ifstream f(dir + "/out");
  std::vector<std::string> want;
  for (std::string line; std::getline(f, line);) want.push_back(line);
  std::system(("rm -rf '" + dir + "'").c_str());
  std::sort(v.begin(), v.end(),
            [](const std::string& a, const std::string& b) { return version_compare(a, b) < 0; });
  EXPECT_EQ(v, want);
}

TEST(KernelRule, NewestFirstWithRecoveryEntriesAndTenLinuxCommandLines) {
  BootDir b;
  b.kernel("6.1.0-50-cloud-amd64");
  b.kernel("6.1.0-57-cloud-amd64");
  b.kernel("6.1.0-9-amd64");
  b.put("vmlinuz-6.1.0-60-amd64.dpkg-new");  // dpkg unpacking: not a kernel yet
  b.put("README.vmlinuz-1");
  auto s = parse(b, json::parse(R"({"root": "UUID=ab-12", "cmdline_linux": "console=ttyS0  x=1",
                                   "cmdline_linux_default": "quiet splash"})"));
  ASSERT_TRUE(s.ok()) << s.failure().message;
  EXPECT_EQ(ids(*s), (std::vector<std::string>{
                         "tlaunch-6.1.0-57-cloud-amd64", "tlaunch-6.1.0-57-cloud-amd64-recovery",
                         "tlaunch-6.1.0-50-cloud-amd64", "tlaunch-6.1.0-50-cloud-amd64-recovery",
                         "tlaunch-6.1.0-9-amd64", "tlaunch-6.1.0-9-amd64-recovery"}));
  const EntrySpec& n = s->entries[0];
  EXPECT_EQ(n.title, "Debian GNU/Linux, with tlaunch and Linux 6.1.0-57-cloud-amd64");
  ASSERT_EQ(n.modules.size(), 2u);
  EXPECT_EQ(n.modules[0].ref.host_path, b.dir() + "/vmlinuz-6.1.0-57-cloud-amd64");
  EXPECT_EQ(n.modules[0].ref.grub_path, "/boot/vmlinuz-6.1.0-57-cloud-amd64");
  // Words joined by one space, as GRUB hands them over.
  EXPECT_EQ(n.modules[0].cmdline, "root=UUID=ab-12 ro console=ttyS0 x=1 quiet splash");
  EXPECT_EQ(n.modules[1].ref.host_path, b.dir() + "/initrd.img-6.1.0-57-cloud-amd64");
  EXPECT_EQ(n.modules[1].pcr, 19);
  const EntrySpec& r = s->entries[1];
  EXPECT_EQ(r.title,
            "Debian GNU/Linux, with tlaunch and Linux 6.1.0-57-cloud-amd64 (recovery mode)");
  EXPECT_EQ(r.modules[0].cmdline, "root=UUID=ab-12 ro single console=ttyS0 x=1");
  ASSERT_EQ(s->rules.size(), 1u);
  EXPECT_EQ(s->rules[0].json_path, "/entries/0");
  EXPECT_EQ(s->rules[0].installed.size(), 3u);
  EXPECT_FALSE(s->rules[0].running_kept);
}

TEST(KernelRule, NewestNKeepsTheRunningKernelUntilTheNewOneRuns) {
  BootDir b;
  b.kernel("6.1.0-50-cloud-amd64");
  b.kernel("6.1.0-57-cloud-amd64");
  b.kernel("6.1.0-9-amd64");
  json rule = json::parse(R"({"newest": 1, "root": "/dev/vda", "recovery": false})");
  // Just after the update: the old kernel runs, both are accepted, the new one first.
  auto s = parse(b, rule, "6.1.0-50-cloud-amd64");
  ASSERT_TRUE(s.ok()) << s.failure().message;
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"tlaunch-6.1.0-57-cloud-amd64",
                                               "tlaunch-6.1.0-50-cloud-amd64"}));
  EXPECT_TRUE(s->rules[0].running_kept);
  EXPECT_EQ(s->rules[0].running, "6.1.0-50-cloud-amd64");
  // The new kernel booted: the old one is no longer kept (pruned).
  s = parse(b, rule, "6.1.0-57-cloud-amd64");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ids(*s), std::vector<std::string>{"tlaunch-6.1.0-57-cloud-amd64"});
  EXPECT_FALSE(s->rules[0].running_kept);
  // A running kernel that is not installed here (a rescue system) adds nothing.
  s = parse(b, rule, "5.10.0-1-amd64");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->entries.size(), 1u);
  // keep_running false: only the newest, whatever runs.
  rule["keep_running"] = false;
  s = parse(b, rule, "6.1.0-50-cloud-amd64");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ids(*s), std::vector<std::string>{"tlaunch-6.1.0-57-cloud-amd64"});
  EXPECT_EQ(s->rules[0].running, "");
}

TEST(KernelRule, InitrdNamesInTenLinuxOrder) {
  BootDir b;
  b.kernel("6.1.0-1-amd64", false);
  b.put("initramfs-6.1.0-1-amd64.img");
  b.put("initrd-6.1.0-1-amd64.gz");  // earlier in 10_linux's list: this one
  b.kernel("6.1.0-2-amd64", false);  // no initrd at all: an entry without one
  auto s = parse(b, json::parse(R"({"root": "/dev/vda", "recovery": false})"));
  ASSERT_TRUE(s.ok()) << s.failure().message;
  ASSERT_EQ(s->entries.size(), 2u);
  EXPECT_EQ(s->entries[0].modules.size(), 1u);
  ASSERT_EQ(s->entries[1].modules.size(), 2u);
  EXPECT_EQ(s->entries[1].modules[1].ref.host_path, b.dir() + "/initrd-6.1.0-1-amd64.gz");
  s = parse(b, json::parse(R"({"root": "/dev/vda", "initrd": "none", "title": "L{version}"})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->entries[2].modules.size(), 1u);
  EXPECT_EQ(s->entries[2].title, "L6.1.0-1-amd64");
}

TEST(KernelRule, ProblemsNameTheirJsonPath) {
  BootDir b;
  auto s = parse(b, json::parse(R"({"root": "/dev/vda"})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.failure().code, Errc::kIo);
  EXPECT_NE(s.failure().message.find("/entries/0/kernels/dir: no kernel (vmlinuz-VERSION) in"),
            std::string::npos)
      << s.failure().message;
  b.kernel("6.1.0-1-amd64");
  // 1023 bytes is the longest command line (tb_polgen's limit): the made entry is checked too.
  s = parse(b, json{{"root", "/dev/vda"},
                    {"cmdline_linux", std::string(1000, 'x')},
                    {"cmdline_linux_default", std::string(100, 'y')}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.failure().message.find("/entries/0/kernels: the entry made for"), std::string::npos)
      << s.failure().message;
  EXPECT_NE(s.failure().message.find("/kernel/cmdline"), std::string::npos);
  // A mistake in a fixed entry is still reported for the fixed form, not as "matches no form".
  json doc = spec_with(b, json::object());
  doc["entries"].push_back(json::parse(R"({"title": "x", "kernel": {"file": "k", "pcr": 24}})"));
  auto r = parse_launch_spec(doc.dump(), b.dir() + "/spec.json", SystemFacts());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("/entries/1/kernel/pcr"), std::string::npos)
      << r.failure().message;
}

TEST(KernelRule, RootAutoIsTheUuidUdevGivesTheRootFileSystem) {
  BootDir b;
  b.kernel("6.1.0-1-amd64");
  auto s = parse(b, json::object());
  std::string uuid = fs_uuid_of("/");
  if (uuid.empty()) {
    // No udev here (a container): the rule says what to write instead.
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.failure().message.find("/entries/0/kernels/root: is \"auto\""), std::string::npos)
        << s.failure().message;
  } else {
    ASSERT_TRUE(s.ok()) << s.failure().message;
    EXPECT_EQ(s->entries[0].modules[0].cmdline.rfind("root=UUID=" + uuid + " ro", 0), 0u);
  }
}

}  // namespace
}  // namespace tlaunch::host::spec
