// The TCG event log (libpolicy eventlog.h) and the launcher's records in it (launch_log.h):
// bytes written compared with a log assembled here field by field from the TCG PC Client PFP
// layout (no project code), logs written by the launcher's own code parsed back and replayed with
// OpenSSL, and truncated, oversized and inconsistent logs rejected with field and byte offset.
#include "tlaunch/policy/eventlog.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch_log.h"

namespace tlaunch::eventlog {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------- independent log assembly
void le16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put(Bytes& b, const Bytes& s) { b.insert(b.end(), s.begin(), s.end()); }
Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes md(const EVP_MD* m, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, m, nullptr);
  out.resize(n);
  return out;
}
const EVP_MD* evp(uint16_t alg) {
  switch (alg) {
    case 0x04:
      return EVP_sha1();
    case 0x0B:
      return EVP_sha256();
    case 0x0C:
      return EVP_sha384();
    default:
      return EVP_sha512();
  }
}
Bytes cat(Bytes a, const Bytes& b) {
  put(a, b);
  return a;
}

// TCG_PCR_EVENT Spec ID header (PFP §10.4.5.1) declaring {alg, size} pairs.
Bytes spec_header(const std::vector<std::pair<uint16_t, uint16_t>>& algs, Bytes vendor = {}) {
  Bytes body;
  put(body, str(std::string("Spec ID Event03", 15)));
  body.push_back(0);
  le32(body, 0);      // platformClass
  body.push_back(0);  // minor
  body.push_back(2);  // major
  body.push_back(2);  // errata
  body.push_back(2);  // uintnSize
  le32(body, static_cast<uint32_t>(algs.size()));
  for (auto [a, s] : algs) {
    le16(body, a);
    le16(body, s);
  }
  body.push_back(static_cast<uint8_t>(vendor.size()));
  put(body, vendor);
  Bytes h;
  le32(h, 0);
  le32(h, 3);
  h.insert(h.end(), 20, 0);
  le32(h, static_cast<uint32_t>(body.size()));
  put(h, body);
  return h;
}

// TCG_PCR_EVENT2 with the given {alg, digest} list.
Bytes event2(uint32_t pcr, uint32_t type, const std::vector<std::pair<uint16_t, Bytes>>& digests,
             const Bytes& data) {
  Bytes e;
  le32(e, pcr);
  le32(e, type);
  le32(e, static_cast<uint32_t>(digests.size()));
  for (const auto& [a, d] : digests) {
    le16(e, a);
    put(e, d);
  }
  le32(e, static_cast<uint32_t>(data.size()));
  put(e, data);
  return e;
}

Digest dg(uint16_t alg, const Bytes& b) {
  return make_digest(static_cast<HashAlg>(alg), ByteSpan(b.data(), b.size()));
}

const std::vector<std::pair<uint16_t, uint16_t>> kTwo = {{0x0B, 32}, {0x0C, 48}};

// A "firmware" log: header + two events (PCR 0 and PCR 4) in sha256+sha384.
Bytes firmware_log() {
  Bytes log = spec_header(kTwo);
  Bytes d0 = str("firmware version");
  put(log, event2(0, 0x8, {{0x0B, md(EVP_sha256(), d0)}, {0x0C, md(EVP_sha384(), d0)}}, d0));
  Bytes sep = {0, 0, 0, 0};
  put(log, event2(4, 0x4, {{0x0B, md(EVP_sha256(), sep)}, {0x0C, md(EVP_sha384(), sep)}}, sep));
  return log;
}

std::vector<Event> read_all(ByteSpan log, Reader::Mode mode = Reader::Mode::kFile) {
  std::vector<Event> out;
  auto r = Reader::open(log, mode);
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok()) return out;
  Event e;
  for (;;) {
    auto more = r->next(&e);
    EXPECT_TRUE(more.ok()) << more.error().message << " at " << more.error().offset;
    if (!more.ok() || !*more) break;
    out.push_back(e);
  }
  return out;
}

Error first_error(const Bytes& log, Reader::Mode mode = Reader::Mode::kFile) {
  auto r = Reader::open(ByteSpan(log.data(), log.size()), mode);
  if (!r.ok()) return r.error();
  Event e;
  for (;;) {
    auto more = r->next(&e);
    if (!more.ok()) return more.error();
    if (!*more) return Error();
  }
}

// ---------------------------------------------------------------- writer: byte for byte
TEST(EventLog, WriterMatchesThePfpLayoutByteForByte) {
  Bytes buf(4096, 0xAA);
  HashAlg algs[] = {HashAlg::kSha256, HashAlg::kSha384};
  auto w = Writer::create(MutableByteSpan(buf.data(), buf.size()), algs, 2);
  ASSERT_TRUE(w.ok());
  Bytes expect = spec_header(kTwo);
  ASSERT_EQ(w->size(), expect.size());
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + w->size()), expect);

  Bytes data = str("hello");
  Bytes d256 = md(EVP_sha256(), data), d384 = md(EVP_sha384(), data);
  // Digests given in another order than declared: written in the declared order.
  Digest ds[] = {dg(0x0C, d384), dg(0x0B, d256)};
  ASSERT_TRUE(w->append(17, 0x501, ds, 2, ByteSpan(data.data(), data.size())).ok());
  put(expect, event2(17, 0x501, {{0x0B, d256}, {0x0C, d384}}, data));
  ASSERT_EQ(w->size(), expect.size());
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + w->size()), expect);
  // The next 12 bytes are cleared (a reader of the area stops there), the rest untouched.
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(buf[w->size() + i], 0) << i;
  EXPECT_EQ(buf[w->size() + 12], 0xAA);
}

TEST(EventLog, ReaderDecodesEveryField) {
  Bytes log = firmware_log();
  auto r = Reader::open(ByteSpan(log.data(), log.size()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spec_id().num_algs, 2u);
  EXPECT_EQ(r->spec_id().algs[1].alg, 0x0C);
  EXPECT_EQ(r->spec_id().algs[1].size, 48);
  EXPECT_EQ(r->spec_id().errata, 2);
  EXPECT_EQ(r->header_size(), spec_header(kTwo).size());
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].offset, r->header_size());
  EXPECT_EQ(ev[0].pcr, 0u);
  EXPECT_EQ(ev[0].type, 8u);
  EXPECT_EQ(std::string(ev[0].data.begin(), ev[0].data.end()), "firmware version");
  ASSERT_NE(ev[0].digest(HashAlg::kSha384), nullptr);
  EXPECT_EQ(
      Bytes(ev[0].digest(HashAlg::kSha384)->bytes, ev[0].digest(HashAlg::kSha384)->bytes + 48),
      md(EVP_sha384(), str("firmware version")));
  EXPECT_EQ(ev[1].offset, ev[0].offset + ev[0].size);
  EXPECT_EQ(ev[1].offset + ev[1].size, log.size());
  EXPECT_STREQ(event_type_name(ev[1].type), "EV_SEPARATOR");
  // Zero bytes after the last event: the unused rest of a log area, not an error.
  log.resize(log.size() + 100, 0);
  EXPECT_EQ(read_all(ByteSpan(log.data(), log.size())).size(), 2u);
}

// ---------------------------------------------------------------- malformed logs
TEST(EventLog, EveryTruncationIsRejectedWithFieldAndOffset) {
  const Bytes log = firmware_log();
  const size_t header = spec_header(kTwo).size();
  for (size_t cut = 1; cut < log.size(); ++cut) {
    Bytes t(log.begin(), log.begin() + cut);
    // A cut right after an event is a shorter, valid log.
    auto full = read_all(ByteSpan(log.data(), log.size()));
    bool boundary = cut == header;
    for (const auto& e : full) boundary = boundary || cut == e.offset + e.size;
    // A cut whose lost part of the event is zero bytes reads as zero padding: a shorter log.
    bool zeros = cut > header;
    size_t start = header;
    for (const auto& e : full)
      if (cut > e.offset) start = e.offset;
    for (size_t i = start; i < cut; ++i) zeros = zeros && t[i] == 0;
    Error e = first_error(t);
    if (boundary || zeros) {
      EXPECT_TRUE(e.ok()) << cut;
      continue;
    }
    ASSERT_FALSE(e.ok()) << "cut at " << cut;
    EXPECT_NE(e.field, nullptr) << cut;
    EXPECT_NE(e.offset, kNoOffset) << cut;
    EXPECT_LE(e.offset, cut) << cut;
  }
}

TEST(EventLog, OversizedLengthsAreRejected) {
  // eventSize 0xFFFFFFFF in the last event.
  Bytes log = firmware_log();
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  const size_t size_at = ev[1].data_offset - 4;
  for (int i = 0; i < 4; ++i) log[size_at + i] = 0xFF;
  Error e = first_error(log);
  EXPECT_EQ(e.code, Errc::kTruncated);
  EXPECT_STREQ(e.field, "event");
  EXPECT_EQ(e.offset, ev[1].data_offset);

  // eventDataSize of the Spec ID event past the end.
  Bytes h = firmware_log();
  h[28] = 0xFF;
  h[29] = 0xFF;
  e = first_error(h);
  EXPECT_EQ(e.code, Errc::kTruncated);
  EXPECT_STREQ(e.field, "event");
  EXPECT_EQ(e.offset, 32u);

  // numberOfAlgorithms 9.
  Bytes n = spec_header({{0x0B, 32}});
  n[32 + 24] = 9;
  e = first_error(n);
  EXPECT_EQ(e.code, Errc::kBadValue);
  EXPECT_STREQ(e.field, "numberOfAlgorithms");
  EXPECT_EQ(e.offset, 32u + 24);
  EXPECT_EQ(e.value, 9u);
}

TEST(EventLog, InconsistentLogsAreRejected) {
  const size_t header = spec_header(kTwo).size();
  auto with_event = [&](const Bytes& ev) { return cat(spec_header(kTwo), ev); };
  Bytes d32(32, 1), d48(48, 2);

  // One digest where the header declares two (Linux would stop here too).
  Error e = first_error(with_event(event2(17, 0x501, {{0x0B, d32}}, {})));
  EXPECT_STREQ(e.field, "digests.count");
  EXPECT_EQ(e.offset, header + 8);
  EXPECT_EQ(e.value, 1u);
  // An algorithm the header does not declare.
  e = first_error(with_event(event2(17, 0x501, {{0x0B, d32}, {0x0D, Bytes(64, 3)}}, {})));
  EXPECT_STREQ(e.field, "digests.hashAlg");
  EXPECT_EQ(e.offset, header + 12 + 34);
  EXPECT_EQ(e.value, 0x0Du);
  // The same algorithm twice.
  e = first_error(with_event(event2(17, 0x501, {{0x0B, d32}, {0x0B, d32}}, {})));
  EXPECT_STREQ(e.field, "digests.hashAlg");
  EXPECT_EQ(e.message, std::string("two digests of one algorithm"));
  // PCR 24.
  e = first_error(with_event(event2(24, 0x501, {{0x0B, d32}, {0x0C, d48}}, {})));
  EXPECT_STREQ(e.field, "pcrIndex");
  EXPECT_EQ(e.offset, header);
  // A declared size that does not fit the algorithm.
  e = first_error(spec_header({{0x0B, 20}}));
  EXPECT_STREQ(e.field, "digestSizes.digestSize");
  EXPECT_EQ(e.offset, 32u + 28 + 2);
  // An algorithm declared twice.
  e = first_error(spec_header({{0x0B, 32}, {0x0B, 32}}));
  EXPECT_STREQ(e.field, "digestSizes.algorithmId");
  // Not a crypto-agile log: first event of another type (a TPM 1.2 log).
  Bytes legacy = spec_header(kTwo);
  legacy[4] = 8;
  e = first_error(legacy);
  EXPECT_EQ(e.code, Errc::kUnsupported);
  EXPECT_STREQ(e.field, "eventType");
  // Wrong signature.
  Bytes sig = spec_header(kTwo);
  sig[32 + 14] = '2';
  e = first_error(sig);
  EXPECT_STREQ(e.field, "signature");
  EXPECT_EQ(e.offset, 32u);
  // A non-zero digest in the header event.
  Bytes hd = spec_header(kTwo);
  hd[10] = 1;
  e = first_error(hd);
  EXPECT_STREQ(e.field, "digest");
  // Bytes after vendorInfo.
  Bytes extra = spec_header(kTwo);
  extra[28] += 1;
  extra.insert(extra.begin() + static_cast<long>(extra.size()), 1, 0x77);
  e = first_error(extra);
  EXPECT_STREQ(e.field, "eventDataSize");
  // Garbage after the last event (not zero): an error in a file.
  Bytes garbage = cat(firmware_log(), Bytes{1, 2, 3});
  e = first_error(garbage);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.offset, firmware_log().size());
}

// ---------------------------------------------------------------- appending to a log area
TEST(EventLog, AttachAppendsAfterTheFirmwareEventsAndStopsWhereLinuxStops) {
  Bytes area = firmware_log();
  const size_t fw = area.size();
  area.resize(4096, 0);
  // Garbage later in the area, after a zero event header: not part of the log.
  area[3000] = 0x55;
  auto w = Writer::attach(MutableByteSpan(area.data(), area.size()));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->size(), fw);
  EXPECT_EQ(w->events_before(), 2u);
  Bytes data = str("x");
  Digest ds[] = {dg(0x0B, md(EVP_sha256(), data)), dg(0x0C, md(EVP_sha384(), data))};
  ASSERT_TRUE(w->append(18, 0x501, ds, 2, ByteSpan(data.data(), 1)).ok());
  auto ev = read_all(ByteSpan(area.data(), area.size()), Reader::Mode::kArea);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2].pcr, 18u);
  EXPECT_EQ(ev[2].offset, fw);
  // A file reader refuses the garbage at 3000; the area reader ends where Linux ends.
  Error ge = first_error(area);
  EXPECT_STREQ(ge.field, "digests.count");
  EXPECT_EQ(ge.offset, ev[2].offset + ev[2].size + 8) << ge.message;

  // Digests that do not match the log's algorithms: refused, nothing written.
  Digest one[] = {dg(0x0B, md(EVP_sha256(), data))};
  const Bytes before = area;
  EXPECT_EQ(w->append(19, 0x501, one, 1, ByteSpan()).error().code, Errc::kBadValue);
  Digest other[] = {dg(0x0B, md(EVP_sha256(), data)), dg(0x0D, md(EVP_sha512(), data))};
  EXPECT_EQ(w->append(19, 0x501, other, 2, ByteSpan()).error().code, Errc::kBadValue);
  EXPECT_EQ(area, before);

  // A full area: kTooLarge, nothing written.
  Bytes small = firmware_log();
  small.resize(small.size() + 40, 0);
  auto ws = Writer::attach(MutableByteSpan(small.data(), small.size()));
  ASSERT_TRUE(ws.ok());
  const Bytes small_before = small;
  EXPECT_EQ(ws->append(17, 0x501, ds, 2, ByteSpan()).error().code, Errc::kTooLarge);
  EXPECT_EQ(small, small_before);

  // An area that holds no log: attach fails.
  Bytes empty(1024, 0);
  EXPECT_FALSE(Writer::attach(MutableByteSpan(empty.data(), empty.size())).ok());
}

// ---------------------------------------------------------------- the launcher's records
struct Launch {
  launch::Config config;
  std::vector<std::pair<std::string, Bytes>> mods;
  std::vector<launch::ModuleInput> inputs;
  launch::Input input;
  std::unique_ptr<launch::Outcome> out = std::make_unique<launch::Outcome>();
  host::OpenSslHasher h;

  void run() {
    HashAlg algs[launch::kMaxBanks];
    const size_t n = launch::measurement_algs(config, algs);
    inputs.clear();
    for (const auto& [cmd, image] : mods) {
      launch::ModuleInput in;
      in.cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(cmd.data()), cmd.size());
      in.num_digests = n;
      for (size_t i = 0; i < n; ++i)
        in.image[i] =
            dg(static_cast<uint16_t>(algs[i]), md(evp(static_cast<uint16_t>(algs[i])), image));
      inputs.push_back(in);
    }
    input.modules = inputs.data();
    input.num_modules = inputs.size();
    ASSERT_TRUE(launch::evaluate(h, config, input, out.get()).ok());
  }
  // The log as the launcher writes it: create_launch_log + log_launch_event per event.
  Bytes log() {
    Bytes buf(65536);
    auto w = launch::create_launch_log(MutableByteSpan(buf.data(), buf.size()), config);
    EXPECT_TRUE(w.ok());
    uint8_t data[launch::kEventDataFixedMax + 512];
    for (size_t i = 0; i < out->num_events; ++i) {
      Status s = launch::log_launch_event(*w, h, config, input, *out, i,
                                          MutableByteSpan(data, sizeof(data)));
      EXPECT_TRUE(s.ok()) << s.error().message;
    }
    buf.resize(w->size());
    return buf;
  }
};

TEST(LaunchLog, TheLaunchersLogParsesBackAndAgreesWithTheExtendedDigests) {
  Launch l;
  l.config.embedded = true;
  l.config.num_banks = 2;
  l.config.banks[0] = HashAlg::kSha256;
  l.config.banks[1] = HashAlg::kSha512;
  l.mods = {{"console=ttyS0 root=/dev/vda", str("kernel image")}, {"", str("initrd bytes")}};
  l.run();
  // Default DA policy: 17 and 18 (policy control), 17 (module 0), 17 (module 1 by the ANY entry;
  // module 0's own entry has pcr none).
  ASSERT_EQ(l.out->num_events, 4u);
  Bytes log = l.log();
  auto r = Reader::open(ByteSpan(log.data(), log.size()));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->spec_id().num_algs, 2u);
  EXPECT_EQ(r->spec_id().algs[0].alg, 0x0B);
  EXPECT_EQ(r->spec_id().algs[1].alg, 0x0D);
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  ASSERT_EQ(ev.size(), l.out->num_events);
  for (size_t i = 0; i < ev.size(); ++i) {
    const launch::Event& x = l.out->events[i];
    EXPECT_EQ(ev[i].pcr, x.pcr) << i;
    EXPECT_EQ(ev[i].type, kEvTbMeasurement);
    ASSERT_EQ(ev[i].num_digests, x.num_digests);
    for (size_t k = 0; k < x.num_digests; ++k) EXPECT_TRUE(ev[i].digests[k] == x.digests[k]);
    auto d = launch::decode_launch_data(ev[i].data, ev[i].data_offset);
    ASSERT_TRUE(d.ok()) << d.error().message << " field " << d.error().field;
    EXPECT_EQ(d->kind, x.kind);
    EXPECT_TRUE(launch::check_launch_event(l.h, ev[i], *d).ok()) << i;
    if (x.kind != launch::EventKind::kPolicyControl) {
      EXPECT_EQ(d->module, x.module);
      const auto& cmd = l.mods[x.module].first;
      EXPECT_EQ(std::string(d->text.begin(), d->text.end()), cmd);
      ASSERT_NE(d->component(HashAlg::kSha512), nullptr);
      EXPECT_EQ(
          Bytes(d->component(HashAlg::kSha512)->bytes, d->component(HashAlg::kSha512)->bytes + 64),
          md(EVP_sha512(), l.mods[x.module].second));
    } else {
      EXPECT_FALSE(d->policy_from_nv);
      EXPECT_EQ(d->value, 1u);
    }
  }
  // Replaying the log from all-ones gives what predict_pcrs() computes.
  HashAlg banks[] = {HashAlg::kSha256, HashAlg::kSha512};
  auto pv = std::make_unique<launch::PcrValues>();
  ASSERT_TRUE(
      launch::predict_pcrs(l.h, *l.out, banks, 2, launch::PcrStart::kAllOnes, pv.get()).ok());
  for (size_t v = 0; v < pv->count; ++v) {
    const auto& want = pv->values[v];
    const uint16_t alg = static_cast<uint16_t>(want.value.alg);
    Bytes pcr(want.value.size, 0xFF);
    for (const auto& e : ev)
      if (e.pcr == want.pcr) {
        const Digest* d = e.digest(want.value.alg);
        pcr = md(evp(alg), cat(pcr, Bytes(d->bytes, d->bytes + d->size)));
      }
    EXPECT_EQ(pcr, Bytes(want.value.bytes, want.value.bytes + want.value.size)) << want.pcr;
  }
}

TEST(LaunchLog, TamperedEventDataNoLongerMatchesTheDigest) {
  Launch l;
  l.mods = {{"quiet", str("kernel")}, {"", str("initrd")}};
  l.run();
  Bytes log = l.log();
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  ASSERT_EQ(ev.size(), 4u);
  // Module 1's image digest in the event data: flip one bit.
  const Event& m1 = ev[3];
  auto d = launch::decode_launch_data(m1.data, m1.data_offset);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->module, 1);
  const size_t comp = m1.data_offset + 20 + 2;  // first component's digest
  log[comp] ^= 1;
  ev = read_all(ByteSpan(log.data(), log.size()));
  d = launch::decode_launch_data(ev[3].data, ev[3].data_offset);
  ASSERT_TRUE(d.ok());
  Status s = launch::check_launch_event(l.h, ev[3], *d);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kVerifyFailed);
  EXPECT_EQ(s.error().value, 0x0Bu);
}

TEST(LaunchLog, EventDataDecoderRejectsEveryFieldOutOfRange) {
  Launch l;
  l.mods = {{"a", str("k")}};
  l.run();
  Bytes log = l.log();
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  const Event& m = ev[2];  // module 0
  Bytes data(m.data.begin(), m.data.end());
  auto bad = [&](size_t at, uint8_t v, const char* field) {
    Bytes t = data;
    t[at] = v;
    auto d = launch::decode_launch_data(ByteSpan(t.data(), t.size()), 100);
    ASSERT_FALSE(d.ok()) << field;
    EXPECT_STREQ(d.error().field, field);
    EXPECT_GE(d.error().offset, 100u);
    EXPECT_LE(d.error().offset, 100u + t.size());
  };
  bad(0, 'T', "signature");
  bad(8, 2, "version");
  bad(9, 7, "kind");
  bad(11, 1, "module");  // 256
  bad(14, 1, "flags");   // a flag on a module event
  bad(15, 0, "count");
  bad(16, 1, "value");
  bad(20, 0x99, "component.alg");
  for (size_t cut = 0; cut < data.size(); ++cut) {
    auto d = launch::decode_launch_data(ByteSpan(data.data(), cut), 0);
    ASSERT_FALSE(d.ok()) << cut;
    EXPECT_LE(d.error().offset, cut);
  }
  Bytes longer = cat(data, {0});
  EXPECT_STREQ(launch::decode_launch_data(ByteSpan(longer.data(), longer.size())).error().field,
               "text");
}

// The launcher's own command line is its first event (kind 3, no component, digests H_b(line));
// with all_banks=on every event carries a digest of every bank, SHA-1 included, and each one is
// what the event data describes.
TEST(LaunchLog, TheLaunchersCommandLineIsTheFirstEventInEveryBank) {
  Launch l;
  l.config.all_banks = true;
  l.config.num_banks = 3;
  l.config.banks[0] = HashAlg::kSha1;
  l.config.banks[1] = HashAlg::kSha256;
  l.config.banks[2] = HashAlg::kSha384;
  const std::string line = "logging=serial all_banks=on";
  l.input.has_launcher_cmdline = true;
  l.input.launcher_cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(line.data()), line.size());
  l.mods = {{"quiet", str("kernel")}, {"", str("initrd")}};
  l.run();
  ASSERT_EQ(l.out->num_events, 5u);
  Bytes log = l.log();
  auto r = Reader::open(ByteSpan(log.data(), log.size()));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->spec_id().num_algs, 3u);
  EXPECT_EQ(r->spec_id().algs[0].alg, 0x0B);  // extpol's algorithm first
  auto ev = read_all(ByteSpan(log.data(), log.size()));
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].pcr, 17u);
  ASSERT_EQ(ev[0].num_digests, 3u);
  auto d = launch::decode_launch_data(ev[0].data, ev[0].data_offset);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->kind, launch::EventKind::kLauncherCmdline);
  EXPECT_EQ(d->num_components, 0u);
  EXPECT_EQ(std::string(d->text.begin(), d->text.end()), line);
  const Digest* sha1 = ev[0].digest(HashAlg::kSha1);
  ASSERT_NE(sha1, nullptr);
  EXPECT_EQ(Bytes(sha1->bytes, sha1->bytes + 20), md(EVP_sha1(), str(line)));
  for (size_t i = 0; i < ev.size(); ++i) {
    auto di = launch::decode_launch_data(ev[i].data, ev[i].data_offset);
    ASSERT_TRUE(di.ok()) << i;
    EXPECT_TRUE(launch::check_launch_event(l.h, ev[i], *di).ok()) << i;
  }
  // One edited byte of the line no longer hashes to the extended digests.
  const size_t text_at = ev[0].data_offset + 20 + 4;
  log[text_at] ^= 0x20;
  ev = read_all(ByteSpan(log.data(), log.size()));
  d = launch::decode_launch_data(ev[0].data, ev[0].data_offset);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(launch::check_launch_event(l.h, ev[0], *d).error().code, Errc::kVerifyFailed);
  // A command-line event with a component, or with a module index, does not decode.
  Bytes data(ev[0].data.begin(), ev[0].data.end());
  data[15] = 1;
  EXPECT_STREQ(launch::decode_launch_data(ByteSpan(data.data(), data.size())).error().field,
               "count");
  data[15] = 0;
  data[10] = 1;
  EXPECT_STREQ(launch::decode_launch_data(ByteSpan(data.data(), data.size())).error().field,
               "module");
}

TEST(LaunchLog, OnlyALogDeclaringExactlyTheMeasurementBanksTakesTheEvents) {
  launch::Config fixed;  // sha256 only
  SpecId s;
  s.num_algs = 1;
  s.algs[0] = AlgSize{0x0B, 32};
  EXPECT_TRUE(launch::log_takes_launch_events(s, fixed));
  s.algs[s.num_algs++] = AlgSize{0x04, 20};
  EXPECT_FALSE(launch::log_takes_launch_events(s, fixed));
  launch::Config emb;
  emb.embedded = true;
  emb.num_banks = 2;
  emb.banks[0] = HashAlg::kSha256;
  emb.banks[1] = HashAlg::kSha1;
  EXPECT_TRUE(launch::log_takes_launch_events(s, emb));
}

}  // namespace
}  // namespace tlaunch::eventlog
