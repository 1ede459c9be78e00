// host::write_files_atomic: files that belong together are replaced together or not at all
// (tlaunch build's outputs, lcp policy create's policy and data file).
#include "tlaunch/policy/host/io/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tlaunch::host {
namespace {

namespace fs = std::filesystem;

class WriteFilesAtomic : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tlaunch-fileio-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  static Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
  std::string text(const std::string& name) const {
    auto b = read_file(path(name));
    return b ? std::string(b->begin(), b->end()) : "<" + b.failure().message + ">";
  }
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++n;
    return n;
  }
  std::string dir_;
};

TEST_F(WriteFilesAtomic, WritesEveryFile) {
  ASSERT_TRUE(write_file_atomic(path("a"), bytes("old a")));
  ASSERT_TRUE(write_files_atomic({{path("a"), bytes("new a")}, {path("b"), bytes("new b")}}));
  EXPECT_EQ(text("a"), "new a");
  EXPECT_EQ(text("b"), "new b");
  EXPECT_EQ(entries(), 2u);  // no temporary file left
}

TEST_F(WriteFilesAtomic, AFileThatCannotBeWrittenChangesNone) {
  ASSERT_TRUE(write_file_atomic(path("data"), bytes("old data")));
  // The second target's directory does not exist: the first file must keep its old content.
  auto w = write_files_atomic(
      {{path("data"), bytes("new data")}, {path("missing/policy"), bytes("new policy")}});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.failure().code, Errc::kIo);
  EXPECT_NE(w.failure().message.find("missing/policy"), std::string::npos) << w.failure().message;
  EXPECT_EQ(text("data"), "old data");
  EXPECT_EQ(entries(), 1u);  // the staged copy of "data" is gone too
}

TEST_F(WriteFilesAtomic, ADirectoryInTheWayChangesNone) {
  ASSERT_TRUE(write_file_atomic(path("a"), bytes("old a")));
  fs::create_directory(path("b"));
  auto w = write_files_atomic({{path("a"), bytes("new a")}, {path("b"), bytes("new b")}});
  ASSERT_FALSE(w);
  EXPECT_NE(w.failure().message.find("is a directory"), std::string::npos) << w.failure().message;
  EXPECT_EQ(text("a"), "old a");
  EXPECT_EQ(entries(), 2u);
}

TEST_F(WriteFilesAtomic, KeepsTheModeOfAnExistingFile) {
  ASSERT_TRUE(write_file_atomic(path("a"), bytes("x")));
  ASSERT_EQ(::chmod(path("a").c_str(), 0600), 0);
  ASSERT_TRUE(write_files_atomic({{path("a"), bytes("y")}}));
  struct stat st {};
  ASSERT_EQ(::stat(path("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace tlaunch::host
