#include "tlaunch/policy/host/grubio/tbpolgen_image.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"

namespace tlaunch::host {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

// gzerror() text is "<path>: <what>"; keep <what>, the caller's message names the file.
std::string zlib_reason(gzFile_s* f, const std::string& path, int* errnum) {
  const char* msg = gzerror(f, errnum);
  std::string s = msg ? msg : "";
  if (s.compare(0, path.size() + 2, path + ": ") == 0) s.erase(0, path.size() + 2);
  return s.empty() ? "error" : s;
}

}  // namespace

Expected<Digest> hash_image_gzread(const std::string& path, HashAlg alg) {
  OpenSslHasher hasher;
  auto begun = hasher.begin(alg);
  if (!begun.ok()) return fail(begun.error(), path);

  errno = 0;
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    if (err == ENOENT) return fail(Errc::kNotFound, path + ": no such file");
    return fail(Errc::kIo, path + ": cannot open: " + (err ? std::strerror(err) : "out of memory"));
  }
  // Larger zlib buffers than the 8 KiB default: fewer read() calls on multi-MiB kernels. The
  // digest does not depend on the block sizes (upstream reads 1 KiB at a time).
  gzbuffer(f.get(), 128 * 1024);
  std::vector<uint8_t> buf(256 * 1024);
  for (;;) {
    errno = 0;
    const int n = gzread(f.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      const int saved_errno = errno;
      int errnum = Z_OK;
      const std::string why = zlib_reason(f.get(), path, &errnum);
      if (errnum == Z_ERRNO)
        return fail(Errc::kIo,
                    path + ": read error: " + std::strerror(saved_errno ? saved_errno : EIO));
      return fail(Errc::kBadValue, path + ": corrupt gzip data (zlib: " + why + ")");
    }
    if (n == 0) break;
    hasher.update(ByteSpan(buf.data(), static_cast<size_t>(n)));
  }
  // zlib reports a gzip stream cut short as Z_BUF_ERROR ("unexpected end of file") but still
  // returns the bytes decoded so far, then 0: that must not become the image digest.
  int errnum = Z_OK;
  const std::string why = zlib_reason(f.get(), path, &errnum);
  if (errnum == Z_BUF_ERROR)
    return fail(Errc::kTruncated, path + ": truncated gzip data (zlib: " + why + ")");
  if (errnum != Z_OK)
    return fail(Errc::kBadValue, path + ": corrupt gzip data (zlib: " + why + ")");
  Digest d = hasher.finish();
  if (d.size == 0) return fail(Errc::kCrypto, path + ": hashing failed");
  return d;
}

}  // namespace tlaunch::host
