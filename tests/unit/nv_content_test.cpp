// What `tlaunch nv status` shows of an index's bytes: decoded through libpolicy (the golden
// vectors made by tb_polgen and lcp2_crtpol), or hex with the decoder's reason.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tlaunch/tpmnv/content.h"

namespace tlaunch::tpmnv {
namespace {

Bytes vector_file(const std::string& rel) {
  std::ifstream f(std::string(TLAUNCH_VECTORS_DIR) + "/" + rel, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST(NvContent, VlpFromALargerIndex) {
  Bytes index = vector_file("tbp-add-image-two-modules/vl.pol");
  ASSERT_EQ(index.size(), 92u);
  index.resize(2048, 0xFF);  // the rest of the index: ignored, as tboot ignores it
  ContentView v = describe_content(ContentKind::kVlp, index, "0x01C10131 (vlp)");
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(v.json["kind"], "vlp");
  EXPECT_EQ(v.json["policy"]["size"], 92);
  EXPECT_EQ(v.json["policy"]["trailing_bytes"], 2048 - 92);
  EXPECT_EQ(v.json["policy"]["entries"].size(), 2u);
  EXPECT_NE(v.text.find("tboot VLP version 2"), std::string::npos) << v.text;
}

TEST(NvContent, InvalidVlpIsShownAsHexWithTheReason) {
  Bytes junk(64, 0xFF);  // an erased index: version 0xFF
  ContentView v = describe_content(ContentKind::kVlp, junk, "0x01C10131 (vlp)");
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.json["hex"], std::string(128, 'f'));
  EXPECT_NE(v.json["error"].get<std::string>().find("byte offset"), std::string::npos)
      << v.json.dump();
}

TEST(NvContent, LcpPolicyAndErrorCodeAndSvn) {
  ContentView po =
      describe_content(ContentKind::kLcpPolicy, vector_file("pol-any-sha256/any.pol"), "po");
  EXPECT_TRUE(po.valid) << po.text;
  EXPECT_EQ(po.json["policy_type"], "any");
  EXPECT_EQ(po.json["hash_alg"], "sha256");
  EXPECT_EQ(po.json["version"], "0x0300");

  ContentView err = describe_content(ContentKind::kTbError, Bytes{0x0C, 0, 0, 0}, "error");
  EXPECT_TRUE(err.valid);
  EXPECT_EQ(err.json["name"], "TB_ERR_POLICY_NOT_PRESENT");
  EXPECT_EQ(err.json["code"], 12);
  ContentView unknown = describe_content(ContentKind::kTbError, Bytes{0, 1, 0, 0}, "error");
  EXPECT_FALSE(unknown.valid);
  EXPECT_EQ(unknown.json["code"], 256);
  EXPECT_TRUE(unknown.json["name"].is_null());
  EXPECT_FALSE(describe_content(ContentKind::kTbError, Bytes{1, 2}, "error").valid);

  ContentView svn = describe_content(ContentKind::kSgxSvn, Bytes{7}, "sgx");
  EXPECT_EQ(svn.json["svn"], 7);
}

}  // namespace
}  // namespace tlaunch::tpmnv
