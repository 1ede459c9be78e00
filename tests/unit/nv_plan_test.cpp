// Chunked NV writes/reads and provisioning plans, against the in-memory FakeNvDevice: which TPM
// commands are issued, in which sizes, and that nothing is written when nothing differs.
#include <gtest/gtest.h>

#include <fstream>

#include "nv_fake_device.h"
#include "tlaunch/tpmnv/ops.h"
#include "tlaunch/tpmnv/plan.h"

namespace tlaunch::tpmnv {
namespace {

using testing::FakeNvDevice;

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

NvPublic define_raw(FakeNvDevice& dev, uint32_t handle, uint16_t size, uint32_t attributes) {
  NvDefinition d;
  d.handle = handle;
  d.size = size;
  d.attributes = attributes;
  EXPECT_TRUE(dev.define(d).ok());
  dev.log.clear();
  return dev.indices[handle].pub;
}

Target raw_target(uint32_t handle) {
  Target t;
  t.handle = handle;
  return t;
}

TEST(NvChunks, SplitsByBufferMaxAndKeepsSmallWritesWhole) {
  EXPECT_EQ(chunks(0, 1024, 1024).size(), 1u);
  auto c = chunks(10, 2100, 1024);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (std::pair<uint32_t, uint32_t>{10, 1024}));
  EXPECT_EQ(c[2], (std::pair<uint32_t, uint32_t>{2058, 52}));
  EXPECT_TRUE(chunks(0, 0, 1024).empty());
  EXPECT_EQ(chunk_size(TpmLimits{2048, 4096}), 2048u);  // never above TPM2B_MAX_NV_BUFFER
  EXPECT_EQ(chunk_size(TpmLimits{2048, 768}), 768u);
}

TEST(NvWrite, OnePolicyThatFitsIsOneNvWrite) {
  FakeNvDevice dev;
  NvPublic pub = define_raw(dev, 0x01500000, 2048, 0x0204000A);
  Bytes data = pattern(1024, 1);
  auto r = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), {});
  ASSERT_TRUE(r.ok()) << r.failure().message;
  EXPECT_EQ(r->commands, 1u);
  EXPECT_TRUE(r->verified);
  EXPECT_EQ(dev.count("write "), 1u);
  EXPECT_EQ(dev.count("read "), 1u);
}

TEST(NvWrite, LargeDataIsChunkedAndReadBack) {
  FakeNvDevice dev;
  NvPublic pub = define_raw(dev, 0x01500000, 2048, 0x0204000A);
  Bytes data = pattern(1900, 3);
  auto r = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), {});
  ASSERT_TRUE(r.ok());
  // Torn-write-safe order: byte 0 cleared, the later chunk, then the head (restoring byte 0).
  EXPECT_EQ(r->commands, 3u);
  EXPECT_TRUE(r->head_last);
  std::vector<std::string> writes;
  for (const auto& l : dev.log)
    if (l.rfind("write", 0) == 0) writes.push_back(l);
  EXPECT_EQ(writes, (std::vector<std::string>{"write 0x01500000 0+1", "write 0x01500000 1024+876",
                                              "write 0x01500000 0+1024"}));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), dev.indices[pub.handle].data.begin()));
  EXPECT_EQ(r->bytes, 1u + 876u + 1024u);

  // head_last off (or a write not starting at offset 0): plain ascending order.
  dev.log.clear();
  WriteOptions plain;
  plain.head_last = false;
  Bytes other = pattern(1900, 9);
  auto p =
      write_index(dev, raw_target(pub.handle), pub, ByteSpan(other.data(), other.size()), plain);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->commands, 2u);
  EXPECT_FALSE(p->head_last);
  dev.log.clear();
  WriteOptions at;
  at.offset = 100;
  auto q = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), at);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->commands, 2u);
  EXPECT_EQ(dev.count("write 0x01500000 100+1024"), 1u);
}

TEST(NvWrite, OversizeIsRefusedBeforeAnyCommand) {
  FakeNvDevice dev;
  NvPublic pub = define_raw(dev, 0x01500000, 100, 0x0204000A);
  Bytes data = pattern(90, 0);
  WriteOptions o;
  o.offset = 20;
  auto r = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, Errc::kTooLarge);
  EXPECT_NE(r.failure().message.find("0x01500000"), std::string::npos);
  EXPECT_TRUE(dev.log.empty());
}

TEST(NvWrite, LockedIndexIsRefusedBeforeAnyCommand) {
  FakeNvDevice dev;
  NvPublic pub = define_raw(dev, 0x01500000, 100, 0x0204200A);
  pub.attributes |= attr::kWriteLocked;
  Bytes data = pattern(10, 0);
  auto r = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, Errc::kConflict);
  EXPECT_TRUE(dev.log.empty());
}

TEST(NvWrite, ReadBackMismatchIsAnError) {
  FakeNvDevice dev;
  dev.corrupt_writes = true;
  NvPublic pub = define_raw(dev, 0x01500000, 100, 0x0204000A);
  Bytes data = pattern(10, 0);
  auto r = write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, Errc::kVerifyFailed);
}

TEST(NvRead, ChunksAndRefusesUnwritten) {
  FakeNvDevice dev;
  NvPublic pub = define_raw(dev, 0x01500000, 2048, 0x0204000A);
  auto none = read_index(dev, raw_target(pub.handle), pub, 0, std::nullopt);
  EXPECT_EQ(none.failure().code, Errc::kBadValue);
  Bytes data = pattern(2048, 5);
  ASSERT_TRUE(
      write_index(dev, raw_target(pub.handle), pub, ByteSpan(data.data(), data.size()), {}).ok());
  pub.attributes |= attr::kWritten;
  dev.log.clear();
  auto all = read_index(dev, raw_target(pub.handle), pub, 0, std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, data);
  EXPECT_EQ(dev.count("read "), 2u);
  auto part = read_index(dev, raw_target(pub.handle), pub, 2000, size_t{48});
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(*part, Bytes(data.begin() + 2000, data.end()));
  EXPECT_EQ(read_index(dev, raw_target(pub.handle), pub, 2000, size_t{49}).failure().code,
            Errc::kTooLarge);
}

// ------------------------------------------------------------------------------- plans

class NvPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/nv_plan_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::system(("mkdir -p '" + dir_ + "'").c_str());
    vlp_ = pattern(1500, 9);
    write("vl.pol", vlp_);
    write("po.pol", pattern(70, 2));
  }
  void write(const std::string& name, const Bytes& b) {
    std::ofstream f(dir_ + "/" + name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  ProvisionPlan plan(const std::string& json) {
    auto p = parse_plan(nlohmann::json::parse(json), dir_ + "/plan.json");
    EXPECT_TRUE(p.ok()) << p.failure().message;
    return p.ok() ? *p : ProvisionPlan{};
  }
  std::string dir_;
  Bytes vlp_;
  // The contents are byte patterns (sizes and chunking are what these tests are about), which
  // do not decode as a VLP or LCP policy: "force" lets them through (ContentIsDecodedFirst).
  const std::string kTcgSet = R"({"version": 1, "indices": [
      {"index": "vlp", "file": "vl.pol", "force": true},
      {"index": "po", "file": "po.pol", "force": true},
      {"index": "error", "tb_error": "TB_ERR_NONE"}]})";
};

TEST_F(NvPlanTest, ContentIsDecodedFirst) {
  // Issue 12 item 2: a catalogue index's content is decoded as the launcher / SINIT reads it
  // before anything is planned; "force" accepts it with a note.
  FakeNvDevice dev;
  ProvisionPlan p = plan(R"({"version": 1, "indices": [{"index": "vlp", "file": "vl.pol"}]})");
  auto refused = make_plan(dev, p, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().code, Errc::kBadValue);
  EXPECT_NE(refused.failure().message.find("indices[0] (vlp): file vl.pol: not a valid VLP"),
            std::string::npos)
      << refused.failure().message;
  EXPECT_NE(refused.failure().message.find("\"force\": true"), std::string::npos);
  p = plan(R"({"version": 1, "indices": [{"index": "po", "file": "po.pol", "force": true}]})");
  auto forced = make_plan(dev, p, false);
  ASSERT_TRUE(forced.ok()) << forced.failure().message;
  EXPECT_NE((*forced)[0].note.find("not a valid LCP_POLICY_2"), std::string::npos);
}

TEST_F(NvPlanTest, FirstRunCreatesSecondRunWritesNothing) {
  FakeNvDevice dev;
  ProvisionPlan p = plan(kTcgSet);
  auto steps = make_plan(dev, p, false);
  ASSERT_TRUE(steps.ok()) << steps.failure().message;
  for (const Step& s : *steps) EXPECT_EQ(s.action, Action::kCreate);
  auto r = apply_plan(dev, p, *steps);
  ASSERT_TRUE(r.ok()) << r.failure().message;
  EXPECT_EQ(r->defined, 3u);
  // 1500-byte VLP in two chunks of 1024, head last (byte 0 cleared first: 3 commands), PO and
  // error in one each.
  EXPECT_EQ(r->nv_writes, 5u);
  EXPECT_EQ(dev.indices[0x01C10131].pub.size, 2048);  // capped at NV_INDEX_MAX
  EXPECT_EQ(dev.indices[0x01C10132].data, (Bytes{0, 0, 0, 0}));

  dev.log.clear();
  auto again = make_plan(dev, p, false);
  ASSERT_TRUE(again.ok());
  for (const Step& s : *again) EXPECT_EQ(s.action, Action::kUnchanged) << s.reason;
  auto r2 = apply_plan(dev, p, *again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->nv_writes, 0u);
  EXPECT_EQ(dev.count("write "), 0u);
  EXPECT_EQ(dev.count("define "), 0u);
}

TEST_F(NvPlanTest, ConflictStopsBeforeAnyChangeUnlessReplace) {
  FakeNvDevice dev;
  NvDefinition wrong;
  wrong.handle = 0x01C10106;
  wrong.size = 70;
  wrong.attributes = 0x0204000B;  // + PPWRITE
  ASSERT_TRUE(dev.define(wrong).ok());
  ProvisionPlan p = plan(kTcgSet);
  dev.log.clear();
  auto steps = make_plan(dev, p, false);
  ASSERT_TRUE(steps.ok());
  EXPECT_TRUE(has_conflict(*steps));
  EXPECT_EQ((*steps)[1].action, Action::kConflict);
  EXPECT_NE((*steps)[1].reason.find("ppwrite"), std::string::npos);
  auto r = apply_plan(dev, p, *steps);
  EXPECT_EQ(r.failure().code, Errc::kConflict);
  EXPECT_EQ(dev.count("define "), 0u);
  EXPECT_EQ(dev.count("write "), 0u);

  auto replace = make_plan(dev, p, true);
  ASSERT_TRUE(replace.ok());
  EXPECT_EQ((*replace)[1].action, Action::kReplace);
  ASSERT_TRUE(apply_plan(dev, p, *replace).ok());
  EXPECT_EQ(dev.indices[0x01C10106].pub.attributes & ~attr::kStateBits, 0x0204000Au);
}

TEST_F(NvPlanTest, PartialMultiChunkWriteIsDetectedAndOnlyTheRestRewritten) {
  FakeNvDevice dev;
  ProvisionPlan p = plan(kTcgSet);
  auto steps = make_plan(dev, p, false);
  dev.fail_write_after = 1;  // the VLP's second chunk never arrives
  auto r = apply_plan(dev, p, *steps);
  ASSERT_FALSE(r.ok());
  // A step that defined its index removes it again when its write fails...
  EXPECT_EQ(dev.indices.count(0x01C10131), 0u);
  // ...so simulate the power loss instead: the index stays with only the first chunk.
  dev.fail_write_after = -1;
  NvDefinition d = (*steps)[0].want;
  ASSERT_TRUE(dev.define(d).ok());
  NvPublic pub = dev.indices[d.handle].pub;
  ASSERT_TRUE(dev.write(pub, AuthRole::kOwner, 0, ByteSpan(vlp_.data(), 1024)).ok());
  dev.log.clear();

  auto again = make_plan(dev, p, false);
  ASSERT_TRUE(again.ok());
  const Step& v = (*again)[0];
  EXPECT_EQ(v.action, Action::kRewrite);
  EXPECT_TRUE(v.partial);
  EXPECT_EQ(v.matching_prefix, 1024u);
  EXPECT_NE(v.reason.find("interrupted"), std::string::npos);
  dev.log.clear();
  ASSERT_TRUE(apply_plan(dev, p, *again).ok());
  EXPECT_EQ(v.skipped_chunks, 1u);
  EXPECT_EQ(dev.count("write 0x01C10131 1024+476"), 1u);
  EXPECT_EQ(dev.count("write 0x01C10131 0+"), 0u);
  EXPECT_TRUE(std::equal(vlp_.begin(), vlp_.end(), dev.indices[0x01C10131].data.begin()));
}

TEST_F(NvPlanTest, RefusesBadPlansBeforeTouchingTheTpm) {
  FakeNvDevice dev;
  auto parse = [&](const std::string& json) {
    return parse_plan(nlohmann::json::parse(json), dir_ + "/plan.json");
  };
  EXPECT_FALSE(parse(R"({"indices": [{"index": "vlp"}]})").ok());  // no version
  EXPECT_FALSE(parse(R"({"version": 1, "indices": [{"index": "vlp", "sise": 3}]})").ok());
  EXPECT_FALSE(
      parse(R"({"version": 1, "indices": [{"index": "vlp"}, {"index": "0x01C10131"}]})").ok());
  EXPECT_FALSE(parse(R"({"version": 1, "indices": [{"index": "0x01500000", "hex": "00"}]})").ok());
  EXPECT_FALSE(
      parse(R"({"version": 1, "indices": [{"index": "vlp", "file": "missing.pol"}]})").ok());
  EXPECT_FALSE(
      parse(R"({"version": 1, "indices": [{"index": "error", "tb_error": "TB_ERR_NOPE"}]})").ok());
  // Content larger than the index; a definition tboot would refuse.
  ProvisionPlan big =
      plan(R"({"version": 1, "indices": [{"index": "vlp", "size": 100, "file": "vl.pol"}]})");
  EXPECT_EQ(make_plan(dev, big, false).failure().code, Errc::kTooLarge);
  ProvisionPlan pp = plan(
      R"({"version": 1, "indices": [{"index": "vlp", "attributes": "ppwrite|ownerwrite|authread"}]})");
  auto refused = make_plan(dev, pp, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.failure().message.find("ppwrite"), std::string::npos);
  ProvisionPlan forced = plan(
      R"({"version": 1, "indices": [{"index": "vlp", "force": true, "attributes": "ppwrite|ownerwrite|authread"}]})");
  EXPECT_TRUE(make_plan(dev, forced, false).ok());
  EXPECT_EQ(dev.count("define "), 0u);
  EXPECT_EQ(dev.count("write "), 0u);
}

TEST_F(NvPlanTest, TbErrorValueIsLittleEndian) {
  ProvisionPlan p = plan(
      R"({"version": 1, "indices": [{"index": "error", "tb_error": "TB_ERR_MODULE_VERIFICATION_FAILED"}]})");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(*p.entries[0].content, (Bytes{9, 0, 0, 0}));
  ProvisionPlan legacy =
      plan(R"({"version": 1, "handle_set": "legacy", "indices": [{"index": "vlp"}]})");
  EXPECT_EQ(legacy.entries[0].target.handle, 0x01200001u);
}

}  // namespace
}  // namespace tlaunch::tpmnv
