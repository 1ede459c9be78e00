// gtest fixture: a fresh swtpm per test (tests/integration/swtpm-env.sh: free port, absolute
// state directory under the test's temp dir, stopped by pid in TearDown), plus helpers to run
// shell commands (tlaunch, tpm2-tools) against it and capture stdout, stderr and status.
// Reusable by any integration test: include it and derive from SwtpmTest.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#ifndef TLAUNCH_SWTPM_ENV
#error "define TLAUNCH_SWTPM_ENV as the path of tests/integration/swtpm-env.sh"
#endif

namespace tlaunch::testing {

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Single-quotes a string for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class SwtpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string base = ::testing::TempDir();
    if (base.empty() || base[0] != '/') base = "/tmp/";
    dir_ = base + "tlaunch-it-" + info->test_suite_name() + "-" + info->name() + "-" +
           std::to_string(::getpid());
    std::system(("rm -rf " + sh_quote(dir_) + " && mkdir -p " + sh_quote(dir_)).c_str());
    start();
  }
  void TearDown() override {
    sh(std::string(TLAUNCH_SWTPM_ENV) + " stop " + sh_quote(tpm_dir()));
    if (!HasFailure()) std::system(("rm -rf " + sh_quote(dir_)).c_str());
  }

  // Work directory of this test (absolute) and the swtpm directory inside it.
  const std::string& dir() const { return dir_; }
  std::string tpm_dir() const { return dir_ + "/tpm"; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  int port() const { return port_; }
  int swtpm_pid() const { return pid_; }
  std::string tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

  // Runs `command` with /bin/sh in dir(), TPM2TOOLS_TCTI pointing at this test's swtpm.
  RunResult sh(const std::string& command) const {
    std::string out = dir_ + "/.out", err = dir_ + "/.err";
    std::string full = "cd " + sh_quote(dir_) + " && TPM2TOOLS_TCTI=" + sh_quote(tcti()) +
                       " TSS2_LOG=all+NONE; export TPM2TOOLS_TCTI TSS2_LOG; (" + command + ") >" +
                       sh_quote(out) + " 2>" + sh_quote(err) + " </dev/null";
    int raw = std::system(full.c_str());
    RunResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
  }

  void kill_tpm() { sh(std::string(TLAUNCH_SWTPM_ENV) + " kill " + sh_quote(tpm_dir())); }
  void restart() {
    RunResult r = sh(std::string(TLAUNCH_SWTPM_ENV) + " start " + sh_quote(tpm_dir()) + " " +
                     std::to_string(port_));
    ASSERT_EQ(r.status, 0) << r.err;
    parse_env();
  }

 private:
  void start() {
    RunResult r = sh(std::string(TLAUNCH_SWTPM_ENV) + " start " + sh_quote(tpm_dir()));
    ASSERT_EQ(r.status, 0) << "swtpm did not start: " << r.err;
    parse_env();
  }
  void parse_env() {
    std::istringstream env(read_text(tpm_dir() + "/swtpm.env"));
    std::string line;
    while (std::getline(env, line)) {
      if (line.rfind("export SWTPM_PORT=", 0) == 0) port_ = std::atoi(line.c_str() + 18);
      if (line.rfind("export SWTPM_PID=", 0) == 0) pid_ = std::atoi(line.c_str() + 17);
    }
    ASSERT_GT(port_, 0);
    ASSERT_GT(pid_, 0);
  }

  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace tlaunch::testing
