// The launcher options and the launch configuration (libpolicy launch_options.h): every option,
// bad values, last-value-wins, the bank rule, what is extended — and the property test of issue
// 11: random option strings and bank sets through the launcher's host-built entry
// (launcher/src/decision.cpp, compiled in here as fuzz_nv_policy does) and through the path the
// host tools take (config_from_cmdline, used by predict, the launch spec and doctor) give the same
// configuration, and the PCRs a simulated TPM ends with after the launcher's extends equal
// predict_pcrs() for every bank.
#include "tlaunch/policy/launch_options.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../launcher/src/decision.cpp"  // NOLINT(bugprone-suspicious-include)
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/number.h"

namespace tlaunch::launch {
namespace {

using host::as_bytes;
using host::as_string;

TEST(LauncherOptions, DefaultsAndEveryOption) {
  const LauncherOptions d = parse_launcher_options(ByteSpan());
  EXPECT_TRUE(d.log_serial);
  EXPECT_EQ(d.level, LogLevel::kAll);
  EXPECT_EQ(d.pcr_map, PcrMap::kDa);
  EXPECT_EQ(d.nv_index_set, NvIndexSet::kTcg);
  EXPECT_FALSE(d.debug_exit);
  EXPECT_TRUE(d.write_error_index);
  EXPECT_EQ(d.extpol, ExtPol::kSha256);
  EXPECT_EQ(d.given, 0u);

  const std::string line =
      "/boot/tlaunch-launcher.elf logging=serial,vga loglvl=err,warn pcr_map=legacy "
      "nv_index_set=legacy extpol=sha384 debug_exit=0xf4 serial=57600,8n1,0x2f8 sha_ni=off "
      "error_index=off";
  const LauncherOptions o = parse_launcher_options(as_bytes(line));
  EXPECT_EQ(o.num_bad, 0u);
  EXPECT_TRUE(o.log_serial);
  EXPECT_EQ(o.level, LogLevel::kWarn);
  EXPECT_EQ(o.pcr_map, PcrMap::kLegacy);
  EXPECT_EQ(o.nv_index_set, NvIndexSet::kLegacy);
  EXPECT_EQ(o.extpol, ExtPol::kSha384);
  EXPECT_TRUE(o.debug_exit);
  EXPECT_EQ(o.debug_exit_port, 0xF4);
  EXPECT_EQ(o.serial_baud, 57600u);
  EXPECT_EQ(o.serial_port, 0x2F8);
  EXPECT_EQ(o.sha256, Sha256Impl::kGeneric);
  EXPECT_FALSE(o.write_error_index);
  EXPECT_EQ(o.given, kOptLogging | kOptLoglvl | kOptPcrMap | kOptNvIndexSet | kOptExtpol |
                         kOptDebugExit | kOptSerial | kOptShaNi | kOptErrorIndex);

  const LauncherOptions e = parse_launcher_options(as_bytes("extpol=embedded logging=none"));
  EXPECT_EQ(e.extpol, ExtPol::kEmbedded);
  EXPECT_FALSE(e.log_serial);
  EXPECT_EQ(parse_launcher_options(as_bytes("extpol=agile")).extpol, ExtPol::kSha256);
  EXPECT_EQ(parse_launcher_options(as_bytes("nv_index_set=0")).nv_index_set, NvIndexSet::kLegacy);
}

TEST(LauncherOptions, BadValuesAreCountedNotFatal) {
  const std::string line = "pcr_map=da2 loglvl=loud debug_exit=70000 foo=bar logging=serial";
  const LauncherOptions o = parse_launcher_options(as_bytes(line));
  EXPECT_EQ(o.num_bad, 4u);
  EXPECT_EQ(as_string(o.first_bad), "pcr_map=da2");
  EXPECT_EQ(o.pcr_map, PcrMap::kDa);  // unchanged
  EXPECT_FALSE(o.debug_exit);
  EXPECT_TRUE(o.log_serial);
  EXPECT_EQ(o.given, kOptLogging);
}

// An option given twice takes its last value, as the launcher always did (the launch spec's old
// reader took the first one and could disagree with the launcher).
TEST(LauncherOptions, LastValueWins) {
  const LauncherOptions o =
      parse_launcher_options(as_bytes("extpol=sha384 pcr_map=legacy extpol=sha512 pcr_map=da"));
  EXPECT_EQ(o.extpol, ExtPol::kSha512);
  EXPECT_EQ(o.pcr_map, PcrMap::kDa);
}

TEST(Numbers, OneGrammar) {
  uint64_t v = 0;
  EXPECT_TRUE(parse_number(as_bytes("010"), 0xFFFF, &v));
  EXPECT_EQ(v, 10u);  // a leading zero is not octal
  EXPECT_TRUE(parse_number(as_bytes("0x10"), 0xFFFF, &v));
  EXPECT_EQ(v, 16u);
  EXPECT_TRUE(parse_number(as_bytes("0XfF"), 0xFFFF, &v));
  EXPECT_EQ(v, 255u);
  EXPECT_TRUE(parse_number(as_bytes("65535"), 0xFFFF, &v));
  EXPECT_FALSE(parse_number(as_bytes("65536"), 0xFFFF, &v));
  EXPECT_FALSE(parse_number(as_bytes("18446744073709551616"), UINT64_MAX, &v));
  EXPECT_TRUE(parse_number(as_bytes("18446744073709551615"), UINT64_MAX, &v));
  EXPECT_EQ(v, UINT64_MAX);
  for (const char* bad : {"", "0x", "-1", "+1", " 1", "1 ", "1k", "0b1", "0o7", "12a", "0xg"})
    EXPECT_FALSE(parse_number(as_bytes(bad), UINT64_MAX, &v)) << bad;
  EXPECT_FALSE(parse_number(as_bytes("5"), 0, &v));
  EXPECT_TRUE(parse_number(as_bytes("0"), 0, &v));
}

TEST(LaunchConfig, BankRule) {
  const HashAlg banks[] = {HashAlg::kSha1, HashAlg::kSha384, HashAlg::kSm3_256, HashAlg::kSha256};
  LauncherOptions o;
  o.extpol = ExtPol::kEmbedded;
  ConfigNotes notes;
  Config c = make_config(o, banks, 4, &notes);
  ASSERT_EQ(c.num_banks, 3u);  // SM3 cannot be hashed by the launcher
  EXPECT_EQ(c.banks[0], HashAlg::kSha1);
  EXPECT_EQ(c.banks[1], HashAlg::kSha384);
  EXPECT_EQ(c.banks[2], HashAlg::kSha256);
  EXPECT_FALSE(notes.fallback_bank);
  HashAlg algs[kMaxBanks];
  // Embedded: the banks; cur_alg (SHA-256, what modules are verified with) is among them.
  ASSERT_EQ(measurement_algs(c, algs), 3u);
  // No bank the launcher can hash (SM3 only): SHA-256 alone, for the launcher and every host
  // tool alike.
  c = make_config(o, banks + 2, 1, &notes);
  ASSERT_EQ(c.num_banks, 1u);
  EXPECT_EQ(c.banks[0], HashAlg::kSha256);
  EXPECT_TRUE(notes.fallback_bank);
  // Embedded without a SHA-256 bank: the banks, then SHA-256 for verification.
  c = make_config(o, banks, 2, &notes);
  ASSERT_EQ(measurement_algs(c, algs), 3u);
  EXPECT_EQ(algs[0], HashAlg::kSha1);
  EXPECT_EQ(algs[1], HashAlg::kSha384);
  EXPECT_EQ(algs[2], HashAlg::kSha256);
  o.extpol = ExtPol::kSha512;
  c = make_config(o, banks, 4, &notes);
  EXPECT_FALSE(c.embedded);
  EXPECT_EQ(c.cur_alg, HashAlg::kSha512);
  ASSERT_EQ(measurement_algs(c, algs), 1u);
  EXPECT_EQ(algs[0], HashAlg::kSha512);
  // all_banks=on with a fixed extpol: cur_alg first (verification), then every allocated bank
  // the launcher can hash; the other options do not change the banks.
  o.all_banks = true;
  o.fail_closed = true;
  c = make_config(o, banks, 4, &notes);
  EXPECT_TRUE(c.all_banks);
  EXPECT_TRUE(c.fail_closed);
  ASSERT_EQ(measurement_algs(c, algs), 4u);
  EXPECT_EQ(algs[0], HashAlg::kSha512);
  EXPECT_EQ(algs[1], HashAlg::kSha1);
  EXPECT_EQ(algs[2], HashAlg::kSha384);
  EXPECT_EQ(algs[3], HashAlg::kSha256);
  // all_banks has no meaning with embedded (which measures every bank already).
  o.extpol = ExtPol::kEmbedded;
  EXPECT_FALSE(make_config(o, banks, 4).all_banks);
}

TEST(LauncherOptions, PlatformOptions) {
  LauncherOptions d = parse_launcher_options(ByteSpan());
  EXPECT_FALSE(d.all_banks);
  EXPECT_FALSE(d.fail_closed);
  LauncherOptions o = parse_launcher_options(as_bytes("all_banks=on fail_closed=on pcr_map=loc0"));
  EXPECT_EQ(o.num_bad, 0u);
  EXPECT_TRUE(o.all_banks);
  EXPECT_TRUE(o.fail_closed);
  EXPECT_EQ(o.pcr_map, PcrMap::kLoc0);
  EXPECT_EQ(o.given, kOptAllBanks | kOptFailClosed | kOptPcrMap);
  EXPECT_STREQ(pcr_map_name(o.pcr_map), "loc0");
  o = parse_launcher_options(as_bytes("all_banks=yes fail_closed=1 pcr_map=loc2"));
  EXPECT_EQ(o.num_bad, 3u);
  EXPECT_FALSE(o.all_banks);
  EXPECT_FALSE(o.fail_closed);
  EXPECT_EQ(o.pcr_map, PcrMap::kDa);
}

// ------------------------------------------------------------------------------ property test

// A random launcher command line made of known options with good and bad values, bare words and
// junk, with repeats.
std::string random_cmdline(std::mt19937& rng) {
  static const char* kTokens[] = {"pcr_map=da",
                                  "pcr_map=legacy",
                                  "pcr_map=DA",
                                  "extpol=sha256",
                                  "extpol=sha384",
                                  "extpol=sha512",
                                  "extpol=embedded",
                                  "extpol=agile",
                                  "extpol=sha1",
                                  "extpol=",
                                  "nv_index_set=tcg",
                                  "nv_index_set=legacy",
                                  "nv_index_set=0",
                                  "nv_index_set=1",
                                  "nv_index_set=2",
                                  "logging=serial",
                                  "logging=vga,none",
                                  "loglvl=err,info",
                                  "loglvl=x",
                                  "serial=9600,8n1,0x2f8",
                                  "serial=7",
                                  "sha_ni=off",
                                  "sha_ni=auto",
                                  "error_index=off",
                                  "debug_exit=0xf4",
                                  "debug_exit=0",
                                  "foo=bar",
                                  "/boot/launcher.elf",
                                  "=",
                                  "pcr_map",
                                  "extpol==sha384",
                                  "debug_exit=off",
                                  "all_banks=on",
                                  "all_banks=off",
                                  "fail_closed=on",
                                  "pcr_map=loc0"};
  std::string s;
  const size_t n = rng() % 8;
  for (size_t i = 0; i < n; ++i) {
    s += kTokens[rng() % (sizeof(kTokens) / sizeof(kTokens[0]))];
    s += (rng() % 4 == 0) ? "\t" : " ";
  }
  return s;
}

tpm::PcrBanks random_banks(std::mt19937& rng) {
  static constexpr uint16_t kAlgs[] = {0x0004, 0x000B, 0x000C, 0x000D, 0x0012, 0x0027};
  tpm::PcrBanks b;
  b.count = rng() % 5;
  for (size_t i = 0; i < b.count; ++i)
    b.banks[i] = {kAlgs[rng() % 6], (rng() % 4 == 0) ? 0u : 0x00FFFFFFu};  // 0: unallocated
  return b;
}

bool same_config(const Config& a, const Config& b) {
  if (a.pcr_map != b.pcr_map || a.embedded != b.embedded || a.cur_alg != b.cur_alg ||
      a.all_banks != b.all_banks || a.fail_closed != b.fail_closed || a.num_banks != b.num_banks)
    return false;
  for (size_t i = 0; i < a.num_banks; ++i)
    if (a.banks[i] != b.banks[i]) return false;
  return true;
}

// A TPM's PCRs, simulated independently of predict_pcrs(): every bank starts at the start value,
// PCR_Extend with a TPML_DIGEST_VALUES extends each bank it has a digest for.
struct SimTpm {
  std::vector<HashAlg> banks;
  std::vector<std::vector<Digest>> pcrs;  // [bank][pcr]
  SimTpm(const std::vector<HashAlg>& b, PcrStart start) : banks(b) {
    for (HashAlg a : banks) {
      pcrs.emplace_back();
      for (uint8_t p = 0; p < 24; ++p) pcrs.back().push_back(pcr_start_value(p, a, start));
    }
  }
  void extend(Hasher& h, const Event& e) {
    for (size_t b = 0; b < banks.size(); ++b)
      for (size_t k = 0; k < e.num_digests; ++k)
        if (e.digests[k].alg == banks[b])
          pcrs[b][e.pcr] = *pcr_extend(h, pcrs[b][e.pcr], e.digests[k]);
  }
};

TEST(LaunchConfig, PropertyLauncherEntryEqualsHostPath) {
  std::mt19937 rng(20261204);
  host::OpenSslHasher h;
  const std::string kernel = "kernel image bytes", initrd = "initrd bytes";
  for (int iter = 0; iter < 3000; ++iter) {
    const std::string cl = random_cmdline(rng);
    const tpm::PcrBanks tb = random_banks(rng);

    // The launcher: its option parser and its host-built entry (decision.cpp).
    const LauncherOptions lo = parse_launcher_options(as_bytes(cl));
    const Config launcher_cfg = launcher::make_config(lo, tb);
    // The host tools: the allocated banks as predict/--bank, the spec and doctor pass them.
    std::vector<HashAlg> allocated;
    for (size_t i = 0; i < tb.count; ++i)
      if (tb.banks[i].pcrs != 0) allocated.push_back(static_cast<HashAlg>(tb.banks[i].alg));
    const Config host_cfg = config_from_cmdline(as_bytes(cl), allocated.data(), allocated.size());
    ASSERT_TRUE(same_config(launcher_cfg, host_cfg)) << "cmdline \"" << cl << "\"";

    // The whole launch under that configuration: a small policy that verifies the kernel and,
    // depending on the iteration, accepts or rejects the initrd.
    HashAlg algs[kMaxBanks];
    const size_t n = measurement_algs(host_cfg, algs);
    ModuleInput mods[2];
    const std::string* images[2] = {&kernel, &initrd};
    const std::string cmdlines[2] = {"console=ttyS0", ""};
    for (size_t m = 0; m < 2; ++m) {
      mods[m].cmdline = as_bytes(cmdlines[m]);
      mods[m].num_digests = n;
      for (size_t a = 0; a < n; ++a)
        mods[m].image[a] = *hash_once(h, algs[a], as_bytes(*images[m]));
    }
    vlp::Policy p =
        vlp::Policy::create((iter % 3 == 0)   ? vlp::kHalt
                            : (iter % 3 == 1) ? vlp::kContVerifyFail
                                              : vlp::kContNonFatal,
                            static_cast<uint8_t>(host_cfg.cur_alg), vlp::kCtlExtendPcr17);
    for (uint8_t m = 0; m < 2; ++m) {
      vlp::Entry e;
      e.mod_num = m;
      e.pcr = m == 0 ? vlp::kPcrNone : 19;
      e.hash_type = vlp::kHashImage;
      ASSERT_TRUE(p.add_entry(e).ok());
      const std::string wrong = "another " + *images[m];
      const Digest img =
          *hash_once(h, host_cfg.cur_alg, as_bytes(iter % 2 == 0 ? *images[m] : wrong));
      const Digest meas = *module_measurement(h, host_cfg.cur_alg, mods[m].cmdline, img);
      ASSERT_TRUE(p.add_hash(m, meas.span()).ok());
    }
    uint8_t buf[vlp::kMaxPolicySize];
    const size_t size = *vlp::encode(p, MutableByteSpan(buf, sizeof(buf)));
    Input in;
    in.source = PolicySource::kNvRead;
    in.policy_bytes = ByteSpan(buf, size);
    in.modules = mods;
    in.num_modules = 2;
    in.has_launcher_cmdline = true;  // the launcher measures its own line first
    in.launcher_cmdline = as_bytes(cl);
    auto lo_out = std::make_unique<Outcome>();
    auto host_out = std::make_unique<Outcome>();
    ASSERT_TRUE(evaluate(h, launcher_cfg, in, lo_out.get()).ok());
    ASSERT_TRUE(evaluate(h, host_cfg, in, host_out.get()).ok());
    ASSERT_EQ(lo_out->action, host_out->action);
    ASSERT_EQ(lo_out->error, host_out->error);

    // What the launcher extends on a simulated TPM equals predict_pcrs, in every bank.
    std::vector<HashAlg> sim_banks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                      HashAlg::kSha512};
    SimTpm tpm(sim_banks, PcrStart::kAllOnes);
    for (size_t i = 0; i < extended_events(*lo_out); ++i) tpm.extend(h, lo_out->events[i]);
    auto predicted = std::make_unique<PcrValues>();
    ASSERT_TRUE(predict_pcrs(h, *host_out, sim_banks.data(), sim_banks.size(), PcrStart::kAllOnes,
                             predicted.get())
                    .ok());
    for (size_t i = 0; i < predicted->count; ++i) {
      const PcrValue& v = predicted->values[i];
      size_t b = 0;
      while (sim_banks[b] != v.value.alg) ++b;
      ASSERT_TRUE(tpm.pcrs[b][v.pcr] == v.value)
          << "cmdline \"" << cl << "\" PCR " << int(v.pcr) << " bank " << int(b);
    }
    if (lo_out->action != vlp::Action::kContinue) {
      EXPECT_EQ(extended_events(*lo_out), 0u);
    }
  }
}

}  // namespace
}  // namespace tlaunch::launch
