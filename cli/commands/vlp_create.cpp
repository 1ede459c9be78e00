// tlaunch vlp create FILE --type nonfatal|continue|halt [--alg sha256|sha384|sha512] [--ctrl N]
//                    [--force]
// A new, empty tboot VLP (docs/reference/vlp.md §2.1; tb_polgen --create without its "modify an
// existing file" mode). See man/tlaunch-vlp.1.
#include <memory>
#include <string>

#include "command.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "vlp_common.h"

namespace tlaunch::cli {
namespace {

struct CreateOptions {
  std::string file;
  std::string type;
  std::string alg = "sha256";
  std::string ctrl = "1";
  bool force = false;
};

int run_create(const CreateOptions& o) {
  // docs/reference/vlp.md §3.1 policy types; tb_polgen's keywords.
  uint8_t type = vlp::kHalt;
  if (o.type == "nonfatal")
    type = vlp::kContNonFatal;
  else if (o.type == "continue")
    type = vlp::kContVerifyFail;
  // docs/reference/vlp.md §3.3: tboot HEAD verifies only with SHA-256/384/512 (SM3 cannot be hashed
  // by tboot).
  const HashAlgInfo* alg = find_hash_alg_by_name(o.alg.c_str());
  auto ctrl = vlpcmd::parse_unsigned(o.ctrl, "--ctrl");
  if (!ctrl) return report(ctrl.failure());
  // TB_POLCTL_EXTEND_PCR17 is the only defined policy_control bit (docs/reference/vlp.md §3.5).
  if ((*ctrl & ~static_cast<unsigned long>(vlp::kCtlExtendPcr17)) != 0)
    return report(host::fail(Errc::kUsage,
                             "--ctrl " + o.ctrl + ": only bit 0 (0x1, EXTEND_PCR17) is defined"));
  if (!o.force && host::file_exists(o.file))
    return report(
        host::fail(Errc::kConflict, o.file + ": file exists (use --force to replace it with a new, "
                                             "empty policy)"));
  vlp::Policy p =
      vlp::Policy::create(type, static_cast<uint8_t>(alg->id), static_cast<uint32_t>(*ctrl));
  auto saved = host::save_vlp_file(o.file, p);
  if (!saved) return report(saved.failure());
  return kExitOk;
}

}  // namespace

void setup_vlp_create(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand("create", "Create an empty tboot Verified Launch Policy file");
  auto o = std::make_shared<CreateOptions>();
  sub->add_option("file", o->file, "Policy file to write")->required();
  sub->add_option("--type", o->type,
                  "What tboot does on errors: nonfatal (continue), continue (continue on "
                  "verification failures, halt otherwise), halt")
      ->required()
      ->check(CLI::IsMember({"nonfatal", "continue", "halt"}, CLI::ignore_case));
  sub->add_option("--alg", o->alg, "Hash algorithm of the policy's digests (default sha256)")
      ->check(CLI::IsMember({"sha256", "sha384", "sha512"}, CLI::ignore_case));
  sub->add_option("--ctrl", o->ctrl,
                  "policy_control: 1 (default) extends the policy's hash into PCR 17, 0 does not");
  sub->add_flag("--force", o->force, "Replace an existing file");
  on_run(sub, inv, [o]() { return run_create(*o); });
}

}  // namespace tlaunch::cli
