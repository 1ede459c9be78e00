// CPU feature detection for the SHA-2 code, and the SHA-256 block function on the Intel SHA
// extensions (Intel SDM Vol. 2, SHA256RNDS2 / SHA256MSG1 / SHA256MSG2; Intel white paper "Intel SHA
// Extensions", 2013, for the ABEF/CDGH state layout). Written with compiler vector builtins instead
// of <immintrin.h>, because that header pulls in <stdlib.h> (mm_malloc.h) and so cannot be used in
// freestanding core code. The function carries target("sha,sse4.1") so the rest of the library (and
// the launcher, built with -mno-sse) needs no SSE; it is only called after cpu_has_sha_ni() said
// yes.
#include "tlaunch/policy/sha2.h"

namespace tlaunch {

#if defined(__x86_64__) || defined(__i386__)

namespace {

// 32-bit lanes. Unsigned, so that lane additions wrap (FIPS 180-4 addition modulo 2^32) instead of
// being signed overflow; the SHA builtins take signed int vectors and get a bit-cast (SI()).
typedef unsigned int V4 __attribute__((vector_size(16)));
typedef int V4s __attribute__((vector_size(16)));
typedef unsigned int V4u __attribute__((vector_size(16), aligned(1), may_alias));
typedef char V16 __attribute__((vector_size(16)));
typedef char V16u __attribute__((vector_size(16), aligned(1), may_alias));

// Same constants as FIPS 180-4 §4.2.2 (kept here 16-byte aligned for vector loads).
alignas(16) constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

void cpuid(uint32_t leaf, uint32_t sub, uint32_t* a, uint32_t* b, uint32_t* c, uint32_t* d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define TLAUNCH_SHANI __attribute__((target("sha,sse4.1"), always_inline)) inline

// Loads 16 message bytes as four big-endian 32-bit words (PSHUFB byte swap within each word).
TLAUNCH_SHANI V4 load_msg(const uint8_t* p) {
  V16 m = *reinterpret_cast<const V16u*>(p);
  return reinterpret_cast<V4>(
      __builtin_shufflevector(m, m, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
}

// PALIGNR hi:lo by 4 bytes: lanes {lo1, lo2, lo3, hi0} (= W[t-15..t-12] windows).
TLAUNCH_SHANI V4 align4(V4 hi, V4 lo) { return __builtin_shufflevector(lo, hi, 1, 2, 3, 4); }

// Four rounds: SHA256RNDS2 does two rounds with the low two lanes of wk; PSHUFD 0x0E moves the
// high two lanes down for the next two.
TLAUNCH_SHANI V4s SI(V4 v) { return reinterpret_cast<V4s>(v); }
TLAUNCH_SHANI V4 UI(V4s v) { return reinterpret_cast<V4>(v); }

TLAUNCH_SHANI void rounds4(V4& abef, V4& cdgh, V4 wk) {
  cdgh = UI(__builtin_ia32_sha256rnds2(SI(cdgh), SI(abef), SI(wk)));
  abef = UI(__builtin_ia32_sha256rnds2(SI(abef), SI(cdgh),
                                       SI(__builtin_shufflevector(wk, wk, 2, 3, 0, 0))));
}

}  // namespace

bool cpu_has_sha_ni() {
  uint32_t a, b, c, d;
  cpuid(0, 0, &a, &b, &c, &d);
  if (a < 7) return false;
  const uint32_t max_leaf = a;
  cpuid(1, 0, &a, &b, &c, &d);
  const bool ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1, sse2 = (d >> 26) & 1,
             fxsr = (d >> 24) & 1;
  if (!(ssse3 && sse41 && sse2 && fxsr) || max_leaf < 7) return false;
  cpuid(7, 0, &a, &b, &c, &d);
  return (b >> 29) & 1;  // CPUID.(EAX=07H,ECX=0):EBX.SHA[bit 29]
}

bool cpu_has_bmi2() {
  uint32_t a, b, c, d;
  cpuid(0, 0, &a, &b, &c, &d);
  if (a < 7) return false;
  cpuid(7, 0, &a, &b, &c, &d);
  return (b >> 8) & 1;  // CPUID.(EAX=07H,ECX=0):EBX.BMI2[bit 8]
}

__attribute__((target("sha,sse4.1"))) void sha256_blocks_shani(uint32_t state[8],
                                                               const uint8_t* data, size_t blocks) {
  // state[] = A..H. SHA256RNDS2 wants {F,E,B,A} and {H,G,D,C} in lanes 0..3 ("ABEF"/"CDGH").
  V4 dcba = *reinterpret_cast<const V4u*>(state);
  V4 hgfe = *reinterpret_cast<const V4u*>(state + 4);
  V4 abef = __builtin_shufflevector(hgfe, dcba, 1, 0, 5, 4);  // {F, E, B, A}
  V4 cdgh = __builtin_shufflevector(hgfe, dcba, 3, 2, 7, 6);  // {H, G, D, C}
  const V4* k = reinterpret_cast<const V4*>(kK);

  for (; blocks > 0; --blocks, data += 64) {
    const V4 abef_save = abef, cdgh_save = cdgh;
    V4 w[4] = {load_msg(data), load_msg(data + 16), load_msg(data + 32), load_msg(data + 48)};
    // Rounds 0..63, four at a time. For group g (rounds 4g..4g+3) the message words are w[g%4];
    // the schedule for group g+4 is prepared over groups g-1..g+3: MSG1 two groups after a
    // word set is consumed, then the add of the W[t-7] window and MSG2 (FIPS 180-4 §6.2.2 step 1).
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      V4& cur = w[g & 3];
      rounds4(abef, cdgh, cur + k[g]);
      if (g >= 3 && g < 15) {
        // Next words: w[(g+1)&3] = MSG2(w[(g+1)&3] + align4(cur, w[(g-1)&3]), cur).
        V4& next = w[(g + 1) & 3];
        next = UI(__builtin_ia32_sha256msg2(SI(next + align4(cur, w[(g + 3) & 3])), SI(cur)));
      }
      if (g >= 1 && g < 13) {
        V4& prev = w[(g + 3) & 3];
        prev = UI(__builtin_ia32_sha256msg1(SI(prev), SI(cur)));
      }
    }
    abef += abef_save;
    cdgh += cdgh_save;
  }

  // Back to A..H order.
  V4 out_dcba = __builtin_shufflevector(abef, cdgh, 3, 2, 7, 6);  // {A, B, C, D}
  V4 out_hgfe = __builtin_shufflevector(abef, cdgh, 1, 0, 5, 4);  // {E, F, G, H}
  *reinterpret_cast<V4u*>(state) = out_dcba;
  *reinterpret_cast<V4u*>(state + 4) = out_hgfe;
}

#undef TLAUNCH_SHANI

#else  // not x86

bool cpu_has_sha_ni() { return false; }
bool cpu_has_bmi2() { return false; }
void sha256_blocks_shani(uint32_t state[8], const uint8_t* data, size_t blocks) {
  sha256_blocks_generic(state, data, blocks);
}

#endif

}  // namespace tlaunch
