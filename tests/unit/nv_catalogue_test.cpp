// libtpmnv without a TPM: attribute names, the index catalogue and its launcher rules,
// authorization specs, response-code words.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/catalogue.h"
#include "tlaunch/tpmnv/device.h"
#include "tlaunch/tpmnv/rc.h"
#include "tlaunch/tpmnv/secret.h"

namespace tlaunch::tpmnv {
namespace {

TEST(NvAttributes, NamesMatchTpm2ToolsSpelling) {
  // The PO definition of Intel 315168-013 App. J (docs/reference/nv.md §2.1): 0x0204000A.
  EXPECT_EQ(attributes_to_string(0x0204000A), "ownerwrite|policywrite|authread|no_da");
  auto a = parse_attributes("ownerwrite|policywrite|authread|no_da");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 0x0204000Au);
  // PS as Intel defines it (0x42040408) and with WRITTEN set by the TPM.
  EXPECT_EQ(attributes_to_string(0x62040408),
            "policywrite|policydelete|authread|no_da|written|platformcreate");
}

TEST(NvAttributes, ParseAcceptsHexCaseAndBlanksAndNt) {
  EXPECT_EQ(*parse_attributes("0x0204000A"), 0x0204000Au);
  EXPECT_EQ(*parse_attributes(" OwnerWrite | AUTHREAD "), 0x00040002u);
  EXPECT_EQ(*parse_attributes("ownerwrite|authread|nt=counter"), 0x00040012u);
  EXPECT_EQ(*parse_attributes("ownerwrite|authread|nt=4"), 0x00040042u);
  EXPECT_EQ(attributes_to_string(0x00040012), "ownerwrite|nt=counter|authread");
  for (const char* round : {"ppwrite|ppread", "authwrite|authread|no_da|orderly|read_stclear",
                            "ownerwrite|writedefine|write_stclear|ownerread|clear_stclear"}) {
    auto v = parse_attributes(round);
    ASSERT_TRUE(v.ok()) << round;
    EXPECT_EQ(attributes_to_string(*v), round);
  }
}

TEST(NvAttributes, ParseRejectsUnknownNamesAndJunk) {
  auto bad = parse_attributes("ownerwrite|authred");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure().code, Errc::kUsage);
  EXPECT_NE(bad.failure().message.find("authred"), std::string::npos);
  EXPECT_FALSE(parse_attributes("").ok());
  EXPECT_FALSE(parse_attributes("ownerwrite||authread").ok());
  EXPECT_FALSE(parse_attributes("0x1ffffffff").ok());
  EXPECT_FALSE(parse_attributes("12z").ok());
  EXPECT_FALSE(parse_attributes("nt=weird").ok());
  // Reserved bits print as a number so nothing is hidden.
  EXPECT_EQ(attributes_to_string(0x00000302), "ownerwrite|0x300");
}

TEST(NvCatalogue, HandlesOfBothSets) {
  struct Row {
    const char* name;
    uint32_t tcg, legacy;
  } rows[] = {{"vlp", 0x01C10131, 0x01200001}, {"error", 0x01C10132, 0x01200002},
              {"po", 0x01C10106, 0x01400001},  {"ps", 0x01C10103, 0x01800001},
              {"aux", 0x01C10102, 0x01800003}, {"sgx", 0x01C10104, 0x01800004}};
  for (const Row& r : rows) {
    auto t = resolve_target(r.name, HandleSet::kTcg);
    ASSERT_TRUE(t.ok()) << r.name;
    EXPECT_EQ(t->handle, r.tcg) << r.name;
    auto l = resolve_target(r.name, HandleSet::kLegacy);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->handle, r.legacy) << r.name;
    HandleSet set = HandleSet::kTcg;
    const IndexSpec* s = find_index_spec(r.legacy, &set);
    ASSERT_NE(s, nullptr);
    EXPECT_STREQ(s->name, r.name);
    EXPECT_EQ(set, HandleSet::kLegacy);
  }
}

TEST(NvCatalogue, ResolveRawHandlesAndRejectOthers) {
  auto raw = resolve_target("0x01500010", HandleSet::kTcg);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->handle, 0x01500010u);
  EXPECT_EQ(raw->spec, nullptr);
  auto known = resolve_target("0x01c10131", HandleSet::kLegacy);
  ASSERT_TRUE(known.ok());
  ASSERT_NE(known->spec, nullptr);
  EXPECT_STREQ(known->spec->name, "vlp");
  EXPECT_EQ(known->label(), "0x01C10131 (vlp)");
  EXPECT_FALSE(resolve_target("0x40000001", HandleSet::kTcg).ok());  // owner hierarchy
  EXPECT_FALSE(resolve_target("vlpx", HandleSet::kTcg).ok());
  EXPECT_FALSE(resolve_target("01C10131", HandleSet::kTcg).ok());
  EXPECT_FALSE(resolve_target("0x01C1013G", HandleSet::kTcg).ok());
}

TEST(NvCatalogue, DefaultDefinitionsAreWhatLaunchersRequire) {
  struct Row {
    const char* name;
    uint32_t attributes;
    uint16_t size;
    Hierarchy h;
  } rows[] = {
      {"vlp", 0x0204000A, 2048, Hierarchy::kOwner},   {"po", 0x0204000A, 70, Hierarchy::kOwner},
      {"error", 0x02040004, 4, Hierarchy::kOwner},    {"ps", 0x42040408, 70, Hierarchy::kPlatform},
      {"aux", 0x42044408, 104, Hierarchy::kPlatform}, {"sgx", 0x02040004, 1, Hierarchy::kOwner}};
  for (const Row& r : rows) {
    auto t = resolve_target(r.name, HandleSet::kTcg);
    std::string note;
    auto d =
        make_definition(*t, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 2048, &note);
    ASSERT_TRUE(d.ok()) << r.name;
    EXPECT_EQ(d->attributes, r.attributes) << r.name;
    EXPECT_EQ(d->size, r.size) << r.name;
    EXPECT_EQ(d->hierarchy, r.h) << r.name;
    EXPECT_TRUE(check_definition(t->spec, *d, false).empty()) << r.name;
    EXPECT_EQ(note.empty(), std::string(r.name) != "vlp") << r.name << ": " << note;
  }
}

// An index as the TPM reports it back (WRITTEN set, no hierarchy field) is judged like the
// definition that made it: `tlaunch doctor` used to build the definition without the hierarchy
// and called a correctly defined PS/AUX index "REFUSED" (platformcreate without platform).
TEST(NvCatalogue, DefinitionOfAPublicAreaKeepsItsHierarchy) {
  for (const char* name : {"vlp", "error", "po", "ps", "aux", "sgx"}) {
    auto t = resolve_target(name, HandleSet::kTcg);
    std::string note;
    auto d =
        make_definition(*t, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 2048, &note);
    ASSERT_TRUE(d.ok()) << name;
    NvPublic pub = public_of(*d);
    pub.attributes |= attr::kWritten;
    const NvDefinition back = definition_of(pub);
    EXPECT_EQ(back.hierarchy, d->hierarchy) << name;
    EXPECT_EQ(back.attributes, d->attributes) << name;
    EXPECT_EQ(back.size, d->size) << name;
    EXPECT_EQ(back.auth_policy, d->auth_policy) << name;
    EXPECT_TRUE(check_definition(t->spec, back, false).empty()) << name;
  }
}

TEST(NvCatalogue, VlpDefaultIsTheLargestPolicyUnlessTheTpmCannotHoldIt) {
  auto t = resolve_target("vlp", HandleSet::kTcg);
  std::string note;
  auto big =
      make_definition(*t, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 4096, &note);
  EXPECT_EQ(big->size, 2124);
  EXPECT_TRUE(note.empty());
  auto sized =
      make_definition(*t, uint16_t{512}, std::nullopt, std::nullopt, std::nullopt, 2048, &note);
  EXPECT_EQ(sized->size, 512);
}

TEST(NvCatalogue, RefusesWhatTbootRefuses) {
  auto vlp = resolve_target("vlp", HandleSet::kTcg);
  auto d = *make_definition(*vlp, std::nullopt, uint32_t{0x0204000B}, std::nullopt, std::nullopt,
                            2048, nullptr);  // + PPWRITE
  auto problems = check_definition(vlp->spec, d, false);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("ppwrite"), std::string::npos);
  // No AUTHREAD: tboot reads with the index's own authorization.
  d.attributes = 0x0202000A;  // ownerwrite|policywrite|ownerread|no_da
  EXPECT_FALSE(check_definition(vlp->spec, d, false).empty());
  // An index password locks tboot out.
  d.attributes = 0x0204000A;
  EXPECT_FALSE(check_definition(vlp->spec, d, true).empty());
  EXPECT_TRUE(check_definition(vlp->spec, d, false).empty());

  auto err = resolve_target("error", HandleSet::kTcg);
  auto e =
      *make_definition(*err, uint16_t{3}, std::nullopt, std::nullopt, std::nullopt, 2048, nullptr);
  EXPECT_FALSE(check_definition(err->spec, e, false).empty());  // < 4 bytes
  e.size = 4;
  e.attributes = 0x02040002;  // ownerwrite instead of authwrite: tboot cannot write it
  EXPECT_FALSE(check_definition(err->spec, e, false).empty());

  auto ps = resolve_target("ps", HandleSet::kTcg);
  auto p =
      *make_definition(*ps, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 2048, nullptr);
  p.attributes &= ~attr::kNoDa;  // SINIT compares the whole word
  EXPECT_FALSE(check_definition(ps->spec, p, false).empty());
}

TEST(NvCatalogue, TpmRulesAreCheckedForRawIndicesToo) {
  NvDefinition d;
  d.handle = 0x01500000;
  d.size = 16;
  d.attributes = attr::kOwnerWrite;  // no read authorization
  EXPECT_FALSE(check_definition(nullptr, d, false).empty());
  d.attributes = attr::kOwnerWrite | attr::kAuthRead | attr::kWritten;
  EXPECT_FALSE(check_definition(nullptr, d, false).empty());
  d.attributes =
      attr::kOwnerWrite | attr::kAuthRead | attr::kPlatformCreate;  // owner + platformcreate
  EXPECT_FALSE(check_definition(nullptr, d, false).empty());
  d.attributes = attr::kOwnerWrite | attr::kAuthRead | attr::kPpWrite;  // a raw index may have it
  EXPECT_TRUE(check_definition(nullptr, d, false).empty());
}

TEST(NvCatalogue, CompareIgnoresStateBits) {
  NvDefinition want;
  want.attributes = 0x0204000A;
  want.size = 70;
  EXPECT_EQ(compare_definition(want, 0x2204080A, 70, {}), "");  // + WRITTEN|WRITELOCKED
  EXPECT_NE(compare_definition(want, 0x0204000B, 70, {}).find("ppwrite"), std::string::npos);
  EXPECT_NE(compare_definition(want, 0x0204000A, 86, {}).find("size is 86"), std::string::npos);
  EXPECT_NE(compare_definition(want, 0x0204000A, 70, Bytes(32, 1)).find("authPolicy"),
            std::string::npos);
}

TEST(NvCatalogue, RolesFollowTheAttributes) {
  EXPECT_EQ(*write_role(0x0204000A), AuthRole::kOwner);
  EXPECT_EQ(*read_role(0x0204000A), AuthRole::kIndex);  // like tboot: the index, empty password
  EXPECT_EQ(*write_role(0x02040004), AuthRole::kIndex);
  EXPECT_EQ(*write_role(0x42040408), AuthRole::kPolicy);
  EXPECT_EQ(*read_role(0x00020002), AuthRole::kOwner);
  EXPECT_FALSE(write_role(0x00040000).ok());
}

TEST(NvCatalogue, PlatformPolicyDigestsAreDistinctSha256) {
  PlatformSecretPolicy p = platform_secret_policy();
  EXPECT_EQ(p.auth_policy.size(), 32u);
  EXPECT_EQ(p.write_branch.size(), 32u);
  EXPECT_NE(p.write_branch, p.delete_branch);
  EXPECT_NE(p.auth_policy, p.write_branch);
  EXPECT_EQ(host::hex(intel_aux_auth_policy()),
            "ef9a26fc22d1ae8cecff59e9481ac1ec533dbe228bec6d17930f4cb2cc5b9724");
}

// ------------------------------------------------------------------------------- secrets

TEST(NvSecret, FormsAndTheirSources) {
  AuthSource src;
  auto s = read_secret("str:hunter2", "owner", &src);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->data()), s->size()), "hunter2");
  EXPECT_TRUE(src.visible_in_ps);
  auto h = read_secret("hex:00ff10", "owner", &src);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ(h->data()[1], 0xFF);
  EXPECT_TRUE(src.visible_in_ps);
  EXPECT_TRUE(read_secret("", "owner")->empty());

  ::setenv("TLAUNCH_NV_TEST_SECRET", "from-env", 1);
  auto e = read_secret("env:TLAUNCH_NV_TEST_SECRET", "owner", &src);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 8u);
  EXPECT_FALSE(src.visible_in_ps);
  ::unsetenv("TLAUNCH_NV_TEST_SECRET");
  EXPECT_EQ(read_secret("env:TLAUNCH_NV_TEST_SECRET", "owner").failure().code, Errc::kUsage);

  std::string path = ::testing::TempDir() + "/nv_secret_test.pw";
  {
    std::ofstream f(path, std::ios::binary);
    f << "pass word\r\n";
  }
  auto f = read_secret("file:" + path, "owner", &src);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data()), f->size()), "pass word");
  std::remove(path.c_str());
  EXPECT_EQ(read_secret("file:" + path, "owner").failure().code, Errc::kIo);
}

TEST(NvSecret, RejectsMalformedAndTooLong) {
  EXPECT_EQ(read_secret("hex:abc", "x").failure().code, Errc::kUsage);
  EXPECT_EQ(read_secret("hex:zz", "x").failure().code, Errc::kUsage);
  EXPECT_EQ(read_secret("password", "x").failure().code, Errc::kUsage);
  EXPECT_EQ(read_secret("str:" + std::string(65, 'a'), "x").failure().code, Errc::kTooLarge);
  EXPECT_TRUE(read_secret("str:" + std::string(64, 'a'), "x").ok());
  EXPECT_EQ(read_secret("hex:" + std::string(130, '0'), "x").failure().code, Errc::kTooLarge);
}

TEST(NvSecret, MoveLeavesTheSourceWiped) {
  const uint8_t pw[] = {1, 2, 3};
  Secret a(pw, 3);
  Secret b = std::move(a);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the point of the test
  for (size_t i = 0; i < Secret::kCapacity; ++i) EXPECT_EQ(a.data()[i], 0);
}

// ----------------------------------------------------------------------- response codes

TEST(NvRc, DecodesAndHints) {
  EXPECT_EQ(rc_base(0x9A2), kRcBadAuth);
  EXPECT_EQ(rc_base(0x18B), kRcHandle);
  EXPECT_EQ(rc_base(0x149), 0x149u);
  EXPECT_EQ(rc_base(0x185), kRcHierarchy);
  for (uint32_t rc : {0x149u, 0x14Cu, 0x907u, 0x921u, 0x9A2u, 0x14Bu, 0x185u, 0x148u})
    EXPECT_NE(rc_hint(rc), nullptr) << std::hex << rc;
  EXPECT_NE(std::string(rc_hint(0x14C)).find("already defined"), std::string::npos);
  EXPECT_NE(std::string(rc_hint(0x14B)).find("NV memory is full"), std::string::npos);
  // Words from Tss2_RC_Decode.
  EXPECT_NE(rc_text(0x9A2).find("session(1)"), std::string::npos);
  host::Failure f = tpm_failure("NV_Write of 0x01C10131 (vlp)", 0x9A2);
  EXPECT_EQ(f.code, Errc::kTpm);
  EXPECT_EQ(f.tpm_rc, 0x9A2u);
  EXPECT_NE(f.message.find("0x01C10131 (vlp)"), std::string::npos);
  EXPECT_NE(f.message.find("hint:"), std::string::npos);
  // TCTI layer (10 << 16): the TPM was not reached.
  EXPECT_EQ(rc_errc(0x000A000A), Errc::kTpmUnreachable);
  EXPECT_EQ(tpm_failure("x", 0x000A000A).code, Errc::kTpmUnreachable);
}

}  // namespace
}  // namespace tlaunch::tpmnv
