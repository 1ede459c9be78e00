// The launcher's NV-policy path: tpm::read_vlp() (libtpmnv core launch_nv.h, tboot
// policy.c read_policy_from_tpm) over a TPM that answers with fuzz-chosen behaviour, then the
// launch decision (libpolicy launch::evaluate) on what was read, wired by the launcher's own
// launcher/src/decision.cpp (make_config, make_input: the code Launcher::run() calls, compiled
// here for the host); then the error-index write (write_error_index()).
//
// Input: public-area mode, attributes, index size, a per-chunk behaviour script (normal, short,
// empty, TPM error, oversized, garbage, transport failure), the garbage response, a
// configuration byte (PCR mapping, extpol=embedded, TPM banks), then the index content.
//
// Properties:
//  * the launcher only sends well-formed commands for its index, never reads past the index end,
//    and never reads more than the 2124-byte buffer;
//  * the bytes handed to the decision are a prefix of the index content (the read path never
//    invents, reorders or drops bytes); with a well-behaved TPM they are exactly the first
//    min(size, 2124) bytes;
//  * an index with TPMA_NV_PPWRITE is never used; an absent index is kNvAbsent;
//  * the decision uses the NV policy exactly when the source is kNvRead and vlp::decode accepts
//    the bytes; otherwise the built-in default policy of the configured PCR mapping is in force;
//  * the error index is written with exactly the 4 little-endian bytes of the error at offset 0,
//    and only when it exists and holds at least 4 bytes.
#include "decision.h"
#include "fake_nv_tpm.h"
#include "fuzz.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/sha2.h"
#include "tlaunch/tpmnv/core/launch_nv.h"

using namespace tlaunch;
using tlaunch::fuzz::Bytes;
using tlaunch::fuzz::encode_vlp;
using tlaunch::fuzz::FakeNvTpm;
using tlaunch::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  FakeNvTpm t;
  const uint8_t mode = fin.u8();
  t.public_mode = static_cast<FakeNvTpm::PublicMode>(
      (mode & 0x80) ? (mode % static_cast<uint8_t>(FakeNvTpm::PublicMode::kCount)) : 0);
  t.attributes = fin.flag() ? fin.u32() : (fin.u32(), 0x2204000Au);
  const size_t index_size = fin.u16() % 4096;
  const uint8_t script_len = fin.u8() % 16;
  const bool well_behaved = (mode & 0x80) == 0 && (script_len & 8) == 0;
  for (uint8_t i = 0; i < script_len; ++i) {
    const uint8_t m = fin.u8();
    t.read_modes.push_back(well_behaved
                               ? FakeNvTpm::ReadMode::kOk
                               : static_cast<FakeNvTpm::ReadMode>(
                                     m % static_cast<uint8_t>(FakeNvTpm::ReadMode::kCount)));
  }
  ByteSpan g = fin.bytes(fin.u8());
  t.garbage.assign(g.begin(), g.end());
  const uint8_t cfg_byte = fin.u8();
  const bool da = (cfg_byte & 1) != 0;
  const ByteSpan content = fin.rest();
  t.data.assign(content.begin(), content.end());
  t.data.resize(index_size, 0xFF);

  uint8_t buf[vlp::kMaxPolicySize];
  tpm::VlpRead vr = tpm::read_vlp(t, t.index, MutableByteSpan(buf, sizeof(buf)));
  FUZZ_CHECK(!t.bad_command);
  FUZZ_CHECK(vr.size <= sizeof(buf));

  if (vr.source == launch::PolicySource::kNvRead || vr.source == launch::PolicySource::kNvPpWrite) {
    FUZZ_CHECK(vr.have_public && vr.size > 0);
    // A prefix of the index content: offsets advance by what each chunk returned (an answer
    // longer than the chunk asked for is an error, never extra bytes).
    for (size_t i = 0; i < vr.size; ++i)
      FUZZ_CHECK(buf[i] == (i < t.data.size() ? t.data[i] : 0xEE));
  }
  if (vr.source == launch::PolicySource::kNvRead) FUZZ_CHECK((vr.pub.attributes & 1u) == 0);
  if (vr.have_public && (vr.pub.attributes & tpm::kTpmaNvPpWrite) && vr.size > 0)
    FUZZ_CHECK(vr.source == launch::PolicySource::kNvPpWrite);
  if (t.public_mode == FakeNvTpm::PublicMode::kAbsent)
    FUZZ_CHECK(vr.source == launch::PolicySource::kNvAbsent);
  if (well_behaved) {
    const size_t want = index_size < sizeof(buf) ? index_size : sizeof(buf);
    FUZZ_CHECK(vr.capped == (index_size > sizeof(buf)));
    if (want == 0) {
      FUZZ_CHECK(vr.source == launch::PolicySource::kNvUnreadable);
    } else {
      FUZZ_CHECK(vr.size == want);
      FUZZ_CHECK(vr.chunks == (want + tpm::kVlpReadChunk - 1) / tpm::kVlpReadChunk);
      FUZZ_CHECK(vr.source == ((t.attributes & 1u) ? launch::PolicySource::kNvPpWrite
                                                   : launch::PolicySource::kNvRead));
    }
  }

  // Launcher::run(): launcher/src/decision.cpp. No modules here (the loader part is fuzzed by
  // fuzz_multiboot and fuzz_launch): loader_ok false.
  launch::LauncherOptions opts;
  opts.pcr_map = da ? launch::PcrMap::kDa : launch::PcrMap::kLegacy;
  opts.extpol = (cfg_byte & 2) != 0 ? launch::ExtPol::kEmbedded : launch::ExtPol::kSha256;
  tpm::PcrBanks banks;
  static constexpr uint16_t kAlgs[] = {0x000B, 0x000C, 0x000D, 0x0004, 0x0012};
  for (unsigned b = 0; b < 3; ++b) {
    if ((cfg_byte & (4u << b)) == 0) continue;
    const uint16_t alg = kAlgs[((cfg_byte >> 5) + b) % 5];
    const uint32_t pcrs = ((cfg_byte & 0x80) && b == 0) ? 0u : 0x00FFFFFFu;  // 0: unallocated
    banks.banks[banks.count++] = {alg, pcrs};
  }
  const launch::Config cfg = launcher::make_config(opts, banks);
  FUZZ_CHECK(cfg.pcr_map == opts.pcr_map &&
             cfg.embedded == (opts.extpol == launch::ExtPol::kEmbedded));
  FUZZ_CHECK(!cfg.embedded
                 ? cfg.num_banks == 0
                 : cfg.num_banks >= 1 && cfg.num_banks <= (banks.count ? banks.count : 1));
  for (size_t i = 0; i < cfg.num_banks; ++i) FUZZ_CHECK(launch::measurable_bank(cfg.banks[i]));
  const launch::Input in = launcher::make_input(vr, buf, false, true, nullptr, 0);
  FUZZ_CHECK(in.source == vr.source && !in.loader_ok && in.num_modules == 0);
  FUZZ_CHECK(in.policy_bytes.size == (vr.source == launch::PolicySource::kNvRead ? vr.size : 0));
  // With modules: measured only when the TPM answered; a failed measurement is a loader failure.
  launch::ModuleInput mods[2] = {};
  FUZZ_CHECK(launcher::modules_to_measure(true, vr.source) ==
             (vr.source != launch::PolicySource::kTpmNotReady));
  if (launcher::modules_to_measure(true, vr.source)) {
    const launch::Input bad = launcher::make_input(vr, buf, true, false, mods, 2);
    FUZZ_CHECK(!bad.loader_ok && bad.num_modules == 0);
    const launch::Input good = launcher::make_input(vr, buf, true, true, mods, 2);
    FUZZ_CHECK(good.loader_ok && good.num_modules == 2 && good.modules == mods);
  }
  SoftHasher h;
  static launch::Outcome out;
  out = launch::Outcome();
  FUZZ_CHECK(launch::evaluate(h, cfg, in, &out).ok());
  auto dec = vlp::decode(ByteSpan(buf, vr.size));
  const bool use_nv = vr.source == launch::PolicySource::kNvRead && dec.ok();
  FUZZ_CHECK(out.policy_from_nv == use_nv);
  FUZZ_CHECK(encode_vlp(out.policy) == encode_vlp(use_nv ? *dec : vlp::default_policy(da)));

  // The error index (another index of the same fake: reuse it with the content as the index).
  const uint32_t err = static_cast<uint32_t>(out.error);
  t.read_modes.clear();
  t.written.clear();
  t.writes = 0;
  t.bad_command = false;
  bool defined = false;
  Status ws = tpm::write_error_index(t, t.index, err, &defined);
  FUZZ_CHECK(!t.bad_command);
  if (ws.ok() && defined) {
    FUZZ_CHECK(t.writes == 1 && t.write_offset == 0);
    const uint8_t le[4] = {static_cast<uint8_t>(err), static_cast<uint8_t>(err >> 8),
                           static_cast<uint8_t>(err >> 16), static_cast<uint8_t>(err >> 24)};
    FUZZ_CHECK(same(tlaunch::fuzz::span(t.written), ByteSpan(le, 4)));
  } else {
    FUZZ_CHECK(t.writes == 0 || !ws.ok());
  }
  if (ws.ok() && defined) FUZZ_CHECK(t.data.size() >= 4);
  return 0;
}
