// The launch spec, JSON -> model (libpolicy host::spec::parse_launch_spec, schemas/
// launch-spec.v1.schema.json). The input is the spec text; the files it may name exist in a
// scratch directory ("k", "i", "l", "s", "c" and the paths of examples/launch-spec.json), so
// mutated specs get past the file checks into the meaning checks.
//
// Properties:
//  * no exception leaves the parser (nlohmann type errors, out_of_range, bad_alloc from a
//    pathological document would take `tlaunch build` down with an unhandled exception);
//  * every failure line starts with "<spec path>: " (control characters in echoed names and
//    values are escaped), and every pointer the schema pass reports names a node of the document
//    (or the parent of a missing member);
//  * a document the schema pass rejects is never accepted; an accepted one yields a model inside
//    the format's limits (policy type, PCRs, module numbers, existing files).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz.h"
#include "tlaunch/spec/launch_spec.h"

using namespace tlaunch;
using namespace tlaunch::host::spec;
using nlohmann::json;

namespace {

// The scratch directory lives as long as the process.
class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/tlaunch-fuzz-spec-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    dir_ = templ;
    for (const char* f :
         {"k", "i", "l", "s", "c", "boot/vmlinuz-6.1.0-sample", "boot/initrd.img-6.1.0-sample",
          "boot/tlaunch-launcher.elf", "boot/SAMPLE_SINIT_ACM.BIN"}) {
      std::filesystem::path p = std::filesystem::path(dir_) / f;
      std::filesystem::create_directories(p.parent_path());
      std::ofstream(p) << "placeholder " << f << "\n";
    }
    spec_ = dir_ + "/spec.json";
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& spec_path() const { return spec_; }

 private:
  std::string dir_, spec_;
};

// Does the JSON Pointer name a node, or is it the parent of one that is missing?
bool resolves(const json& doc, const std::string& ptr) {
  if (ptr.empty() || ptr == "/") return true;
  try {
    json::json_pointer p(ptr);
    if (doc.contains(p)) return true;
    return doc.contains(p.parent_pointer());
  } catch (const std::exception&) {
    return false;
  }
}

void check_model(const LaunchSpec& s) {
  FUZZ_CHECK(s.policy_type < vlp::kPolicyTypeMax);
  FUZZ_CHECK(!s.entries.empty());
  FUZZ_CHECK(s.module_slots() >= 1 && s.module_slots() <= vlp::kMaxModNum + 1u);
  FUZZ_CHECK(!s.banks.empty());
  for (const auto& e : s.entries) {
    FUZZ_CHECK(!e.modules.empty());
    for (const auto& m : e.modules) {
      FUZZ_CHECK(m.pcr <= vlp::kMaxPcr || m.pcr == vlp::kPcrNone);
      FUZZ_CHECK(std::filesystem::is_regular_file(m.ref.host_path));
    }
  }
  FUZZ_CHECK(std::filesystem::is_regular_file(s.launcher.ref.host_path));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Scratch scratch;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto r1 = parse_launch_spec(text, scratch.spec_path());

    // The schema pass on its own, when the text is JSON at all.
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    std::vector<Issue> schema_issues;
    if (!doc.is_discarded()) {
      static const json schema = json::parse(launch_spec_schema_text());
      schema_issues = validate_against_schema(schema, doc);
      for (const Issue& i : schema_issues) {
        FUZZ_CHECK(!i.reason.empty());
        FUZZ_CHECK(resolves(doc, i.path));
      }
    }

    if (!r1.ok()) {
      FUZZ_CHECK(r1.failure().code == Errc::kBadValue || r1.failure().code == Errc::kIo);
      const std::string& msg = r1.failure().message;
      // One issue per line, even when names or values hold "\n" or "\u001b" (escaped since the
      // second fuzz finding, docs/robustness.md).
      size_t pos = 0;
      while (pos <= msg.size()) {
        size_t nl = msg.find('\n', pos);
        if (nl == std::string::npos) nl = msg.size();
        FUZZ_CHECK(msg.compare(pos, scratch.spec_path().size() + 2, scratch.spec_path() + ": ") ==
                   0);
        pos = nl + 1;
      }
      return 0;
    }
    FUZZ_CHECK(!doc.is_discarded() && schema_issues.empty());
    check_model(*r1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    FUZZ_CHECK(!"parse_launch_spec let an exception escape");
  }
  return 0;
}
