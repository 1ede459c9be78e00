// The launcher's SHA-2 code (libpolicy src/core/sha2*.cpp, the same sources the image is built
// from), compiled for the host, against OpenSSL's on the same buffer.
//
//   sha_bench [--size BYTES] [--reps N]              timing table, TSC ticks per byte (best of N)
//   sha_bench --once IMPL ALG [--size BYTES]         hash the buffer once (for callgrind, which
//                                                   counts instructions in hash_buffer() only)
// IMPL: generic (no SHA-NI; BMI2 build when the CPU has BMI2) | portable (no CPU extension) |
//       shani | openssl; ALG: sha256 | sha384.
// OpenSSL picks its code path at start-up from CPUID and OPENSSL_ia32cap (run.sh masks SHA-NI
// with OPENSSL_ia32cap=":~0x20000000" for the "without SHA-NI" column).
#include <openssl/evp.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tlaunch/policy/sha2.h"

namespace {

using tlaunch::ByteSpan;
using tlaunch::HashAlg;

// Hashes `data` once with the given implementation; returns the first digest byte so the work
// cannot be optimised away. Kept out of line: callgrind --toggle-collect=hash_buffer* counts it.
__attribute__((noinline)) unsigned hash_buffer(const std::string& impl, HashAlg alg,
                                               const std::vector<uint8_t>& data) {
  if (impl == "openssl") {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n,
               alg == HashAlg::kSha256 ? EVP_sha256() : EVP_sha384(), nullptr);
    return md[0];
  }
  tlaunch::SoftHasher h(impl == "shani"      ? tlaunch::Sha256Impl::kShaNi
                        : impl == "portable" ? tlaunch::Sha256Impl::kPortable
                                             : tlaunch::Sha256Impl::kGeneric);
  auto d = tlaunch::hash_once(h, alg, ByteSpan(data.data(), data.size()));
  return d.ok() ? d->bytes[0] : 0;
}

double ticks_per_byte(const std::string& impl, HashAlg alg, const std::vector<uint8_t>& data,
                      int reps) {
  double best = 1e30;
  volatile unsigned sink = 0;
  for (int r = 0; r < reps; ++r) {
    const unsigned long long t0 = __rdtsc();
    sink = sink + hash_buffer(impl, alg, data);
    const unsigned long long t1 = __rdtsc();
    const double v = static_cast<double>(t1 - t0) / static_cast<double>(data.size());
    if (v < best) best = v;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  size_t size = 16u << 20;
  int reps = 7;
  std::string once_impl, once_alg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--size" && i + 1 < argc)
      size = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--once" && i + 2 < argc) {
      once_impl = argv[++i];
      once_alg = argv[++i];
    } else {
      std::fprintf(stderr, "usage: see the comment at the top of sha_bench.cpp\n");
      return 2;
    }
  }
  std::vector<uint8_t> data(size);
  std::mt19937_64 rng(1);
  for (auto& b : data) b = static_cast<uint8_t>(rng());

  if (!once_impl.empty()) {
    const HashAlg alg = once_alg == "sha384" ? HashAlg::kSha384 : HashAlg::kSha256;
    return hash_buffer(once_impl, alg, data) == 0x100 ? 1 : 0;
  }
  std::printf("cpu_sha_ni %d\n", tlaunch::cpu_has_sha_ni() ? 1 : 0);
  std::printf("cpu_bmi2 %d\n", tlaunch::cpu_has_bmi2() ? 1 : 0);
  const char* mask = std::getenv("OPENSSL_ia32cap");
  std::printf("openssl_ia32cap %s\n", mask ? mask : "-");
  struct Row {
    const char* impl;
    HashAlg alg;
    const char* name;
  };
  const Row rows[] = {
      {"generic", HashAlg::kSha256, "sha256"}, {"portable", HashAlg::kSha256, "sha256"},
      {"shani", HashAlg::kSha256, "sha256"},   {"openssl", HashAlg::kSha256, "sha256"},
      {"generic", HashAlg::kSha384, "sha384"}, {"portable", HashAlg::kSha384, "sha384"},
      {"openssl", HashAlg::kSha384, "sha384"}};
  for (const Row& r : rows) {
    if (std::strcmp(r.impl, "shani") == 0 && !tlaunch::cpu_has_sha_ni()) continue;
    std::printf("%s %s %.3f\n", r.name, r.impl, ticks_per_byte(r.impl, r.alg, data, reps));
  }
  return 0;
}
