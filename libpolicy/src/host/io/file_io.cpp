#include "tlaunch/policy/host/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tlaunch::host {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

Expected<Bytes> read_impl(const std::string& path, size_t max_size, bool prefix) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    return fail(Errc::kIo, path + ": cannot open: " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return fail(Errc::kIo, path + ": cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) return fail(Errc::kIo, path + ": is a directory, not a file");
  Bytes out;
  if (S_ISREG(st.st_mode)) {
    size_t sz = static_cast<size_t>(st.st_size);
    if (!prefix && sz > max_size)
      return fail(Errc::kTooLarge, path + ": file is " + std::to_string(sz) +
                                       " bytes, more than the " + std::to_string(max_size) +
                                       " bytes allowed");
    out.reserve(sz < max_size ? sz : max_size);
  }
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::kIo, path + ": read error: " + errno_text(errno));
    }
    if (n == 0) break;
    size_t take = static_cast<size_t>(n);
    if (out.size() + take > max_size) {
      if (!prefix)
        return fail(Errc::kTooLarge, path + ": file is larger than the " +
                                         std::to_string(max_size) + " bytes allowed");
      take = max_size - out.size();
    }
    out.insert(out.end(), buf, buf + take);
    if (prefix && out.size() == max_size) break;
  }
  return out;
}

}  // namespace

Expected<Bytes> read_file(const std::string& path, size_t max_size) {
  return read_impl(path, max_size, false);
}

Expected<Bytes> read_file_prefix(const std::string& path, size_t max_size) {
  return read_impl(path, max_size, true);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

namespace {

std::string dir_of(const std::string& path) {
  std::string::size_type slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Step 1 of an atomic write: the data in a temporary file next to `path` (same directory, so
// the rename cannot cross file systems), with the mode the file will have, fsynced. Returns the
// temporary name; on failure nothing is left behind.
Expected<std::string> stage_file(const std::string& path, const uint8_t* data, size_t size) {
  const std::string dir = dir_of(path);
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int raw = ::mkstemp(name.data());
  if (raw < 0)
    return fail(Errc::kIo,
                path + ": cannot create a temporary file in " + dir + ": " + errno_text(errno));
  Fd fd(raw);
  std::string tmp(name.data());
  auto abandon = [&tmp](const std::string& what) {
    ::unlink(tmp.c_str());
    return fail(Errc::kIo, what);
  };
  // Keep the mode of an existing file; new files get 0666 & ~umask like fopen(..., "w").
  struct stat st {};
  mode_t mode;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return abandon(path + ": is a directory, not a file");
    mode = st.st_mode & 07777;
  } else {
    mode_t um = ::umask(0);
    ::umask(um);
    mode = 0666 & ~um;
  }
  if (::fchmod(fd.get(), mode) != 0) return abandon(path + ": chmod failed: " + errno_text(errno));
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd.get(), data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon(path + ": write failed: " + errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return abandon(path + ": fsync failed: " + errno_text(errno));
  if (::close(fd.release()) != 0) return abandon(path + ": close failed: " + errno_text(errno));
  return tmp;
}

// Step 2: the staged file replaces `path` (rename), then the directory entry is made durable.
HostStatus commit_file(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail(Errc::kIo, path + ": rename failed: " + errno_text(e));
  }
  Fd dfd(::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) (void)::fsync(dfd.get());
  return host_ok();
}

}  // namespace

HostStatus write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  auto tmp = stage_file(path, data, size);
  if (!tmp) return tmp.failure();
  return commit_file(*tmp, path);
}

HostStatus write_files_atomic(const std::vector<FileWrite>& files) {
  std::vector<std::string> staged;
  for (const auto& f : files) {
    auto tmp = stage_file(f.path, f.data.data(), f.data.size());
    if (!tmp) {
      for (const auto& t : staged) ::unlink(t.c_str());
      return tmp.failure();
    }
    staged.push_back(*tmp);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    auto c = commit_file(staged[i], files[i].path);
    if (!c) {
      for (size_t j = i + 1; j < staged.size(); ++j) ::unlink(staged[j].c_str());
      std::string done;
      for (size_t j = 0; j < i; ++j) done += (done.empty() ? "" : ", ") + files[j].path;
      auto f = c.failure();
      if (!done.empty()) f.message += " (already replaced: " + done + ")";
      return f;
    }
  }
  return host_ok();
}

std::string hex(const uint8_t* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    s.push_back(kDigits[data[i] >> 4]);
    s.push_back(kDigits[data[i] & 15]);
  }
  return s;
}

}  // namespace tlaunch::host
