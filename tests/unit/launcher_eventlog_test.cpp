// The launcher's event-log wiring on the host: the ACPI walk to the TPM2 table's log area
// (launcher/src/acpi.cpp) over crafted tables in fake physical memory, and LaunchLogs
// (launcher/src/event_log.cpp): the launcher's own log, appending to a firmware log area that
// declares the same banks, leaving one that declares others alone, and a full area. Like
// launcher_logic_test.cpp, these launcher files have no host library and are compiled in here.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../../launcher/src/acpi.cpp"       // NOLINT(bugprone-suspicious-include)
#include "../../launcher/src/event_log.cpp"  // NOLINT(bugprone-suspicious-include)
#include "../common/fake_phys_mem.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/launch_options.h"

namespace tlaunch::launcher {
namespace {

using Bytes = std::vector<uint8_t>;

using test_support::FakeMem;

void le(Bytes& b, size_t at, uint64_t v, int n) {
  if (b.size() < at + n) b.resize(at + n);
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// An ACPI table: signature, length, the rest of the 36-byte header zero, then the body.
Bytes table(const char* sig, const Bytes& body) {
  // Sized once: GCC 12 at -O2 reports a false -Warray-bounds for a 36-byte vector grown by insert.
  Bytes t(36 + body.size(), 0);
  for (int i = 0; i < 4; ++i) t[i] = static_cast<uint8_t>(sig[i]);
  std::copy(body.begin(), body.end(), t.begin() + 36);
  le(t, 4, t.size(), 4);
  return t;
}

Bytes rsdp(uint32_t rsdt, uint64_t xsdt, uint8_t revision) {
  Bytes r(revision >= 2 ? 36 : 20, 0);  // sized once, as in table()
  const char sig[] = "RSD PTR ";
  std::copy(sig, sig + 8, r.begin());
  r[15] = revision;
  le(r, 16, rsdt, 4);
  if (revision >= 2) le(r, 24, xsdt, 8);
  return r;
}

// QEMU's TPM2 table layout (TCG ACPI spec): platform class, reserved, control area, start method,
// 12 bytes of start-method parameters, LAML at 64, LASA at 68.
Bytes tpm2_table(uint32_t laml, uint64_t lasa, bool with_log = true) {
  Bytes body(with_log ? 40 : 28, 0);
  le(body, 12, 7, 4);  // start method: TIS
  if (with_log) {
    le(body, 28, laml, 4);
    le(body, 32, lasa, 8);
  }
  return table("TPM2", body);
}

struct Machine {
  FakeMem mem;
  Bytes rsdp_bytes;
  // RSDT at 0x1000 listing FACP (0x2000) and TPM2 (0x3000); XSDT at 0x4000 listing the same.
  explicit Machine(uint32_t laml = 0x10000, uint64_t lasa = 0x7F000000, bool use_xsdt = true) {
    mem.regions[0x2000] = table("FACP", Bytes(80, 0));
    mem.regions[0x3000] = tpm2_table(laml, lasa);
    Bytes rsdt_body, xsdt_body;
    le(rsdt_body, 0, 0x2000, 4);
    le(rsdt_body, 4, 0x3000, 4);
    le(xsdt_body, 0, 0x2000, 8);
    le(xsdt_body, 8, 0x3000, 8);
    mem.regions[0x1000] = table("RSDT", rsdt_body);
    mem.regions[0x4000] = table("XSDT", xsdt_body);
    mem.regions[lasa] = Bytes(laml, 0);
    rsdp_bytes = use_xsdt ? rsdp(0x1000, 0x4000, 2) : rsdp(0x1000, 0, 0);
  }
  ByteSpan rsdp_span() const { return ByteSpan(rsdp_bytes.data(), rsdp_bytes.size()); }
};

TEST(Acpi, FindsTheTpm2LogAreaThroughXsdtAndRsdt) {
  for (bool xsdt : {true, false}) {
    Machine m(0x10000, 0x7F000000, xsdt);
    auto a = tpm2_log_area(m.mem, m.rsdp_span());
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->start, 0x7F000000u);
    EXPECT_EQ(a->length, 0x10000u);
  }
}

TEST(Acpi, MissingOrMalformedTablesAreErrors) {
  {  // no TPM2 table
    Machine m;
    m.mem.regions[0x3000] = table("SSDT", Bytes(40, 0));
    EXPECT_EQ(tpm2_log_area(m.mem, m.rsdp_span()).error().code, Errc::kNotFound);
  }
  {  // a TPM2 table without the log area fields (52 bytes: TPM 2.0 tables before rev 4)
    Machine m;
    m.mem.regions[0x3000] = tpm2_table(0, 0, false);
    EXPECT_EQ(tpm2_log_area(m.mem, m.rsdp_span()).error().code, Errc::kNotFound);
  }
  {  // LAML 0
    Machine m;
    m.mem.regions[0x3000] = tpm2_table(0, 0x7F000000);
    EXPECT_EQ(tpm2_log_area(m.mem, m.rsdp_span()).error().code, Errc::kNotFound);
  }
  {  // the log area is not in memory
    Machine m;
    m.mem.regions[0x3000] = tpm2_table(0x10000, 0x90000000);
    auto a = tpm2_log_area(m.mem, m.rsdp_span());
    ASSERT_FALSE(a.ok());
    EXPECT_STREQ(a.error().field, "LASA");
  }
  {  // a table whose length runs past what memory holds
    Machine m;
    le(m.mem.regions[0x3000], 4, 0x100000, 4);
    EXPECT_STREQ(tpm2_log_area(m.mem, m.rsdp_span()).error().field, "Length");
  }
  {  // a table length smaller than its header (the RSDT of a revision 0 RSDP)
    Machine n(0x10000, 0x7F000000, false);
    le(n.mem.regions[0x1000], 4, 10, 4);
    EXPECT_STREQ(tpm2_log_area(n.mem, n.rsdp_span()).error().field, "Length");
  }
  {  // not an RSDP
    Machine m;
    m.rsdp_bytes[0] = 'X';
    EXPECT_STREQ(tpm2_log_area(m.mem, m.rsdp_span()).error().field, "Signature");
    EXPECT_FALSE(tpm2_log_area(m.mem, ByteSpan(m.rsdp_bytes.data(), 10)).ok());
  }
}

// ---------------------------------------------------------------- LaunchLogs
Bytes md(const EVP_MD* m, const Bytes& d) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(d.data(), d.size(), out.data(), &n, m, nullptr);
  out.resize(n);
  return out;
}

struct Launch {
  launch::Config config;
  std::vector<launch::ModuleInput> inputs;
  std::vector<std::string> cmdlines = {"console=ttyS0", ""};
  launch::Input input;
  std::unique_ptr<launch::Outcome> out = std::make_unique<launch::Outcome>();
  host::OpenSslHasher h;
  void run() {
    HashAlg algs[launch::kMaxBanks];
    const size_t n = launch::measurement_algs(config, algs);
    inputs.resize(cmdlines.size());
    for (size_t m = 0; m < cmdlines.size(); ++m) {
      inputs[m].cmdline =
          ByteSpan(reinterpret_cast<const uint8_t*>(cmdlines[m].data()), cmdlines[m].size());
      inputs[m].num_digests = n;
      for (size_t a = 0; a < n; ++a) {
        Bytes img(100 + m, static_cast<uint8_t>(m));
        Bytes d = md(algs[a] == HashAlg::kSha384 ? EVP_sha384() : EVP_sha256(), img);
        inputs[m].image[a] = make_digest(algs[a], ByteSpan(d.data(), d.size()));
      }
    }
    input.modules = inputs.data();
    input.num_modules = inputs.size();
    ASSERT_TRUE(launch::evaluate(h, config, input, out.get()).ok());
  }
};

// A firmware log declaring `algs`, with one event, in an area of `size` bytes.
Bytes firmware_area(const std::vector<HashAlg>& algs, size_t size) {
  Bytes area(size, 0);
  auto w =
      eventlog::Writer::create(MutableByteSpan(area.data(), area.size()), algs.data(), algs.size());
  EXPECT_TRUE(w.ok());
  std::vector<Digest> ds;
  for (HashAlg a : algs) {
    Digest d;
    d.alg = a;
    d.size = digest_size(static_cast<uint16_t>(a));
    ds.push_back(d);
  }
  EXPECT_TRUE(w->append(4, eventlog::kEvSeparator, ds.data(), ds.size(), ByteSpan()).ok());
  return area;
}

std::vector<eventlog::Event> events_of(ByteSpan log) {
  std::vector<eventlog::Event> out;
  auto r = eventlog::Reader::open(log, eventlog::Reader::Mode::kArea);
  EXPECT_TRUE(r.ok());
  eventlog::Event e;
  while (r.ok() && *r->next(&e)) out.push_back(e);
  return out;
}

TEST(LaunchLogs, OwnLogAndAppendingToAFirmwareLogOfTheSameBanks) {
  Launch l;
  l.config.embedded = true;
  l.config.num_banks = 2;
  l.config.banks[0] = HashAlg::kSha256;
  l.config.banks[1] = HashAlg::kSha384;
  l.run();
  auto logs = std::make_unique<LaunchLogs>();
  Bytes own(8192), area = firmware_area({HashAlg::kSha384, HashAlg::kSha256}, 4096);
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(area.data(), area.size()),
              l.h, l.config, l.input, *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kAppending);
  EXPECT_EQ(logs->firmware_events_before(), 1u);
  const size_t n = launch::extended_events(*l.out);
  for (size_t i = 0; i < n; ++i) logs->record(l.h, l.config, l.input, *l.out, i);
  EXPECT_TRUE(logs->own_ok());
  EXPECT_EQ(logs->own_events(), n);
  EXPECT_EQ(logs->firmware_appended(), n);
  // Both logs hold the extended digests, in order, after the firmware's own event.
  auto own_events = events_of(logs->own_log());
  auto fw_events = events_of(ByteSpan(area.data(), area.size()));
  ASSERT_EQ(own_events.size(), n);
  ASSERT_EQ(fw_events.size(), n + 1);
  for (size_t i = 0; i < n; ++i) {
    const launch::Event& x = l.out->events[i];
    for (const auto* e : {&own_events[i], &fw_events[i + 1]}) {
      EXPECT_EQ(e->pcr, x.pcr);
      for (size_t k = 0; k < x.num_digests; ++k) {
        const Digest* d = e->digest(x.digests[k].alg);
        ASSERT_NE(d, nullptr);
        EXPECT_TRUE(*d == x.digests[k]);
      }
    }
  }
}

TEST(LaunchLogs, AFirmwareLogOfOtherBanksIsLeftAlone) {
  Launch l;  // extpol sha256: the launcher extends the SHA-256 bank only
  l.run();
  auto logs = std::make_unique<LaunchLogs>();
  Bytes own(8192), area = firmware_area({HashAlg::kSha1, HashAlg::kSha256}, 4096);
  const Bytes before = area;
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(area.data(), area.size()),
              l.h, l.config, l.input, *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kBanksDiffer);
  for (size_t i = 0; i < launch::extended_events(*l.out); ++i)
    logs->record(l.h, l.config, l.input, *l.out, i);
  EXPECT_EQ(area, before);
  EXPECT_EQ(logs->firmware_appended(), 0u);
  EXPECT_EQ(events_of(logs->own_log()).size(), launch::extended_events(*l.out));

  // An area without a log at all.
  Bytes empty(4096, 0);
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(empty.data(), empty.size()),
              l.h, l.config, l.input, *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kEmptyArea);
  // An area with something else in it.
  empty[100] = 1;
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(empty.data(), empty.size()),
              l.h, l.config, l.input, *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kNotALog);
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(), l.h, l.config, l.input,
              *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kNoArea);
}

TEST(LaunchLogs, AnAreaWithoutRoomForEveryEventGetsNone) {
  Launch l;
  l.run();
  const size_t n = launch::extended_events(*l.out);
  ASSERT_GE(n, 3u);
  auto logs = std::make_unique<LaunchLogs>();
  // Room for the firmware's event and two of the launcher's (each ~100 bytes), not all of them:
  // a firmware log with only some of the launcher's events would not replay to the PCRs.
  Bytes area = firmware_area({HashAlg::kSha256}, 4096);
  const auto fw = events_of(ByteSpan(area.data(), area.size()));
  const size_t fw_end = fw.back().offset + fw.back().size;
  const Bytes before(area.begin(), area.begin() + fw_end + 250);
  Bytes own(8192);
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(area.data(), fw_end + 250),
              l.h, l.config, l.input, *l.out);
  EXPECT_EQ(logs->firmware(), FirmwareLog::kFull);
  EXPECT_EQ(logs->firmware_error().code, Errc::kTooLarge);
  EXPECT_GT(logs->firmware_error().value, 250u);  // the bytes all events need
  for (size_t i = 0; i < n; ++i) logs->record(l.h, l.config, l.input, *l.out, i);
  EXPECT_EQ(logs->firmware_appended(), 0u);
  EXPECT_EQ(Bytes(area.begin(), area.begin() + fw_end + 250), before);
  // The launcher's own log is complete all the same.
  EXPECT_TRUE(logs->own_ok());
  EXPECT_EQ(events_of(logs->own_log()).size(), n);
  // With exactly the room they need, all of them go in.
  const size_t need = logs->firmware_error().value;
  logs->begin(MutableByteSpan(own.data(), own.size()), MutableByteSpan(area.data(), fw_end + need),
              l.h, l.config, l.input, *l.out);
  ASSERT_EQ(logs->firmware(), FirmwareLog::kAppending);
  for (size_t i = 0; i < n; ++i) logs->record(l.h, l.config, l.input, *l.out, i);
  EXPECT_EQ(logs->firmware_appended(), n);
  EXPECT_EQ(events_of(ByteSpan(area.data(), fw_end + need)).size(), 1 + n);

  // An own log buffer too small: incomplete, with the reason, never a crash.
  Bytes tiny(200);
  logs->begin(MutableByteSpan(tiny.data(), tiny.size()), MutableByteSpan(), l.h, l.config, l.input,
              *l.out);
  for (size_t i = 0; i < n; ++i) logs->record(l.h, l.config, l.input, *l.out, i);
  EXPECT_FALSE(logs->own_ok());
  EXPECT_EQ(logs->own_error().code, Errc::kTooLarge);
  EXPECT_EQ(events_of(logs->own_log()).size(), logs->own_events());
}

}  // namespace
}  // namespace tlaunch::launcher
