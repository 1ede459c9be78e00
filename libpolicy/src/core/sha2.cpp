// SHA-256 / SHA-384 / SHA-512 per FIPS 180-4 (§4.1.2 functions, §4.2.2/§4.2.3 constants,
// §5.1 padding, §5.3 initial values, §6.2/§6.4 computation). Generic, portable C++; the SHA-NI
// block function lives in sha2_shani.cpp.
#include "tlaunch/policy/sha2.h"

namespace tlaunch {
namespace {

// Helpers and block bodies are always inlined so that the BMI2 variants below get them compiled
// with BMI2 (RORX: a rotate into another register, no copy first).
#define TLAUNCH_SHA_INLINE __attribute__((always_inline)) inline

// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
constexpr uint32_t kK256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots of the first 80
// primes.
constexpr uint64_t kK512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

// FIPS 180-4 §5.3.3 / §5.3.4 / §5.3.5: initial hash values.
constexpr uint32_t kInit256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
constexpr uint64_t kInit384[8] = {0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17,
                                  0x152fecd8f70e5939, 0x67332667ffc00b31, 0x8eb44a8768581511,
                                  0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4};
constexpr uint64_t kInit512[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                                  0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                                  0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};

TLAUNCH_SHA_INLINE uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }
TLAUNCH_SHA_INLINE uint64_t rotr64(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

TLAUNCH_SHA_INLINE uint32_t load_be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
TLAUNCH_SHA_INLINE uint64_t load_be64(const uint8_t* p) {
  return (static_cast<uint64_t>(load_be32(p)) << 32) | load_be32(p + 4);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

// One SHA-256 round (FIPS 180-4 §6.2.2 step 3) with the working variables passed rotated, so
// that no variable shuffling is needed between rounds: the caller rotates the argument order.
TLAUNCH_SHA_INLINE void round256(uint32_t a, uint32_t b, uint32_t c, uint32_t& d, uint32_t e,
                                 uint32_t f, uint32_t g, uint32_t& h, uint32_t kw) {
  // Sigma1/Sigma0 as nested rotates: fewer instructions than three independent rotates.
  const uint32_t s1 = rotr32(e ^ rotr32(e ^ rotr32(e, 14), 5), 6);  // ROTR 6 ^ 11 ^ 25
  const uint32_t ch = g ^ (e & (f ^ g));                            // = (e & f) ^ (~e & g)
  const uint32_t t1 = h + s1 + ch + kw;
  const uint32_t s0 = rotr32(a ^ rotr32(a ^ rotr32(a, 9), 11), 2);  // ROTR 2 ^ 13 ^ 22
  const uint32_t maj = (a & b) | (c & (a | b));                     // = (a & b) ^ (a & c) ^ (b & c)
  d += t1;
  h = t1 + s0 + maj;
}

TLAUNCH_SHA_INLINE uint32_t schedule256(uint32_t* w, size_t i) {
  // W_t = sigma1(W_t-2) + W_t-7 + sigma0(W_t-15) + W_t-16 over a 16-word ring.
  const uint32_t w2 = w[(i - 2) & 15], w15 = w[(i - 15) & 15];
  const uint32_t s0 = rotr32(w15 ^ rotr32(w15, 11), 7) ^ (w15 >> 3);  // ROTR 7 ^ 18 ^ SHR 3
  const uint32_t s1 = rotr32(w2 ^ rotr32(w2, 2), 17) ^ (w2 >> 10);    // ROTR 17 ^ 19 ^ SHR 10
  w[i & 15] += s1 + w[(i - 7) & 15] + s0;
  return w[i & 15];
}

TLAUNCH_SHA_INLINE void round512(uint64_t a, uint64_t b, uint64_t c, uint64_t& d, uint64_t e,
                                 uint64_t f, uint64_t g, uint64_t& h, uint64_t kw) {
  const uint64_t s1 = rotr64(e ^ rotr64(e ^ rotr64(e, 23), 4), 14);  // ROTR 14 ^ 18 ^ 41
  const uint64_t ch = g ^ (e & (f ^ g));
  const uint64_t t1 = h + s1 + ch + kw;
  const uint64_t s0 = rotr64(a ^ rotr64(a ^ rotr64(a, 5), 6), 28);  // ROTR 28 ^ 34 ^ 39
  const uint64_t maj = (a & b) | (c & (a | b));
  d += t1;
  h = t1 + s0 + maj;
}

TLAUNCH_SHA_INLINE uint64_t schedule512(uint64_t* w, size_t i) {
  const uint64_t w2 = w[(i - 2) & 15], w15 = w[(i - 15) & 15];
  const uint64_t s0 = rotr64(w15 ^ rotr64(w15, 7), 1) ^ (w15 >> 7);  // ROTR 1 ^ 8 ^ SHR 7
  const uint64_t s1 = rotr64(w2 ^ rotr64(w2, 42), 19) ^ (w2 >> 6);   // ROTR 19 ^ 61 ^ SHR 6
  w[i & 15] += s1 + w[(i - 7) & 15] + s0;
  return w[i & 15];
}

TLAUNCH_SHA_INLINE void sha256_body(uint32_t state[8], const uint8_t* data, size_t blocks) {
  for (; blocks > 0; --blocks, data += 64) {
    uint32_t w[16];
    for (size_t i = 0; i < 16; ++i) w[i] = load_be32(data + 4 * i);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    // Fully unrolled (the pragmas) so that every message-ring index is a constant; eight rounds
    // per step with the working variables rotated through the argument lists.
#pragma GCC unroll 2
    for (size_t i = 0; i < 16; i += 8) {
      round256(a, b, c, d, e, f, g, h, kK256[i + 0] + w[i + 0]);
      round256(h, a, b, c, d, e, f, g, kK256[i + 1] + w[i + 1]);
      round256(g, h, a, b, c, d, e, f, kK256[i + 2] + w[i + 2]);
      round256(f, g, h, a, b, c, d, e, kK256[i + 3] + w[i + 3]);
      round256(e, f, g, h, a, b, c, d, kK256[i + 4] + w[i + 4]);
      round256(d, e, f, g, h, a, b, c, kK256[i + 5] + w[i + 5]);
      round256(c, d, e, f, g, h, a, b, kK256[i + 6] + w[i + 6]);
      round256(b, c, d, e, f, g, h, a, kK256[i + 7] + w[i + 7]);
    }
#pragma GCC unroll 6
    for (size_t i = 16; i < 64; i += 8) {
      round256(a, b, c, d, e, f, g, h, kK256[i + 0] + schedule256(w, i + 0));
      round256(h, a, b, c, d, e, f, g, kK256[i + 1] + schedule256(w, i + 1));
      round256(g, h, a, b, c, d, e, f, kK256[i + 2] + schedule256(w, i + 2));
      round256(f, g, h, a, b, c, d, e, kK256[i + 3] + schedule256(w, i + 3));
      round256(e, f, g, h, a, b, c, d, kK256[i + 4] + schedule256(w, i + 4));
      round256(d, e, f, g, h, a, b, c, kK256[i + 5] + schedule256(w, i + 5));
      round256(c, d, e, f, g, h, a, b, kK256[i + 6] + schedule256(w, i + 6));
      round256(b, c, d, e, f, g, h, a, kK256[i + 7] + schedule256(w, i + 7));
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

TLAUNCH_SHA_INLINE void sha512_body(uint64_t state[8], const uint8_t* data, size_t blocks) {
  for (; blocks > 0; --blocks, data += 128) {
    uint64_t w[16];
    for (size_t i = 0; i < 16; ++i) w[i] = load_be64(data + 8 * i);
    uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
#pragma GCC unroll 2
    for (size_t i = 0; i < 16; i += 8) {
      round512(a, b, c, d, e, f, g, h, kK512[i + 0] + w[i + 0]);
      round512(h, a, b, c, d, e, f, g, kK512[i + 1] + w[i + 1]);
      round512(g, h, a, b, c, d, e, f, kK512[i + 2] + w[i + 2]);
      round512(f, g, h, a, b, c, d, e, kK512[i + 3] + w[i + 3]);
      round512(e, f, g, h, a, b, c, d, kK512[i + 4] + w[i + 4]);
      round512(d, e, f, g, h, a, b, c, kK512[i + 5] + w[i + 5]);
      round512(c, d, e, f, g, h, a, b, kK512[i + 6] + w[i + 6]);
      round512(b, c, d, e, f, g, h, a, kK512[i + 7] + w[i + 7]);
    }
#pragma GCC unroll 8
    for (size_t i = 16; i < 80; i += 8) {
      round512(a, b, c, d, e, f, g, h, kK512[i + 0] + schedule512(w, i + 0));
      round512(h, a, b, c, d, e, f, g, kK512[i + 1] + schedule512(w, i + 1));
      round512(g, h, a, b, c, d, e, f, kK512[i + 2] + schedule512(w, i + 2));
      round512(f, g, h, a, b, c, d, e, kK512[i + 3] + schedule512(w, i + 3));
      round512(e, f, g, h, a, b, c, d, kK512[i + 4] + schedule512(w, i + 4));
      round512(d, e, f, g, h, a, b, c, kK512[i + 5] + schedule512(w, i + 5));
      round512(c, d, e, f, g, h, a, b, kK512[i + 6] + schedule512(w, i + 6));
      round512(b, c, d, e, f, g, h, a, kK512[i + 7] + schedule512(w, i + 7));
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

}  // namespace

void sha256_blocks_generic(uint32_t state[8], const uint8_t* data, size_t blocks) {
  sha256_body(state, data, blocks);
}
void sha512_blocks_generic(uint64_t state[8], const uint8_t* data, size_t blocks) {
  sha512_body(state, data, blocks);
}

#if defined(__x86_64__) || defined(__i386__)
// The same code compiled for BMI2 (Intel SDM Vol. 2, RORX): called only when cpu_has_bmi2().
__attribute__((target("bmi2"))) void sha256_blocks_bmi2(uint32_t state[8], const uint8_t* data,
                                                        size_t blocks) {
  sha256_body(state, data, blocks);
}
__attribute__((target("bmi2"))) void sha512_blocks_bmi2(uint64_t state[8], const uint8_t* data,
                                                        size_t blocks) {
  sha512_body(state, data, blocks);
}
#else
void sha256_blocks_bmi2(uint32_t state[8], const uint8_t* data, size_t blocks) {
  sha256_body(state, data, blocks);
}
void sha512_blocks_bmi2(uint64_t state[8], const uint8_t* data, size_t blocks) {
  sha512_body(state, data, blocks);
}
#endif

SoftHasher::SoftHasher(Sha256Impl impl) {
  sha_ni_ = (impl == Sha256Impl::kAuto || impl == Sha256Impl::kShaNi) && cpu_has_sha_ni();
  bmi2_ = impl != Sha256Impl::kPortable && cpu_has_bmi2();
}

void SoftHasher::compress256(const uint8_t* data, size_t blocks) {
  if (sha1_) {
    sha1_blocks_generic(s32_, data, blocks);
  } else if (sha_ni_) {
    sha256_blocks_shani(s32_, data, blocks);
  } else if (bmi2_) {
    sha256_blocks_bmi2(s32_, data, blocks);
  } else {
    sha256_blocks_generic(s32_, data, blocks);
  }
}

void SoftHasher::compress512(const uint8_t* data, size_t blocks) {
  if (bmi2_) {
    sha512_blocks_bmi2(s64_, data, blocks);
  } else {
    sha512_blocks_generic(s64_, data, blocks);
  }
}

Status SoftHasher::begin(HashAlg alg) {
  total_ = 0;
  buf_len_ = 0;
  sha1_ = false;
  switch (alg) {
    case HashAlg::kSha1: {
      // FIPS 180-4 §5.3.1.
      constexpr uint32_t kInit1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
      for (size_t i = 0; i < 5; ++i) s32_[i] = kInit1[i];
      wide_ = false;
      sha1_ = true;
      break;
    }
    case HashAlg::kSha256:
      for (size_t i = 0; i < 8; ++i) s32_[i] = kInit256[i];
      wide_ = false;
      break;
    case HashAlg::kSha384:
      for (size_t i = 0; i < 8; ++i) s64_[i] = kInit384[i];
      wide_ = true;
      break;
    case HashAlg::kSha512:
      for (size_t i = 0; i < 8; ++i) s64_[i] = kInit512[i];
      wide_ = true;
      break;
    default:
      alg_ = HashAlg::kNull;
      return with_value(make_error(Errc::kUnsupported,
                                   "hash algorithm not implemented by the freestanding SHA code"),
                        static_cast<uint16_t>(alg));
  }
  alg_ = alg;
  return ok_status();
}

void SoftHasher::update(ByteSpan data) {
  if (alg_ == HashAlg::kNull || data.size == 0) return;
  const size_t block = wide_ ? 128 : 64;
  const uint8_t* p = data.data;
  size_t n = data.size;
  total_ += n;
  if (buf_len_ > 0) {
    size_t take = block - buf_len_;
    if (take > n) take = n;
    copy_bytes(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
    if (buf_len_ < block) return;
    if (wide_) {
      compress512(buf_, 1);
    } else {
      compress256(buf_, 1);
    }
    buf_len_ = 0;
  }
  const size_t blocks = n / block;
  if (blocks > 0) {
    if (wide_) {
      compress512(p, blocks);
    } else {
      compress256(p, blocks);
    }
    p += blocks * block;
    n -= blocks * block;
  }
  copy_bytes(buf_, p, n);
  buf_len_ = n;
}

Digest SoftHasher::finish() {
  Digest d;
  if (alg_ == HashAlg::kNull) return d;  // size 0: begin() failed or was not called
  // FIPS 180-4 §5.1.1 / §5.1.2: append 0x80, zeros, then the message length in bits
  // (64-bit for SHA-256, 128-bit for SHA-384/512; the high 64 bits hold total_ >> 61).
  const size_t block = wide_ ? 128 : 64;
  const size_t len_field = wide_ ? 16 : 8;
  buf_[buf_len_++] = 0x80;
  if (buf_len_ > block - len_field) {
    fill_bytes(buf_ + buf_len_, 0, block - buf_len_);
    if (wide_) {
      compress512(buf_, 1);
    } else {
      compress256(buf_, 1);
    }
    buf_len_ = 0;
  }
  fill_bytes(buf_ + buf_len_, 0, block - buf_len_);
  if (wide_) store_be64(buf_ + block - 16, total_ >> 61);
  store_be64(buf_ + block - 8, total_ << 3);
  d.alg = alg_;
  if (wide_) {
    compress512(buf_, 1);
    d.size = alg_ == HashAlg::kSha384 ? 48 : 64;
    uint8_t out[64];
    for (size_t i = 0; i < 8; ++i) store_be64(out + 8 * i, s64_[i]);
    copy_bytes(d.bytes, out, d.size);
  } else {
    compress256(buf_, 1);
    d.size = sha1_ ? 20 : 32;
    for (size_t i = 0; i < d.size / 4u; ++i) store_be32(d.bytes + 4 * i, s32_[i]);
  }
  alg_ = HashAlg::kNull;  // finish() ends the computation; begin() starts a new one
  buf_len_ = 0;
  return d;
}

}  // namespace tlaunch
