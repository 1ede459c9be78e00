// The shared launch decision (libpolicy launch.h): policy choice, VL event order and PCRs,
// verification, errors and actions, checked against tboot's documented behaviour
// (docs/reference/vlp.md §5–§7) and the worked example of docs/reference/vlp.md §9, with expected
// digests computed independently here.
#include "tlaunch/policy/launch.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/sha2.h"

namespace tlaunch::launch {
namespace {

using Bytes = std::vector<uint8_t>;
using vlp::Action;
using vlp::TbError;

Bytes unhex(const std::string& s) {
  Bytes out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<uint8_t>(nib(s[i]) * 16 + nib(s[i + 1])));
  return out;
}
Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string hx(const Bytes& b) { return host::hex(b.data(), b.size()); }
std::string hx(const Digest& d) { return host::hex(d.bytes, d.size); }

// Independent reference: OpenSSL one-shot digests, no project code.
Bytes md(const EVP_MD* m, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, m, nullptr);
  out.resize(n);
  return out;
}
Bytes sha256(const Bytes& d) { return md(EVP_sha256(), d); }
Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes ones(size_t n) { return Bytes(n, 0xFF); }

struct Module {
  std::string cmdline;
  Bytes image;
};

// Builds launch inputs for the modules (image digests via OpenSSL for each measurement alg).
struct Fixture {
  Config config;
  std::vector<Module> mods;
  std::vector<ModuleInput> inputs;
  Bytes policy;
  PolicySource source = PolicySource::kNvAbsent;
  bool loader_ok = true;
  std::string launcher_cmdline;  // measured first when set
  bool has_launcher_cmdline = false;
  uint8_t tpm_locality = 2;
  std::unique_ptr<Outcome> out = std::make_unique<Outcome>();

  Outcome& run() {
    HashAlg algs[kMaxBanks];
    size_t n = measurement_algs(config, algs);
    inputs.clear();
    for (const auto& m : mods) {
      ModuleInput in;
      in.cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(m.cmdline.data()), m.cmdline.size());
      in.num_digests = n;
      for (size_t i = 0; i < n; ++i) {
        host::OpenSslHasher h;
        auto d = hash_once(h, algs[i], ByteSpan(m.image.data(), m.image.size()));
        EXPECT_TRUE(d.ok());
        in.image[i] = *d;
      }
      inputs.push_back(in);
    }
    Input input;
    input.source = source;
    input.policy_bytes = ByteSpan(policy.data(), policy.size());
    input.loader_ok = loader_ok;
    input.modules = inputs.data();
    input.num_modules = inputs.size();
    input.has_launcher_cmdline = has_launcher_cmdline;
    input.launcher_cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(launcher_cmdline.data()),
                                      launcher_cmdline.size());
    input.tpm_locality = tpm_locality;
    host::OpenSslHasher h;
    auto s = evaluate(h, config, input, out.get());
    EXPECT_TRUE(s.ok()) << s.error().message;
    return *out;
  }
};

// docs/reference/vlp.md §9: the tb_polgen example policy (nonfatal; mod 0 pcr none IMAGE; mod 1 pcr
// 19 IMAGE; ANY pcr 19) and its two modules.
const char* kExamplePolicy =
    "02000b010000000000000003"
    "00ff010000000001"
    "9d14a9fac234f9e7fa9ad84f045b3869fb551d25fbd350bc35efe7479a761d35"
    "0113010000000001"
    "74d5db8dc53b3df893255017189870dca39faa964cf695cdff3d50307ce62346"
    "8113000000000000";
Bytes example_policy() { return unhex(kExamplePolicy); }
std::vector<Module> example_modules() {
  return {{"root=/dev/sda1 ro", str("hello kernel image")}, {"", str("initrd-bytes")}};
}

TEST(Launch, WorkedExampleMatchesTbootDigests) {
  Fixture f;
  f.policy = example_policy();
  ASSERT_EQ(f.policy.size(), 100u);
  ASSERT_EQ(hx(sha256(f.policy)),
            "ef03ff11a4f81a4487c2543760e69ddc718a19191a3e810980960d3ec039ae5c");
  f.source = PolicySource::kNvRead;
  f.mods = example_modules();
  Outcome& o = f.run();
  EXPECT_TRUE(o.policy_from_nv);
  EXPECT_TRUE(o.pass());
  EXPECT_EQ(o.action, Action::kContinue);
  // [17 policy-control] [18 copy (DA)] [17 module 0] [19 module 1]; module 0's entry has pcr none.
  ASSERT_EQ(o.num_events, 4u);
  EXPECT_EQ(o.events[0].pcr, 17);
  EXPECT_EQ(o.events[0].kind, EventKind::kPolicyControl);
  EXPECT_EQ(hx(o.events[0].digests[0]),
            "80c29ce9ff8804fc09dc5a3975593f39379e921aabafef6edd1523128e100512");
  EXPECT_EQ(o.events[1].pcr, 18);
  EXPECT_EQ(hx(o.events[1].digests[0]), hx(o.events[0].digests[0]));
  EXPECT_EQ(o.events[2].pcr, 17);
  EXPECT_EQ(o.events[2].kind, EventKind::kModule0);
  EXPECT_EQ(hx(o.events[2].digests[0]),
            "9d14a9fac234f9e7fa9ad84f045b3869fb551d25fbd350bc35efe7479a761d35");
  EXPECT_EQ(o.events[3].pcr, 19);
  EXPECT_EQ(o.events[3].module, 1);
  EXPECT_EQ(o.events[3].entry, 1);
  EXPECT_EQ(hx(o.events[3].digests[0]),
            "74d5db8dc53b3df893255017189870dca39faa964cf695cdff3d50307ce62346");
  // Steps: policy, module0, module 0 (entry 0, hash 0), module 1 (entry 1, hash 0).
  ASSERT_EQ(o.num_steps, 4u);
  EXPECT_EQ(o.steps[2].entry, 0);
  EXPECT_EQ(o.steps[2].matched, 0);
  EXPECT_TRUE(o.steps[2].verified);
  EXPECT_EQ(o.steps[3].entry, 1);
}

TEST(Launch, PredictedPcrsFollowExtendChainFromAllOnes) {
  Fixture f;
  f.policy = example_policy();
  f.source = PolicySource::kNvRead;
  f.mods = example_modules();
  Outcome& o = f.run();
  host::OpenSslHasher h;
  HashAlg banks[] = {HashAlg::kSha256, HashAlg::kSha384};
  auto pv = std::make_unique<PcrValues>();
  ASSERT_TRUE(predict_pcrs(h, o, banks, 2, PcrStart::kAllOnes, pv.get()).ok());
  // PCRs 17, 18, 19 x 2 banks.
  ASSERT_EQ(pv->count, 6u);
  Bytes pc = unhex("80c29ce9ff8804fc09dc5a3975593f39379e921aabafef6edd1523128e100512");
  Bytes m0 = unhex("9d14a9fac234f9e7fa9ad84f045b3869fb551d25fbd350bc35efe7479a761d35");
  Bytes m1 = unhex("74d5db8dc53b3df893255017189870dca39faa964cf695cdff3d50307ce62346");
  Bytes p17 = sha256(cat(sha256(cat(ones(32), pc)), m0));
  Bytes p18 = sha256(cat(ones(32), pc));
  Bytes p19 = sha256(cat(ones(32), m1));  // 17..22 all start at all ones without a DRTM
  EXPECT_EQ(pv->values[0].pcr, 17);
  EXPECT_EQ(hx(pv->values[0].value), hx(p17));
  EXPECT_EQ(pv->values[0].extends, 2u);
  // sha384 bank: fixed extpol extends only sha256, so it keeps its start value.
  EXPECT_EQ(pv->values[1].value.alg, HashAlg::kSha384);
  EXPECT_EQ(hx(pv->values[1].value), hx(ones(48)));
  EXPECT_EQ(pv->values[1].extends, 0u);
  EXPECT_EQ(hx(pv->values[2].value), hx(p18));
  EXPECT_EQ(pv->values[4].pcr, 19);
  EXPECT_EQ(hx(pv->values[4].value), hx(p19));
  // From zero: PCR 17 starts at 00..00.
  ASSERT_TRUE(predict_pcrs(h, o, banks, 1, PcrStart::kZero, pv.get()).ok());
  EXPECT_EQ(hx(pv->values[0].value), hx(sha256(cat(sha256(cat(Bytes(32, 0), pc)), m0))));
}

TEST(Launch, NoPolicyUsesDaDefaultAndContinues) {
  Fixture f;
  f.mods = {{"console=ttyS0", str("kernel")}, {"", str("initrd")}, {"x", str("third")}};
  Outcome& o = f.run();
  EXPECT_FALSE(o.policy_from_nv);
  EXPECT_EQ(o.error, TbError::kPolicyNotPresent);
  EXPECT_EQ(o.action, Action::kContinue);
  EXPECT_FALSE(o.pass());
  // DA default: ANY entry → PCR 17; module 0's own entry has pcr none.
  Bytes def_da = unhex(
      "02000b010000000000000003"
      "00ff000000000000"
      "8111000000000000"
      "8316001000004000");
  ASSERT_EQ(hx(sha256(def_da)), "e8cd244a4fa79c3e7ebb9e0a5a682157edfec023f1228eef274b84789cc6df89");
  Bytes pc = sha256(cat(unhex("01000000"), sha256(def_da)));
  ASSERT_EQ(o.num_events, 5u);
  uint8_t pcrs[] = {17, 18, 17, 17, 17};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(o.events[i].pcr, pcrs[i]) << i;
  EXPECT_EQ(hx(o.events[0].digests[0]), hx(pc));
  Bytes m1 = sha256(cat(sha256(str("")), sha256(str("initrd"))));
  EXPECT_EQ(hx(o.events[3].digests[0]), hx(m1));
  EXPECT_EQ(o.events[3].module, 1);
  EXPECT_EQ(o.events[4].module, 2);
}

TEST(Launch, LegacyMappingDefault) {
  Fixture f;
  f.config.pcr_map = PcrMap::kLegacy;
  f.mods = {{"", str("k")}, {"", str("i")}};
  Outcome& o = f.run();
  // [17 policy-control] [18 module 0] [19 module 1 via ANY]; no PCR 18 copy.
  ASSERT_EQ(o.num_events, 3u);
  EXPECT_EQ(o.events[0].pcr, 17);
  EXPECT_EQ(o.events[1].pcr, 18);
  EXPECT_EQ(o.events[1].kind, EventKind::kModule0);
  EXPECT_EQ(o.events[2].pcr, 19);
  Bytes legacy = unhex(
      "02000b010000000000000003"
      "00ff000000000000"
      "8113000000000000"
      "8316001000004000");
  EXPECT_EQ(hx(o.events[0].digests[0]),
            "9f6449ddf2b1dda0ac1df6f42b4f96e50f66bbd41aeb6ee49766432f1e328052");
  EXPECT_EQ(hx(sha256(legacy)), "45c82b6a9f259424f78e8a8b7ae58528f78b8dfdb3d9fdc6c1318f119a7b39a2");
}

// Builds a policy with the project encoder.
Bytes make_policy(uint8_t type,
                  const std::vector<std::pair<vlp::Entry, std::vector<Bytes>>>& entries,
                  uint8_t alg = 0x0B, uint32_t control = 1) {
  auto p = std::make_unique<vlp::Policy>(vlp::Policy::create(type, alg, control));
  for (const auto& [e, hashes] : entries) {
    auto i = p->add_entry(e);
    EXPECT_TRUE(i.ok());
    for (const auto& h : hashes) EXPECT_TRUE(p->add_hash(*i, ByteSpan(h.data(), h.size())).ok());
  }
  Bytes out(vlp::kMaxPolicySize);
  auto n = vlp::encode(*p, MutableByteSpan(out.data(), out.size()));
  EXPECT_TRUE(n.ok());
  out.resize(*n);
  return out;
}
vlp::Entry entry(uint8_t mod, uint8_t pcr, uint8_t type) {
  vlp::Entry e;
  e.mod_num = mod;
  e.pcr = pcr;
  e.hash_type = type;
  return e;
}
Bytes mod_hash(const Module& m) { return sha256(cat(sha256(str(m.cmdline)), sha256(m.image))); }

TEST(Launch, BadModuleUnderHaltPolicyHalts) {
  Fixture f;
  f.mods = {{"console=ttyS0", str("kernel")}, {"", str("initrd")}};
  Module good_initrd{"", str("initrd-original")};
  f.policy = make_policy(vlp::kHalt, {{entry(0, 18, vlp::kHashImage), {mod_hash(f.mods[0])}},
                                      {entry(1, 19, vlp::kHashImage), {mod_hash(good_initrd)}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kModuleVerificationFailed);
  EXPECT_EQ(o.action, Action::kHalt);
  ASSERT_EQ(o.num_steps, 4u);
  EXPECT_EQ(o.steps[3].module, 1);
  EXPECT_EQ(o.steps[3].matched, -1);
  EXPECT_EQ(o.steps[3].action, Action::kHalt);
}

TEST(Launch, BadModuleUnderContinuePolicyContinuesAndKeepsError) {
  Fixture f;
  f.mods = {{"console=ttyS0", str("kernel")}, {"", str("initrd")}, {"", str("extra")}};
  f.policy =
      make_policy(vlp::kContVerifyFail,
                  {{entry(0, 18, vlp::kHashImage), {mod_hash({"console=ttyS1", str("kernel")})}},
                   {entry(vlp::kModNumAny, 19, vlp::kHashAny), {}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kModuleVerificationFailed);
  EXPECT_EQ(o.action, Action::kContinue);
  // Every module was processed; the failed one is still measured (policy.c records first).
  ASSERT_EQ(o.num_steps, 5u);
  ASSERT_EQ(o.num_events, 6u);  // 17, 18, m0→17, m0→18 (entry pcr 18), m1→19, m2→19
  EXPECT_EQ(o.events[3].pcr, 18);
  EXPECT_EQ(o.events[3].module, 0);
  EXPECT_EQ(o.events[5].module, 2);
}

TEST(Launch, ModuleNotInPolicy) {
  Fixture f;
  f.mods = {{"", str("kernel")}, {"", str("initrd")}};
  // Only module 0 covered. Under "continue" this halts (not an exception of CONT_VERIFY_FAIL)...
  f.policy = make_policy(vlp::kContVerifyFail, {{entry(0, vlp::kPcrNone, vlp::kHashAny), {}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kModulesNotInPolicy);
  EXPECT_EQ(o.action, Action::kHalt);
  // ...and under "nonfatal" it continues.
  Fixture g;
  g.mods = f.mods;
  g.policy = make_policy(vlp::kContNonFatal, {{entry(0, vlp::kPcrNone, vlp::kHashAny), {}}});
  g.source = PolicySource::kNvRead;
  Outcome& o2 = g.run();
  EXPECT_EQ(o2.error, TbError::kModulesNotInPolicy);
  EXPECT_EQ(o2.action, Action::kContinue);
}

TEST(Launch, AnyEntryShadowsLaterSpecificEntry) {
  Fixture f;
  f.mods = {{"", str("kernel")}, {"", str("initrd")}};
  // ANY (hash any, pcr 20) before a specific entry for module 1 with a wrong hash: ANY wins.
  f.policy = make_policy(vlp::kHalt, {{entry(vlp::kModNumAny, 20, vlp::kHashAny), {}},
                                      {entry(1, 19, vlp::kHashImage), {Bytes(32, 0)}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_TRUE(o.pass());
  EXPECT_EQ(o.steps[3].entry, 0);
  EXPECT_EQ(o.events[o.num_events - 1].pcr, 20);
}

TEST(Launch, GarbagePolicyFallsBackToDefault) {
  Fixture f;
  f.mods = {{"", str("kernel")}};
  f.policy = Bytes{0x02, 0x07, 0x0b, 1, 0, 0, 0, 0, 0, 0, 0, 0};  // policy_type 7
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_FALSE(o.policy_from_nv);
  EXPECT_EQ(o.error, TbError::kPolicyNotPresent);
  EXPECT_EQ(o.action, Action::kContinue);
  EXPECT_NE(o.policy_error.code, Errc::kOk);
  EXPECT_EQ(o.policy_error.offset, 1u);
  EXPECT_EQ(o.policy.num_entries(), 3u);  // the DA default
  EXPECT_EQ(o.policy.entry(1).pcr, 17);
}

TEST(Launch, PpWriteAndUnreadableUseDefault) {
  for (PolicySource s : {PolicySource::kNvPpWrite, PolicySource::kNvUnreadable}) {
    Fixture f;
    f.mods = {{"", str("kernel")}};
    f.policy = make_policy(vlp::kHalt, {{entry(0, 18, vlp::kHashImage), {Bytes(32, 1)}}});
    f.source = s;  // the bytes are ignored: the caller refused the index
    Outcome& o = f.run();
    EXPECT_FALSE(o.policy_from_nv);
    EXPECT_EQ(o.error, TbError::kPolicyNotPresent);
    EXPECT_EQ(o.action, Action::kContinue);
  }
}

TEST(Launch, TpmNotReadyIsUnmeasuredLaunch) {
  Fixture f;
  f.mods = {{"", str("kernel")}};
  f.source = PolicySource::kTpmNotReady;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kTpmNotReady);
  EXPECT_EQ(o.action, Action::kUnmeasuredLaunch);
  EXPECT_EQ(o.num_events, 0u);
  EXPECT_EQ(o.num_steps, 1u);
}

// ---- issue 16: the launcher's command line, every bank, locality 0, fail closed ----------------

// Item 7: the launcher's own command line is the first event, H(cmdline) into PCR 17, before the
// policy-control event; an edit of the line in grub.cfg changes PCR 17.
TEST(Launch, LauncherCmdlineIsTheFirstEvent) {
  Fixture f;
  f.policy = example_policy();
  f.source = PolicySource::kNvRead;
  f.mods = example_modules();
  f.has_launcher_cmdline = true;
  f.launcher_cmdline = "logging=serial debug_exit=0xf4";
  Outcome& o = f.run();
  EXPECT_TRUE(o.pass());
  ASSERT_EQ(o.num_events, 5u);
  EXPECT_EQ(o.events[0].kind, EventKind::kLauncherCmdline);
  EXPECT_EQ(o.events[0].pcr, 17);
  EXPECT_EQ(hx(o.events[0].digests[0]), hx(sha256(str(f.launcher_cmdline))));
  EXPECT_EQ(o.events[1].kind, EventKind::kPolicyControl);
  EXPECT_STREQ(event_kind_name(o.events[0].kind), "launcher-cmdline");
  host::OpenSslHasher h;
  HashAlg bank = HashAlg::kSha256;
  auto pv = std::make_unique<PcrValues>();
  ASSERT_TRUE(predict_pcrs(h, o, &bank, 1, PcrStart::kAllOnes, pv.get()).ok());
  Bytes pc = unhex("80c29ce9ff8804fc09dc5a3975593f39379e921aabafef6edd1523128e100512");
  Bytes m0 = unhex("9d14a9fac234f9e7fa9ad84f045b3869fb551d25fbd350bc35efe7479a761d35");
  Bytes p17 =
      sha256(cat(sha256(cat(sha256(cat(ones(32), sha256(str(f.launcher_cmdline)))), pc)), m0));
  EXPECT_EQ(hx(pv->values[0].value), hx(p17));
  EXPECT_EQ(pv->values[0].extends, 3u);
  // One more word on the line: another PCR 17.
  const std::string before = hx(pv->values[0].value);
  f.launcher_cmdline += " extpol=embedded";
  Outcome& o2 = f.run();
  ASSERT_TRUE(predict_pcrs(h, o2, &bank, 1, PcrStart::kAllOnes, pv.get()).ok());
  EXPECT_NE(hx(pv->values[0].value), before);
  // The event does not count against tboot's 32 VL entries.
  Fixture g;
  for (int i = 0; i < 40; ++i) g.mods.push_back({"", Bytes(1, static_cast<uint8_t>(i))});
  g.has_launcher_cmdline = true;
  Outcome& og = g.run();
  EXPECT_EQ(og.num_events, kMaxVlEntries + 1);
  EXPECT_EQ(og.dropped_events, 3u + 39u - kMaxVlEntries);
}

// Item 4: all_banks with a fixed extpol: every event carries cur_alg's digest first, then one per
// bank, each bank's own hash of the same data; modules are verified with cur_alg.
TEST(Launch, AllBanksMeasuresEveryBankAndVerifiesWithTheExtpolAlgorithm) {
  Fixture f;
  f.config.all_banks = true;
  f.config.num_banks = 3;
  f.config.banks[0] = HashAlg::kSha1;
  f.config.banks[1] = HashAlg::kSha256;
  f.config.banks[2] = HashAlg::kSha512;
  f.mods = {{"console=ttyS0", str("kernel")}, {"", str("initrd")}};
  f.policy =
      make_policy(vlp::kHalt, {{entry(0, vlp::kPcrNone, vlp::kHashImage), {mod_hash(f.mods[0])}},
                               {entry(1, 19, vlp::kHashImage), {mod_hash(f.mods[1])}}});
  f.source = PolicySource::kNvRead;
  f.has_launcher_cmdline = true;
  f.launcher_cmdline = "all_banks=on";
  Outcome& o = f.run();
  EXPECT_TRUE(o.pass());
  for (size_t e = 0; e < o.num_events; ++e) {
    ASSERT_EQ(o.events[e].num_digests, 3u) << e;
    EXPECT_EQ(o.events[e].digests[0].alg, HashAlg::kSha256);
    EXPECT_EQ(o.events[e].digests[1].alg, HashAlg::kSha1);
    EXPECT_EQ(o.events[e].digests[2].alg, HashAlg::kSha512);
  }
  const Event& m1 = o.events[o.num_events - 1];
  EXPECT_EQ(m1.pcr, 19);
  EXPECT_EQ(hx(m1.digests[1]),
            hx(md(EVP_sha1(), cat(md(EVP_sha1(), str("")), md(EVP_sha1(), str("initrd"))))));
  EXPECT_EQ(hx(o.events[0].digests[2]), hx(md(EVP_sha512(), str("all_banks=on"))));
  // Policy control: the policy hashed with cur_alg, the outer hash per bank.
  EXPECT_EQ(hx(o.events[1].digests[1]),
            hx(md(EVP_sha1(), cat(unhex("01000000"), sha256(f.policy)))));
  // A wrong initrd still fails verification (SHA-256), whatever the other banks say.
  f.mods[1].image = str("tampered");
  Outcome& bad = f.run();
  EXPECT_EQ(bad.error, TbError::kModuleVerificationFailed);
  EXPECT_EQ(bad.action, Action::kHalt);
}

// Item 6: pcr_map=loc0 puts what DA puts into PCR 17-22 into PCR 11-13, which locality 0 may
// extend; the default policy is DA's.
TEST(Launch, Loc0MappingUsesStaticOsPcrs) {
  EXPECT_EQ(map_pcr(PcrMap::kLoc0, 17), 11);
  EXPECT_EQ(map_pcr(PcrMap::kLoc0, 18), 12);
  for (uint8_t p = 19; p <= 22; ++p) EXPECT_EQ(map_pcr(PcrMap::kLoc0, p), 13);
  for (uint8_t p : {0, 8, 10, 16, 23}) EXPECT_EQ(map_pcr(PcrMap::kLoc0, p), p);
  for (uint8_t p = 0; p < 24; ++p) {
    EXPECT_EQ(map_pcr(PcrMap::kDa, p), p);
    EXPECT_EQ(map_pcr(PcrMap::kLegacy, p), p);
  }
  EXPECT_EQ(pcr_extend_locality(17), 2);
  EXPECT_EQ(pcr_extend_locality(20), 1);
  EXPECT_EQ(pcr_extend_locality(22), 2);
  EXPECT_EQ(pcr_extend_locality(11), 0);
  EXPECT_EQ(pcr_extend_locality(23), 0);

  Fixture f;
  f.config.pcr_map = PcrMap::kLoc0;
  f.policy = example_policy();
  f.source = PolicySource::kNvRead;
  f.mods = example_modules();
  f.has_launcher_cmdline = true;
  f.tpm_locality = 0;  // all it needs
  Outcome& o = f.run();
  EXPECT_TRUE(o.pass());
  ASSERT_EQ(o.num_events, 5u);
  const uint8_t want[] = {11, 11, 12, 11, 13};  // cmdline, policy x2, module 0, module 1 (PCR 19)
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(o.events[i].pcr, want[i]) << i;
  // Same digests as under DA: only the PCRs move.
  EXPECT_EQ(hx(o.events[1].digests[0]),
            "80c29ce9ff8804fc09dc5a3975593f39379e921aabafef6edd1523128e100512");
  Fixture d;
  d.config.pcr_map = PcrMap::kLoc0;
  d.mods = {{"", str("k")}, {"", str("i")}};
  Outcome& od = d.run();
  EXPECT_EQ(od.policy.entry(1).pcr, 17);  // the DA default policy (module 1 into 17 -> 11)
  EXPECT_EQ(od.events[od.num_events - 1].pcr, 11);
}

// Item 6: with locality 0 only and a mapping that needs locality 2, the policy in NV is still
// enforced (a bad module halts a halt policy), and a launch whose measurements cannot be recorded
// is TB_ERR_TPM_NOT_READY under the policy in force: halt for halt and continue policies,
// unmeasured for the nonfatal (default) one; fail_closed turns that into a halt too.
TEST(Launch, LocalityZeroStillEnforcesThePolicy) {
  Module good_initrd{"", str("initrd")};
  for (uint8_t type : {vlp::kHalt, vlp::kContVerifyFail, vlp::kContNonFatal}) {
    Fixture f;
    f.mods = {{"console=ttyS0", str("kernel")}, good_initrd};
    f.policy = make_policy(type, {{entry(0, vlp::kPcrNone, vlp::kHashImage), {mod_hash(f.mods[0])}},
                                  {entry(1, 19, vlp::kHashImage), {mod_hash(good_initrd)}}});
    f.source = PolicySource::kNvRead;
    f.tpm_locality = 0;
    Outcome& o = f.run();
    EXPECT_EQ(o.error, TbError::kTpmNotReady);
    EXPECT_EQ(o.action, type == vlp::kContNonFatal ? Action::kUnmeasuredLaunch : Action::kHalt);
    const Step& last = o.steps[o.num_steps - 1];
    EXPECT_EQ(last.kind, StepKind::kLocality);
    EXPECT_EQ(last.pcr, 17);
    EXPECT_STREQ(step_kind_name(last.kind), "locality");
    EXPECT_EQ(extended_events(o), 0u);
    f.config.fail_closed = true;
    EXPECT_EQ(f.run().action, Action::kHalt);
    // A tampered initrd: the verification failure comes first.
    f.config.fail_closed = false;
    f.mods[1].image = str("tampered");
    Outcome& t = f.run();
    if (type == vlp::kHalt) {
      EXPECT_EQ(t.error, TbError::kModuleVerificationFailed);
      EXPECT_EQ(t.action, Action::kHalt);
    } else {
      EXPECT_EQ(t.error, TbError::kTpmNotReady);  // continue: then the locality check
    }
  }
  // Locality 1 is enough for PCR 20, not for 17.
  Fixture g;
  g.mods = {{"", str("k")}};
  g.tpm_locality = 1;
  EXPECT_EQ(g.run().steps[g.out->num_steps - 1].kind, StepKind::kLocality);
}

// Item 5: fail_closed makes every unmeasured launch a halt: no TPM at all, or a TPM whose
// locality cannot record the measurements.
TEST(Launch, FailClosedHaltsInsteadOfAnUnmeasuredLaunch) {
  Fixture f;
  f.mods = {{"", str("kernel")}};
  f.source = PolicySource::kTpmNotReady;
  f.config.fail_closed = true;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kTpmNotReady);
  EXPECT_EQ(o.action, Action::kHalt);
  // Without a TPM problem nothing changes.
  Fixture g;
  g.mods = {{"", str("kernel")}};
  g.config.fail_closed = true;
  EXPECT_EQ(g.run().action, Action::kContinue);
}

TEST(Launch, BrokenLoaderInfoIsFatal) {
  Fixture f;
  f.mods = {{"", str("kernel")}};
  f.loader_ok = false;
  Outcome& o = f.run();
  EXPECT_EQ(o.error, TbError::kFatal);
  EXPECT_EQ(o.action, Action::kHalt);
  EXPECT_EQ(o.num_events, 0u);
  Fixture g;  // no modules at all
  Outcome& o2 = g.run();
  EXPECT_EQ(o2.error, TbError::kFatal);
  EXPECT_EQ(o2.action, Action::kHalt);
}

TEST(Launch, PolicyAlgOtherThanExtpolNeverMatches) {
  Fixture f;
  f.mods = {{"", str("kernel")}};
  Bytes h384 = md(EVP_sha384(), cat(md(EVP_sha384(), str("")), md(EVP_sha384(), str("kernel"))));
  f.policy = make_policy(vlp::kHalt, {{entry(0, vlp::kPcrNone, vlp::kHashImage), {h384}}}, 0x0C);
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();  // extpol sha256
  EXPECT_EQ(o.error, TbError::kModuleVerificationFailed);
  // With extpol=sha384 it verifies.
  Fixture g;
  g.mods = f.mods;
  g.policy = f.policy;
  g.source = f.source;
  g.config.cur_alg = HashAlg::kSha384;
  Outcome& o2 = g.run();
  EXPECT_TRUE(o2.pass());
  EXPECT_EQ(o2.events[0].digests[0].size, 48);
}

TEST(Launch, EmbeddedMeasuresEveryBankWithoutVerifying) {
  Fixture f;
  f.config.embedded = true;
  f.config.num_banks = 2;
  f.config.banks[0] = HashAlg::kSha256;
  f.config.banks[1] = HashAlg::kSha384;
  f.mods = {{"a", str("kernel")}};
  f.policy = make_policy(vlp::kContNonFatal, {{entry(0, 18, vlp::kHashImage), {Bytes(32, 7)}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  EXPECT_TRUE(o.pass());  // tboot does not verify under extpol=embedded (nonfatal policy here)
  EXPECT_FALSE(o.steps[2].verified);
  ASSERT_EQ(o.events[2].num_digests, 2u);
  Bytes m384 = md(EVP_sha384(), cat(md(EVP_sha384(), str("a")), md(EVP_sha384(), str("kernel"))));
  EXPECT_EQ(hx(o.events[2].digests[1]), hx(m384));
  // Policy-control: inner hash cur_alg (sha256), outer per bank.
  Bytes pol = f.policy;
  Bytes buf = cat(unhex("01000000"), sha256(pol));
  EXPECT_EQ(hx(o.events[0].digests[1]), hx(md(EVP_sha384(), buf)));
}

// Issue 16 item 7: no launcher option weakens a halt or continue policy. extpol=embedded (tboot:
// no verification at all) still verifies modules with cur_alg (SHA-256) under those policies.
TEST(Launch, EmbeddedStillVerifiesUnderHaltAndContinuePolicies) {
  for (uint8_t type : {vlp::kHalt, vlp::kContVerifyFail}) {
    Fixture f;
    f.config.embedded = true;
    f.config.num_banks = 1;
    f.config.banks[0] = HashAlg::kSha384;  // no SHA-256 bank: SHA-256 measured for verification
    f.mods = {{"a", str("kernel")}};
    f.policy = make_policy(type, {{entry(0, 18, vlp::kHashImage), {Bytes(32, 7)}}});
    f.source = PolicySource::kNvRead;
    Outcome& o = f.run();
    EXPECT_EQ(o.error, TbError::kModuleVerificationFailed);
    EXPECT_EQ(o.action, type == vlp::kHalt ? Action::kHalt : Action::kContinue);
    EXPECT_TRUE(o.steps[2].verified);
    ASSERT_EQ(o.events[2].num_digests, 2u);  // the bank, then SHA-256
    EXPECT_EQ(o.events[2].digests[0].alg, HashAlg::kSha384);
    EXPECT_EQ(o.events[2].digests[1].alg, HashAlg::kSha256);
    // The right digest verifies.
    const Bytes m0 = sha256(cat(sha256(str("a")), sha256(str("kernel"))));
    f.policy = make_policy(type, {{entry(0, 18, vlp::kHashImage), {m0}}});
    EXPECT_TRUE(f.run().pass());
  }
}

TEST(Launch, EventsBeyondTbootLimitAreDropped) {
  Fixture f;
  for (int i = 0; i < 40; ++i) f.mods.push_back({"", Bytes(1, static_cast<uint8_t>(i))});
  Outcome& o = f.run();  // default policy: every module → PCR 17
  EXPECT_EQ(o.num_events, kMaxVlEntries);
  // 3 fixed entries + modules 1..39 (module 0's default entry has pcr none).
  EXPECT_EQ(o.dropped_events, 3u + 39u - kMaxVlEntries);
  EXPECT_EQ(o.num_steps, 2u + 40u);
}

TEST(Launch, SoftHasherGivesTheSameOutcome) {
  Fixture f;
  f.policy = example_policy();
  f.source = PolicySource::kNvRead;
  f.mods = example_modules();
  Outcome& o = f.run();
  Input in;
  in.source = f.source;
  in.policy_bytes = ByteSpan(f.policy.data(), f.policy.size());
  in.modules = f.inputs.data();
  in.num_modules = f.inputs.size();
  SoftHasher soft;
  auto o2 = std::make_unique<Outcome>();
  ASSERT_TRUE(evaluate(soft, f.config, in, o2.get()).ok());
  ASSERT_EQ(o2->num_events, o.num_events);
  for (size_t i = 0; i < o.num_events; ++i)
    EXPECT_EQ(hx(o2->events[i].digests[0]), hx(o.events[i].digests[0]));
}

TEST(Launch, MisuseIsAnError) {
  Config c;
  ModuleInput m;  // no digests
  Input in;
  in.modules = &m;
  in.num_modules = 1;
  host::OpenSslHasher h;
  auto o = std::make_unique<Outcome>();
  EXPECT_EQ(evaluate(h, c, in, o.get()).error().code, Errc::kBadValue);
  c.cur_alg = HashAlg::kSm3_256;  // the launcher has no SM3 code
  EXPECT_EQ(evaluate(h, c, in, o.get()).error().code, Errc::kUnsupported);
}

TEST(Launch, PcrsOutsideDrtmRangeStartAtZero) {
  Fixture f;
  f.mods = {{"", str("kernel")}, {"", str("initrd")}};
  f.policy = make_policy(vlp::kHalt, {{entry(vlp::kModNumAny, 23, vlp::kHashAny), {}}});
  f.source = PolicySource::kNvRead;
  Outcome& o = f.run();
  ASSERT_TRUE(o.pass());
  host::OpenSslHasher h;
  HashAlg bank = HashAlg::kSha256;
  auto pv = std::make_unique<PcrValues>();
  ASSERT_TRUE(predict_pcrs(h, o, &bank, 1, PcrStart::kAllOnes, pv.get()).ok());
  ASSERT_EQ(pv->count, 3u);  // 17, 18, 23
  EXPECT_EQ(pv->values[2].pcr, 23);
  Bytes m0 = mod_hash(f.mods[0]), m1 = mod_hash(f.mods[1]);
  EXPECT_EQ(hx(pv->values[2].value), hx(sha256(cat(sha256(cat(Bytes(32, 0), m0)), m1))));
}

}  // namespace
}  // namespace tlaunch::launch
