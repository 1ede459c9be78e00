// The one table that registers every `tlaunch` verb. Add a line per verb file.
#include "command.h"

namespace tlaunch::cli {

// Verb setup functions (one per file in cli/commands/).
void setup_version(CLI::App&, Invocation&);
void setup_hash(CLI::App&, Invocation&);          // hash (reference digests as GRUB loads files)
void setup_vlp_create(CLI::App&, Invocation&);    // vlp create
void setup_vlp_add(CLI::App&, Invocation&);       // vlp add
void setup_vlp_del(CLI::App&, Invocation&);       // vlp del
void setup_vlp_show(CLI::App&, Invocation&);      // vlp show
void setup_lcp_element(CLI::App&, Invocation&);   // lcp element create|show|wrap-vlp|unwrap-vlp
void setup_lcp_mlehash(CLI::App&, Invocation&);   // lcp mlehash
void setup_lcp_list(CLI::App&, Invocation&);      // lcp list create|sign|show|verify|tbs|attach-sig
void setup_lcp_policy(CLI::App&, Invocation&);    // lcp policy create|show
void setup_nv_catalogue(CLI::App&, Invocation&);  // nv catalogue
void setup_nv_define(CLI::App&, Invocation&);     // nv define
void setup_nv_write(CLI::App&, Invocation&);      // nv write
void setup_nv_read(CLI::App&, Invocation&);       // nv read
void setup_nv_lock(CLI::App&, Invocation&);       // nv lock
void setup_nv_undefine(CLI::App&, Invocation&);   // nv undefine
void setup_nv_list(CLI::App&, Invocation&);       // nv list
void setup_nv_status(CLI::App&, Invocation&);     // nv status
void setup_nv_provision(CLI::App&, Invocation&);  // nv provision
void setup_build(CLI::App&, Invocation&);         // build (launch spec)
void setup_grub(CLI::App&, Invocation&);          // grub (launch spec)
void setup_apply(CLI::App&, Invocation&);         // apply (launch spec: build + provision)
void setup_doctor(CLI::App&, Invocation&);        // doctor (read-only health check)
void setup_predict(CLI::App&, Invocation&);       // predict (PCRs the launcher will produce)
void setup_log_show(CLI::App&, Invocation&);      // log show (decode a TCG event log)
void setup_log_replay(CLI::App&, Invocation&);    // log replay
void setup_log_verify(CLI::App&, Invocation&);    // log verify (TPM, reference.json)
void setup_log_export(CLI::App&, Invocation&);    // log export (CEL-JSON, Keylime)

namespace {
constexpr CommandEntry kCommands[] = {
    // {noun, noun help, setup}
    {nullptr, nullptr, setup_version},
    {nullptr, nullptr, setup_hash},
    {"vlp", "tboot Verified Launch Policy (VLP v2): create, add, del, show", setup_vlp_create},
    {"vlp", nullptr, setup_vlp_add},
    {"vlp", nullptr, setup_vlp_del},
    {"vlp", nullptr, setup_vlp_show},
    {"lcp", "Intel TXT Launch Control Policy: elements, lists, policies, MLE hashes",
     setup_lcp_element},
    {"lcp", nullptr, setup_lcp_mlehash},
    {"lcp", nullptr, setup_lcp_list},
    {"lcp", nullptr, setup_lcp_policy},
    {"nv", "TPM 2.0 NV indices of Intel TXT / tboot: define, write, read, provision",
     setup_nv_catalogue},
    {"nv", nullptr, setup_nv_define},
    {"nv", nullptr, setup_nv_write},
    {"nv", nullptr, setup_nv_read},
    {"nv", nullptr, setup_nv_lock},
    {"nv", nullptr, setup_nv_undefine},
    {"nv", nullptr, setup_nv_list},
    {"nv", nullptr, setup_nv_status},
    {"nv", nullptr, setup_nv_provision},
    {nullptr, nullptr, setup_build},
    {nullptr, nullptr, setup_grub},
    {nullptr, nullptr, setup_apply},
    {nullptr, nullptr, setup_doctor},
    {nullptr, nullptr, setup_predict},
    {"log", "TCG event logs: show, replay, verify against the TPM and reference.json, export",
     setup_log_show},
    {"log", nullptr, setup_log_replay},
    {"log", nullptr, setup_log_verify},
    {"log", nullptr, setup_log_export},
};
}  // namespace

const CommandEntry* command_table(size_t* count) {
  *count = sizeof(kCommands) / sizeof(kCommands[0]);
  return kCommands;
}

}  // namespace tlaunch::cli
