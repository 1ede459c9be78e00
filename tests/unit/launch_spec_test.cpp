// Launch spec: schema validation (our validator and python3-jsonschema must agree), the model's
// defaults and cross-checks, and every rejection naming its JSON path.
#include "tlaunch/spec/launch_spec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace tlaunch::host::spec {
namespace {

using nlohmann::json;

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string source(const std::string& rel) { return std::string(TLAUNCH_SOURCE_DIR) + "/" + rel; }

// A scratch directory with the files a minimal spec names.
class SpecDir {
 public:
  SpecDir() {
    char tmpl[] = "/tmp/tlaunch-spec-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    for (const char* f : {"launcher.elf", "vmlinuz", "initrd.img", "vmlinuz-old", "sinit.bin"})
      write(f, std::string("content of ") + f);
  }
  ~SpecDir() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

json minimal() {
  return json::parse(R"({
    "version": 1,
    "policy": {"type": "halt"},
    "launcher": {"file": "launcher.elf", "cmdline": "logging=serial"},
    "entries": [{"title": "Linux", "kernel": {"file": "vmlinuz", "cmdline": "root=/dev/vda1 ro"},
                 "initrd": {"file": "initrd.img"}}]
  })");
}

Expected<LaunchSpec> parse_in(const SpecDir& d, const json& doc) {
  return parse_launch_spec(doc.dump(2), d.path("spec.json"));
}

// Expects a failure whose message names `path` and contains `reason`.
void expect_issue(const Expected<LaunchSpec>& r, const std::string& path, const std::string& reason,
                  Errc code = Errc::kBadValue) {
  ASSERT_FALSE(r.ok()) << "accepted, expected an issue at " << path;
  EXPECT_EQ(r.failure().code, code) << r.failure().message;
  EXPECT_NE(r.failure().message.find(": " + path + ": "), std::string::npos)
      << "expected path " << path << " in: " << r.failure().message;
  EXPECT_NE(r.failure().message.find(reason), std::string::npos)
      << "expected '" << reason << "' in: " << r.failure().message;
}

TEST(LaunchSpecSchema, CompiledInCopyEqualsTheSchemaFile) {
  std::string file = read_text(source("schemas/launch-spec.v1.schema.json"));
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(std::string(launch_spec_schema_text()), file)
      << "the build embeds the schema at configure time: re-run cmake";
}

TEST(LaunchSpecSchema, ExampleSpecLoadsFromAnyDirectory) {
  // Paths in the spec are relative to the spec file, not to the working directory.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir("/"), 0);
  auto r = load_launch_spec(source("examples/launch-spec.json"));
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(r.ok()) << r.failure().message;
  const LaunchSpec& s = *r;
  EXPECT_EQ(s.spec_name, "launch-spec.json");
  EXPECT_EQ(s.policy_type, vlp::kHalt);
  EXPECT_EQ(s.policy_alg, HashAlg::kSha256);
  ASSERT_EQ(s.entries.size(), 2u);
  ASSERT_EQ(s.entries[0].modules.size(), 2u);
  EXPECT_EQ(s.module_slots(), 2u);
  EXPECT_EQ(s.entries[0].modules[0].ref.grub_path, "/boot/vmlinuz-6.1.0-sample");
  EXPECT_EQ(s.entries[0].modules[0].ref.host_path, source("examples/boot/vmlinuz-6.1.0-sample"));
  ASSERT_EQ(s.sinits.size(), 1u);
  EXPECT_EQ(s.banks, (std::vector<HashAlg>{HashAlg::kSha256, HashAlg::kSha384}));
}

TEST(LaunchSpecModel, Defaults) {
  SpecDir d;
  auto r = parse_in(d, minimal());
  ASSERT_TRUE(r.ok()) << r.failure().message;
  const LaunchSpec& s = *r;
  EXPECT_EQ(s.policy_alg, HashAlg::kSha256);
  EXPECT_TRUE(s.extend_pcr17);
  EXPECT_EQ(s.pcr_map, launch::PcrMap::kDa);
  EXPECT_FALSE(s.all_banks);
  EXPECT_EQ(s.banks, std::vector<HashAlg>{HashAlg::kSha256});
  // Module 0 is extended by the launcher anyway: no PCR in its entry; others PCR 19.
  EXPECT_EQ(s.entries[0].modules[0].pcr, vlp::kPcrNone);
  EXPECT_EQ(s.entries[0].modules[1].pcr, 19);
  EXPECT_TRUE(s.entries[0].modules[0].verify);
  EXPECT_FALSE(s.entries[0].modules[1].nounzip);
  EXPECT_EQ(s.entries[0].modules[1].ref.grub_path, "/boot/initrd.img");
  EXPECT_EQ(s.launcher.ref.grub_path, "/boot/launcher.elf");
  EXPECT_EQ(s.nv.handle_set, HandleSet::kTcg);
  EXPECT_TRUE(s.nv.vlp.define);
  EXPECT_TRUE(s.nv.error.define);
  EXPECT_FALSE(s.nv.po.define);
  EXPECT_EQ(s.grub.classes, (std::vector<std::string>{"gnu-linux", "gnu", "os", "tlaunch"}));
}

TEST(LaunchSpecModel, GrubSettingsApply) {
  SpecDir d;
  json j = minimal();
  j["grub"] = {{"path_prefix", ""}, {"nounzip", true}, {"root", {{"label", "BOOT"}}}};
  j["entries"][0]["kernel"]["grub_path"] = "(hd0,gpt2)/vmlinuz-6.1";
  j["entries"][0]["initrd"]["nounzip"] = false;
  auto r = parse_in(d, j);
  ASSERT_TRUE(r.ok()) << r.failure().message;
  EXPECT_EQ(r->entries[0].modules[0].ref.grub_path, "(hd0,gpt2)/vmlinuz-6.1");
  EXPECT_EQ(r->entries[0].modules[1].ref.grub_path, "/initrd.img");
  EXPECT_TRUE(r->entries[0].modules[0].nounzip);
  EXPECT_FALSE(r->entries[0].modules[1].nounzip);
  EXPECT_EQ(r->grub.root, GrubRoot::kLabel);
  EXPECT_EQ(r->grub.root_value, "BOOT");
}

TEST(LaunchSpecReject, NotJson) {
  SpecDir d;
  auto r = parse_launch_spec("{\n  \"version\": 1,\n  oops\n}", d.path("spec.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, Errc::kBadValue);
  EXPECT_NE(r.failure().message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(r.failure().message.find("line 3"), std::string::npos) << r.failure().message;
}

TEST(LaunchSpecReject, DuplicateMemberIsAnError) {
  SpecDir d;
  std::string text = minimal().dump();
  // Same object, "cmdline" twice: which one is hashed would depend on the parser.
  size_t at = text.find("\"cmdline\":\"root=/dev/vda1 ro\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"cmdline\":\"root=/dev/evil\",");
  auto r = parse_launch_spec(text, d.path("spec.json"));
  expect_issue(r, "/entries/0/kernel/cmdline", "appears twice");
}

TEST(LaunchSpecReject, SchemaViolationsNameTheirPath) {
  SpecDir d;
  struct Case {
    const char* pointer;  // where to change minimal()
    json value;
    const char* path;
    const char* reason;
  };
  const Case cases[] = {
      {"/version", 2, "/version", "must be 1"},
      {"/policy/type", "fatal", "/policy/type",
       "must be one of \"nonfatal\", \"continue\", \"halt\""},
      {"/policy/hash_alg", "sha1", "/policy/hash_alg", "must be one of"},
      {"/entries/0/initrd/pcr", 24, "/entries/0/initrd/pcr", "maximum 23"},
      {"/entries/0/initrd/pcr", "all", "/entries/0/initrd/pcr",
       "is a string \"all\", expected an integer 0..23 or \"none\""},
      {"/entries/0/kernel/cmdlin", "x", "/entries/0/kernel/cmdlin", "unknown member \"cmdlin\""},
      {"/entries/0/kernel/cmdline", "ro\nquiet", "/entries/0/kernel/cmdline",
       "control character 0x0a"},
      {"/entries/0/kernel/cmdline", 5, "/entries/0/kernel/cmdline",
       "is an integer, expected a string"},
      {"/entries/0/kernel/cmdline", std::string(1024, 'a'), "/entries/0/kernel/cmdline",
       "at most 1023"},
      {"/entries/0/kernel/grub_path", "boot/vmlinuz", "/entries/0/kernel/grub_path",
       "does not have the required form"},
      {"/banks", json::array({"sha256", "sha256"}), "/banks/1", "repeats item 0"},
      {"/banks", json::array(), "/banks", "at least 1"},
      {"/nv/vlp/handle", "0x1C10131", "/nv/vlp/handle", "required form"},
      {"/nv/error", "yes", "/nv/error", "expected a boolean or an object"},
      {"/grub/root", json{{"label", "a"}, {"device", "hd0"}}, "/grub/root", "exclude each other"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pointer);
    json j = minimal();
    j[json::json_pointer(c.pointer)] = c.value;
    expect_issue(parse_in(d, j), c.path, c.reason);
  }
  json j = minimal();
  j["entries"][0].erase("kernel");
  expect_issue(parse_in(d, j), "/entries/0", "the member \"kernel\" is required");
}

TEST(LaunchSpecReject, OneLinePerIssueWhateverTheNamesHold) {
  // A newline in a member name or value must not split an issue over two lines (found by the
  // launch-spec fuzz target).
  SpecDir d;
  json j = minimal();
  j["b\nks"] = 1;
  j["entries"][0]["kernel"]["cmdline"] = "ro\x1b[2J";
  auto r = parse_in(d, j);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.failure().message;
  size_t lines = 1;
  for (char c : m) lines += c == '\n';
  EXPECT_EQ(lines, 2u) << m;
  EXPECT_NE(m.find(": /b\\nks: unknown member \"b\\nks\""), std::string::npos) << m;
  EXPECT_NE(m.find("control character 0x1b"), std::string::npos) << m;
}

TEST(LaunchSpecReject, AllIssuesAreReportedAtOnce) {
  SpecDir d;
  json j = minimal();
  j["version"] = 3;
  j["entries"][0]["kernel"]["pcr"] = 99;
  auto r = parse_in(d, j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("/version"), std::string::npos);
  EXPECT_NE(r.failure().message.find("/entries/0/kernel/pcr"), std::string::npos);
}

TEST(LaunchSpecReject, MissingFilesAreIoErrorsWithTheirPath) {
  SpecDir d;
  json j = minimal();
  j["entries"][0]["initrd"]["file"] = "no-such-initrd";
  auto r = parse_in(d, j);
  expect_issue(r, "/entries/0/initrd/file", "no-such-initrd does not exist", Errc::kIo);
  j["entries"][0]["initrd"]["file"] = ".";  // a directory
  expect_issue(parse_in(d, j), "/entries/0/initrd/file", "is not a regular file", Errc::kIo);
}

TEST(LaunchSpecReject, EntriesMustAgreeOnSharedModuleNumbers) {
  SpecDir d;
  json j = minimal();
  json second = j["entries"][0];
  second["title"] = "Linux (old)";
  second["kernel"]["file"] = "vmlinuz-old";
  second["initrd"]["pcr"] = 17;
  j["entries"].push_back(second);
  expect_issue(parse_in(d, j), "/entries/1/initrd/pcr",
               "is 17 but /entries/0/initrd says 19: both are module 1");
  j["entries"][1]["initrd"].erase("pcr");
  j["entries"][1]["kernel"]["verify"] = "any";
  expect_issue(parse_in(d, j), "/entries/1/kernel/verify", "one hash type");
}

TEST(LaunchSpecReject, LauncherOptionsMustMatchTheSpec) {
  SpecDir d;
  json j = minimal();
  j["policy"]["hash_alg"] = "sha384";
  expect_issue(
      parse_in(d, j), "/launcher/cmdline",
      "measures with sha256 (its default) but /policy/hash_alg is sha384: add extpol=sha384");
  j["launcher"]["cmdline"] = "logging=serial extpol=sha384";
  EXPECT_TRUE(parse_in(d, j).ok());
  j["pcr_map"] = "legacy";
  expect_issue(parse_in(d, j), "/launcher/cmdline", "add pcr_map=legacy");
  j["pcr_map"] = "da";
  j["nv"] = {{"handle_set", "legacy"}};
  expect_issue(parse_in(d, j), "/launcher/cmdline", "add nv_index_set=legacy");
  j["launcher"]["cmdline"] = "extpol=sha384 nv_index_set=legacy";
  EXPECT_TRUE(parse_in(d, j).ok());
  j["launcher"]["cmdline"] = "extpol=embedded nv_index_set=legacy";
  expect_issue(parse_in(d, j), "/launcher/cmdline", "tboot would verify no module against the VLP");
}

TEST(LaunchSpecReject, OtherCrossChecks) {
  SpecDir d;
  json j = minimal();
  j["nv"] = {{"po", json::object()}};
  expect_issue(parse_in(d, j), "/nv/po", "there is no lcp section");

  j = minimal();
  j["entries"][0]["id"] = "a";
  j["entries"].push_back(j["entries"][0]);
  expect_issue(parse_in(d, j), "/entries/1/id", "already used by /entries/0");

  // SINITs take no module number (tboot and the launcher remove them before numbering), so
  // entries with different module counts may share them.
  j = minimal();
  j["sinits"] = json::array({{{"file", "sinit.bin"}}});
  json no_initrd = j["entries"][0];
  no_initrd.erase("initrd");
  no_initrd["title"] = "no initrd";
  j["entries"].push_back(no_initrd);
  EXPECT_TRUE(parse_in(d, j).ok());

  // /pcr_map and /all_banks must agree with the launcher's own options.
  j = minimal();
  j["pcr_map"] = "loc0";
  expect_issue(parse_in(d, j), "/launcher/cmdline", "add pcr_map=loc0");
  j["launcher"]["cmdline"] = "logging=serial pcr_map=loc0";
  EXPECT_EQ(parse_in(d, j)->pcr_map, launch::PcrMap::kLoc0);
  j["all_banks"] = true;
  expect_issue(parse_in(d, j), "/launcher/cmdline", "add all_banks=on");
  j["launcher"]["cmdline"] = "logging=serial pcr_map=loc0 all_banks=on";
  EXPECT_TRUE(parse_in(d, j)->all_banks);
  j["all_banks"] = false;
  expect_issue(parse_in(d, j), "/launcher/cmdline", "add all_banks=off");

  j = minimal();
  j["entries"][0]["initrd"]["grub_path"] = "/boot/vmlinuz";  // the kernel's GRUB path
  expect_issue(parse_in(d, j), "/entries/0/initrd/grub_path", "is also the GRUB path of");
}

TEST(LaunchSpecReject, LcpSettings) {
  SpecDir d;
  json j = minimal();
  j["lcp"] = json::parse(R"({"lists": [{"elements": [{"type": "custom", "file": "sinit.bin"}]}]})");
  expect_issue(parse_in(d, j), "/lcp/lists/0/elements/0", "a \"custom\" element needs \"uuid\"");
  j["lcp"]["lists"][0]["elements"][0] = {{"type", "vlp"}, {"uuid", "tboot"}};
  expect_issue(parse_in(d, j), "/lcp/lists/0/elements/0/uuid",
               "only \"custom\" elements have a uuid");
  j["lcp"]["lists"][0]["elements"][0].erase("uuid");
  j["lcp"]["lists"][0]["signing"] = {{"alg", "rsa"}};
  expect_issue(parse_in(d, j), "/lcp/lists/0/signing", "a signed list needs \"public_key\"");
  j["lcp"]["lists"][0]["signing"] = {{"alg", "rsa"}, {"public_key", "sinit.bin"}};
  expect_issue(parse_in(d, j), "/lcp/lists/0/signing/alg",
               "list version 0x300 is signed with rsapss");
  j["lcp"]["lists"][0]["version"] = "0x200";
  j["lcp"]["lists"][0]["signing"]["private_key"] = "sinit.bin";
  j["lcp"]["lists"][0]["signing"]["signature"] = "sinit.bin";
  expect_issue(parse_in(d, j), "/lcp/lists/0/signing", "exclude each other");
  j["lcp"]["lists"][0]["signing"].erase("signature");
  j["lcp"]["lists"][0]["signing"]["passphrase"] = "hunter2";  // a secret, not where it is
  expect_issue(parse_in(d, j), "/lcp/lists/0/signing/passphrase", "required form");
  j["lcp"]["lists"][0]["signing"]["passphrase"] = "env:KEY_PASS";
  auto r = parse_in(d, j);
  ASSERT_TRUE(r.ok()) << r.failure().message;
  ASSERT_TRUE(r->lcp.has_value());
  EXPECT_EQ(r->lcp->version, 0x0302);
  EXPECT_EQ(r->lcp->data_grub_path, "/boot/lcp.data");
  EXPECT_EQ(r->lcp->lists[0].elements[0].control, 1u);  // lcptools DEFAULT_POL_ELT_CONTROL
  EXPECT_TRUE(r->nv.po.define);
}

TEST(SchemaValidator, SmallSchemas) {
  json schema = json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["a"],
    "properties": {
      "a": {"type": "integer", "minimum": 1},
      "b": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
      "c": {"$ref": "#/$defs/c"},
      "d": {"type": "string", "maxLength": 2}
    },
    "$defs": {"c": {"type": "array", "items": {"enum": ["x", "y"]}}}
  })");
  EXPECT_TRUE(validate_against_schema(schema, json::parse(R"({"a": 1, "c": ["x"]})")).empty());
  // 1.0 is an integer in JSON Schema.
  EXPECT_TRUE(validate_against_schema(schema, json::parse(R"({"a": 1.0})")).empty());
  auto issues = validate_against_schema(schema, json::parse(R"({"a": 0, "c": ["z"], "e": 1})"));
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].path, "/a");
  EXPECT_EQ(issues[1].path, "/c/0");
  EXPECT_EQ(issues[2].path, "/e");
  // 5 is both an integer and a number: oneOf must fail.
  issues = validate_against_schema(schema, json::parse(R"({"a": 1, "b": 5})"));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].reason.find("more than one"), std::string::npos);
  // maxLength counts characters, not bytes ("éé" is 4 bytes).
  EXPECT_TRUE(
      validate_against_schema(schema, json::parse("{\"a\": 1, \"d\": \"\xc3\xa9\xc3\xa9\"}"))
          .empty());
  // A keyword the validator does not implement must not be silently ignored.
  issues = validate_against_schema(json::parse(R"({"multipleOf": 2})"), json(3));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].reason.find("unsupported keyword 'multipleOf'"), std::string::npos);
  EXPECT_EQ(pointer_append("/x", "a/b~c"), "/x/a~1b~0c");
}

// The same documents through python3-jsonschema (Draft 2020-12) and through our validator: they
// must accept and reject the same ones, so the schema file users validate against and the
// tool's behaviour cannot drift apart.
TEST(LaunchSpecSchema, AgreesWithPythonJsonschema) {
  SpecDir d;
  std::vector<json> docs;
  docs.push_back(minimal());
  docs.push_back(json::parse(read_text(source("examples/launch-spec.json"))));
  for (const char* p :
       {"/version", "/policy/type", "/entries/0/initrd/pcr", "/banks", "/entries/0/kernel/cmdline",
        "/grub/root", "/nv/error", "/entries/0/id", "/policy/other_modules", "/launcher/nounzip",
        "/entries/0/kernel/as_loaded", "/nv/vlp/attributes", "/nv/vlp/size", "/lcp"}) {
    for (json v :
         {json(1), json("none"), json(24), json::array({"sha256", "sha384"}), json("ro\tquiet"),
          json{{"fs_uuid", "ab-12"}}, json(false), json{{"pcr", 18}}, json("raw"),
          json("ownerwrite|authread"), json(0), json("ownerwrite | nt=ordinary"),
          json{{"lists", json::array()}}, json("a\x01")}) {
      json j = minimal();
      j[json::json_pointer(p)] = v;
      docs.push_back(j);
    }
  }
  // Entries given by a "kernels" rule, good and bad, beside a fixed one.
  for (const char* rule :
       {R"({"kernels": {}})", R"({"kernels": {"newest": 2, "root": "UUID=ab-12"}})",
        R"({"kernels": {"newest": 0}})", R"({"kernels": {"initrd": "dracut"}})",
        R"({"kernels": {}, "title": "x"})", R"({"kernels": {"dir": "boot"}})",
        R"({"kernels": {"keep_running": false, "recovery": false, "title": "L {version}"}})",
        R"({"kernels": {"root": "UUID=a b"}})", "{\"kernels\": {\"cmdline_linux\": \"a\\u0001\"}}",
        R"({"kernels": {"newest": 1}, "kernel": {"file": "vmlinuz"}})"}) {
    json j = minimal();
    j["entries"].push_back(json::parse(rule));
    docs.push_back(j);
  }
  std::string list = d.path("docs.json");
  std::ofstream(list) << json(docs).dump();
  std::string script = d.path("check.py");
  std::ofstream(script) << "import json, sys\n"
                           "from jsonschema import Draft202012Validator\n"
                           "schema = json.load(open(sys.argv[1]))\n"
                           "v = Draft202012Validator(schema)\n"
                           "for doc in json.load(open(sys.argv[2])):\n"
                           "    print('ok' if v.is_valid(doc) else 'bad')\n";
  std::string out = d.path("out.txt");
  std::string cmd = "python3 '" + script + "' '" + source("schemas/launch-spec.v1.schema.json") +
                    "' '" + list + "' > '" + out + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0)
      << "python3 with jsonschema is needed (scripts/deps installs python3-jsonschema)";
  std::istringstream verdicts(read_text(out));
  json schema = json::parse(launch_spec_schema_text());
  size_t ok = 0, bad = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string py;
    ASSERT_TRUE(std::getline(verdicts, py)) << "python printed too few lines";
    bool ours = validate_against_schema(schema, docs[i]).empty();
    EXPECT_EQ(ours, py == "ok") << "document " << i << ": " << docs[i].dump();
    (ours ? ok : bad)++;
  }
  // The corpus exercises both outcomes.
  EXPECT_GT(ok, 10u);
  EXPECT_GT(bad, 10u);
}

}  // namespace
}  // namespace tlaunch::host::spec
