// The launch decision shared by the launcher and `tlaunch predict` (libpolicy launch.h:
// launch::evaluate and launch::predict_pcrs; tboot policy.c verify_all_modules/apply_policy,
// docs/reference/vlp.md §6-§7).
//
// Input: configuration (PCR mapping, extpol: fixed algorithm or embedded banks), up to 8 modules
// (command line + image bytes), a "fix-up" mask, a flags byte (0xFF: broken loader information;
// else bit 0 all_banks, bit 1 fail_closed, bit 2 pcr_map=loc0, bit 3 the launcher's command line
// (the first module's) is measured, bits 4-5 the locality the launcher holds), then the policy
// bytes as read from NV. With the fix-up bit of an IMAGE entry set, its first hash is replaced by
// the real measurement of the module it names, so that both verified and failing modules are
// reached.
//
// Properties (stated from docs/reference/vlp.md, checked independently of launch.cpp's own
// bookkeeping):
//  * evaluate() never fails on well-formed input and is deterministic;
//  * a module step that verified an IMAGE entry without error matched a hash that equals
//    H(H(cmdline) || H(image)) computed here; one that failed verification matches none of the
//    entry's hashes; a module with no entry (and no ANY entry) gives TB_ERR_MODULES_NOT_IN_POLICY;
//  * modules are verified with cur_alg's digest, also under extpol=embedded unless the policy is
//    nonfatal (no launcher option weakens a halt or continue policy);
//  * every step after the policy step takes the action evaluate_error(policy type, error) —
//    with fail_closed an unmeasured launch becomes a halt —, a step whose action is not
//    "continue" is the last one, and the outcome is that step's error/action; with all actions
//    "continue" the outcome is the first error (or none) and "continue";
//  * the launcher's command line, when given, is event 0, H(cmdline) per algorithm, into PCR 17
//    (11 under loc0); loc0 puts nothing into PCR 17-22; a launch that continues only extends PCRs
//    the held locality may extend, and a locality step is TB_ERR_TPM_NOT_READY about a PCR that
//    needs more;
//  * at most kMaxEvents events are kept and none names a PCR above 23; PCR prediction succeeds
//    over the measurement banks.
#include "fuzz.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/sha2.h"

using namespace tlaunch;
using tlaunch::fuzz::Bytes;

namespace {

constexpr HashAlg kAlgs[] = {HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};

bool same_outcome(const launch::Outcome& a, const launch::Outcome& b) {
  if (a.error != b.error || a.action != b.action || a.num_events != b.num_events ||
      a.num_steps != b.num_steps || a.policy_from_nv != b.policy_from_nv ||
      a.dropped_events != b.dropped_events)
    return false;
  for (size_t i = 0; i < a.num_events; ++i) {
    const launch::Event &x = a.events[i], &y = b.events[i];
    if (x.pcr != y.pcr || x.kind != y.kind || x.num_digests != y.num_digests) return false;
    for (size_t d = 0; d < x.num_digests; ++d)
      if (!(x.digests[d] == y.digests[d])) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  launch::Config cfg;
  const uint8_t c = fin.u8();
  cfg.pcr_map = (c & 1) ? launch::PcrMap::kLegacy : launch::PcrMap::kDa;
  cfg.embedded = (c & 2) != 0;
  cfg.cur_alg = kAlgs[((c >> 2) & 3) % 3];
  // Embedded banks, or the banks all_banks measures for (used only when set below).
  cfg.num_banks = 1 + ((c >> 4) & 3);
  for (size_t i = 0; i < cfg.num_banks; ++i) cfg.banks[i] = kAlgs[(c >> (4 + i)) % 3];

  SoftHasher h;
  const size_t nmods = fin.u8() % 9;
  launch::ModuleInput mods[8];
  ByteSpan images[8];
  for (size_t m = 0; m < nmods; ++m) {
    mods[m].cmdline = fin.bytes(fin.u8());
    images[m] = fin.bytes(fin.u8());
  }
  const uint8_t fixup = fin.u8();
  const uint8_t flags = fin.u8();
  const bool loader_ok = flags != 0xFF;
  const ByteSpan raw = fin.rest();
  if (loader_ok) {
    cfg.all_banks = (flags & 1) != 0 && !cfg.embedded;
    cfg.fail_closed = (flags & 2) != 0;
    if ((flags & 4) != 0 && cfg.pcr_map == launch::PcrMap::kDa) cfg.pcr_map = launch::PcrMap::kLoc0;
  }
  if (!cfg.embedded && !cfg.all_banks) cfg.num_banks = 0;
  const bool with_cmdline = loader_ok && (flags & 8) != 0 && nmods > 0;
  const uint8_t locality = loader_ok ? static_cast<uint8_t>((flags >> 4) & 3) : 2;

  HashAlg algs[launch::kMaxBanks];
  const size_t nalgs = launch::measurement_algs(cfg, algs);
  size_t vi = nalgs;  // the digest modules are verified with: cur_alg's
  for (size_t a = 0; a < nalgs; ++a)
    if (algs[a] == cfg.cur_alg) vi = a;
  FUZZ_CHECK(vi < nalgs);
  for (size_t m = 0; m < nmods; ++m) {
    mods[m].num_digests = nalgs;
    for (size_t a = 0; a < nalgs; ++a) {
      auto d = hash_once(h, algs[a], images[m]);
      FUZZ_CHECK(d.ok());
      mods[m].image[a] = *d;
    }
  }

  // The policy bytes, with chosen IMAGE entries made to match their module.
  Bytes pol(raw.begin(), raw.end());
  if (auto p = vlp::decode(raw); p.ok() && fixup != 0) {
    vlp::Policy q = *p;
    const size_t hs = q.digest_size();
    for (size_t i = 0; i < q.num_entries() && i < 8; ++i) {
      const vlp::Entry& e = q.entry(i);
      if (!(fixup & (1u << i)) || e.hash_type != vlp::kHashImage || e.num_hashes == 0 ||
          e.mod_num >= nmods || hs == 0 || q.hash_alg != static_cast<uint16_t>(algs[vi]))
        continue;
      auto md = module_measurement(h, algs[vi], mods[e.mod_num].cmdline, mods[e.mod_num].image[vi]);
      FUZZ_CHECK(md.ok() && md->size == hs);
      FUZZ_CHECK(q.del_hash(i, 0).ok());
      FUZZ_CHECK(q.add_hash(i, md->span()).ok());
    }
    pol.assign(vlp::kMaxPolicySize, 0);
    auto n = vlp::encode(q, MutableByteSpan(pol.data(), pol.size()));
    FUZZ_CHECK(n.ok());
    pol.resize(*n);
  }

  launch::Input in;
  in.source = launch::PolicySource::kNvRead;
  in.policy_bytes = tlaunch::fuzz::span(pol);
  in.loader_ok = loader_ok;
  in.modules = mods;
  in.num_modules = nmods;
  in.has_launcher_cmdline = with_cmdline;
  in.launcher_cmdline = with_cmdline ? mods[0].cmdline : ByteSpan();
  in.tpm_locality = locality;
  static launch::Outcome out, out2;
  out = launch::Outcome();
  out2 = launch::Outcome();
  FUZZ_CHECK(launch::evaluate(h, cfg, in, &out).ok());
  FUZZ_CHECK(launch::evaluate(h, cfg, in, &out2).ok());
  FUZZ_CHECK(same_outcome(out, out2));

  const vlp::Policy& p = out.policy;
  FUZZ_CHECK(out.num_events <= launch::kMaxEvents && out.num_steps <= launch::kMaxSteps);
  for (size_t i = 0; i < out.num_events; ++i) FUZZ_CHECK(out.events[i].pcr <= vlp::kMaxPcr);

  bool after_policy = false;
  vlp::TbError first = vlp::TbError::kNone;
  for (size_t i = 0; i < out.num_steps; ++i) {
    const launch::Step& s = out.steps[i];
    if (s.error != vlp::TbError::kNone && first == vlp::TbError::kNone) first = s.error;
    if (after_policy) {
      vlp::Action want = vlp::evaluate_error(p.policy_type, s.error);
      if (cfg.fail_closed && want == vlp::Action::kUnmeasuredLaunch) want = vlp::Action::kHalt;
      FUZZ_CHECK(s.action == want);
    }
    if (s.kind == launch::StepKind::kLocality) {
      FUZZ_CHECK(i + 1 == out.num_steps && s.error == vlp::TbError::kTpmNotReady);
      FUZZ_CHECK(launch::pcr_extend_locality(s.pcr) > locality);
    }
    if (s.kind == launch::StepKind::kPolicy) after_policy = true;
    if (s.action != vlp::Action::kContinue) {
      FUZZ_CHECK(i + 1 == out.num_steps);
      FUZZ_CHECK(out.error == s.error && out.action == s.action);
    }
    if (s.kind != launch::StepKind::kModule) continue;
    FUZZ_CHECK(s.module < nmods);
    const int idx = p.find_entry(static_cast<uint8_t>(s.module));
    FUZZ_CHECK(s.entry == idx);
    if (idx < 0) {
      FUZZ_CHECK(s.error == vlp::TbError::kModulesNotInPolicy);
      continue;
    }
    const vlp::Entry& e = p.entry(static_cast<size_t>(idx));
    auto md = module_measurement(h, algs[vi], mods[s.module].cmdline, mods[s.module].image[vi]);
    FUZZ_CHECK(md.ok());
    bool any_equal = false;
    for (size_t k = 0; k < e.num_hashes; ++k) {
      ByteSpan hk = p.hash(static_cast<size_t>(idx), k);
      if (hk.size == md->size && p.hash_alg == static_cast<uint16_t>(algs[vi]) &&
          equal_bytes(hk.data, md->bytes, hk.size))
        any_equal = true;
    }
    if ((cfg.embedded && p.policy_type == vlp::kContNonFatal) || e.hash_type == vlp::kHashAny) {
      FUZZ_CHECK(s.error == vlp::TbError::kNone);
    } else if (s.error == vlp::TbError::kNone) {
      FUZZ_CHECK(s.verified && s.matched >= 0 && s.matched < e.num_hashes);
      ByteSpan hm = p.hash(static_cast<size_t>(idx), static_cast<size_t>(s.matched));
      FUZZ_CHECK(hm.size == md->size && equal_bytes(hm.data, md->bytes, hm.size));
    } else {
      FUZZ_CHECK(s.error == vlp::TbError::kModuleVerificationFailed && !any_equal);
    }
  }
  if (out.action == vlp::Action::kContinue) FUZZ_CHECK(out.error == first);
  FUZZ_CHECK(out.pass() == (out.error == vlp::TbError::kNone));

  // The launcher's own command line first; PCRs within what the mapping and locality allow.
  size_t first_vl = 0;
  if (with_cmdline && out.num_events > 0 &&
      out.events[0].kind == launch::EventKind::kLauncherCmdline) {
    FUZZ_CHECK(out.events[0].pcr == (cfg.pcr_map == launch::PcrMap::kLoc0 ? 11 : 17));
    for (size_t a = 0; a < nalgs; ++a) {
      auto d = hash_once(h, algs[a], in.launcher_cmdline);
      FUZZ_CHECK(d.ok() && out.events[0].digests[a] == *d);
    }
    first_vl = 1;
  }
  for (size_t i = first_vl; i < out.num_events; ++i)
    FUZZ_CHECK(out.events[i].kind != launch::EventKind::kLauncherCmdline);
  FUZZ_CHECK(out.num_events - first_vl <= launch::kMaxVlEntries);
  for (size_t i = 0; i < out.num_events; ++i) {
    if (cfg.pcr_map == launch::PcrMap::kLoc0)
      FUZZ_CHECK(out.events[i].pcr < 17 || out.events[i].pcr > 22);
    if (out.action == vlp::Action::kContinue)
      FUZZ_CHECK(launch::pcr_extend_locality(out.events[i].pcr) <= locality);
  }

  static launch::PcrValues pcrs;
  pcrs = launch::PcrValues();
  FUZZ_CHECK(launch::predict_pcrs(h, out, algs, nalgs, launch::PcrStart::kAllOnes, &pcrs).ok());
  return 0;
}
