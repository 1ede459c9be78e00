// `tlaunch nv` against swtpm, every effect checked with tpm2-tools (tpm2_nvreadpublic,
// tpm2_nvread, tpm2_getcap) as the independent reader. TPM commands are counted with
// tpm-proxy.py behind tpm2-tss's cmd: TCTI.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "swtpm_fixture.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::testing {
namespace {

using Bytes = std::vector<uint8_t>;

// Exit codes of tlaunch (cli/common/exit_codes.h, man/tlaunch.1).
constexpr int kExitInput = 3, kExitTpm = 5, kExitTpmUnreachable = 6, kExitConflict = 7;
constexpr int kExitUsage = 2;

struct PublicArea {
  bool present = false;
  uint32_t attributes = 0;
  unsigned size = 0;
  std::string policy;  // hex, lower case, empty if none
};

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string host_hex(const Bytes& b) {
  std::string s;
  char buf[3];
  for (uint8_t v : b) {
    std::snprintf(buf, sizeof(buf), "%02x", v);
    s += buf;
  }
  return s;
}

Bytes read_bytes(const std::string& path) {
  std::string s = read_text(path);
  return Bytes(s.begin(), s.end());
}

// A sha256 VLP of 6 entries x 8 hashes = 1596 bytes: more than swtpm's NV_BUFFER_MAX (1024).
// 6 entries of 8 SHA-256 hashes: 1596 bytes, two NV_Write chunks on swtpm. Another `seed` gives
// a policy of the same layout with other digests (the usual kernel update).
Bytes big_vlp(uint8_t seed = 0) {
  auto p = std::make_unique<vlp::Policy>(
      vlp::Policy::create(vlp::kHalt, static_cast<uint8_t>(HashAlg::kSha256), 1));
  for (uint8_t m = 0; m < 6; ++m) {
    vlp::Entry e;
    e.mod_num = m;
    e.pcr = 18;
    e.hash_type = vlp::kHashImage;
    auto idx = p->add_entry(e);
    EXPECT_TRUE(idx.ok());
    for (uint8_t k = 0; k < 8; ++k) {
      uint8_t d[32];
      for (uint8_t i = 0; i < 32; ++i) d[i] = static_cast<uint8_t>(m * 31 + k * 7 + i + seed);
      EXPECT_TRUE(p->add_hash(*idx, ByteSpan(d, 32)).ok());
    }
  }
  Bytes out(vlp::kMaxPolicySize);
  auto n = vlp::encode(*p, MutableByteSpan(out.data(), out.size()));
  EXPECT_TRUE(n.ok());
  out.resize(*n);
  return out;
}

class NvTest : public SwtpmTest {
 protected:
  RunResult tl(const std::string& args) const { return sh(std::string(TLAUNCH_BIN) + " " + args); }

  // tpm2_nvreadpublic as the independent reader.
  PublicArea nvreadpublic(uint32_t handle) const {
    char h[16];
    std::snprintf(h, sizeof(h), "0x%08X", handle);
    PublicArea p;
    // Presence from the handle list: tpm2_nvreadpublic 5.4 crashes on an absent index.
    RunResult list = sh("tpm2_getcap handles-nv-index");
    std::string want = std::string("0x") + (h + 2 + (h[2] == '0' ? 1 : 0));
    if (list.out.find(want + "\n") == std::string::npos) return p;
    RunResult r = sh(std::string("tpm2_nvreadpublic ") + h);
    EXPECT_EQ(r.status, 0) << r.err;
    p.present = true;
    std::smatch m;
    if (std::regex_search(
            r.out, m,
            std::regex("attributes:\\s*\\n\\s*friendly:[^\\n]*\\n\\s*value: (0x[0-9A-Fa-f]+)")))
      p.attributes = static_cast<uint32_t>(std::stoul(m[1].str(), nullptr, 16));
    if (std::regex_search(r.out, m, std::regex("\\n\\s*size: ([0-9]+)")))
      p.size = static_cast<unsigned>(std::stoul(m[1].str()));
    if (std::regex_search(r.out, m, std::regex("authorization policy: ([0-9A-Fa-f]+)"))) {
      p.policy = m[1].str();
      for (char& c : p.policy) c = static_cast<char>(std::tolower(c));
    }
    return p;
  }

  // tpm2_nvread of `size` bytes, authorized by the index itself (empty password), as tboot does.
  Bytes nvread(uint32_t handle, size_t size) const {
    char cmd[128];
    std::snprintf(cmd, sizeof(cmd), "tpm2_nvread 0x%08X -C 0x%08X -s %zu -o nvread.bin", handle,
                  handle, size);
    RunResult r = sh(cmd);
    EXPECT_EQ(r.status, 0) << r.err;
    return read_bytes(path("nvread.bin"));
  }

  // A TCTI that relays through tpm-proxy.py and logs each command code to `log`.
  std::string proxy_tcti(const std::string& log, const std::string& extra = "") const {
    // "exec": the shell the cmd TCTI starts must not keep the pipe open (tpm-proxy.py).
    return "cmd:exec python3 " + std::string(TLAUNCH_TPM_PROXY) + " --port " +
           std::to_string(port()) + " --log " + path(log) + (extra.empty() ? "" : " " + extra);
  }
  size_t count_commands(const std::string& log, const std::string& name) const {
    std::istringstream in(read_text(path(log)));
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      size_t sp = line.find(' ');
      n += sp != std::string::npos && line.substr(sp + 1) == name;
    }
    return n;
  }
  size_t lockout_counter() const {
    RunResult r = sh("tpm2_getcap properties-variable");
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("TPM2_PT_LOCKOUT_COUNTER: (0x[0-9A-Fa-f]+)")))
      return 999;
    return std::stoul(m[1].str(), nullptr, 16);
  }

  // Validates a JSON document against schemas/<schema>.v1.schema.json (python3-jsonschema).
  void expect_valid(const std::string& json, const std::string& schema) {
    std::ofstream(path("doc.json")) << json;
    RunResult r =
        sh("python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[2])); "
           "jsonschema.validators.validator_for(s)(s).validate(json.load(open(sys.argv[1])))' "
           "doc.json " +
           std::string(TLAUNCH_SCHEMAS_DIR) + "/" + schema + ".v1.schema.json");
    EXPECT_EQ(r.status, 0) << schema << ": " << r.err << "\n" << json;
  }

  void write_plan(const std::string& name, const std::string& json) {
    std::ofstream f(path(name));
    f << json;
  }
  void write_tcg_plan() {
    write_bytes(path("vl.pol"), big_vlp());
    write_bytes(path("po.pol"),
                read_bytes(std::string(TLAUNCH_VECTORS_DIR) + "/pol-any-sha256/any.pol"));
    write_plan("plan.json", R"({"version": 1, "handle_set": "tcg", "indices": [
        {"index": "vlp", "file": "vl.pol"},
        {"index": "po", "file": "po.pol"},
        {"index": "error", "tb_error": "TB_ERR_NONE"}]})");
  }
};

TEST_F(NvTest, DefineEachCatalogueIndexAsTpm2ToolsSeesIt) {
  struct Row {
    const char* name;
    uint32_t handle;
    uint32_t attributes;
    unsigned size;
  } rows[] = {{"vlp", 0x01C10131, 0x0204000A, 2048},  // 2124 capped by swtpm's NV_INDEX_MAX
              {"error", 0x01C10132, 0x02040004, 4},  {"po", 0x01C10106, 0x0204000A, 70},
              {"ps", 0x01C10103, 0x42040408, 70},    {"aux", 0x01C10102, 0x42044408, 104},
              {"sgx", 0x01C10104, 0x02040004, 1}};
  for (const Row& r : rows) {
    RunResult d = tl(std::string("nv define ") + r.name + " --tcti " + sh_quote(tcti()));
    ASSERT_EQ(d.status, 0) << r.name << ": " << d.err;
    PublicArea p = nvreadpublic(r.handle);
    ASSERT_TRUE(p.present) << r.name;
    EXPECT_EQ(p.attributes, r.attributes) << r.name;
    EXPECT_EQ(p.size, r.size) << r.name;
  }
  // Intel's AUX authPolicy (docs/reference/nv.md §2.1).
  EXPECT_EQ(nvreadpublic(0x01C10102).policy,
            "ef9a26fc22d1ae8cecff59e9481ac1ec533dbe228bec6d17930f4cb2cc5b9724");
  // The PS policy computed with a tpm2-tools trial session: PolicyOR of
  // (PolicySecret(platform), PolicyCommandCode(NV_Write)) and (... NV_UndefineSpaceSpecial).
  RunResult trial = sh(
      "set -e; for cc in TPM2_CC_NV_Write TPM2_CC_NV_UndefineSpaceSpecial; do "
      "tpm2_startauthsession -S s.ctx; tpm2_policysecret -S s.ctx -c p >/dev/null; "
      "tpm2_policycommandcode -S s.ctx -L $cc.dig $cc >/dev/null; tpm2_flushcontext s.ctx; done; "
      "tpm2_startauthsession -S s.ctx; "
      "tpm2_policyor -S s.ctx -L or.dig "
      "sha256:TPM2_CC_NV_Write.dig,TPM2_CC_NV_UndefineSpaceSpecial.dig "
      ">/dev/null; tpm2_flushcontext s.ctx; xxd -p -c 64 or.dig");
  ASSERT_EQ(trial.status, 0) << trial.err;
  EXPECT_EQ(nvreadpublic(0x01C10103).policy + "\n", trial.out);
  // The legacy handle set.
  RunResult legacy = tl("nv define vlp --handle-set legacy --json");
  ASSERT_EQ(legacy.status, 0) << legacy.err;
  expect_valid(legacy.out, "nv-define");
  expect_valid(tl("nv catalogue --json").out, "nv-catalogue");
  RunResult list = tl("nv list --json");
  EXPECT_EQ(list.status, 0);
  expect_valid(list.out, "nv-list");
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '{'), 8);  // the document + 7 indices
  EXPECT_EQ(nvreadpublic(0x01200001).attributes, 0x0204000Au);
  // Defining again as wanted changes nothing; PPWRITE is refused unless --force.
  EXPECT_EQ(tl("nv define vlp").status, 0);
  RunResult pp =
      tl("nv define 0x01C10131 --attributes 'ppwrite|ownerwrite|authread|no_da' --size 256");
  EXPECT_EQ(pp.status, kExitUsage);
  EXPECT_NE(pp.err.find("ppwrite"), std::string::npos) << pp.err;
}

TEST_F(NvTest, PlatformIndexWrittenThroughItsPolicyAndUndefinedSpecially) {
  ASSERT_EQ(tl("nv define ps").status, 0);
  write_bytes(path("ps.pol"),
              read_bytes(std::string(TLAUNCH_VECTORS_DIR) + "/pol-any-sha256/any.pol"));
  RunResult w = tl("nv write ps ps.pol");
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(nvread(0x01C10103, 70), read_bytes(path("ps.pol")));
  RunResult st = tl("nv status");
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_NE(st.out.find("LCP_POLICY_2 version 3.0, type any"), std::string::npos) << st.out;
  RunResult u = tl("nv undefine ps");
  ASSERT_EQ(u.status, 0) << u.err;
  EXPECT_FALSE(nvreadpublic(0x01C10103).present);
}

TEST_F(NvTest, VlpLargerThanNvBufferMaxIsChunkedAndReadableByTpm2Tools) {
  Bytes vlp = big_vlp();
  ASSERT_GT(vlp.size(), 1024u);  // swtpm: TPM_PT_NV_BUFFER_MAX = 1024
  write_bytes(path("big.pol"), vlp);
  RunResult d = tl("nv define 0x01500020 --size 2048 --attributes 'ownerwrite|authread|no_da'");
  ASSERT_EQ(d.status, 0) << d.err;
  RunResult w =
      tl("nv write 0x01500020 big.pol --json --tcti " + sh_quote(proxy_tcti("write.log")));
  ASSERT_EQ(w.status, 0) << w.err;
  // Head last: byte 0 cleared, the second chunk, then the first chunk.
  EXPECT_EQ(count_commands("write.log", "NV_Write"), 3u);
  EXPECT_NE(w.out.find("\"head_last\": true"), std::string::npos) << w.out;
  EXPECT_NE(w.out.find("\"verified\": true"), std::string::npos) << w.out;
  expect_valid(w.out, "nv-write");
  EXPECT_EQ(nvread(0x01500020, vlp.size()), vlp);
  // A policy that fits one NV_Write goes in one command.
  write_bytes(path("small.pol"), Bytes(vlp.begin(), vlp.begin() + 1000));
  ASSERT_EQ(tl("nv write 0x01500020 small.pol --tcti " + sh_quote(proxy_tcti("small.log"))).status,
            0);
  EXPECT_EQ(count_commands("small.log", "NV_Write"), 1u);
  // tlaunch reads a range back, chunked too.
  RunResult r = tl("nv read 0x01500020 --offset 1000 --size 596 -o back.bin");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_bytes(path("back.bin")), Bytes(vlp.begin() + 1000, vlp.end()));
  RunResult rj = tl("nv read 0x01500020 --size 4 --json");
  expect_valid(rj.out, "nv-read");
  EXPECT_NE(rj.out.find("\"hex\": \"" + host_hex(Bytes(vlp.begin(), vlp.begin() + 4)) + "\""),
            std::string::npos)
      << rj.out;
  RunResult u = tl("nv undefine 0x01500020 --json");
  ASSERT_EQ(u.status, 0) << u.err;
  expect_valid(u.out, "nv-undefine");
  EXPECT_FALSE(nvreadpublic(0x01500020).present);
}

TEST_F(NvTest, ProvisionTwiceSecondRunIssuesNoWrite) {
  write_tcg_plan();
  RunResult first = tl("nv provision plan.json --json");
  ASSERT_EQ(first.status, 0) << first.err << first.out;
  EXPECT_NE(first.out.find("\"result\": \"applied\""), std::string::npos);
  expect_valid(first.out, "nv-provision");
  expect_valid(read_text(path("plan.json")), "nv-plan");
  expect_valid(read_text(std::string(TLAUNCH_SOURCE_DIR) + "/examples/nv-plan.json"), "nv-plan");
  EXPECT_EQ(nvreadpublic(0x01C10131).attributes, 0x2204000Au);  // + WRITTEN
  EXPECT_EQ(nvreadpublic(0x01C10106).attributes, 0x2204000Au);
  EXPECT_EQ(nvreadpublic(0x01C10132).attributes, 0x22040004u);
  EXPECT_EQ(nvread(0x01C10131, big_vlp().size()), big_vlp());
  EXPECT_EQ(nvread(0x01C10106, 70), read_bytes(path("po.pol")));
  EXPECT_EQ(nvread(0x01C10132, 4), (Bytes{0, 0, 0, 0}));

  RunResult second =
      tl("nv provision plan.json --json --tcti " + sh_quote(proxy_tcti("second.log")));
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find("\"result\": \"unchanged\""), std::string::npos) << second.out;
  expect_valid(second.out, "nv-provision");
  EXPECT_EQ(std::regex_search(second.out,
                              std::regex("\"action\": \"(create|rewrite|conflict|replace)\"")),
            false);
  EXPECT_EQ(count_commands("second.log", "NV_Write"), 0u);
  EXPECT_EQ(count_commands("second.log", "NV_DefineSpace"), 0u);
  EXPECT_GT(count_commands("second.log", "NV_Read"), 0u);  // it did compare the content

  // status decodes what was provisioned.
  RunResult st = tl("nv status");
  ASSERT_EQ(st.status, 0) << st.err;
  EXPECT_NE(st.out.find("tboot VLP version 2"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("TB_ERR_NONE"), std::string::npos);
  EXPECT_NE(st.out.find("LCP_POLICY_2"), std::string::npos);
  RunResult sj = tl("nv status --json");
  ASSERT_EQ(sj.status, 0) << sj.err;
  expect_valid(sj.out, "nv-status");
  EXPECT_NE(sj.out.find("\"kind\": \"vlp\""), std::string::npos);
  EXPECT_NE(sj.out.find("\"name\": \"TB_ERR_NONE\""), std::string::npos);
}

TEST_F(NvTest, ProvisionStopsOnConflictUnlessReplace) {
  write_tcg_plan();
  ASSERT_EQ(sh("tpm2_nvdefine 0x01C10106 -C o -s 70 -a 'ppwrite|ownerwrite|authread|no_da'").status,
            0);
  RunResult r = tl("nv provision plan.json");
  EXPECT_EQ(r.status, kExitConflict) << r.out << r.err;
  EXPECT_NE(r.out.find("conflict"), std::string::npos);
  EXPECT_NE(r.out.find("ppwrite"), std::string::npos);
  // Nothing was changed: the PO keeps its attributes, the VLP was not created.
  EXPECT_EQ(nvreadpublic(0x01C10106).attributes, 0x02040003u);
  EXPECT_FALSE(nvreadpublic(0x01C10131).present);
  RunResult dry = tl("nv provision plan.json --replace --dry-run");
  EXPECT_EQ(dry.status, 0) << dry.err;
  EXPECT_EQ(nvreadpublic(0x01C10106).attributes, 0x02040003u);
  RunResult fix = tl("nv provision plan.json --replace");
  ASSERT_EQ(fix.status, 0) << fix.err;
  EXPECT_EQ(nvreadpublic(0x01C10106).attributes, 0x2204000Au);
  EXPECT_EQ(nvread(0x01C10106, 70), read_bytes(path("po.pol")));
}

TEST_F(NvTest, WrongPasswordsFailCleanlyAndLeaveNoLockout) {
  ASSERT_EQ(sh("tpm2_changeauth -c o ownerpw").status, 0);
  RunResult bad = tl("nv define vlp --auth str:wrong");
  EXPECT_EQ(bad.status, kExitTpm);
  EXPECT_NE(bad.err.find("0x01C10131 (vlp)"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("0x9a2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("hint:"), std::string::npos);
  EXPECT_NE(bad.err.find("visible"), std::string::npos);  // str: warns about process lists
  EXPECT_FALSE(nvreadpublic(0x01C10131).present);
  write_bytes(path("owner.pw"), Bytes{'o', 'w', 'n', 'e', 'r', 'p', 'w', '\n'});
  RunResult good = tl("nv define vlp --auth file:owner.pw");
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_TRUE(nvreadpublic(0x01C10131).present);

  // An index with a password and without no_da: a wrong password counts towards DA lockout.
  RunResult d = sh("OWNER=ownerpw IDX=idxpw " + std::string(TLAUNCH_BIN) +
                   " nv define 0x01500030 --size 16 --attributes 'authwrite|authread' "
                   "--auth env:OWNER --index-auth env:IDX");
  ASSERT_EQ(d.status, 0) << d.err;
  write_bytes(path("sixteen.bin"), Bytes(16, 0x5A));
  RunResult w = sh("IDX=nope " + std::string(TLAUNCH_BIN) +
                   " nv write 0x01500030 sixteen.bin --index-auth env:IDX");
  EXPECT_EQ(w.status, kExitTpm);
  EXPECT_NE(w.err.find("0x01500030"), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("dictionary-attack"), std::string::npos) << w.err;
  EXPECT_EQ(sh("tpm2_nvread 0x01500030 -C 0x01500030 -P idxpw -s 16").status, 1);  // never written
  EXPECT_GE(lockout_counter(), 1u);
  ASSERT_EQ(sh("tpm2_dictionarylockout --clear-lockout").status, 0);
  EXPECT_EQ(lockout_counter(), 0u);
  RunResult ok = sh("IDX=idxpw " + std::string(TLAUNCH_BIN) +
                    " nv write 0x01500030 sixteen.bin --index-auth env:IDX");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(lockout_counter(), 0u);
}

TEST_F(NvTest, InterruptedMultiChunkWriteIsDetectedAndRepaired) {
  write_tcg_plan();
  Bytes vlp = big_vlp();
  // swtpm is killed right after answering the second NV_Write: byte 0 was cleared and the VLP's
  // bytes from 1024 on are in; the head chunk never arrived.
  RunResult cut = tl("nv provision plan.json --tcti " +
                     sh_quote(proxy_tcti("cut.log", "--kill-after 0x137:2 --kill-pid " +
                                                        std::to_string(swtpm_pid()))));
  EXPECT_EQ(cut.status, kExitTpmUnreachable) << cut.out << cut.err;
  restart();
  PublicArea p = nvreadpublic(0x01C10131);
  ASSERT_TRUE(p.present);
  EXPECT_EQ(p.attributes & 0x20000000u, 0x20000000u);  // written, but only partly:
  Bytes half = nvread(0x01C10131, vlp.size());
  EXPECT_EQ(half[0], 0);  // not a VLP (version 0): the launcher will not take it for a policy
  EXPECT_TRUE(std::equal(vlp.begin() + 1024, vlp.end(), half.begin() + 1024));
  EXPECT_FALSE(vlp::decode(ByteSpan(half.data(), half.size())).ok());

  RunResult dry = tl("nv provision plan.json --dry-run --json");
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.out.find("\"partial_write\": true"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("\"action\": \"rewrite\""), std::string::npos);
  RunResult fix = tl("nv provision plan.json --tcti " + sh_quote(proxy_tcti("fix.log")));
  ASSERT_EQ(fix.status, 0) << fix.out << fix.err;
  EXPECT_EQ(count_commands("fix.log", "NV_Write"), 3u);  // VLP's head chunk, PO, error
  EXPECT_EQ(nvread(0x01C10131, vlp.size()), vlp);
  EXPECT_EQ(nvread(0x01C10132, 4), (Bytes{0, 0, 0, 0}));
}

// Issue 7 item 5: swtpm killed after each NV_Write of a `tlaunch nv write` that replaces policy A
// by B (same layout, other digests: with plain ascending chunks, "B's first 1024 bytes + A's
// rest" would decode as a third policy that accepts module combinations neither A nor B does).
// Whatever the cut, the index read back with tpm2_nvread holds A, B, or bytes vlp::decode
// rejects (the launcher's rule: then the default policy and TB_ERR_POLICY_NOT_PRESENT).
TEST_F(NvTest, WriteKilledAfterAnyNvWriteLeavesOldNewOrInvalid) {
  const Bytes a = big_vlp(0), b = big_vlp(100);
  write_bytes(path("a.pol"), a);
  write_bytes(path("b.pol"), b);
  ASSERT_EQ(tl("nv define vlp").status, 0);
  std::vector<std::string> seen;
  for (int k = 1;; ++k) {
    ASSERT_EQ(tl("nv write vlp a.pol").status, 0);
    const std::string log = "kill" + std::to_string(k) + ".log";
    RunResult w = tl("nv write vlp b.pol --tcti " +
                     sh_quote(proxy_tcti(log, "--kill-after 0x137:" + std::to_string(k) +
                                                  " --kill-pid " + std::to_string(swtpm_pid()))));
    const bool killed = count_commands(log, "NV_Write") == static_cast<size_t>(k) &&
                        w.status == kExitTpmUnreachable;
    if (!killed) {  // fewer than k NV_Writes: the write completed before the cut
      ASSERT_EQ(w.status, 0) << w.err;
      EXPECT_EQ(nvread(0x01C10131, b.size()), b);
      break;
    }
    EXPECT_NE(w.err.find("0x01C10131"), std::string::npos) << w.err;
    restart();
    const Bytes nv = nvread(0x01C10131, b.size());
    auto d = vlp::decode(ByteSpan(nv.data(), nv.size()));
    std::string state = "invalid";
    if (d.ok()) {
      Bytes enc(vlp::kMaxPolicySize);
      auto n = vlp::encode(*d, MutableByteSpan(enc.data(), enc.size()));
      ASSERT_TRUE(n.ok());
      enc.resize(*n);
      state = enc == a ? "A" : enc == b ? "B" : "a third policy";
    }
    EXPECT_NE(state, "a third policy") << "cut after NV_Write " << k;
    seen.push_back(state);
    ASSERT_LT(k, 10);
  }
  // Cut after the 1st command (byte 0 cleared) and the 2nd (second chunk): invalid. After the
  // 3rd (the head): B, only the read-back was cut off.
  EXPECT_EQ(seen, (std::vector<std::string>{"invalid", "invalid", "B"}));
}

TEST_F(NvTest, BadInputGivesClearMessagesAndLeavesTheTpmAsItWas) {
  // No TPM on that port; a TCTI that does not exist.
  RunResult none = tl("nv status --tcti swtpm:host=127.0.0.1,port=1");
  EXPECT_EQ(none.status, kExitTpmUnreachable);
  EXPECT_NE(none.err.find("swtpm:host=127.0.0.1,port=1"), std::string::npos) << none.err;
  RunResult wrong = tl("nv list --tcti nosuchtcti:foo");
  EXPECT_EQ(wrong.status, kExitTpmUnreachable);
  EXPECT_NE(wrong.err.find("nosuchtcti"), std::string::npos);
  // Index absent.
  RunResult absent = tl("nv read vlp");
  EXPECT_EQ(absent.status, kExitInput);
  EXPECT_NE(absent.err.find("0x01C10131 (vlp) is not defined"), std::string::npos) << absent.err;
  // Data larger than the index: refused, the index keeps its content.
  ASSERT_EQ(tl("nv define error").status, 0);
  write_bytes(path("four.bin"), Bytes{9, 0, 0, 0});
  ASSERT_EQ(tl("nv write error four.bin").status, 0);
  write_bytes(path("five.bin"), Bytes{1, 2, 3, 4, 5});
  RunResult big = tl("nv write error five.bin --tcti " + sh_quote(proxy_tcti("big.log")));
  EXPECT_EQ(big.status, kExitInput);
  EXPECT_NE(big.err.find("do not fit NV index 0x01C10132 (error)"), std::string::npos) << big.err;
  EXPECT_EQ(count_commands("big.log", "NV_Write"), 0u);
  EXPECT_EQ(nvread(0x01C10132, 4), (Bytes{9, 0, 0, 0}));
  RunResult st = tl("nv status --json");
  EXPECT_NE(st.out.find("TB_ERR_MODULE_VERIFICATION_FAILED"), std::string::npos) << st.out;
  expect_valid(st.out, "nv-status");
  // A locked index.
  ASSERT_EQ(tl("nv define 0x01500040 --size 8 --attributes 'ownerwrite|writedefine|authread|no_da'")
                .status,
            0);
  write_bytes(path("eight.bin"), Bytes(8, 1));
  ASSERT_EQ(tl("nv write 0x01500040 eight.bin").status, 0);
  RunResult lk = tl("nv lock 0x01500040 --json");
  ASSERT_EQ(lk.status, 0) << lk.err;
  expect_valid(lk.out, "nv-lock");
  EXPECT_NE(nvreadpublic(0x01500040).attributes & 0x800u, 0u);  // writelocked
  write_bytes(path("eight2.bin"), Bytes(8, 2));
  RunResult locked = tl("nv write 0x01500040 eight2.bin");
  EXPECT_EQ(locked.status, kExitConflict);
  EXPECT_NE(locked.err.find("write-locked"), std::string::npos) << locked.err;
  EXPECT_EQ(nvread(0x01500040, 8), Bytes(8, 1));
  // The VLP catalogue definition cannot be locked; say so before asking the TPM.
  ASSERT_EQ(tl("nv define vlp").status, 0);
  EXPECT_EQ(tl("nv lock vlp").status, kExitConflict);
  // Hierarchy disabled: the owner hierarchy is switched off by the platform.
  ASSERT_EQ(sh("tpm2_hierarchycontrol -C p shEnable clear").status, 0);
  RunResult off = tl("nv define po");
  EXPECT_EQ(off.status, kExitTpm);
  EXPECT_NE(off.err.find("0x01C10106 (po)"), std::string::npos);
  EXPECT_NE(off.err.find("hierarchy is disabled"), std::string::npos) << off.err;
  EXPECT_FALSE(nvreadpublic(0x01C10106).present);
  // Bad command lines.
  EXPECT_EQ(tl("nv define 0x40000001").status, kExitUsage);
  EXPECT_EQ(tl("nv define vlp --attributes 'ownerwrite|authred'").status, kExitUsage);
}

}  // namespace
}  // namespace tlaunch::testing
