// tlaunch lcp mlehash: the MLE measurement of an ELF32 MLE image as SINIT takes it and as
// lcp2_mlehash prints it (docs/reference/lcp.md §11). See man/tlaunch-lcp.1.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/mlehash.h"

namespace tlaunch::cli {

void setup_lcp_mlehash(CLI::App& lcp_noun, Invocation& inv) {
  struct Opt {
    std::string file;
    std::string alg = "sha256";
    std::optional<std::string> cmdline;
    bool json = false;
  };
  auto o = std::make_shared<Opt>();
  auto* sub = lcp_noun.add_subcommand(
      "mlehash", "Measure an MLE (ELF32 with an MLE header, plain or gzip) as SINIT does");
  sub->add_option("file", o->file, "MLE image (e.g. tboot.gz)")->required();
  sub->add_option("--alg", o->alg, "Hash algorithm: sha256 (default), sha384, sha512, sm3");
  sub->add_option("--cmdline", o->cmdline,
                  "Command line the bootloader passes to the MLE (written into its command "
                  "line area before hashing)");
  sub->add_flag("--json", o->json, "Machine-readable output (schemas/lcp-mlehash.v1.schema.json)");
  on_run(sub, inv, [o]() {
    const HashAlgInfo* info = find_hash_alg_by_name(o->alg.c_str());
    if (info == nullptr || info->id == HashAlg::kSha1)
      return report(tlaunch::host::fail(Errc::kUsage, "unsupported hash algorithm '" + o->alg +
                                                          "' (use sha256, sha384, sha512 or sm3)"));
    namespace h = lcp::host;
    auto file = h::read_mle_file(o->file);
    if (!file) return report(file.failure());
    auto img = h::expand_mle_image(*file, o->file);
    if (!img) return report(img.failure());
    h::MleHeader hdr = img->header;
    size_t image_size = img->image.size();
    auto r = h::mle_hash(std::move(*img), info->id, o->cmdline);
    if (!r) return report(r.failure());
    if (r->cmdline_truncated)
      std::fprintf(stderr,
                   "tlaunch: warning: --cmdline has %zu characters, the MLE command line area "
                   "holds %zu; hashed the first %zu (as tboot copies them at boot)\n",
                   o->cmdline->size(), r->cmdline_area, r->cmdline_area);
    if (!o->json) {
      std::fputs(h::mle_hash_line(r->digest).c_str(), stdout);
      return static_cast<int>(kExitOk);
    }
    nlohmann::json j;
    j["version"] = 1;  // schemas/lcp-mlehash.v1.schema.json
    j["file"] = o->file;
    j["alg"] = info->name;
    j["digest"] = tlaunch::host::hex(r->digest.bytes, r->digest.size);
    j["expanded_image_size"] = image_size;
    j["mle_header"] = {{"image_offset", hdr.image_offset},
                       {"length", hdr.length},
                       {"version", hdr.version},
                       {"entry_point", hdr.entry_point},
                       {"first_valid_page", hdr.first_valid_page},
                       {"mle_start_off", hdr.mle_start_off},
                       {"mle_end_off", hdr.mle_end_off},
                       {"capabilities", hdr.capabilities},
                       {"cmdline_start_off", hdr.cmdline_start_off},
                       {"cmdline_end_off", hdr.cmdline_end_off}};
    if (o->cmdline) {
      j["cmdline"] = *o->cmdline;
      j["cmdline_truncated"] = r->cmdline_truncated;
    } else {
      j["cmdline"] = nullptr;
    }
    std::printf("%s\n", j.dump(2).c_str());
    return static_cast<int>(kExitOk);
  });
}

}  // namespace tlaunch::cli
