// TIS/FIFO TPM driver (see tis.h). Register offsets within a locality page (PTP FIFO register
// table): TPM_ACCESS 0x00, TPM_STS 0x18 (burstCount in bits 8–23), TPM_DATA_FIFO 0x24,
// TPM_INTERFACE_ID 0x30, TPM_DID_VID 0xF00.
#include "tis.h"

namespace tlaunch::launcher {
namespace {

constexpr uint32_t kAccess = 0x00;
constexpr uint32_t kSts = 0x18;
constexpr uint32_t kFifo = 0x24;
constexpr uint32_t kIntfId = 0x30;
constexpr uint32_t kDidVid = 0xF00;

constexpr uint8_t kAccessValid = 0x80;
constexpr uint8_t kAccessActive = 0x20;
constexpr uint8_t kAccessRequestUse = 0x02;

constexpr uint32_t kStsValid = 0x80;
constexpr uint32_t kStsCommandReady = 0x40;
constexpr uint32_t kStsGo = 0x20;
constexpr uint32_t kStsDataAvail = 0x10;
constexpr uint32_t kStsExpect = 0x08;

constexpr uint32_t kCapLocality = 1u << 8;

Error unreachable(const char* message) { return make_error(Errc::kTpmUnreachable, message); }

}  // namespace

Result<uint32_t> Tis::probe() {
  const uint8_t access = bus_.read8(reg(0, kAccess));
  const uint32_t did_vid = bus_.read32(reg(0, kDidVid));
  if (access == 0xFF || !(access & kAccessValid) || did_vid == 0 || did_vid == 0xFFFFFFFFu)
    return unreachable("no TIS/FIFO TPM at 0xFED40000 (TPM_ACCESS or DID_VID reads as absent)");
  // A PTP FIFO interface (InterfaceType 0) says whether localities 1-4 exist; a TIS 1.3 TPM
  // (InterfaceType 0xF, no such register) has all five, and a register reading as 0 says nothing.
  const uint32_t id = bus_.read32(reg(0, kIntfId));
  all_loc_ = id == 0 || (id & 0xF) != 0 || (id & kCapLocality) != 0;
  return did_vid;
}

int Tis::active_locality() {
  for (uint8_t l = 0; l <= kMaxLocality; ++l) {
    const uint8_t a = bus_.read8(reg(l, kAccess));
    if (a != 0xFF && (a & kAccessValid) && (a & kAccessActive)) return l;
  }
  return -1;
}

void Tis::release_locality(uint8_t loc) {
  if (loc > kMaxLocality) return;
  const uint32_t a = reg(loc, kAccess);
  const uint8_t v = bus_.read8(a);
  if (v == 0xFF || !(v & kAccessValid) || !(v & kAccessActive)) return;
  bus_.write8(a, kAccessActive);  // writing 1 to activeLocality relinquishes it
  Deadline d(clock_, kTimeoutA);
  while (!d.expired() && (bus_.read8(a) & kAccessActive)) cpu_relax();
}

Status Tis::request_locality(uint8_t loc) {
  if (loc > kMaxLocality) return make_error(Errc::kBadValue, "locality out of range");
  if (!has_locality(loc))
    return with_value(unreachable("the FIFO interface has locality 0 only "
                                  "(TPM_INTERFACE_ID.CapLocality is 0)"),
                      loc);
  const uint32_t a = reg(loc, kAccess);
  bus_.write8(a, kAccessRequestUse);
  Deadline d(clock_, kTimeoutA);
  for (;;) {
    const uint8_t v = bus_.read8(a);
    if (v != 0xFF && (v & (kAccessValid | kAccessActive)) == (kAccessValid | kAccessActive)) {
      loc_ = loc;
      return ok_status();
    }
    if (d.expired()) return unreachable("TPM did not grant the requested locality (timeout A)");
    cpu_relax();
  }
}

uint32_t Tis::status() { return bus_.read32(reg(loc_, kSts)); }

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
  bus_.write32(reg(loc_, kSts), kStsCommandReady);
  TLAUNCH_TRY(wait_status(kStsCommandReady, kStsCommandReady, kTimeoutB,
                          "TPM did not become commandReady (timeout B)"));
  size_t i = 0;
  while (i < cmd.size) {
    auto burst = wait_burst();
    if (!burst.ok()) return burst.error();
    for (uint32_t n = 0; n < *burst && i < cmd.size; ++n) bus_.write8(reg(loc_, kFifo), cmd[i++]);
    TLAUNCH_TRY(wait_status(kStsValid, kStsValid, kTimeoutC, "TPM status not valid (timeout C)"));
    const bool expect = status() & kStsExpect;
    if (i < cmd.size && !expect)
      return unreachable("TPM stopped expecting command bytes before the end of the command");
    if (i == cmd.size && expect)
      return unreachable("TPM still expects bytes after the whole command was written");
  }
  bus_.write32(reg(loc_, kSts), kStsGo);
  return ok_status();
}

Result<size_t> Tis::receive(MutableByteSpan out) {
  Status done = wait_status(kStsValid | kStsDataAvail, kStsValid | kStsDataAvail, kCommandDuration,
                            "TPM returned no response within 20 s (FIFO dataAvail not set)");
  if (!done.ok()) {
    // Abort the command (commandReady while executing cancels it: PTP FIFO flow) and go on.
    bus_.write32(reg(loc_, kSts), kStsCommandReady);
    return done.error();
  }
  size_t got = 0;
  size_t want = 10;  // the header, then the size it announces
  while (got < want) {
    auto burst = wait_burst();
    if (!burst.ok()) return burst.error();
    for (uint32_t n = 0; n < *burst && got < want; ++n) {
      if (got >= out.size)
        return make_error(Errc::kTooLarge, "TPM response larger than the buffer");
      out.data[got++] = bus_.read8(reg(loc_, kFifo));
    }
    if (got == 10 && want == 10) {
      const uint32_t size = (uint32_t{out.data[2]} << 24) | (uint32_t{out.data[3]} << 16) |
                            (uint32_t{out.data[4]} << 8) | out.data[5];
      if (size < 10 || size > out.size)
        return with_value(make_error(Errc::kTooLarge, "TPM response size out of range"), size);
      want = size;
    }
  }
  TLAUNCH_TRY(wait_status(kStsValid, kStsValid, kTimeoutC, "TPM status not valid (timeout C)"));
  const bool more = status() & kStsDataAvail;
  bus_.write32(reg(loc_, kSts), kStsCommandReady);  // back to idle
  if (more) return unreachable("TPM has more response bytes than its header announced");
  return got;
}

}  // namespace tlaunch::launcher
