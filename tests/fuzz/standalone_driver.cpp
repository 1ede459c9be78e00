// A main() for the fuzz targets without libFuzzer (gcc, or clang without -fsanitize=fuzzer): the
// CI configuration of tests/fuzz. It runs every corpus file once, then -runs=N mutated inputs
// made from the corpus and the dictionary with a fixed seed, so that a CI failure reproduces
// exactly. No coverage feedback: it finds shallow bugs and keeps every property check exercised
// under ASan+UBSan on each CI run; the deep search is libFuzzer's job (tests/fuzz/run-long).
//
// Flags follow libFuzzer's spelling so that the same command lines work with both:
//   -runs=N            mutated executions after the corpus (default 0: replay only)
//   -seed=S            PRNG seed (default 1)
//   -max_len=N         longest mutated input (default: 2 * longest corpus file, at least 4096)
//   -dict=FILE         libFuzzer/AFL dictionary ("token" or name="token" per line)
//   -artifact_prefix=P where a crashing input is saved (P + "crash-<n>"), default "./"
//   -max_total_time=S  stop the mutation loop after S seconds
// Positional arguments: corpus files or directories (regular files directly inside).
// On a crash (abort, signal, sanitizer report) the input being run is written to the artifact
// file before the process dies.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// The sanitizer runtime's death callback exists only when a sanitizer is linked in (the header
// is installed with the compiler either way): GCC says so with __SANITIZE_ADDRESS__, clang with
// __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define TLAUNCH_HAVE_SANITIZER_IFACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLAUNCH_HAVE_SANITIZER_IFACE 1
#endif
#endif
#ifdef TLAUNCH_HAVE_SANITIZER_IFACE
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

// What a signal handler needs to save the input that killed the process. The handler can only
// reach it through a file-scope pointer; it is set once in main() and points at main's state.
struct CrashState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  char path[4096] = {};
  bool saved = false;
};
CrashState* g_crash = nullptr;

void save_crash_input() {
  if (g_crash == nullptr || g_crash->saved || g_crash->data == nullptr) return;
  g_crash->saved = true;
  // async-signal-safe calls only
  int fd = open(g_crash->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t off = 0;
    while (off < g_crash->size) {
      ssize_t n = write(fd, g_crash->data + off, g_crash->size - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
    const char msg[] = "\n==fuzz== crashing input saved to ";
    (void)!write(2, msg, sizeof(msg) - 1);
    (void)!write(2, g_crash->path, strlen(g_crash->path));
    (void)!write(2, "\n", 1);
  }
}

extern "C" void on_fatal_signal(int sig) {
  save_crash_input();
  signal(sig, SIG_DFL);
  raise(sig);
}

// splitmix64: small, good enough, and identical on every platform (std::mt19937 distributions
// are not specified bit for bit across library versions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  bool one_in(size_t n) { return below(n) == 0; }

 private:
  uint64_t s_;
};

bool read_file(const std::string& path, Bytes* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

// Collects regular files: a file argument itself, a directory's regular files (sorted, so the
// replay order and therefore a seeded run do not depend on readdir order).
void collect(const std::string& arg, std::vector<std::string>* files) {
  struct stat st {};
  if (stat(arg.c_str(), &st) != 0) {
    std::fprintf(stderr, "fuzz: cannot read %s: %s\n", arg.c_str(), std::strerror(errno));
    std::exit(2);
  }
  if (S_ISREG(st.st_mode)) {
    files->push_back(arg);
    return;
  }
  DIR* d = opendir(arg.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string p = arg + "/" + e->d_name;
    struct stat fs {};
    if (e->d_name[0] != '.' && stat(p.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) names.push_back(p);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  files->insert(files->end(), names.begin(), names.end());
}

// Dictionary lines: `"token"` or `name="token"`, with \xNN, \\ and \" escapes; # comments.
std::vector<Bytes> read_dict(const std::string& path) {
  std::vector<Bytes> out;
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "fuzz: cannot read dictionary %s\n", path.c_str());
    std::exit(2);
  }
  std::string line;
  while (std::getline(f, line)) {
    size_t q = line.find('"');
    size_t e = line.rfind('"');
    if (line.empty() || line[0] == '#' || q == std::string::npos || e <= q) continue;
    Bytes tok;
    for (size_t i = q + 1; i < e; ++i) {
      if (line[i] == '\\' && i + 1 < e) {
        if (line[i + 1] == 'x' && i + 3 < e) {
          tok.push_back(static_cast<uint8_t>(std::stoul(line.substr(i + 2, 2), nullptr, 16)));
          i += 3;
        } else {
          tok.push_back(static_cast<uint8_t>(line[i + 1]));
          i += 1;
        }
      } else {
        tok.push_back(static_cast<uint8_t>(line[i]));
      }
    }
    if (!tok.empty()) out.push_back(tok);
  }
  return out;
}

// Values that sit on decoder boundaries: 0, 1, all ones, sign bits, sizes of headers.
constexpr uint32_t kInteresting[] = {
    0,    1,      2,      7,      8,       12,         16,         20,        32,
    48,   64,     127,    128,    255,     256,        1024,       2048,      2124,
    4096, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};

void mutate(Rng& rng, Bytes& b, const std::vector<Bytes>& corpus, const std::vector<Bytes>& dict,
            size_t max_len) {
  const size_t steps = 1 + rng.below(4);
  for (size_t s = 0; s < steps; ++s) {
    switch (rng.below(11)) {
      case 0:  // flip one bit
        if (!b.empty()) b[rng.below(b.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
        break;
      case 1:  // random byte
        if (!b.empty()) b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
        break;
      case 2:  // an interesting number, 1/2/4 bytes, either byte order
        if (!b.empty()) {
          const uint32_t v = kInteresting[rng.below(std::size(kInteresting))] +
                             static_cast<uint32_t>(rng.below(3)) - 1;
          const size_t w = size_t{1} << rng.below(3);
          const size_t at = rng.below(b.size());
          const bool be = rng.one_in(2);
          for (size_t i = 0; i < w && at + i < b.size(); ++i)
            b[at + i] = static_cast<uint8_t>(v >> (8 * (be ? w - 1 - i : i)));
        }
        break;
      case 3:  // the input's own size (or a neighbour) as a length field, little-endian u16/u32
        if (b.size() >= 4) {
          const uint32_t v =
              static_cast<uint32_t>(b.size()) + static_cast<uint32_t>(rng.below(5)) - 2;
          const size_t at = rng.below(b.size() - 3);
          const size_t w = rng.one_in(2) ? 2 : 4;
          for (size_t i = 0; i < w; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
        }
        break;
      case 4: {  // insert random bytes
        const size_t n = 1 + rng.below(16);
        const size_t at = rng.below(b.size() + 1);
        Bytes ins(n);
        for (auto& x : ins) x = static_cast<uint8_t>(rng.next());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
        break;
      }
      case 5:  // delete a range
        if (!b.empty()) {
          const size_t at = rng.below(b.size());
          const size_t n = 1 + rng.below(std::min<size_t>(b.size() - at, 64));
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                  b.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 6:  // truncate
        if (!b.empty()) b.resize(rng.below(b.size()));
        break;
      case 7:  // duplicate a range in place (repeated entries/elements)
        if (!b.empty()) {
          const size_t at = rng.below(b.size());
          const size_t n = 1 + rng.below(std::min<size_t>(b.size() - at, 256));
          Bytes dup(b.begin() + static_cast<std::ptrdiff_t>(at),
                    b.begin() + static_cast<std::ptrdiff_t>(at + n));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at + n), dup.begin(), dup.end());
        }
        break;
      case 8:  // splice: a piece of another corpus entry
        if (!corpus.empty()) {
          const Bytes& o = corpus[rng.below(corpus.size())];
          if (!o.empty()) {
            const size_t from = rng.below(o.size());
            const size_t n = 1 + rng.below(o.size() - from);
            const size_t at = rng.below(b.size() + 1);
            if (rng.one_in(2)) {
              b.insert(b.begin() + static_cast<std::ptrdiff_t>(at),
                       o.begin() + static_cast<std::ptrdiff_t>(from),
                       o.begin() + static_cast<std::ptrdiff_t>(from + n));
            } else {
              b.resize(at);
              b.insert(b.end(), o.begin() + static_cast<std::ptrdiff_t>(from), o.end());
            }
          }
        }
        break;
      case 9:  // dictionary token, inserted or overwriting
      case 10:
        if (!dict.empty()) {
          const Bytes& t = dict[rng.below(dict.size())];
          const size_t at = rng.below(b.size() + 1);
          if (rng.one_in(2) || at + t.size() > b.size()) {
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), t.begin(), t.end());
          } else {
            std::copy(t.begin(), t.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
          }
        }
        break;
    }
  }
  if (b.size() > max_len) b.resize(max_len);
}

bool flag_value(const char* arg, const char* name, std::string* out) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *out = arg + n + 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t runs = 0, seed = 1;
  size_t max_len = 0;
  double max_time = 0;
  std::string artifact_prefix = "./";
  std::vector<std::string> dict_files, files;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (flag_value(argv[i], "-runs", &v)) {
      runs = std::stoull(v);
    } else if (flag_value(argv[i], "-seed", &v)) {
      seed = std::stoull(v);
    } else if (flag_value(argv[i], "-max_len", &v)) {
      max_len = std::stoul(v);
    } else if (flag_value(argv[i], "-dict", &v)) {
      dict_files.push_back(v);
    } else if (flag_value(argv[i], "-artifact_prefix", &v)) {
      artifact_prefix = v;
    } else if (flag_value(argv[i], "-max_total_time", &v)) {
      max_time = std::stod(v);
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "fuzz: ignoring libFuzzer flag %s\n", argv[i]);
    } else {
      collect(argv[i], &files);
    }
  }

  std::vector<Bytes> corpus;
  for (const auto& f : files) {
    Bytes b;
    if (!read_file(f, &b)) {
      std::fprintf(stderr, "fuzz: cannot read %s\n", f.c_str());
      return 2;
    }
    corpus.push_back(std::move(b));
  }
  std::vector<Bytes> dict;
  for (const auto& d : dict_files) {
    auto t = read_dict(d);
    dict.insert(dict.end(), t.begin(), t.end());
  }
  if (max_len == 0) {
    for (const auto& c : corpus) max_len = std::max(max_len, 2 * c.size());
    max_len = std::max<size_t>(max_len, 4096);
  }

  CrashState crash;
  g_crash = &crash;
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_fatal_signal);
#ifdef TLAUNCH_HAVE_SANITIZER_IFACE
  __sanitizer_set_death_callback(save_crash_input);
#endif

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t n = 0;
  auto run_one = [&](const Bytes& in, uint64_t id) {
    // The target gets its own heap copy of exactly `size` bytes, so ASan catches a read one past
    // the end just as libFuzzer's copy does.
    Bytes copy(in);
    crash.data = copy.data();
    crash.size = copy.size();
    std::snprintf(crash.path, sizeof(crash.path), "%scrash-%llu", artifact_prefix.c_str(),
                  static_cast<unsigned long long>(id));
    LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
    ++n;
  };
  for (size_t i = 0; i < corpus.size(); ++i) run_one(corpus[i], i);
  run_one(Bytes(), corpus.size());  // the empty input, as libFuzzer always tries it

  Rng rng(seed);
  uint64_t mutated = 0;
  for (; mutated < runs; ++mutated) {
    Bytes b = corpus.empty() ? Bytes() : corpus[rng.below(corpus.size())];
    mutate(rng, b, corpus, dict, max_len);
    run_one(b, 1000000 + mutated);
    if (max_time > 0 && (mutated & 255) == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_time)
      break;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Same wording as libFuzzer's final line, so tests/fuzz/run-long parses both.
  std::printf("Done %llu runs in %.0f second(s) (%zu corpus inputs, %llu mutated, seed %llu)\n",
              static_cast<unsigned long long>(n), secs, corpus.size(),
              static_cast<unsigned long long>(mutated), static_cast<unsigned long long>(seed));
  g_crash = nullptr;
  return 0;
}
