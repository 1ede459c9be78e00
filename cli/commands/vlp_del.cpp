// tlaunch vlp del FILE --module N|any [--pos K]
// Deletes a module's entry, or only its digest number K (docs/reference/vlp.md §2.2). See
// man/tlaunch-vlp.1.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "vlp_common.h"

namespace tlaunch::cli {
namespace {

struct DelOptions {
  std::string file;
  std::string module;
  std::string pos;
};

int run_del(const DelOptions& o) {
  auto mod = vlpcmd::parse_module(o.module);
  if (!mod) return report(mod.failure());
  long pos = -1;
  if (!o.pos.empty()) {
    auto v = vlpcmd::parse_unsigned(o.pos, "--pos");
    if (!v) return report(v.failure());
    if (*v > 255) return report(host::fail(Errc::kUsage, "--pos " + o.pos + ": at most 255"));
    pos = static_cast<long>(*v);
  }
  auto loaded = host::load_vlp_file(o.file);
  if (!loaded) return report(loaded.failure());
  vlp::Policy& p = loaded->policy;
  const int idx = vlpcmd::find_exact_entry(p, *mod);
  if (idx < 0)
    return report(
        host::fail(Errc::kNotFound, o.file + ": no entry for " + vlpcmd::module_label(*mod)));
  const auto i = static_cast<size_t>(idx);
  const unsigned n = p.entry(i).num_hashes;
  if (pos >= 0 && static_cast<unsigned long>(pos) >= n)
    return report(host::fail(Errc::kNotFound, o.file + ": " + vlpcmd::module_label(*mod) + " has " +
                                                  std::to_string(n) + " digest(s); --pos " + o.pos +
                                                  " does not exist (digests count from 0)"));
  // Deleting an entry's only digest deletes the entry, as tb_polgen does: an image entry without
  // digests would make every boot fail verification.
  Status s = (pos < 0 || n == 1) ? p.del_entry(i) : p.del_hash(i, static_cast<size_t>(pos));
  if (!s) return report(host::fail(s.error(), o.file));
  if (pos >= 0 && n == 1)
    std::fprintf(stderr, "tlaunch: note: %s: deleted %s's only digest and with it the entry\n",
                 o.file.c_str(), vlpcmd::module_label(*mod).c_str());
  auto saved = host::save_vlp_file(o.file, p);
  if (!saved) return report(saved.failure());
  return kExitOk;
}

}  // namespace

void setup_vlp_del(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand("del", "Delete a module's entry, or one of its digests");
  auto o = std::make_shared<DelOptions>();
  sub->add_option("file", o->file, "Policy file to modify")->required();
  sub->add_option("--module", o->module, "Module number 0..127 or 'any'")->required();
  sub->add_option("--pos", o->pos,
                  "Delete only digest K (0-based, as `vlp show` lists them); default: the entry");
  on_run(sub, inv, [o]() { return run_del(*o); });
}

}  // namespace tlaunch::cli
