// SHA-1 block function per FIPS 180-4 (§4.1.1 functions, §4.2.1 constants, §6.1.2 computation).
// Only for PCR banks: a TPM may have a SHA-1 bank allocated (swtpm does by default), and extending
// every bank (extpol=embedded, all_banks=on) needs that bank's own digest. Not used for anything
// that relies on SHA-1's collision resistance. Padding and the streaming interface are
// SoftHasher's (sha2.cpp), which shares the SHA-256 block size and length encoding.
#include "tlaunch/policy/sha2.h"

namespace tlaunch {
namespace {

inline uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

inline uint32_t load_be(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

void sha1_blocks_generic(uint32_t state[5], const uint8_t* data, size_t blocks) {
  for (; blocks > 0; --blocks, data += 64) {
    uint32_t w[80];
    for (size_t t = 0; t < 16; ++t) w[t] = load_be(data + 4 * t);
    for (size_t t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
    for (size_t t = 0; t < 80; ++t) {
      uint32_t f, k;
      if (t < 20) {
        f = (b & c) | (~b & d);  // Ch
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;  // Parity
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);  // Maj
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const uint32_t tmp = rotl(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = tmp;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
  }
}

}  // namespace tlaunch
