// x86 primitives for the launcher: port I/O, MMIO, TSC, CPUID. 32-bit protected mode, paging off
// (physical = linear), so an MMIO register is a plain volatile access at its physical address.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tlaunch::launcher {

inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outl(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

inline uint8_t mmio_read8(uintptr_t a) { return *reinterpret_cast<volatile const uint8_t*>(a); }
inline uint32_t mmio_read32(uintptr_t a) { return *reinterpret_cast<volatile const uint32_t*>(a); }
inline void mmio_write8(uintptr_t a, uint8_t v) { *reinterpret_cast<volatile uint8_t*>(a) = v; }
inline void mmio_write32(uintptr_t a, uint32_t v) { *reinterpret_cast<volatile uint32_t*>(a) = v; }

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

inline void cpu_relax() { __asm__ volatile("pause"); }

// Copies n bytes between physical addresses with REP MOVSB (fast under QEMU TCG and on CPUs with
// ERMSB); the caller guarantees the ranges do not overlap.
inline void copy_phys(uint32_t dst, uint32_t src, uint32_t n) {
  __asm__ volatile("cld; rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

[[noreturn]] inline void halt_forever() {
  for (;;) __asm__ volatile("cli; hlt");
}

// Implemented in entry.S: loads the flat GDT (code 0x10, data 0x18 as the Linux 32-bit boot
// protocol requires), sets ESI = boot_params, EBP = EDI = EBX = 0 and jumps to entry.
extern "C" [[noreturn]] void launcher_jump_linux(uint32_t entry, uint32_t boot_params);

}  // namespace tlaunch::launcher
