// tlaunch nv lock NAME|HANDLE [--read]: NV_WriteLock (or NV_ReadLock).
#include <cstdio>

#include "nv_common.h"
#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {
struct LockOptions {
  nv::CommonOptions common;
  std::string index;
  bool read = false;
};

int run_lock(const LockOptions& o) {
  using namespace tpmnv;
  host::Expected<Target> target = resolve_target(o.index, nv::handle_set(o.common));
  if (!target) return nv::fail(target.failure());
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<NvPublic> pub = require_index(**dev, *target);
  if (!pub) return nv::fail(pub.failure());
  const uint32_t a = pub->attributes;
  // Part 3 §31.10 / §31.13: NV_WriteLock needs WRITEDEFINE or WRITE_STCLEAR, NV_ReadLock needs
  // READ_STCLEAR; otherwise the TPM answers TPM_RC_ATTRIBUTES. Say so before asking it.
  const bool can = o.read ? (a & attr::kReadStClear) != 0
                          : (a & (attr::kWriteDefine | attr::kWriteStClear)) != 0;
  if (!can)
    return nv::fail(host::fail(
        Errc::kConflict, "NV index " + target->label() + " (" + attributes_to_string(a) +
                             ") cannot be " + (o.read ? "read" : "write") + "-locked: it needs " +
                             (o.read ? "read_stclear" : "writedefine or write_stclear") +
                             " in its definition; nothing was changed"));
  const bool already = o.read ? (a & attr::kReadLocked) : (a & attr::kWriteLocked);
  std::string lasts = o.read                     ? "until the next TPM reset or restart"
                      : (a & attr::kWriteDefine) ? "permanently (writedefine)"
                                                 : "until the next TPM reset or restart";
  if (!already) {
    host::Expected<AuthRole> role = o.read ? read_role(a) : write_role(a);
    if (!role) return nv::fail(role.failure());
    host::HostStatus st = o.read ? (*dev)->read_lock(*pub, *role) : (*dev)->write_lock(*pub, *role);
    if (!st) return nv::fail(st.failure());
  }
  if (o.common.json) {
    nv::print_json("nv-lock", {{"action", already ? "unchanged" : "locked"},
                               {"index", nv::target_json(*target)},
                               {"lock", o.read ? "read" : "write"},
                               {"lasts", lasts}});
  } else {
    std::printf("%s %s %s-locked %s\n", target->label().c_str(), already ? "was already" : "is now",
                o.read ? "read" : "write", lasts.c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_lock(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<LockOptions>();
  auto* sub = parent.add_subcommand("lock", "Write-lock (or --read: read-lock) an NV index");
  sub->add_option("index", o->index, "Catalogue name or hex handle")->required();
  sub->add_flag("--read", o->read, "Read-lock instead of write-lock (needs read_stclear)");
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_lock(*o); });
}

}  // namespace tlaunch::cli
