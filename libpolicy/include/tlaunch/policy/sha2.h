// Freestanding SHA-256 / SHA-384 / SHA-512 (FIPS 180-4) behind the Hasher interface, for the
// launcher (which has no OpenSSL) and for host code that must use exactly the launcher's code
// (tests, benchmarks). SHA-256 has two block functions: the generic one and one using the x86
// SHA extensions (SHA-NI: sha256rnds2/sha256msg1/sha256msg2), chosen at run time by CPUID.
// SHA-1 too, for TPM PCR banks only (sha1.cpp).
// Core code: only <stdint.h>/<stddef.h> and project headers, no heap, no globals.
#pragma once

#include "tlaunch/policy/hash_alg.h"

namespace tlaunch {

// Block function selection, by CPUID:
//   kAuto     SHA-256 on SHA-NI when CPUID reports it (leaf 7 EBX bit 29, with SSSE3 and SSE4.1
//             from leaf 1 ECX), else the generic code (below);
//   kShaNi    the same (named for tests and benchmarks);
//   kGeneric  never SHA-NI: the generic C code, compiled for BMI2 (RORX) when CPUID has it
//             (leaf 7 EBX bit 8), as is SHA-384/512 in every mode but kPortable;
//   kPortable the generic C code without any CPU extension.
// A mode never runs an instruction the CPU lacks: missing extensions fall back to the next one.
enum class Sha256Impl : uint8_t { kAuto = 0, kGeneric = 1, kShaNi = 2, kPortable = 3 };

// True when this CPU can run the SHA-NI block function (always false on non-x86 hosts).
// In the launcher the caller must have enabled SSE (CR4.OSFXSR) before using it.
bool cpu_has_sha_ni();
// True when this CPU has BMI2 (general-purpose registers only; no OS support needed).
bool cpu_has_bmi2();

// Block functions: process `blocks` consecutive 64-byte (SHA-256) / 128-byte (SHA-512) blocks.
// Exposed for tests and benchmarks; normal users go through SoftHasher.
void sha256_blocks_generic(uint32_t state[8], const uint8_t* data, size_t blocks);
void sha512_blocks_generic(uint64_t state[8], const uint8_t* data, size_t blocks);
// SHA-1: 64-byte blocks (PCR banks only).
void sha1_blocks_generic(uint32_t state[5], const uint8_t* data, size_t blocks);
// Require cpu_has_sha_ni() / cpu_has_bmi2(); call only after checking.
void sha256_blocks_shani(uint32_t state[8], const uint8_t* data, size_t blocks);
void sha256_blocks_bmi2(uint32_t state[8], const uint8_t* data, size_t blocks);
void sha512_blocks_bmi2(uint64_t state[8], const uint8_t* data, size_t blocks);

// Streaming SHA implementing Hasher (SHA-1, SHA-256, SHA-384, SHA-512; anything else:
// kUnsupported).
class SoftHasher final : public Hasher {
 public:
  explicit SoftHasher(Sha256Impl impl = Sha256Impl::kAuto);

  Status begin(HashAlg alg) override;
  void update(ByteSpan data) override;
  Digest finish() override;

  // Whether SHA-256 runs on the SHA-NI block function in this object.
  bool uses_sha_ni() const { return sha_ni_; }
  // Whether the generic code runs in its BMI2 build.
  bool uses_bmi2() const { return bmi2_; }

 private:
  void compress256(const uint8_t* data, size_t blocks);
  void compress512(const uint8_t* data, size_t blocks);

  HashAlg alg_ = HashAlg::kNull;
  bool sha_ni_ = false;
  bool bmi2_ = false;
  bool wide_ = false;     // SHA-384/512: 128-byte blocks and 64-bit words
  bool sha1_ = false;     // SHA-1: 64-byte blocks, 5 words of state in s32_
  uint32_t s32_[8] = {};  // SHA-256 state
  uint64_t s64_[8] = {};  // SHA-384/512 state
  uint64_t total_ = 0;  // bytes hashed so far (< 2^61 by construction of a 32/64-bit address space)
  uint8_t buf_[128] = {};  // partial block
  size_t buf_len_ = 0;
};

}  // namespace tlaunch
