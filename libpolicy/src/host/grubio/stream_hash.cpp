// MultiHasher, FileReader, parse_bank_list (stream_hash.h).
#include "tlaunch/policy/host/grubio/stream_hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"

namespace tlaunch::host {
namespace {

// OpenSSL 3 names for EVP_MD_fetch(): fetching once per file avoids the implicit fetch that the
// legacy EVP_sha256() objects trigger in every EVP_DigestInit_ex().
const char* fetch_name(HashAlg a) {
  switch (a) {
    case HashAlg::kSha1:
      return "SHA1";
    case HashAlg::kSha256:
      return "SHA256";
    case HashAlg::kSha384:
      return "SHA384";
    case HashAlg::kSha512:
      return "SHA512";
    case HashAlg::kSm3_256:
      return "SM3";
    default:
      return nullptr;
  }
}

// Relative cost per byte on x86-64 with SHA-NI (SHA-1/SHA-256 in hardware, SHA-512 family and
// SM3 in software); only used to spread banks over threads.
unsigned cost(HashAlg a) {
  switch (a) {
    case HashAlg::kSha1:
      return 6;
    case HashAlg::kSha256:
      return 10;
    case HashAlg::kSha384:
    case HashAlg::kSha512:
      return 22;
    default:
      return 40;
  }
}

// Below this size a write is hashed in the calling thread: waking helpers costs more.
constexpr size_t kParallelMin = size_t{128} << 10;

struct EvpMdDeleter {
  void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

struct MultiHasher::Impl {
  std::vector<HashAlg> algs;
  std::vector<std::unique_ptr<EVP_MD, EvpMdDeleter>> mds;
  std::vector<EvpMdCtxPtr> ctx;
  std::vector<uint8_t> failed;
  std::vector<std::vector<size_t>> lanes;  // bank indices per lane; lane 0 = writing thread

  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable work_cv, done_cv;
  bool stop = false;
  // Fork-join mode: one write at a time, lanes >= 1 on helper threads, lane 0 in the writer.
  uint64_t generation = 0;
  size_t pending = 0;
  ByteSpan data;
  // Pipeline mode (start_pipeline()): writes are copied into a ring of slots and every lane,
  // lane 0 included, hashes them on its own thread in order.
  static constexpr size_t kSlots = 4;
  bool pipelined = false;
  std::vector<std::unique_ptr<uint8_t[]>> slots;
  size_t slot_size = 0;
  size_t slot_len[kSlots] = {};
  uint64_t produced = 0;
  std::vector<uint64_t> consumed;  // per lane

  void hash_lane(size_t lane, ByteSpan d) {
    for (size_t b : lanes[lane])
      if (!failed[b] && EVP_DigestUpdate(ctx[b].get(), d.data, d.size) != 1) failed[b] = 1;
  }

  uint64_t min_consumed() const {
    return consumed.empty() ? produced : *std::min_element(consumed.begin(), consumed.end());
  }

  void worker(size_t lane) {
    uint64_t seen = 0;
    for (;;) {
      ByteSpan d;
      bool from_ring = false;
      {
        std::unique_lock<std::mutex> lk(mutex);
        work_cv.wait(lk, [&] {
          return stop || (pipelined ? consumed[lane] < produced : generation != seen);
        });
        if (pipelined && consumed[lane] < produced) {
          const size_t slot = consumed[lane] % kSlots;
          d = ByteSpan(slots[slot].get(), slot_len[slot]);
          from_ring = true;
        } else if (stop) {
          return;
        } else {
          seen = generation;
          d = data;
        }
      }
      hash_lane(lane, d);
      {
        std::lock_guard<std::mutex> lk(mutex);
        if (from_ring) {
          ++consumed[lane];
        } else {
          --pending;
        }
      }
      done_cv.notify_all();
    }
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lk(mutex);
      stop = true;
    }
    work_cv.notify_all();
    for (auto& t : threads) t.join();
  }
};

MultiHasher::MultiHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MultiHasher::~MultiHasher() = default;

Expected<std::unique_ptr<MultiHasher>> MultiHasher::create(std::span<const HashAlg> banks,
                                                           unsigned helpers) {
  auto impl = std::make_unique<Impl>();
  for (HashAlg a : banks) {
    const char* name = fetch_name(a);
    const HashAlgInfo* info = find_hash_alg(static_cast<uint16_t>(a));
    const std::string label = info ? info->name : "hash algorithm " + std::to_string(int(a));
    if (name == nullptr) return fail(Errc::kUnsupported, label + ": not a hash algorithm");
    std::unique_ptr<EVP_MD, EvpMdDeleter> md(EVP_MD_fetch(nullptr, name, nullptr));
    if (!md) return fail(Errc::kUnsupported, label + ": not provided by this OpenSSL");
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1)
      return fail(Errc::kCrypto, label + ": EVP_DigestInit_ex failed");
    impl->algs.push_back(a);
    impl->mds.push_back(std::move(md));
    impl->ctx.push_back(std::move(ctx));
    impl->failed.push_back(0);
  }
  // Spread the banks over 1 + helpers lanes, most expensive first onto the least loaded lane.
  const size_t lanes = std::max<size_t>(1, std::min<size_t>(size_t{helpers} + 1, banks.size()));
  impl->lanes.assign(lanes, {});
  std::vector<size_t> order(banks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cost(banks[a]) > cost(banks[b]); });
  std::vector<unsigned> load(lanes, 0);
  for (size_t b : order) {
    const size_t lane =
        static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    impl->lanes[lane].push_back(b);
    load[lane] += cost(banks[b]);
  }
  Impl* raw = impl.get();
  for (size_t lane = 1; lane < lanes; ++lane)
    impl->threads.emplace_back([raw, lane] { raw->worker(lane); });
  return std::unique_ptr<MultiHasher>(new MultiHasher(std::move(impl)));
}

void MultiHasher::start_pipeline(size_t slot_size) {
  Impl& m = *impl_;
  if (m.pipelined) return;
  m.slot_size = slot_size == 0 ? size_t{1} << 20 : slot_size;
  for (size_t i = 0; i < Impl::kSlots; ++i) m.slots.emplace_back(new uint8_t[m.slot_size]);
  {
    std::lock_guard<std::mutex> lk(m.mutex);
    m.consumed.assign(m.lanes.size(), m.produced);
    m.pipelined = true;
  }
  Impl* raw = &m;
  m.threads.emplace_back([raw] { raw->worker(0); });
  m.work_cv.notify_all();
}

void MultiHasher::write(ByteSpan data) {
  if (data.size == 0) return;
  size_ += data.size;
  Impl& m = *impl_;
  if (m.pipelined) {
    while (data.size != 0) {
      const size_t n = std::min(data.size, m.slot_size);
      std::unique_lock<std::mutex> lk(m.mutex);
      m.done_cv.wait(lk, [&] { return m.produced - m.min_consumed() < Impl::kSlots; });
      const size_t slot = m.produced % Impl::kSlots;
      lk.unlock();
      // Every lane is done with this slot's previous contents: no one reads it now.
      std::memcpy(m.slots[slot].get(), data.data, n);
      lk.lock();
      m.slot_len[slot] = n;
      ++m.produced;
      lk.unlock();
      m.work_cv.notify_all();
      data = data.subspan(n, data.size - n);
    }
    return;
  }
  if (m.lanes.size() == 1 || data.size < kParallelMin) {
    for (size_t lane = 0; lane < m.lanes.size(); ++lane) m.hash_lane(lane, data);
    return;
  }
  {
    std::lock_guard<std::mutex> lk(m.mutex);
    m.data = data;
    m.pending = m.lanes.size() - 1;
    ++m.generation;
  }
  m.work_cv.notify_all();
  m.hash_lane(0, data);
  std::unique_lock<std::mutex> lk(m.mutex);
  m.done_cv.wait(lk, [&] { return m.pending == 0; });
}

Expected<std::vector<Digest>> MultiHasher::finish() {
  Impl& m = *impl_;
  if (m.pipelined) {
    std::unique_lock<std::mutex> lk(m.mutex);
    m.done_cv.wait(lk, [&] { return m.min_consumed() == m.produced; });
  }
  std::vector<Digest> out;
  for (size_t b = 0; b < m.algs.size(); ++b) {
    Digest d;
    d.alg = m.algs[b];
    unsigned int n = 0;
    if (m.failed[b] || EVP_DigestFinal_ex(m.ctx[b].get(), d.bytes, &n) != 1 || n > kMaxDigestSize)
      return fail(Errc::kCrypto, "OpenSSL digest computation failed");
    d.size = static_cast<uint8_t>(n);
    out.push_back(d);
  }
  return out;
}

void FileReader::FreeDeleter::operator()(uint8_t* p) const { std::free(p); }

FileReader::FileReader(std::string path, int fd, bool owns_fd, size_t buffer_size)
    : path_(std::move(path)), fd_(fd), owns_fd_(owns_fd), buffer_size_(buffer_size) {
  const size_t alloc = (buffer_size_ + 4095) / 4096 * 4096;
  buffer_.reset(static_cast<uint8_t*>(std::aligned_alloc(4096, alloc)));
}

FileReader::~FileReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Expected<std::unique_ptr<FileReader>> FileReader::open(const std::string& path,
                                                       size_t buffer_size) {
  if (buffer_size == 0) buffer_size = kDefaultBuffer;
  int fd = 0;
  bool owns = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      return fail(Errc::kIo, path + ": cannot open: " + errno_text(e));
    }
    owns = true;
  }
  std::unique_ptr<FileReader> r(new FileReader(path, fd, owns, buffer_size));
  if (!r->buffer_) return fail(Errc::kInternal, path + ": out of memory for the read buffer");
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(Errc::kIo, path + ": cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) return fail(Errc::kIo, path + ": is a directory, not a file");
  // Advisory only: the kernel doubles its read-ahead window for this file.
  if (S_ISREG(st.st_mode)) (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return r;
}

Expected<ByteSpan> FileReader::next() {
  size_t filled = 0;
  while (!eof_ && filled < buffer_size_) {
    const ssize_t n = ::read(fd_, buffer_.get() + filled, buffer_size_ - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      return fail(Errc::kIo, path_ + ": read error at byte offset " +
                                 std::to_string(offset_ + filled) + ": " + errno_text(e));
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    filled += static_cast<size_t>(n);
  }
  offset_ += filled;
  return ByteSpan(buffer_.get(), filled);
}

Expected<std::vector<HashAlg>> parse_bank_list(const std::string& text) {
  std::vector<HashAlg> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? std::string() : item.substr(b, e - b + 1);
    if (item.empty()) return fail(Errc::kUsage, "empty hash algorithm name in '" + text + "'");
    const HashAlgInfo* info = find_hash_alg_by_name(item.c_str());
    if (info == nullptr)
      return fail(Errc::kUsage, "unknown hash algorithm '" + item +
                                    "' (known: sha1, sha256, sha384, sha512, sm3)");
    if (evp_md(info->id) == nullptr)
      return fail(Errc::kUnsupported, std::string(info->name) + ": not provided by this OpenSSL");
    if (std::find(out.begin(), out.end(), info->id) == out.end()) out.push_back(info->id);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace tlaunch::host
