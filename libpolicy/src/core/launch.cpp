// The verified-launch decision (see launch.h). Order and rules follow tboot HEAD:
// tboot/common/tboot.c begin_launch(): tpm_detect → set_policy → verify_loader_context;
// tboot/common/policy.c verify_all_modules(): verify_g_policy, module 0, then every module.
#include "tlaunch/policy/launch.h"

#include "tlaunch/policy/launch_options.h"

namespace tlaunch::launch {
namespace {

using vlp::Action;
using vlp::TbError;

class Run {
 public:
  Run(Hasher& h, const Config& c, const Input& in, Outcome* out)
      : h_(h), c_(c), in_(in), o_(*out) {}

  Status go() {
    num_algs_ = measurement_algs(c_, algs_);
    if (num_algs_ == 0)
      return make_error(Errc::kUnsupported, "no measurement algorithm (embedded with no banks)");
    for (size_t i = 0; i < num_algs_; ++i)
      if (!measurable_bank(algs_[i]))
        return with_value(make_error(Errc::kUnsupported, "measurement algorithm not supported"),
                          static_cast<uint16_t>(algs_[i]));
    for (size_t i = 0; i < num_algs_; ++i)
      if (algs_[i] == c_.cur_alg) cur_ = i;
    if (in_.num_modules > kMaxModules)
      return with_value(make_error(Errc::kTooLarge, "more modules than a policy can name"),
                        in_.num_modules);
    if (in_.num_modules > 0 && in_.modules == nullptr)
      return make_error(Errc::kInternal, "modules pointer missing");
    for (size_t m = 0; m < in_.num_modules; ++m) {
      if (in_.modules[m].num_digests != num_algs_)
        return with_item(
            make_error(Errc::kBadValue, "module lacks an image digest for a measurement algorithm"),
            static_cast<int32_t>(m));
      for (size_t i = 0; i < num_algs_; ++i)
        if (in_.modules[m].image[i].alg != algs_[i] ||
            in_.modules[m].image[i].size != digest_size(static_cast<uint16_t>(algs_[i])))
          return with_item(
              make_error(Errc::kBadValue, "module image digest has the wrong algorithm"),
              static_cast<int32_t>(m));
    }

    // g_policy starts as the legacy default (policy.c), so errors before set_policy() are
    // evaluated against a nonfatal policy.
    o_.policy = vlp::default_policy(false);
    if (in_.source == PolicySource::kTpmNotReady) {
      if (stop(apply(StepKind::kTpm, TbError::kTpmNotReady))) return ok_status();
    }
    if (stop(apply(StepKind::kPolicy, set_policy()))) return ok_status();
    if (!in_.loader_ok || in_.num_modules == 0) {
      // TB_ERR_FATAL halts under every policy type (docs/reference/vlp.md §7.3); there is nothing
      // to measure.
      stop(apply(StepKind::kLoader, TbError::kFatal));
      return ok_status();
    }
    TLAUNCH_TRY(verify_all_modules());
    locality_check();
    return ok_status();
  }

 private:
  // set_policy(): the NV policy if it reads and validates, else the default for the PCR mapping
  // with TB_ERR_POLICY_NOT_PRESENT — also for an invalid or PPWRITE index (policy.c returns
  // NOT_PRESENT whenever it falls back; TB_ERR_POLICY_INVALID is never raised by tboot).
  // The LCP PO-index fallback (docs/reference/vlp.md §5 step 2) is not part of this launcher.
  TbError set_policy() {
    if (in_.source == PolicySource::kNvRead) {
      auto p = vlp::decode(in_.policy_bytes);
      if (p.ok()) {
        o_.policy = *p;
        o_.policy_from_nv = true;
        return TbError::kNone;
      }
      o_.policy_error = p.error();
    }
    // The default policy of the DA mapping for DA and loc0 (its DA shape), of legacy for legacy.
    o_.policy = vlp::default_policy(c_.pcr_map != PcrMap::kLegacy);
    return TbError::kPolicyNotPresent;
  }

  Step& new_step(StepKind kind) {
    Step& s = o_.steps[o_.num_steps < kMaxSteps ? o_.num_steps++ : kMaxSteps - 1];
    s = Step();
    s.kind = kind;
    return s;
  }

  Step& apply(StepKind kind, TbError err) {
    Step& s = new_step(kind);
    return finish_step(s, err);
  }

  Step& finish_step(Step& s, TbError err) {
    s.error = err;
    s.action = vlp::evaluate_error(o_.policy.policy_type, err);
    // fail_closed: the owner asked never to boot unmeasured (no TPM, no locality, ...).
    if (c_.fail_closed && s.action == Action::kUnmeasuredLaunch) s.action = Action::kHalt;
    if (err != TbError::kNone && first_error_ == TbError::kNone) first_error_ = err;
    return s;
  }

  // True when the step's action ends processing (halt, or the unmeasured launch of tboot's
  // apply_policy(), which boots right away); records the result.
  bool stop(const Step& s) {
    if (s.action == Action::kContinue) {
      o_.error = first_error_;
      o_.action = Action::kContinue;
      return false;
    }
    o_.error = s.error;
    o_.action = s.action;
    return true;
  }

  // A VL entry (tboot keeps at most kMaxVlEntries); the launcher's command-line event is not one.
  Event* new_event() {
    if (vl_entries_ >= kMaxVlEntries) {
      ++o_.dropped_events;
      return nullptr;
    }
    ++vl_entries_;
    Event* e = &o_.events[o_.num_events++];
    *e = Event();
    return e;
  }

  // The launcher's own command line, H_bank(cmdline) per measurement algorithm, first of all.
  Status launcher_cmdline_event() {
    Event& ev = o_.events[o_.num_events++];
    ev = Event();
    ev.pcr = map_pcr(c_.pcr_map, 17);
    ev.kind = EventKind::kLauncherCmdline;
    ev.num_digests = num_algs_;
    for (size_t i = 0; i < num_algs_; ++i) {
      auto d = hash_once(h_, algs_[i], in_.launcher_cmdline);
      if (!d.ok()) return d.error();
      ev.digests[i] = *d;
    }
    return ok_status();
  }

  // The launcher's last check: every event can be extended at the locality it holds.
  void locality_check() {
    if (o_.action != Action::kContinue) return;
    for (size_t i = 0; i < o_.num_events; ++i) {
      if (pcr_extend_locality(o_.events[i].pcr) <= in_.tpm_locality) continue;
      Step& s = new_step(StepKind::kLocality);
      s.pcr = o_.events[i].pcr;
      stop(finish_step(s, TbError::kTpmNotReady));
      return;
    }
  }

  // verify_g_policy(): H_bank(policy_control || H_cur(policy)) for PCR 17, copied to 18 with DA.
  Status policy_control_event() {
    Event ev;
    ev.pcr = map_pcr(c_.pcr_map, 17);
    ev.kind = EventKind::kPolicyControl;
    ev.num_digests = num_algs_;
    for (size_t i = 0; i < num_algs_; ++i) {
      auto d = policy_control_measurement(h_, o_.policy, c_.cur_alg, algs_[i]);
      if (!d.ok()) return d.error();
      ev.digests[i] = *d;
    }
    if (Event* e = new_event()) *e = ev;
    if (c_.pcr_map != PcrMap::kLegacy) {
      ev.pcr = map_pcr(c_.pcr_map, 18);
      if (Event* e = new_event()) *e = ev;
    }
    return ok_status();
  }

  Result<Event> measure_module(size_t m) {
    Event ev;
    ev.module = static_cast<uint8_t>(m);
    ev.num_digests = num_algs_;
    for (size_t i = 0; i < num_algs_; ++i) {
      auto d = module_measurement(h_, algs_[i], in_.modules[m].cmdline, in_.modules[m].image[i]);
      if (!d.ok()) return d.error();
      ev.digests[i] = *d;
    }
    return ev;
  }

  // is_hash_in_policy_entry(): ANY passes; IMAGE needs one of the entry's hashes to equal the
  // cur_alg measurement over the policy's digest size. tboot compares get_hash_size(policy alg)
  // bytes of the computed hash: with a policy alg other than cur_alg that reads bytes the
  // computation never wrote, so such a policy cannot match; here it simply does not match.
  bool in_entry(const vlp::Entry& entry, size_t entry_index, const Digest& d, int16_t* matched) {
    if (entry.hash_type == vlp::kHashAny) return true;
    if (entry.hash_type != vlp::kHashImage) return false;
    const size_t hs = o_.policy.digest_size();
    if (hs == 0 || o_.policy.hash_alg != static_cast<uint16_t>(d.alg) || hs != d.size) return false;
    for (size_t k = 0; k < entry.num_hashes; ++k) {
      if (equal_bytes(o_.policy.hash(entry_index, k).data, d.bytes, hs)) {
        *matched = static_cast<int16_t>(k);
        return true;
      }
    }
    return false;
  }

  Status verify_all_modules() {
    if (in_.has_launcher_cmdline) TLAUNCH_TRY(launcher_cmdline_event());
    TLAUNCH_TRY(policy_control_event());

    // Module 0 is always measured, with no policy check, into PCR 17 (DA) / 18 (legacy).
    {
      auto ev = measure_module(0);
      if (!ev.ok()) return ev.error();
      ev->kind = EventKind::kModule0;
      ev->pcr = map_pcr(c_.pcr_map, c_.pcr_map == PcrMap::kLegacy ? 18 : 17);
      if (Event* e = new_event()) *e = *ev;
      Step& s = new_step(StepKind::kModule0);
      s.module = 0;
      if (stop(finish_step(s, TbError::kNone))) return ok_status();
    }

    for (size_t m = 0; m < in_.num_modules; ++m) {
      Step& s = new_step(StepKind::kModule);
      s.module = static_cast<uint16_t>(m);
      const int idx = m <= 0xFF ? o_.policy.find_entry(static_cast<uint8_t>(m)) : -1;
      if (idx < 0) {
        if (stop(finish_step(s, TbError::kModulesNotInPolicy))) return ok_status();
        continue;
      }
      s.entry = static_cast<int16_t>(idx);
      const vlp::Entry& entry = o_.policy.entry(static_cast<size_t>(idx));
      auto ev = measure_module(m);
      if (!ev.ok()) return ev.error();
      // The measurement is recorded before it is checked, so a module that fails verification
      // under a "continue" policy is still extended (policy.c verify_module()).
      if (entry.pcr != vlp::kPcrNone) {
        ev->kind = EventKind::kModule;
        ev->pcr = map_pcr(c_.pcr_map, entry.pcr);
        ev->entry = static_cast<int16_t>(idx);
        if (Event* e = new_event()) *e = *ev;
      }
      TbError err = TbError::kNone;
      // extpol=embedded: tboot skips verification entirely; this launcher does so only under the
      // nonfatal policy, since no launcher option may weaken a halt or continue policy.
      if (!c_.embedded || o_.policy.policy_type != vlp::kContNonFatal) {
        s.verified = entry.hash_type == vlp::kHashImage;
        if (!in_entry(entry, static_cast<size_t>(idx), ev->digests[cur_], &s.matched))
          err = TbError::kModuleVerificationFailed;
      }
      if (stop(finish_step(s, err))) return ok_status();
    }
    return ok_status();
  }

  Hasher& h_;
  const Config& c_;
  const Input& in_;
  Outcome& o_;
  HashAlg algs_[kMaxBanks] = {};
  size_t num_algs_ = 0;
  size_t cur_ = 0;  // index of cur_alg in algs_: the digest modules are verified with
  size_t vl_entries_ = 0;
  TbError first_error_ = TbError::kNone;
};

}  // namespace

size_t measurement_algs(const Config& config, HashAlg out[kMaxBanks]) {
  size_t n = 0;
  auto add = [&](HashAlg a) {
    for (size_t i = 0; i < n; ++i)
      if (out[i] == a) return;
    if (n < kMaxBanks) out[n++] = a;
  };
  if (!config.embedded) add(config.cur_alg);  // fixed extpol: cur_alg first (verification)
  if (config.embedded || config.all_banks) {
    const size_t nb = config.num_banks < kMaxBanks ? config.num_banks : kMaxBanks;
    for (size_t i = 0; i < nb; ++i) add(config.banks[i]);
  }
  if (config.embedded) add(config.cur_alg);  // verification under a halt/continue policy
  return n;
}

uint8_t map_pcr(PcrMap map, uint8_t pcr) {
  if (map != PcrMap::kLoc0 || pcr < 17 || pcr > 22) return pcr;
  return pcr == 17 ? 11 : pcr == 18 ? 12 : 13;
}

uint8_t pcr_extend_locality(uint8_t pcr) {
  if (pcr == 20) return 1;
  if (pcr >= 17 && pcr <= 22) return 2;
  return 0;
}

const char* policy_source_name(PolicySource s) {
  switch (s) {
    case PolicySource::kNvRead:
      return "nv";
    case PolicySource::kNvAbsent:
      return "nv-absent";
    case PolicySource::kNvUnreadable:
      return "nv-unreadable";
    case PolicySource::kNvPpWrite:
      return "nv-ppwrite";
    case PolicySource::kTpmNotReady:
      return "tpm-not-ready";
  }
  return "unknown";
}

const char* event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::kPolicyControl:
      return "policy-control";
    case EventKind::kModule0:
      return "module0";
    case EventKind::kModule:
      return "module";
    case EventKind::kLauncherCmdline:
      return "launcher-cmdline";
  }
  return "unknown";
}

const char* step_kind_name(StepKind k) {
  switch (k) {
    case StepKind::kTpm:
      return "tpm";
    case StepKind::kPolicy:
      return "policy";
    case StepKind::kLoader:
      return "loader";
    case StepKind::kModule0:
      return "module0";
    case StepKind::kModule:
      return "module";
    case StepKind::kLocality:
      return "locality";
  }
  return "unknown";
}

Status evaluate(Hasher& h, const Config& config, const Input& input, Outcome* out) {
  *out = Outcome();
  Run run(h, config, input, out);
  return run.go();
}

Digest pcr_start_value(uint8_t pcr, HashAlg bank, PcrStart start) {
  Digest d;
  d.alg = bank;
  d.size = digest_size(static_cast<uint16_t>(bank));
  // TCG PC Client Platform TPM Profile: PCRs 17–22 are reset to all ones at TPM startup and only
  // a locality-4 DRTM event sets them to zero.
  const bool ones = start == PcrStart::kAllOnes && pcr >= 17 && pcr <= 22;
  // Bounded by the array as well (GCC 12 -O2 cannot see that digest_size() <= kMaxDigestSize
  // and reports -Wstringop-overflow otherwise).
  if (ones)
    for (size_t i = 0; i < d.size && i < kMaxDigestSize; ++i) d.bytes[i] = 0xFF;
  return d;
}

Status predict_pcrs(Hasher& h, const Outcome& outcome, const HashAlg* banks, size_t num_banks,
                    PcrStart start, PcrValues* out) {
  out->count = 0;
  for (uint8_t pcr = 0; pcr <= vlp::kMaxPcr; ++pcr) {
    bool used = false;
    for (size_t e = 0; e < outcome.num_events; ++e) used = used || outcome.events[e].pcr == pcr;
    if (!used) continue;
    for (size_t b = 0; b < num_banks; ++b) {
      if (digest_size(static_cast<uint16_t>(banks[b])) == 0)
        return with_value(make_error(Errc::kUnsupported, "unknown PCR bank algorithm"),
                          static_cast<uint16_t>(banks[b]));
      if (out->count >= kMaxPcrValues) return make_error(Errc::kTooLarge, "too many PCR values");
      PcrValue& v = out->values[out->count++];
      v = PcrValue();
      v.pcr = pcr;
      v.value = pcr_start_value(pcr, banks[b], start);
      // A halt or an unmeasured launch extends nothing: the PCR keeps its start value.
      for (size_t e = 0; e < extended_events(outcome); ++e) {
        const Event& ev = outcome.events[e];
        if (ev.pcr != pcr) continue;
        for (size_t k = 0; k < ev.num_digests; ++k) {
          if (ev.digests[k].alg != banks[b]) continue;
          auto nv = pcr_extend(h, v.value, ev.digests[k]);
          if (!nv.ok()) return nv.error();
          v.value = *nv;
          ++v.extends;
        }
      }
    }
  }
  return ok_status();
}

}  // namespace tlaunch::launch
