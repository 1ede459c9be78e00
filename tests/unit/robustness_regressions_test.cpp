// Regression tests for the bugs the fuzz targets found (docs/robustness.md, "Crashes found and
// fixed"). Each reproducer is also replayed by its fuzz target from tests/fuzz/regressions/.
#include <gtest/gtest.h>

#include <string>

#include "tlaunch/spec/launch_spec.h"

namespace tlaunch {
namespace {

// fuzz_launch_spec, crash-276dc37c: a number no double can hold made nlohmann::json throw
// out_of_range (406), which parse_launch_spec() did not catch; `tlaunch build` died with
// "internal error" (exit 70) instead of naming the bad input.
TEST(RobustnessRegressions, LaunchSpecNumberOverflowIsAnInputError) {
  for (const char* text :
       {"{\"version\": 1e400}", "[-1e999]",
        "{\"policy\": {\"type\": \"halt\"}, \"x\": 44444444440000000000995e10844897}"}) {
    host::Expected<host::spec::LaunchSpec> r = host::spec::LaunchSpec{};
    ASSERT_NO_THROW(r = host::spec::parse_launch_spec(text, "spec.json")) << text;
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.failure().code, Errc::kBadValue);
    EXPECT_EQ(r.failure().message.rfind("spec.json: not valid JSON: number overflow parsing '", 0),
              0u)
        << r.failure().message;
  }
}

}  // namespace
}  // namespace tlaunch
