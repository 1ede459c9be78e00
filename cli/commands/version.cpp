// tlaunch version: prints the version (and, with --json, the supported hash banks).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"

#ifndef TLAUNCH_VERSION
#define TLAUNCH_VERSION "0.0.0"
#endif

namespace tlaunch::cli {

void setup_version(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand("version", "Print the version of tlaunch");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Machine-readable output (schemas/version.v1.schema.json)");
  on_run(sub, inv, [json]() {
    if (*json) {
      nlohmann::json j;
      j["$schema"] = "https://tlaunch.invalid/schemas/version.v1.schema.json";
      j["version"] = TLAUNCH_VERSION;
      size_t n = 0;
      const HashAlgInfo* t = hash_alg_table(&n);
      j["hash_algorithms"] = nlohmann::json::array();
      for (size_t i = 0; i < n; ++i)
        if (host::evp_md(t[i].id) != nullptr) j["hash_algorithms"].push_back(t[i].name);
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("tlaunch %s\n", TLAUNCH_VERSION);
    }
    return kExitOk;
  });
}

}  // namespace tlaunch::cli
