// The launcher side of an interrupted policy update (issue 7 item 5; docs/robustness.md "Torn NV
// writes"). `tlaunch nv write` / `provision` write a VLP in chunks of TPM_PT_NV_BUFFER_MAX bytes
// (libtpmnv ops.h chunks()), in ascending offset order; each NV_Write is atomic on the TPM, so an
// interruption leaves the index holding the new policy B up to a chunk boundary k and the old
// content A after it: M(k) = B[0, k) || A[k, ...).
//
// The launcher reads the index with tpm::read_vlp() and decides with launch::evaluate(), exactly
// as launcher/src/main.cpp does; here over a fake TPM that holds M(k). What these tests establish:
//  1. the launcher decides on the bytes in NV and nothing else: for every k the policy in force
//     is vlp::decode(M(k)) or, if that fails, the built-in default;
//  2. a completed write is B, whatever A was (a VLP carries its own length: A's longer tail is
//     ignored);
//  3. a policy that fits one NV_Write has no torn state;
//  4. for an update that keeps the policy's layout (new digests, same entries: the usual kernel
//     update), every torn state is a valid policy that accepts a module only if A's or B's entry
//     for it does — but it can accept a combination neither A nor B accepts (new kernel with the
//     old initrd);
//  5. a torn state that does not decode falls back to the default policy with
//     TB_ERR_POLICY_NOT_PRESENT (tboot's behaviour), which the error index records;
//  6. writing the version byte invalid first and the first chunk last leaves only A, B or an
//     invalid policy — never a third valid policy — while the plain ascending order does not;
//  7. libtpmnv's write_index() (what `tlaunch nv write` and `provision` run) uses that order:
//     interrupted after any of its NV_Write commands, at any chunk size, the launcher runs A, B
//     or the default policy, and a provision-style rewrite then completes B.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../fuzz/fake_nv_tpm.h"
#include "nv_fake_device.h"
#include "tlaunch/policy/launch.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/sha2.h"
#include "tlaunch/policy/vlp.h"
#include "tlaunch/tpmnv/core/launch_nv.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch {
namespace {

using Bytes = std::vector<uint8_t>;
using fuzz::FakeNvTpm;

Bytes encode(const vlp::Policy& p) {
  Bytes out(vlp::kMaxPolicySize);
  auto n = vlp::encode(p, MutableByteSpan(out.data(), out.size()));
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

// Module images and their measurement H(H(cmdline) || H(image)) (docs/reference/vlp.md §6.2).
struct Module {
  std::string cmdline;
  std::string image;
};
Digest image_digest(const Module& m) {
  SoftHasher h;
  auto d = hash_once(h, HashAlg::kSha256,
                     ByteSpan(reinterpret_cast<const uint8_t*>(m.image.data()), m.image.size()));
  return *d;
}
Bytes measurement(const Module& m) {
  SoftHasher h;
  auto d = module_measurement(
      h, HashAlg::kSha256,
      ByteSpan(reinterpret_cast<const uint8_t*>(m.cmdline.data()), m.cmdline.size()),
      image_digest(m));
  return Bytes(d->bytes, d->bytes + d->size);
}

const Module kKernelA{"root=/dev/vda1 ro", "kernel 6.1.0-17"};
const Module kKernelB{"root=/dev/vda1 ro", "kernel 6.1.0-18"};
const Module kKernelX{"root=/dev/vda1 ro", "someone else's kernel"};
const Module kInitrdA{"", "initrd 6.1.0-17"};
const Module kInitrdB{"", "initrd 6.1.0-18"};
const Module kInitrdX{"", "someone else's initrd"};

// halt policy: kernel (module 0, no PCR) and initrd (module 1, PCR 19), one IMAGE hash each.
Bytes two_module_policy(const Module& kernel, const Module& initrd) {
  vlp::Policy p = vlp::Policy::create(vlp::kHalt, static_cast<uint8_t>(HashAlg::kSha256), 1);
  vlp::Entry k{0, vlp::kPcrNone, vlp::kHashImage, 0, 0};
  vlp::Entry i{1, 19, vlp::kHashImage, 0, 0};
  EXPECT_TRUE(p.add_entry(k).ok());
  EXPECT_TRUE(p.add_entry(i).ok());
  Bytes mk = measurement(kernel), mi = measurement(initrd);
  EXPECT_TRUE(p.add_hash(0, ByteSpan(mk.data(), mk.size())).ok());
  EXPECT_TRUE(p.add_hash(1, ByteSpan(mi.data(), mi.size())).ok());
  return encode(p);
}

// A policy of another layout: continue type, three entries, an ANY entry for other modules.
Bytes other_layout_policy() {
  vlp::Policy p =
      vlp::Policy::create(vlp::kContVerifyFail, static_cast<uint8_t>(HashAlg::kSha256), 1);
  EXPECT_TRUE(p.add_entry({0, vlp::kPcrNone, vlp::kHashImage, 0, 0}).ok());
  EXPECT_TRUE(p.add_entry({1, 19, vlp::kHashImage, 0, 0}).ok());
  EXPECT_TRUE(p.add_entry({vlp::kModNumAny, 20, vlp::kHashAny, 0, 0}).ok());
  for (const Module* m : {&kKernelA, &kKernelB}) {
    Bytes d = measurement(*m);
    EXPECT_TRUE(p.add_hash(0, ByteSpan(d.data(), d.size())).ok());
  }
  Bytes d = measurement(kInitrdB);
  EXPECT_TRUE(p.add_hash(1, ByteSpan(d.data(), d.size())).ok());
  return encode(p);
}

// The largest policy tboot reads (2124 bytes: 8 entries of 4 SHA-512 hashes), in two versions.
Bytes max_policy(char version) {
  vlp::Policy p = vlp::Policy::create(vlp::kHalt, static_cast<uint8_t>(HashAlg::kSha512), 1);
  for (uint8_t e = 0; e < 8; ++e) {
    EXPECT_TRUE(p.add_entry({e, 19, vlp::kHashImage, 0, 0}).ok());
    for (int j = 0; j < 4; ++j) {
      Bytes d(64, static_cast<uint8_t>(version + e * 4 + j));
      EXPECT_TRUE(p.add_hash(e, ByteSpan(d.data(), d.size())).ok());
    }
  }
  Bytes b = encode(p);
  EXPECT_EQ(b.size(), vlp::kMaxPolicySize);
  return b;
}

// M(k): the new policy's first k bytes over the old content; the index is as large as the
// larger of the two (what `tlaunch nv write` leaves when the index was sized for either).
Bytes torn(const Bytes& old_content, const Bytes& next, size_t k) {
  Bytes m(std::max(old_content.size(), next.size()), 0);
  std::copy(old_content.begin(), old_content.end(), m.begin());
  std::copy(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(k), m.begin());
  return m;
}

struct Launch {
  launch::Outcome outcome;
  Bytes policy;  // the policy in force, encoded
};

// What the launcher does at boot with `nv` in the VLP index and these modules loaded.
Launch boot(const Bytes& nv, const std::vector<const Module*>& modules) {
  FakeNvTpm t;
  t.data = nv;
  uint8_t buf[vlp::kMaxPolicySize];
  tpm::VlpRead vr = tpm::read_vlp(t, t.index, MutableByteSpan(buf, sizeof(buf)));
  EXPECT_FALSE(t.bad_command);
  EXPECT_EQ(vr.source, launch::PolicySource::kNvRead);
  EXPECT_EQ(vr.size, std::min(nv.size(), vlp::kMaxPolicySize));

  std::vector<launch::ModuleInput> in(modules.size());
  for (size_t i = 0; i < modules.size(); ++i) {
    in[i].cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(modules[i]->cmdline.data()),
                             modules[i]->cmdline.size());
    in[i].num_digests = 1;
    in[i].image[0] = image_digest(*modules[i]);
  }
  launch::Config cfg;
  launch::Input li;
  li.source = vr.source;
  li.policy_bytes = ByteSpan(buf, vr.size);
  li.modules = in.data();
  li.num_modules = in.size();
  Launch result;
  SoftHasher h;
  EXPECT_TRUE(launch::evaluate(h, cfg, li, &result.outcome).ok());
  result.policy = encode(result.outcome.policy);
  return result;
}

// Whether policy `p` (decoded) has, for module `mod`, an entry whose hashes include its
// measurement.
bool entry_accepts(const Bytes& p, uint8_t mod, const Module& m) {
  auto d = vlp::decode(ByteSpan(p.data(), p.size()));
  if (!d.ok()) return false;
  int idx = d->find_entry(mod);
  if (idx < 0) return false;
  const vlp::Entry& e = d->entry(static_cast<size_t>(idx));
  if (e.hash_type == vlp::kHashAny) return true;
  Bytes want = measurement(m);
  for (size_t j = 0; j < e.num_hashes; ++j) {
    ByteSpan hs = d->hash(static_cast<size_t>(idx), j);
    if (Bytes(hs.begin(), hs.end()) == want) return true;
  }
  return false;
}

struct Pair {
  const char* name;
  Bytes old_policy, new_policy;
};
std::vector<Pair> pairs() {
  const Bytes a = two_module_policy(kKernelA, kInitrdA);
  const Bytes b = two_module_policy(kKernelB, kInitrdB);
  const Bytes c = other_layout_policy();
  return {{"same layout A->B", a, b},
          {"longer C over A", a, c},
          {"shorter A over C", c, a},
          {"2124 bytes over 2124 bytes", max_policy('a'), max_policy('b')},
          {"92 bytes over 2124 bytes", max_policy('a'), b}};
}

TEST(NvTornWrite, LauncherDecidesOnTheNvBytesAlone) {
  for (const Pair& pr : pairs()) {
    for (size_t k = 0; k <= pr.new_policy.size(); ++k) {
      const Bytes nv = torn(pr.old_policy, pr.new_policy, k);
      const Launch l = boot(nv, {&kKernelB, &kInitrdB});
      auto d = vlp::decode(ByteSpan(nv.data(), std::min(nv.size(), vlp::kMaxPolicySize)));
      ASSERT_EQ(l.outcome.policy_from_nv, d.ok()) << pr.name << " k=" << k;
      EXPECT_EQ(l.policy, d.ok() ? encode(*d) : encode(vlp::default_policy(true)))
          << pr.name << " k=" << k;
    }
  }
}

TEST(NvTornWrite, CompletedWriteIsTheNewPolicyWhateverWasThereBefore) {
  for (const Pair& pr : pairs()) {
    const Launch l =
        boot(torn(pr.old_policy, pr.new_policy, pr.new_policy.size()), {&kKernelB, &kInitrdB});
    EXPECT_TRUE(l.outcome.policy_from_nv) << pr.name;
    EXPECT_EQ(l.policy, pr.new_policy) << pr.name;
    // Before the first chunk: the old policy.
    const Launch before = boot(torn(pr.old_policy, pr.new_policy, 0), {&kKernelB, &kInitrdB});
    EXPECT_EQ(before.policy, pr.old_policy) << pr.name;
  }
}

TEST(NvTornWrite, PolicyThatFitsOneNvWriteHasNoTornState) {
  // TPM_PT_NV_BUFFER_MAX of swtpm/libtpms is 1024; tpm2-tss caps a transfer at 2048.
  for (const Pair& pr : pairs()) {
    for (uint32_t c : {1024u, 2048u}) {
      auto pieces = tpmnv::chunks(0, pr.new_policy.size(), c);
      if (pr.new_policy.size() <= c) {
        EXPECT_EQ(pieces.size(), 1u) << pr.name;
      } else {
        // The 2124-byte policy needs 3 (1024) or 2 (2048) commands: torn states at 1024, 2048.
        EXPECT_EQ(pieces.size(), (pr.new_policy.size() + c - 1) / c) << pr.name;
        EXPECT_EQ(pieces[1].first, c);
      }
    }
  }
}

TEST(NvTornWrite, SameLayoutUpdateAcceptsOnlyModulesOneOfTheTwoPoliciesAccepts) {
  const Pair pr = pairs()[0];
  const std::vector<const Module*> kernels = {&kKernelA, &kKernelB, &kKernelX};
  const std::vector<const Module*> initrds = {&kInitrdA, &kInitrdB, &kInitrdX};
  bool mixed_accepted = false;
  for (size_t k = 0; k <= pr.new_policy.size(); ++k) {
    const Bytes nv = torn(pr.old_policy, pr.new_policy, k);
    // Same layout: every torn state decodes, with B's header once the 12 header bytes are in.
    auto d = vlp::decode(ByteSpan(nv.data(), nv.size()));
    ASSERT_TRUE(d.ok()) << "k=" << k;
    for (const Module* km : kernels) {
      for (const Module* im : initrds) {
        const Launch l = boot(nv, {km, im});
        if (!l.outcome.pass()) continue;
        // Each module passed an entry of A or of B; an unknown image never passes.
        EXPECT_TRUE(entry_accepts(pr.old_policy, 0, *km) || entry_accepts(pr.new_policy, 0, *km))
            << "k=" << k;
        EXPECT_TRUE(entry_accepts(pr.old_policy, 1, *im) || entry_accepts(pr.new_policy, 1, *im))
            << "k=" << k;
        EXPECT_NE(km, &kKernelX);
        EXPECT_NE(im, &kInitrdX);
        if ((km == &kKernelB && im == &kInitrdA) || (km == &kKernelA && im == &kInitrdB))
          mixed_accepted = true;
      }
    }
  }
  // The limit of what a VLP can guarantee on its own (no length or checksum over the whole):
  // with the kernel entry written and the initrd entry not yet, the new kernel boots with the old
  // initrd. docs/robustness.md documents this; provision repairs the index.
  EXPECT_TRUE(mixed_accepted);
}

TEST(NvTornWrite, UndecodableTornStateFallsBackToTheDefaultPolicyAndRecordsIt) {
  size_t invalid = 0;
  for (const Pair& pr : pairs()) {
    for (size_t k = 0; k <= pr.new_policy.size(); ++k) {
      const Bytes nv = torn(pr.old_policy, pr.new_policy, k);
      if (vlp::decode(ByteSpan(nv.data(), std::min(nv.size(), vlp::kMaxPolicySize))).ok()) continue;
      ++invalid;
      const Launch l = boot(nv, {&kKernelX, &kInitrdX});
      EXPECT_FALSE(l.outcome.policy_from_nv);
      // tboot set_policy(): the default policy (nonfatal, ANY) and TB_ERR_POLICY_NOT_PRESENT,
      // which the launcher writes to the error index and which makes the launch "continue".
      EXPECT_EQ(l.outcome.error, vlp::TbError::kPolicyNotPresent);
      EXPECT_EQ(l.outcome.action, vlp::Action::kContinue);
      EXPECT_EQ(l.policy, encode(vlp::default_policy(true)));
    }
  }
  EXPECT_GT(invalid, 0u);  // the different-layout pairs do produce undecodable states
}

// Write order "invalidate first": NV_Write of one byte (version := 0) at offset 0, then the chunks
// after the first in ascending order, then the first chunk (which restores the version byte).
std::vector<Bytes> invalidate_first_states(const Bytes& old_content, const Bytes& next,
                                           uint32_t c) {
  Bytes nv(std::max(old_content.size(), next.size()), 0);
  std::copy(old_content.begin(), old_content.end(), nv.begin());
  std::vector<Bytes> states = {nv};
  nv[0] = 0;
  states.push_back(nv);
  auto pieces = tpmnv::chunks(0, next.size(), c);
  for (size_t i = 1; i < pieces.size(); ++i) {
    std::copy(next.begin() + pieces[i].first, next.begin() + pieces[i].first + pieces[i].second,
              nv.begin() + pieces[i].first);
    states.push_back(nv);
  }
  std::copy(next.begin(), next.begin() + pieces[0].second, nv.begin());
  states.push_back(nv);
  return states;
}

TEST(NvTornWrite, InvalidateFirstOrderLeavesOnlyOldNewOrInvalid) {
  bool ascending_makes_a_third_policy = false;
  for (const Pair& pr : pairs()) {
    for (uint32_t c : {16u, 64u, 256u, 1024u}) {
      for (const Bytes& nv : invalidate_first_states(pr.old_policy, pr.new_policy, c)) {
        auto d = vlp::decode(ByteSpan(nv.data(), std::min(nv.size(), vlp::kMaxPolicySize)));
        if (!d.ok()) continue;
        const Bytes p = encode(*d);
        EXPECT_TRUE(p == pr.old_policy || p == pr.new_policy) << pr.name << " chunk " << c;
      }
      for (const auto& [off, len] : tpmnv::chunks(0, pr.new_policy.size(), c)) {
        const Bytes nv = torn(pr.old_policy, pr.new_policy, off + len);
        auto d = vlp::decode(ByteSpan(nv.data(), std::min(nv.size(), vlp::kMaxPolicySize)));
        if (d.ok() && encode(*d) != pr.old_policy && encode(*d) != pr.new_policy)
          ascending_makes_a_third_policy = true;
      }
    }
  }
  EXPECT_TRUE(ascending_makes_a_third_policy);
}

// The real writer, interrupted: tpmnv::write_index() over an in-memory TPM whose NV_Write number
// k fails (the TPM lost power there: that command and all later ones never happen), for every k.
// The launcher's read path then runs on what the index holds.
TEST(NvTornWrite, WriteIndexInterruptedAnywhereLeavesOldNewOrInvalid) {
  bool ascending_makes_a_third_policy = false;
  size_t interrupted_runs = 0;
  for (const Pair& pr : pairs()) {
    for (uint32_t c : {16u, 64u, 256u, 1024u}) {
      for (bool head_last : {true, false}) {
        for (int k = 0;; ++k) {
          tpmnv::testing::FakeNvDevice dev;
          dev.lim.nv_buffer_max = c;
          tpmnv::NvDefinition def;
          def.handle = 0x01C10131;
          def.size = static_cast<uint16_t>(vlp::kMaxPolicySize);
          def.attributes = 0x0204000A;  // ownerwrite | policywrite | authread | no_da (catalogue)
          ASSERT_TRUE(dev.define(def).ok());
          auto& idx = dev.indices[def.handle];
          std::fill(idx.data.begin(), idx.data.end(), uint8_t{0});
          std::copy(pr.old_policy.begin(), pr.old_policy.end(), idx.data.begin());
          idx.pub.attributes |= tpmnv::attr::kWritten;
          tpmnv::Target target;
          target.handle = def.handle;
          dev.fail_write_after = k;
          tpmnv::WriteOptions o;
          o.head_last = head_last;
          auto w = tpmnv::write_index(dev, target, idx.pub,
                                      ByteSpan(pr.new_policy.data(), pr.new_policy.size()), o);
          const Bytes nv = idx.data;
          const Launch l = boot(nv, {&kKernelB, &kInitrdB});
          const bool third =
              l.outcome.policy_from_nv && l.policy != pr.old_policy && l.policy != pr.new_policy;
          if (head_last) {
            EXPECT_FALSE(third) << pr.name << " chunk " << c << " cut before NV_Write " << k;
            if (!l.outcome.policy_from_nv) {
              EXPECT_EQ(l.outcome.error, vlp::TbError::kPolicyNotPresent);
            }
          } else if (third) {
            ascending_makes_a_third_policy = true;
          }
          if (w.ok()) {  // k is past the last command: the write completed
            EXPECT_EQ(l.policy, pr.new_policy) << pr.name << " chunk " << c;
            if (head_last && pr.new_policy.size() > c) {
              EXPECT_TRUE(w->head_last) << pr.name;
            }
            break;
          }
          ++interrupted_runs;
          // A rewrite that knows the current content (as `tlaunch nv provision` does) completes
          // B, and stays torn-safe itself.
          dev.fail_write_after = -1;
          tpmnv::WriteOptions again;
          again.head_last = head_last;
          const Bytes existing(nv.begin(),
                               nv.begin() + static_cast<std::ptrdiff_t>(pr.new_policy.size()));
          again.existing = &existing;
          auto fix = tpmnv::write_index(
              dev, target, idx.pub, ByteSpan(pr.new_policy.data(), pr.new_policy.size()), again);
          ASSERT_TRUE(fix.ok()) << fix.failure().message;
          EXPECT_TRUE(fix->verified);
          EXPECT_EQ(boot(idx.data, {&kKernelB, &kInitrdB}).policy, pr.new_policy) << pr.name;
        }
      }
    }
  }
  EXPECT_GT(interrupted_runs, 100u);
  // The old order really is unsafe, so the property above is not vacuous.
  EXPECT_TRUE(ascending_makes_a_third_policy);
}

}  // namespace
}  // namespace tlaunch
