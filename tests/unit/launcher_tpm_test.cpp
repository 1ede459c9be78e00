// The launcher's TPM drivers on the host: the CRB and TIS/FIFO state machines (launcher/src/crb.*,
// tis.*) and the common bring-up (tpm_device.*) run against fake register files that behave as
// the PTP describes (and as QEMU's tpm-crb / tpm-tis do), with a small scripted TPM behind them.
// A simulated clock advances one millisecond per reading, so every bounded wait expires quickly
// and the tests can assert how long the driver waited. Under ASan, a driver access outside the
// registers or the CRB buffer is recorded as a stray access and fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crb.h"
#include "tis.h"
#include "tpm_device.h"

namespace tlaunch::launcher {
namespace {

using Bytes = std::vector<uint8_t>;

class FakeClock final : public TimeSource {
 public:
  uint64_t now() const override { return ++t_; }
  uint64_t ms_to_ticks(uint32_t ms) const override { return ms; }
  uint64_t elapsed() const { return t_; }

 private:
  mutable uint64_t t_ = 0;
};

uint32_t be32(const Bytes& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

Bytes response(uint32_t rc, const Bytes& body) {
  Bytes r = {0x80, 0x01};
  const uint32_t size = static_cast<uint32_t>(10 + body.size());
  for (int i = 3; i >= 0; --i) r.push_back(static_cast<uint8_t>(size >> (8 * i)));
  for (int i = 3; i >= 0; --i) r.push_back(static_cast<uint8_t>(rc >> (8 * i)));
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

// The TPM behind either interface: answers GetCapability(PCRS) with SHA-256 and SHA-384 banks
// (PCRs 0-23), Startup with success; until started (when `needs_startup`), everything but
// Startup gets TPM_RC_INITIALIZE. Records the command codes and the locality of each command.
struct ScriptedTpm {
  bool needs_startup = false;
  std::vector<uint32_t> codes;
  std::vector<int> localities;
  Bytes answer(const Bytes& cmd, int locality) {
    const uint32_t cc = be32(cmd, 6);
    codes.push_back(cc);
    localities.push_back(locality);
    if (cc == tpm::kCcStartup) {
      needs_startup = false;
      return response(0, {});
    }
    if (needs_startup) return response(tpm::kRcInitialize, {});
    if (cc == tpm::kCcGetCapability)
      return response(0, {0x00, 0,    0,    0,    5,    0,    0, 0,    2,    0x00, 0x0B,
                          3,    0xFF, 0xFF, 0xFF, 0x00, 0x0C, 3, 0xFF, 0xFF, 0xFF});
    return response(0x143 /* TPM_RC_COMMAND_CODE */, {});
  }
};

// Common knobs of both fake interfaces.
struct Faults {
  bool grant_locality = true;  // a requested locality becomes active
  bool hang = false;           // the TPM takes a command and never answers
  int busy_polls = 2;          // readings before a request bit clears / a command completes
};

// A CRB register file as the PTP describes it, with QEMU's behaviour by default: one locality
// page (CapLocality = 0) unless `all_localities`, the data buffer at 0x80 of the page as both
// command and response buffer.
class FakeCrb final : public MmioBus {
 public:
  ScriptedTpm tpm;
  Faults faults;
  bool all_localities = false;
  uint32_t intf_id = 0x00025811;  // QEMU 7.2: CRB active, version 1, locality 0 only, CapCRB
  uint32_t cmd_laddr = kTpmBase + 0x80, cmd_haddr = 0, rsp_laddr = kTpmBase + 0x80, rsp_haddr = 0;
  uint32_t buf_size = 0xF80;
  bool fatal = false;
  // What the driver did.
  std::vector<std::string> events;
  bool stray = false;
  Bytes buffer = Bytes(0xF80, 0);

  uint8_t read8(uint32_t a) override {
    if (in_buffer(a)) return buffer[a - kTpmBase - 0x80];
    return static_cast<uint8_t>(read32(a & ~3u) >> (8 * (a & 3)));
  }
  uint32_t read32(uint32_t a) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off)) return 0xFFFFFFFFu;
    switch (off) {
      case 0x00:  // TPM_LOC_STATE
        return 0x80u | (assigned_ >= 0 ? 0x2u | (static_cast<uint32_t>(assigned_) << 2) : 0u);
      case 0x0C:
        return assigned_ == loc ? 1u : 0u;
      case 0x30:
        return intf_id | (all_localities ? 0x100u : 0u);
      case 0x34:
        return 0x00001014;  // VID IBM, as QEMU
      case 0x40:
        return poll_req();
      case 0x44:
        return (fatal ? 1u : 0u) | (idle_ ? 2u : 0u);
      case 0x4C:
        return poll_start();
      case 0x58:
        return buf_size;
      case 0x5C:
        return cmd_laddr;
      case 0x60:
        return cmd_haddr;
      case 0x64:
        return buf_size;
      case 0x68:
        return rsp_laddr;
      case 0x6C:
        return rsp_haddr;
      default:
        return 0;
    }
  }
  void write8(uint32_t a, uint8_t v) override {
    if (!in_buffer(a)) {
      stray = true;
      return;
    }
    buffer[a - kTpmBase - 0x80] = v;
  }
  void write32(uint32_t a, uint32_t v) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off)) return;  // an absent locality page ignores writes (QEMU)
    switch (off) {
      case 0x08:
        if (v == 1) {
          events.push_back("request " + std::to_string(loc));
          if (faults.grant_locality) assigned_ = loc;
        } else if (v == 2) {
          events.push_back("relinquish " + std::to_string(loc));
          if (assigned_ == loc) assigned_ = -1;
        }
        break;
      case 0x40:
        events.push_back(v == 1 ? "cmdReady" : v == 2 ? "goIdle" : "req?");
        req_ = v;
        req_polls_ = faults.busy_polls;
        if (v == 1) idle_ = false;
        if (v == 2) idle_ = true;
        break;
      case 0x48:
        events.push_back("cancel=" + std::to_string(v));
        break;
      case 0x4C:
        if (v != 1 || assigned_ != loc) break;  // QEMU: START only from the active locality
        events.push_back("start");
        start_ = true;
        start_polls_ = faults.busy_polls;
        break;
      default:
        stray = true;
        break;
    }
  }

 private:
  bool decode(uint32_t a, int* loc, uint32_t* off) {
    if (a < kTpmBase || a >= kTpmBase + 5 * kLocalityStride) {
      stray = true;
      return false;
    }
    *loc = static_cast<int>((a - kTpmBase) / kLocalityStride);
    *off = (a - kTpmBase) % kLocalityStride;
    if (*loc > 0 && !all_localities) return false;
    if (*off >= 0x80) stray = true;
    return true;
  }
  bool in_buffer(uint32_t a) const {
    return cmd_haddr == 0 && a >= kTpmBase + 0x80 && a < kTpmBase + 0x80 + buffer.size();
  }
  uint32_t poll_req() {
    if (req_ != 0 && --req_polls_ <= 0) req_ = 0;
    return req_;
  }
  uint32_t poll_start() {
    if (start_ && !faults.hang && --start_polls_ <= 0) {
      const uint32_t size = be32(buffer, 2);
      Bytes cmd(buffer.begin(), buffer.begin() + size);
      Bytes rsp = tpm.answer(cmd, assigned_);
      std::copy(rsp.begin(), rsp.end(), buffer.begin());
      start_ = false;
    }
    return start_ ? 1u : 0u;
  }
  int assigned_ = 0;  // firmware leaves locality 0 assigned (SeaBIOS, OVMF)
  bool idle_ = true;
  uint32_t req_ = 0;
  int req_polls_ = 0;
  bool start_ = false;
  int start_polls_ = 0;
};

// A FIFO (TIS) register file: TPM_ACCESS per locality, TPM_STS with commandReady / burstCount /
// stsValid / expect / dataAvail, the data FIFO. All five localities unless `locality0_only`.
class FakeFifo final : public MmioBus {
 public:
  ScriptedTpm tpm;
  Faults faults;
  bool locality0_only = false;
  uint32_t did_vid = 0x00011014;
  std::vector<std::string> events;
  bool stray = false;

  uint8_t read8(uint32_t a) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off)) return 0xFF;
    if (off == 0x00) return static_cast<uint8_t>(0x80 | (active_ == loc ? 0x20 : 0));
    if (off == 0x24) {
      if (out_.empty()) return 0xFF;
      const uint8_t b = out_.front();
      out_.pop_front();
      return b;
    }
    return static_cast<uint8_t>(read32(a & ~3u) >> (8 * (a & 3)));
  }
  uint32_t read32(uint32_t a) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off)) return 0xFFFFFFFFu;
    if (off == 0x18) return sts();
    if (off == 0x30) return locality0_only ? 0x00002000u : 0x00002100u;  // PTP FIFO, CapFIFO
    if (off == 0xF00) return did_vid;
    return 0;
  }
  void write8(uint32_t a, uint8_t v) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off)) return;
    if (off == 0x00) {
      if (v == 0x02) {
        events.push_back("request " + std::to_string(loc));
        if (faults.grant_locality && active_ < 0) active_ = loc;
      } else if (v == 0x20 && active_ == loc) {
        events.push_back("relinquish " + std::to_string(loc));
        active_ = -1;
      }
    } else if (off == 0x24 && ready_) {
      in_.push_back(v);
    } else {
      stray = true;
    }
  }
  void write32(uint32_t a, uint32_t v) override {
    int loc = 0;
    uint32_t off = 0;
    if (!decode(a, &loc, &off) || off != 0x18 || loc != active_) return;
    if (v == 0x40) {
      events.push_back("commandReady");
      ready_ = true;
      in_.clear();
      out_.clear();
      executing_ = false;
    } else if (v == 0x20 && ready_ && complete()) {
      events.push_back("go");
      executing_ = true;
      polls_ = faults.busy_polls;
      cmd_loc_ = loc;
    }
  }

 private:
  bool decode(uint32_t a, int* loc, uint32_t* off) {
    if (a < kTpmBase || a >= kTpmBase + 5 * kLocalityStride) {
      stray = true;
      return false;
    }
    *loc = static_cast<int>((a - kTpmBase) / kLocalityStride);
    *off = (a - kTpmBase) % kLocalityStride;
    return !(locality0_only && *loc > 0);
  }
  bool complete() const { return in_.size() >= 10 && in_.size() == be32(in_, 2); }
  uint32_t sts() {
    if (executing_ && !faults.hang && --polls_ <= 0) {
      Bytes rsp = tpm.answer(in_, cmd_loc_);
      out_.assign(rsp.begin(), rsp.end());
      executing_ = false;
      ready_ = false;
    }
    uint32_t s = 0x80;  // stsValid
    if (ready_ && !executing_) s |= 0x40 | (64u << 8) | (complete() ? 0 : 0x08);
    if (!out_.empty()) s |= 0x10 | (64u << 8);
    return s;
  }
  int active_ = 0;  // the firmware left locality 0 active
  bool ready_ = false, executing_ = false;
  int polls_ = 0, cmd_loc_ = -1;
  Bytes in_;
  std::deque<uint8_t> out_;
};

// ---- interface detection -----------------------------------------------------------------------

class OneRegister final : public MmioBus {
 public:
  explicit OneRegister(uint32_t v) : v_(v) {}
  uint8_t read8(uint32_t) override { return 0xFF; }
  uint32_t read32(uint32_t a) override { return a == kTpmBase + 0x30 ? v_ : 0xFFFFFFFFu; }
  void write8(uint32_t, uint8_t) override {}
  void write32(uint32_t, uint32_t) override {}

 private:
  uint32_t v_;
};

TEST(TpmInterfaceId, DecodedAsThePtpSays) {
  struct Case {
    uint32_t raw;
    TpmInterface kind;
    bool all;
  } cases[] = {
      {0x00025811, TpmInterface::kCrb, false},  // QEMU 7.2 tpm-crb
      {0x00025911, TpmInterface::kCrb, true},   // CRB with five localities
      {0x00002100, TpmInterface::kFifo, true},  // PTP FIFO, CapLocality
      {0x00002000, TpmInterface::kFifo, false},
      {0xFFFFFFFF, TpmInterface::kFifo, true},  // TIS 1.3 (or nothing): the FIFO probe decides
      {0x00000000, TpmInterface::kFifo, true},
      {0x00000002, TpmInterface::kUnknown, true},
  };
  for (const Case& c : cases) {
    OneRegister r(c.raw);
    InterfaceId id = detect_interface(r);
    EXPECT_EQ(id.raw, c.raw);
    EXPECT_EQ(id.kind, c.kind) << std::hex << c.raw;
    EXPECT_EQ(id.all_localities, c.all) << std::hex << c.raw;
  }
  EXPECT_STREQ(interface_name(TpmInterface::kCrb), "CRB");
  EXPECT_STREQ(interface_name(TpmInterface::kFifo), "TIS/FIFO");
}

// ---- CRB ------------------------------------------------------------------------------------

TEST(Crb, ProbeReadsBuffersAndCapabilities) {
  FakeClock clock;
  FakeCrb regs;
  Crb crb(regs, clock);
  auto did = crb.probe();
  ASSERT_TRUE(did.ok()) << did.error().message;
  EXPECT_EQ(*did, 0x00001014u);
  EXPECT_EQ(crb.command_buffer(), kTpmBase + 0x80);
  EXPECT_EQ(crb.command_buffer_size(), 0xF80u);
  EXPECT_TRUE(crb.has_locality(0));
  EXPECT_FALSE(crb.has_locality(2));
  regs.all_localities = true;
  ASSERT_TRUE(crb.probe().ok());
  EXPECT_TRUE(crb.has_locality(2));
  EXPECT_FALSE(crb.has_locality(5));
  EXPECT_FALSE(regs.stray);
}

TEST(Crb, ProbeRefusesBuffersItCannotUse) {
  FakeClock clock;
  auto probe_error = [&](const std::function<void(FakeCrb&)>& tweak) {
    FakeCrb regs;
    tweak(regs);
    Crb crb(regs, clock);
    auto r = crb.probe();
    return r.ok() ? std::string("ok") : std::string(r.error().message);
  };
  EXPECT_EQ(probe_error([](FakeCrb&) {}), "ok");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.intf_id = 0x00002100; }),
            "TPM_INTERFACE_ID does not report an active CRB interface");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.cmd_haddr = 1; }),
            "CRB command or response buffer above 4 GiB (not addressable here)");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.rsp_haddr = 1; }),
            "CRB command or response buffer above 4 GiB (not addressable here)");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.buf_size = 8; }),
            "CRB command or response buffer missing or too small");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.cmd_laddr = 0; }),
            "CRB command or response buffer missing or too small");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.rsp_laddr = kTpmBase + 0x100; }),
            "CRB command and response buffers overlap without being the same");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.cmd_laddr = r.rsp_laddr = kTpmBase + 0x40; }),
            "CRB buffer overlaps the CRB control registers");
  EXPECT_EQ(probe_error([](FakeCrb& r) { r.cmd_laddr = r.rsp_laddr = 0xFFFFF100u; }),
            "CRB command or response buffer runs past 4 GiB");
}

TEST(Crb, BringUpAtLocalityZeroRunsCommandsThroughTheBuffer) {
  FakeClock clock;
  FakeCrb regs;
  Crb crb(regs, clock);
  ASSERT_TRUE(crb.probe().ok());
  BringUp bu;
  Status s = bring_up(crb, 0, &bu);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(bu.firmware_locality, 0);
  EXPECT_FALSE(bu.sent_startup);
  ASSERT_EQ(bu.banks.count, 2u);
  EXPECT_EQ(bu.banks.banks[0].alg, 0x000Bu);
  EXPECT_EQ(bu.banks.banks[1].pcrs, 0xFFFFFFu);
  // relinquish what the firmware left, request, then one command: cmdReady, start, goIdle.
  const std::vector<std::string> want = {"relinquish 0", "request 0", "cmdReady", "start",
                                         "goIdle"};
  EXPECT_EQ(regs.events, want);
  EXPECT_EQ(regs.tpm.codes, std::vector<uint32_t>{tpm::kCcGetCapability});
  EXPECT_FALSE(regs.stray);
}

TEST(Crb, LocalityTwoOnALocalityZeroOnlyCrbFailsBeforeTouchingTheTpm) {
  FakeClock clock;
  FakeCrb regs;  // QEMU: CapLocality 0
  Crb crb(regs, clock);
  ASSERT_TRUE(crb.probe().ok());
  BringUp bu;
  Status s = bring_up(crb, 2, &bu);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kTpmUnreachable);
  EXPECT_STREQ(s.error().message, "the TPM interface has locality 0 only (CapLocality is 0)");
  EXPECT_EQ(s.error().value, 2u);
  EXPECT_TRUE(bu.locality_refused);  // the launcher then works at locality 0
  EXPECT_TRUE(regs.events.empty());
  EXPECT_EQ(bu.firmware_locality, -1);
  ASSERT_TRUE(bring_up(crb, 0, &bu).ok());
  EXPECT_EQ(crb.locality(), 0);
  // With five localities, locality 2 is granted and commands carry it.
  regs.all_localities = true;
  ASSERT_TRUE(crb.probe().ok());
  ASSERT_TRUE(bring_up(crb, 2, &bu).ok());
  EXPECT_EQ(crb.locality(), 2);
  EXPECT_EQ(regs.tpm.localities, (std::vector<int>{0, 2}));  // the fallback above, then this
}

TEST(Crb, StartupIsSentAtLocalityZeroWhenTheTpmAsksForIt) {
  FakeClock clock;
  FakeCrb regs;
  regs.all_localities = true;
  regs.tpm.needs_startup = true;
  Crb crb(regs, clock);
  ASSERT_TRUE(crb.probe().ok());
  BringUp bu;
  ASSERT_TRUE(bring_up(crb, 2, &bu).ok());
  EXPECT_TRUE(bu.sent_startup);
  const std::vector<uint32_t> codes = {tpm::kCcGetCapability, tpm::kCcStartup,
                                       tpm::kCcGetCapability};
  EXPECT_EQ(regs.tpm.codes, codes);
  EXPECT_EQ(regs.tpm.localities, (std::vector<int>{2, 0, 2}));
}

TEST(Crb, ATpmThatNeverAnswersIsCancelledAfterTheBoundedWait) {
  FakeClock clock;
  FakeCrb regs;
  regs.faults.hang = true;
  Crb crb(regs, clock);
  ASSERT_TRUE(crb.probe().ok());
  BringUp bu;
  Status s = bring_up(crb, 0, &bu);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kTpmUnreachable);
  EXPECT_STREQ(s.error().message, "TPM returned no response within 20 s (CRB START not cleared)");
  EXPECT_FALSE(bu.locality_refused);  // a dead TPM, not a locality problem
  // The command duration, then the cancel's own bound and goIdle: bounded, not forever.
  EXPECT_GE(clock.elapsed(), kCommandDuration);
  EXPECT_LT(clock.elapsed(), kCommandDuration + kTimeoutB + 2 * kTimeoutC + kTimeoutA + 100);
  const std::vector<std::string> tail = {"start", "cancel=1", "cancel=0", "goIdle"};
  ASSERT_GE(regs.events.size(), tail.size());
  EXPECT_EQ(std::vector<std::string>(regs.events.end() - 4, regs.events.end()), tail);
}

TEST(Crb, LocalityNotGrantedTimesOut) {
  FakeClock clock;
  FakeCrb regs;
  regs.faults.grant_locality = false;
  Crb crb(regs, clock);
  ASSERT_TRUE(crb.probe().ok());
  BringUp bu;
  Status s = bring_up(crb, 0, &bu);
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().message, "TPM did not grant the requested locality (timeout A)");
  EXPECT_TRUE(bu.locality_refused);
  EXPECT_GE(clock.elapsed(), kTimeoutA);
  EXPECT_LT(clock.elapsed(), 2 * kTimeoutA + 10);
}

TEST(Crb, FatalErrorAndOversizedResponsesAreErrors) {
  FakeClock clock;
  {
    FakeCrb regs;
    regs.fatal = true;
    Crb crb(regs, clock);
    ASSERT_TRUE(crb.probe().ok());
    BringUp bu;
    Status s = bring_up(crb, 0, &bu);
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().message, "CRB reports a fatal TPM error (TPM_CRB_CTRL_STS.tpmSts)");
  }
  {  // a response header announcing more than the response buffer holds
    FakeCrb regs;
    Crb crb(regs, clock);
    ASSERT_TRUE(crb.probe().ok());
    ASSERT_TRUE(crb.request_locality(0).ok());
    const Bytes cmd = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x7A};
    ASSERT_TRUE(crb.send(ByteSpan(cmd.data(), cmd.size())).ok());
    regs.tpm.needs_startup = false;
    uint8_t out[64];
    // Let the fake answer, then corrupt the size before the driver reads it.
    while (regs.read32(kTpmBase + 0x4C) & 1) {
    }
    regs.buffer[2] = 0x7F;
    auto r = crb.receive(MutableByteSpan(out, sizeof(out)));
    ASSERT_FALSE(r.ok());
    EXPECT_STREQ(r.error().message, "TPM response size out of range for the CRB response buffer");
  }
  {  // a response larger than the caller's buffer: kTooLarge, nothing written past it
    FakeCrb regs;
    Crb crb(regs, clock);
    ASSERT_TRUE(crb.probe().ok());
    ASSERT_TRUE(crb.request_locality(0).ok());
    const Bytes cmd = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x7A};
    ASSERT_TRUE(crb.send(ByteSpan(cmd.data(), cmd.size())).ok());
    auto small = std::make_unique<uint8_t[]>(12);
    auto r = crb.receive(MutableByteSpan(small.get(), 12));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kTooLarge);
  }
  {  // a command larger than the command buffer is refused before anything is written
    FakeCrb regs;
    regs.buf_size = 0x20;
    Crb crb(regs, clock);
    ASSERT_TRUE(crb.probe().ok());
    Bytes big(0x21, 0);
    Status s = crb.send(ByteSpan(big.data(), big.size()));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::kTooLarge);
    EXPECT_TRUE(regs.events.empty());
  }
}

// ---- the same scenarios on both interfaces ------------------------------------------------------

struct Both {
  FakeClock clock;
  FakeCrb crb_regs;
  FakeFifo fifo_regs;
  std::unique_ptr<Crb> crb;
  std::unique_ptr<Tis> tis;
  Both() {
    crb_regs.all_localities = true;
    crb = std::make_unique<Crb>(crb_regs, clock);
    tis = std::make_unique<Tis>(fifo_regs, clock);
  }
};

TEST(TpmInterfaces, BothBehaveTheSame) {
  {  // good bring-up at locality 2: firmware's locality 0 released, banks read at locality 2
    Both b;
    for (TpmDevice* d :
         {static_cast<TpmDevice*>(b.crb.get()), static_cast<TpmDevice*>(b.tis.get())}) {
      ASSERT_TRUE(d->probe().ok());
      BringUp bu;
      Status s = bring_up(*d, 2, &bu);
      ASSERT_TRUE(s.ok()) << interface_name(d->kind()) << ": " << s.error().message;
      EXPECT_EQ(bu.firmware_locality, 0);
      EXPECT_EQ(bu.banks.count, 2u);
      EXPECT_EQ(d->locality(), 2);
      EXPECT_EQ(d->active_locality(), 2);
      d->release_locality(2);
      EXPECT_EQ(d->active_locality(), -1);
    }
    EXPECT_EQ(b.crb_regs.tpm.localities, std::vector<int>{2});
    EXPECT_EQ(b.fifo_regs.tpm.localities, std::vector<int>{2});
    EXPECT_FALSE(b.crb_regs.stray);
    EXPECT_FALSE(b.fifo_regs.stray);
  }
  {  // startup needed
    Both b;
    b.crb_regs.tpm.needs_startup = b.fifo_regs.tpm.needs_startup = true;
    for (TpmDevice* d :
         {static_cast<TpmDevice*>(b.crb.get()), static_cast<TpmDevice*>(b.tis.get())}) {
      ASSERT_TRUE(d->probe().ok());
      BringUp bu;
      ASSERT_TRUE(bring_up(*d, 2, &bu).ok());
      EXPECT_TRUE(bu.sent_startup);
    }
    EXPECT_EQ(b.crb_regs.tpm.localities, (std::vector<int>{2, 0, 2}));
    EXPECT_EQ(b.fifo_regs.tpm.localities, (std::vector<int>{2, 0, 2}));
  }
  {  // locality 0 only: same error, nothing requested
    Both b;
    b.crb_regs.all_localities = false;
    b.fifo_regs.locality0_only = true;
    for (TpmDevice* d :
         {static_cast<TpmDevice*>(b.crb.get()), static_cast<TpmDevice*>(b.tis.get())}) {
      ASSERT_TRUE(d->probe().ok());
      EXPECT_FALSE(d->has_locality(2));
      BringUp bu;
      Status s = bring_up(*d, 2, &bu);
      ASSERT_FALSE(s.ok());
      EXPECT_STREQ(s.error().message, "the TPM interface has locality 0 only (CapLocality is 0)");
    }
    EXPECT_TRUE(b.crb_regs.events.empty());
    EXPECT_TRUE(b.fifo_regs.events.empty());
  }
  {  // locality never granted: same message, bounded by timeout A
    Both b;
    b.crb_regs.faults.grant_locality = b.fifo_regs.faults.grant_locality = false;
    for (TpmDevice* d :
         {static_cast<TpmDevice*>(b.crb.get()), static_cast<TpmDevice*>(b.tis.get())}) {
      ASSERT_TRUE(d->probe().ok());
      BringUp bu;
      const uint64_t t0 = b.clock.elapsed();
      Status s = bring_up(*d, 2, &bu);
      ASSERT_FALSE(s.ok());
      EXPECT_STREQ(s.error().message, "TPM did not grant the requested locality (timeout A)");
      EXPECT_LT(b.clock.elapsed() - t0, 2 * kTimeoutA + 10);
    }
  }
  {  // a TPM that stops answering mid-command: both give up after the command duration
    Both b;
    b.crb_regs.faults.hang = b.fifo_regs.faults.hang = true;
    for (TpmDevice* d :
         {static_cast<TpmDevice*>(b.crb.get()), static_cast<TpmDevice*>(b.tis.get())}) {
      ASSERT_TRUE(d->probe().ok());
      BringUp bu;
      const uint64_t t0 = b.clock.elapsed();
      Status s = bring_up(*d, 2, &bu);
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.error().code, Errc::kTpmUnreachable);
      EXPECT_NE(std::string(s.error().message).find("no response within 20 s"), std::string::npos)
          << s.error().message;
      const uint64_t waited = b.clock.elapsed() - t0;
      EXPECT_GE(waited, kCommandDuration);
      EXPECT_LT(waited, kCommandDuration + kTimeoutB + 2 * kTimeoutC + 2 * kTimeoutA + 100);
    }
  }
}

TEST(Tis, AbsentTpmIsReported) {
  FakeClock clock;
  OneRegister nothing(0xFFFFFFFFu);
  Tis tis(nothing, clock);
  auto r = tis.probe();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTpmUnreachable);
  Crb crb(nothing, clock);
  EXPECT_FALSE(crb.probe().ok());
}

}  // namespace
}  // namespace tlaunch::launcher
