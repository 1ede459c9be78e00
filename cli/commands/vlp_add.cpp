// tlaunch vlp add FILE --module N|any --pcr P|none --hash any|image [--image F] [--cmdline S]
//                 [--as-loaded grub|raw] [--allow-fallback]
// Adds or updates the entry of one module (docs/reference/vlp.md §2.2). With --hash image the
// digest tboot will compare, H(H(cmdline) || H(image as loaded)) in the policy's algorithm
// (docs/reference/vlp.md §6.1), is appended to the entry. See man/tlaunch-vlp.1.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "vlp_common.h"

namespace tlaunch::cli {
namespace {

struct AddOptions {
  std::string file;
  std::string module;
  std::string pcr;
  std::string hash;
  std::string image;
  std::string cmdline;
  bool cmdline_given = false;
  std::string as_loaded = "grub";
  bool allow_fallback = false;
};

void warn(const std::string& s) { std::fprintf(stderr, "tlaunch: warning: %s\n", s.c_str()); }

// The module measurement for this policy's algorithm; failures name the image.
host::Expected<Digest> measure(const AddOptions& o, uint8_t policy_alg) {
  if (policy_alg != static_cast<uint8_t>(HashAlg::kSha256) &&
      policy_alg != static_cast<uint8_t>(HashAlg::kSha384) &&
      policy_alg != static_cast<uint8_t>(HashAlg::kSha512)) {
    // tboot verifies with SHA-256/384/512 only (docs/reference/vlp.md §3.3, §6.1).
    char id[8];
    std::snprintf(id, sizeof(id), "0x%02x", policy_alg);
    return host::fail(Errc::kUnsupported, o.file + ": the policy's hash algorithm " + id + " (" +
                                              host::vlp_alg_keyword(policy_alg) +
                                              ") cannot be used for image digests");
  }
  const HashAlg alg = static_cast<HashAlg>(policy_alg);
  host::LoadOptions lo;
  lo.mode = o.as_loaded == "raw" ? host::LoadMode::kRaw : host::LoadMode::kGrub;
  lo.allow_fallback = o.allow_fallback;
  const std::vector<HashAlg> banks = {alg};
  auto loaded = host::digest_as_loaded(o.image, banks, lo);
  if (!loaded) return loaded.failure();
  for (const auto& w : loaded->warnings) warn(w);
  auto m = host::module_measurements(*loaded, o.cmdline);
  if (!m) return m.failure();
  return (*m)[0].module;
}

int run_add(const AddOptions& o) {
  auto mod = vlpcmd::parse_module(o.module);
  if (!mod) return report(mod.failure());
  auto pcr = vlpcmd::parse_pcr(o.pcr);
  if (!pcr) return report(pcr.failure());
  const uint8_t htype = o.hash == "image" ? vlp::kHashImage : vlp::kHashAny;
  if (htype == vlp::kHashImage && o.image.empty())
    return report(host::fail(Errc::kUsage, "--hash image needs --image FILE"));
  if (htype == vlp::kHashAny && !o.image.empty())
    return report(host::fail(Errc::kUsage, "--image is only used with --hash image"));
  if (htype == vlp::kHashAny && o.cmdline_given)
    return report(host::fail(Errc::kUsage, "--cmdline is only used with --hash image"));

  auto loaded = host::load_vlp_file(o.file);
  if (!loaded) return report(loaded.failure());
  vlp::Policy& p = loaded->policy;

  // Hash first: nothing is changed when the image cannot be measured.
  Digest digest;
  if (htype == vlp::kHashImage) {
    auto d = measure(o, p.hash_alg);
    if (!d) return report(d.failure());
    digest = *d;
  }

  int idx = vlpcmd::find_exact_entry(p, *mod);
  if (idx < 0) {
    // tboot uses the first entry matching the module number or ANY (docs/reference/vlp.md §6.2): a
    // specific module's entry must come before the ANY entry to be used at all, so it is inserted
    // there.
    size_t at = p.num_entries();
    if (*mod != vlp::kModNumAny) {
      for (size_t i = 0; i < p.num_entries(); ++i) {
        if (p.entry(i).mod_num == vlp::kModNumAny) {
          at = i;
          break;
        }
      }
    }
    vlp::Entry e;
    e.mod_num = *mod;
    e.pcr = *pcr;
    e.hash_type = htype;
    auto added = p.insert_entry(at, e);
    if (!added) return report(host::fail(added.error(), o.file));
    idx = static_cast<int>(*added);
  } else {
    vlp::Entry& e = p.entry(static_cast<size_t>(idx));
    e.pcr = *pcr;
    e.hash_type = htype;
    // tboot ignores the digests of an ANY-hash entry (docs/reference/vlp.md §3.2); they would only
    // use NV space.
    if (htype == vlp::kHashAny && e.num_hashes > 0) {
      warn(o.file + ": " + vlpcmd::module_label(*mod) + ": --hash any drops its " +
           std::to_string(e.num_hashes) + " digest(s)");
      while (p.entry(static_cast<size_t>(idx)).num_hashes > 0) {
        auto s = p.del_hash(static_cast<size_t>(idx), 0);
        if (!s) return report(host::fail(s.error(), o.file));
      }
    }
  }
  if (htype == vlp::kHashImage) {
    const auto i = static_cast<size_t>(idx);
    bool present = false;
    for (size_t k = 0; k < p.entry(i).num_hashes; ++k)
      present = present || (p.hash(i, k).size == digest.size &&
                            equal_bytes(p.hash(i, k).data, digest.bytes, digest.size));
    if (present) {
      warn(o.file + ": " + vlpcmd::module_label(*mod) + " already has this digest");
    } else {
      auto s = p.add_hash(i, digest.span());
      if (!s) return report(host::fail(s.error(), o.file));
    }
  }
  auto saved = host::save_vlp_file(o.file, p);
  if (!saved) return report(saved.failure());
  return kExitOk;
}

}  // namespace

void setup_vlp_add(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand(
      "add", "Add or update a module's entry in a VLP (with --hash image: append its digest)");
  auto o = std::make_shared<AddOptions>();
  sub->add_option("file", o->file, "Policy file to modify")->required();
  sub->add_option("--module", o->module,
                  "Module number 0..127 (0 = first module after tboot) or 'any'")
      ->required();
  sub->add_option("--pcr", o->pcr, "PCR 0..23 the measurement is extended into, or 'none'")
      ->required();
  sub->add_option("--hash", o->hash, "image: verify the module's digest; any: no verification")
      ->required()
      ->check(CLI::IsMember({"any", "image"}, CLI::ignore_case));
  sub->add_option("--image", o->image, "The module's file (with --hash image)");
  sub->add_option("--cmdline", o->cmdline,
                  "The module's command line exactly as the boot loader passes it (GRUB: the "
                  "module2 arguments after the file name); default \"\"")
      ->each([o](const std::string&) { o->cmdline_given = true; });
  sub->add_option("--as-loaded", o->as_loaded,
                  "grub (default): digest of the bytes GRUB's module2 hands over (gzip/xz/lzop "
                  "decompressed); raw: the file as is (module2 --nounzip)")
      ->check(CLI::IsMember({"grub", "raw"}));
  sub->add_flag("--allow-fallback", o->allow_fallback,
                "Accept a file GRUB would load undecompressed although it starts with a "
                "compression magic");
  on_run(sub, inv, [o]() { return run_add(*o); });
}

}  // namespace tlaunch::cli
