// digest_as_loaded and friends (loaded_image.h): one read loop per file feeding the raw-file
// digests, GRUB's decompression chain and the as-loaded digests; files in parallel.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/grubio/stream_hash.h"
#include "tlaunch/policy/measure.h"

namespace tlaunch::host {

const char* load_mode_name(LoadMode m) { return m == LoadMode::kRaw ? "raw" : "grub"; }

namespace {

const Digest* find_digest(const std::vector<Digest>& v, HashAlg alg) {
  for (const auto& d : v)
    if (d.alg == alg) return &d;
  return nullptr;
}

}  // namespace

const Digest* LoadedDigests::image_digest(HashAlg alg) const { return find_digest(image, alg); }
const Digest* LoadedDigests::raw_digest(HashAlg alg) const { return find_digest(raw, alg); }

Expected<LoadedDigests> digest_as_loaded(const std::string& path, LoadMode mode,
                                         std::span<const HashAlg> banks) {
  LoadOptions o;
  o.mode = mode;
  return digest_as_loaded(path, banks, o);
}

namespace {

// Keeps the first `max` bytes that pass through, and passes them on.
class HeadTap final : public ByteSink {
 public:
  HeadTap(ByteSink& next, std::vector<uint8_t>& head, size_t max)
      : next_(next), head_(head), max_(max) {}
  void write(ByteSpan data) override {
    keep_head(head_, max_, data);
    next_.write(data);
  }
  static void keep_head(std::vector<uint8_t>& head, size_t max, ByteSpan data) {
    if (head.size() >= max) return;
    const size_t n = std::min(max - head.size(), data.size);
    head.insert(head.end(), data.data, data.data + n);
  }

 private:
  ByteSink& next_;
  std::vector<uint8_t>& head_;
  size_t max_;
};

}  // namespace

Expected<LoadedDigests> digest_as_loaded(const std::string& path, std::span<const HashAlg> banks,
                                         const LoadOptions& options) {
  if (banks.empty()) return fail(Errc::kUsage, path + ": no hash algorithm requested");
  auto reader = FileReader::open(path, options.buffer_size);
  if (!reader) return reader.failure();
  auto raw = MultiHasher::create(banks, options.bank_helpers);
  if (!raw) return raw.failure();

  LoadedDigests r;
  r.path = path;
  r.mode = options.mode;
  r.banks.assign(banks.begin(), banks.end());

  constexpr size_t kHead = LoadedDigests::kLoadedHead;
  std::vector<uint8_t> raw_head;  // the file's first bytes
  if (options.mode == LoadMode::kRaw) {
    if (options.pipeline) (*raw)->start_pipeline(options.buffer_size);
    for (;;) {
      auto chunk = (*reader)->next();
      if (!chunk) return chunk.failure();
      if (chunk->size == 0) break;
      HeadTap::keep_head(r.head, kHead, *chunk);
      (*raw)->write(*chunk);
    }
    auto d = (*raw)->finish();
    if (!d) return fail(d.failure().code, path + ": " + d.failure().message);
    r.raw = *d;
    r.image = *d;
    r.raw_size = r.loaded_size = (*reader)->offset();
    return r;
  }

  auto loaded = MultiHasher::create(banks, options.bank_helpers);
  if (!loaded) return loaded.failure();
  // Fallback candidates: the inputs of the xz and lzop filters, kept only when a late fallback
  // may be reported as a digest (allow_fallback). The gzip filter's input is the file (`raw`).
  std::unique_ptr<MultiHasher> taps[kCodecCount];
  if (options.allow_fallback) {
    for (size_t k = 1; k < kCodecCount; ++k) {
      auto t = MultiHasher::create(banks, 0);
      if (!t) return t.failure();
      taps[k] = std::move(*t);
    }
  }
  GrubChainOptions copts;
  copts.allow_fallback = options.allow_fallback;
  copts.name = path;
  std::vector<uint8_t> loaded_head;  // the chain's output (the decompressed bytes)
  HeadTap loaded_tap(**loaded, loaded_head, kHead);
  GrubFilterChain chain(loaded_tap, copts, {nullptr, taps[1].get(), taps[2].get()});

  // When the first chunk shows no filter applies, the loaded bytes are the file's bytes: hash
  // them once and bypass the chain.
  bool first = true, shared = false;
  for (;;) {
    auto chunk = (*reader)->next();
    if (!chunk) return chunk.failure();
    if (chunk->size == 0) break;
    HeadTap::keep_head(raw_head, kHead, *chunk);
    if (shared) {
      (*loaded)->write(*chunk);
      continue;
    }
    chain.push(*chunk);
    if (first) {
      first = false;
      if (options.pipeline) (*loaded)->start_pipeline(options.buffer_size);
      if (chain.passthrough()) {
        shared = true;
        continue;
      }
    }
    (*raw)->write(*chunk);
    if (chain.failed()) break;
  }
  if (shared) {
    auto d = (*loaded)->finish();
    if (!d) return fail(d.failure().code, path + ": " + d.failure().message);
    r.raw = r.image = *d;
    r.raw_size = r.loaded_size = (*reader)->offset();
    r.head = std::move(raw_head);
    return r;
  }
  auto res = chain.finish();
  if (!res) return res.failure();
  auto rd = (*raw)->finish();
  if (!rd) return fail(rd.failure().code, path + ": " + rd.failure().message);
  r.raw = *rd;
  r.raw_size = (*reader)->offset();
  if (res->loaded_from < 0) {
    auto d = (*loaded)->finish();
    if (!d) return fail(d.failure().code, path + ": " + d.failure().message);
    r.image = *d;
    r.head = std::move(loaded_head);
  } else if (res->loaded_from == 0) {
    r.image = r.raw;
    r.head = std::move(raw_head);
  } else {
    auto d = taps[res->loaded_from]->finish();
    if (!d) return fail(d.failure().code, path + ": " + d.failure().message);
    r.image = *d;
  }
  r.loaded_size = res->loaded_size;
  r.layers = std::move(res->layers);
  r.warnings = std::move(res->warnings);
  return r;
}

std::vector<Expected<LoadedDigests>> digest_many_as_loaded(
    const std::vector<std::string>& paths, std::span<const HashAlg> banks,
    const LoadOptions& options, unsigned jobs,
    const std::function<void(size_t, const Expected<LoadedDigests>&)>& on_result) {
  const size_t n = paths.size();
  std::vector<Expected<LoadedDigests>> out;
  if (n == 0) return out;
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::min<size_t>(jobs, n);
  LoadOptions per_file = options;
  // Fewer files than jobs: the spare threads hash while the file's thread reads and decompresses,
  // one thread per bank.
  const size_t per_file_threads = jobs / n;
  if (per_file_threads >= 2) {
    per_file.pipeline = true;
    if (per_file.bank_helpers == 0)
      per_file.bank_helpers =
          static_cast<unsigned>(std::min(banks.size() - 1, per_file_threads - 1));
  }

  std::vector<std::optional<Expected<LoadedDigests>>> results(n);
  std::mutex mutex;
  std::condition_variable done_cv;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      Expected<LoadedDigests> r = digest_as_loaded(paths[i], banks, per_file);
      {
        std::lock_guard<std::mutex> lk(mutex);
        results[i].emplace(std::move(r));
      }
      done_cv.notify_one();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t t = 0; t < workers; ++t) threads.emplace_back(work);
  // Report in input order as results complete.
  for (size_t i = 0; i < n; ++i) {
    std::unique_lock<std::mutex> lk(mutex);
    done_cv.wait(lk, [&] { return results[i].has_value(); });
    lk.unlock();
    if (on_result) on_result(i, *results[i]);
  }
  for (auto& t : threads) t.join();
  out.reserve(n);
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

Expected<std::vector<ModuleMeasurement>> module_measurements(const LoadedDigests& d,
                                                             std::string_view cmdline) {
  std::vector<ModuleMeasurement> out;
  OpenSslHasher h;
  const ByteSpan cl(reinterpret_cast<const uint8_t*>(cmdline.data()), cmdline.size());
  for (const Digest& image : d.image) {
    ModuleMeasurement m;
    m.alg = image.alg;
    auto c = hash_once(h, image.alg, cl);
    if (!c) return fail(c.error(), d.path + ": cmdline digest");
    m.cmdline = *c;
    auto mm = module_measurement(h, image.alg, cl, image);
    if (!mm) return fail(mm.error(), d.path + ": module measurement");
    m.module = *mm;
    out.push_back(m);
  }
  return out;
}

}  // namespace tlaunch::host
