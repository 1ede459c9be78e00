// TIS/FIFO TPM driver (see tis.h). Register offsets within a locality page (PTP Table 20):
// TPM_ACCESS 0x00, TPM_STS 0x18 (burstCount in bits 8–23), TPM_DATA_FIFO 0x24, TPM_DID_VID 0xF00.
#include "tis.h"

#include "arch.h"

namespace tlaunch::launcher {
namespace {

constexpr uint32_t kAccess = 0x00;
constexpr uint32_t kSts = 0x18;
constexpr uint32_t kFifo = 0x24;
constexpr uint32_t kDidVid = 0xF00;

constexpr uint8_t kAccessValid = 0x80;
constexpr uint8_t kAccessActive = 0x20;
constexpr uint8_t kAccessRequestUse = 0x02;

constexpr uint32_t kStsValid = 0x80;
constexpr uint32_t kStsCommandReady = 0x40;
constexpr uint32_t kStsGo = 0x20;
constexpr uint32_t kStsDataAvail = 0x10;
constexpr uint32_t kStsExpect = 0x08;

constexpr uint32_t kTimeoutA = 750;
constexpr uint32_t kTimeoutB = 2000;
constexpr uint32_t kTimeoutD = 750;
// NV and PCR commands finish in milliseconds; 20 s covers slow NV writes on real parts.
constexpr uint32_t kCommandDuration = 20000;

Error unreachable(const char* message) { return make_error(Errc::kTpmUnreachable, message); }

}  // namespace

Result<uint32_t> Tis::probe() {
  const uint8_t access = mmio_read8(kBase + kAccess);
  const uint32_t did_vid = mmio_read32(kBase + kDidVid);
  if (access == 0xFF || !(access & kAccessValid) || did_vid == 0 || did_vid == 0xFFFFFFFFu)
    return unreachable("no TIS/FIFO TPM at 0xFED40000 (TPM_ACCESS or DID_VID reads as absent)");
  return did_vid;
}

int Tis::active_locality() {
  for (uint8_t l = 0; l < 5; ++l) {
    const uint8_t a = mmio_read8(kBase + uintptr_t{l} * 0x1000 + kAccess);
    if (a != 0xFF && (a & kAccessValid) && (a & kAccessActive)) return l;
  }
  return -1;
}

void Tis::release_locality(uint8_t loc) {
  const uintptr_t a = kBase + uintptr_t{loc} * 0x1000 + kAccess;
  const uint8_t v = mmio_read8(a);
  if (!(v & kAccessValid) || !(v & kAccessActive)) return;
  mmio_write8(a, kAccessActive);  // writing 1 to activeLocality relinquishes it
  Deadline d(clock_, kTimeoutA);
  while (!d.expired() && (mmio_read8(a) & kAccessActive)) cpu_relax();
}

Status Tis::request_locality(uint8_t loc) {
  if (loc > 4) return make_error(Errc::kBadValue, "locality out of range");
  const uintptr_t a = kBase + uintptr_t{loc} * 0x1000 + kAccess;
  mmio_write8(a, kAccessRequestUse);
  Deadline d(clock_, kTimeoutA);
  for (;;) {
    const uint8_t v = mmio_read8(a);
    if ((v & (kAccessValid | kAccessActive)) == (kAccessValid | kAccessActive)) {
      loc_ = loc;
      return ok_status();
    }
    if (d.expired()) return unreachable("TPM did not grant the requested locality (timeout A)");
    cpu_relax();
  }
}

uint32_t Tis::status() const { return mmio_read32(reg(kSts)); }

Status Tis::wait_status(uint32_t mask, uint32_t want, uint32_t ms, const char* what) {
  Deadline d(clock_, ms);
  for (;;) {
    if ((status() & mask) == want) return ok_status();
    if (d.expired()) return unreachable(what);
    cpu_relax();
  }
}

Result<uint32_t> Tis::wait_burst() {
  Deadline d(clock_, kTimeoutD);
  for (;;) {
    const uint32_t burst = (status() >> 8) & 0xFFFF;
    if (burst != 0) return burst;
    if (d.expired()) return unreachable("TPM burstCount stayed 0 (timeout D)");
    cpu_relax();
  }
}

Status Tis::send(ByteSpan cmd) {
  if (cmd.size < 10) return make_error(Errc::kBadValue, "TPM command shorter than its header");
  mmio_write32(reg(kSts), kStsCommandReady);
  TLAUNCH_TRY(wait_status(kStsCommandReady, kStsCommandReady, kTimeoutB,
                          "TPM did not become commandReady (timeout B)"));
  size_t i = 0;
  while (i < cmd.size) {
    auto burst = wait_burst();
    if (!burst.ok()) return burst.error();
    for (uint32_t n = 0; n < *burst && i < cmd.size; ++n) mmio_write8(reg(kFifo), cmd[i++]);
    TLAUNCH_TRY(wait_status(kStsValid, kStsValid, kTimeoutD, "TPM status not valid (timeout C)"));
    const bool expect = status() & kStsExpect;
    if (i < cmd.size && !expect)
      return unreachable("TPM stopped expecting command bytes before the end of the command");
    if (i == cmd.size && expect)
      return unreachable("TPM still expects bytes after the whole command was written");
  }
  mmio_write32(reg(kSts), kStsGo);
  return ok_status();
}

Result<size_t> Tis::receive(MutableByteSpan out) {
  TLAUNCH_TRY(wait_status(kStsValid | kStsDataAvail, kStsValid | kStsDataAvail, kCommandDuration,
                          "TPM returned no response within 20 s"));
  size_t got = 0;
  size_t want = 10;  // the header, then the size it announces
  while (got < want) {
    auto burst = wait_burst();
    if (!burst.ok()) return burst.error();
    for (uint32_t n = 0; n < *burst && got < want; ++n) {
      if (got >= out.size)
        return make_error(Errc::kTooLarge, "TPM response larger than the buffer");
      out.data[got++] = mmio_read8(reg(kFifo));
    }
    if (got == 10 && want == 10) {
      const uint32_t size = (uint32_t{out.data[2]} << 24) | (uint32_t{out.data[3]} << 16) |
                            (uint32_t{out.data[4]} << 8) | out.data[5];
      if (size < 10 || size > out.size)
        return make_error(Errc::kTooLarge, "TPM response size out of range");
      want = size;
    }
  }
  TLAUNCH_TRY(wait_status(kStsValid, kStsValid, kTimeoutD, "TPM status not valid (timeout C)"));
  const bool more = status() & kStsDataAvail;
  mmio_write32(reg(kSts), kStsCommandReady);  // back to idle
  if (more) return unreachable("TPM has more response bytes than its header announced");
  return got;
}

}  // namespace tlaunch::launcher
