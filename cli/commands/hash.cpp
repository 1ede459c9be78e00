// tlaunch hash: reference digests of boot modules as GRUB 2.06 loads them (man/tlaunch-hash.1,
// JSON shape: schemas/hash.v1.schema.json).
//
//   tlaunch hash [--alg sha256,sha384] [--cmdline STR] [--as-loaded grub|raw] [--allow-fallback]
//                [--json] [-j N] [--module 'FILE[ CMDLINE]']... [FILE...]
//
// Per file and bank: the image digest (bytes as loaded), the cmdline digest and tboot's module
// measurement H(H(cmdline) || H(image)) (docs/reference/vlp.md §6.1). Positional FILEs use
// --cmdline (default ""); each --module carries its own command line after the first space, as a
// grub.cfg `module2 FILE ARGS` line and `tlaunch predict --module` do. Output order: the positional
// files, then the --module entries, each in command-line order, whatever finishes first.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "tlaunch/policy/host/grubio/loaded_image.h"
#include "tlaunch/policy/host/grubio/stream_hash.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::cli {
namespace {

struct HashOptions {
  std::vector<std::string> files;
  std::vector<std::string> modules;
  std::vector<std::string> algs;
  std::string cmdline;
  std::string as_loaded = "grub";
  bool allow_fallback = false;
  bool json = false;
  unsigned jobs = 0;
};

struct Item {
  std::string path;
  std::string cmdline;
};

std::string digest_hex(const Digest& d) { return host::hex(d.bytes, d.size); }

const char* alg_name(HashAlg a) {
  const HashAlgInfo* i = find_hash_alg(static_cast<uint16_t>(a));
  return i != nullptr ? i->name : "?";
}

// JSON string for the human output of a command line (quotes, escapes).
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

struct FileReport {
  nlohmann::json json;
  int exit_code = kExitOk;
};

FileReport report_file(const Item& item, const host::Expected<host::LoadedDigests>& r,
                       bool json_mode) {
  FileReport out;
  nlohmann::json j;
  j["path"] = item.path;
  j["cmdline"] = item.cmdline;
  if (!r) {
    const host::Failure& f = r.failure();
    out.exit_code = exit_code_for(f.code);
    std::fprintf(stderr, "tlaunch: error: %s\n", f.message.c_str());
    j["error"] = {
        {"code", errc_name(f.code)}, {"exit_code", out.exit_code}, {"message", f.message}};
    out.json = std::move(j);
    return out;
  }
  const host::LoadedDigests& d = *r;
  for (const auto& w : d.warnings) std::fprintf(stderr, "tlaunch: warning: %s\n", w.c_str());
  auto m = host::module_measurements(d, item.cmdline);
  if (!m) {
    out.exit_code = exit_code_for(m.failure().code);
    std::fprintf(stderr, "tlaunch: error: %s\n", m.failure().message.c_str());
    j["error"] = {{"code", errc_name(m.failure().code)},
                  {"exit_code", out.exit_code},
                  {"message", m.failure().message}};
    out.json = std::move(j);
    return out;
  }
  j["as_loaded"] = host::load_mode_name(d.mode);
  j["raw_size"] = d.raw_size;
  j["loaded_size"] = d.loaded_size;
  j["layers"] = nlohmann::json::array();
  for (const auto& l : d.layers) {
    nlohmann::json lj = {{"format", host::codec_name(l.codec)},
                         {"decompressed", l.decompressed},
                         {"input_size", l.input_size},
                         {"output_size", l.output_size}};
    if (!l.note.empty()) lj["note"] = l.note;
    j["layers"].push_back(std::move(lj));
  }
  j["warnings"] = d.warnings;
  j["digests"] = nlohmann::json::object();
  for (size_t b = 0; b < d.banks.size(); ++b)
    j["digests"][alg_name(d.banks[b])] = {{"raw", digest_hex(d.raw[b])},
                                          {"image", digest_hex(d.image[b])},
                                          {"cmdline", digest_hex((*m)[b].cmdline)},
                                          {"module", digest_hex((*m)[b].module)}};
  if (!json_mode) {
    std::string how;
    for (const auto& l : d.layers) {
      how += how.empty() ? ", " : " + ";
      how += host::codec_name(l.codec);
      if (!l.decompressed) how += " (not decompressed by GRUB)";
    }
    const bool same = d.raw_size == d.loaded_size && d.layers.empty();
    std::printf("%s: %llu bytes%s%s\n", item.path.c_str(),
                static_cast<unsigned long long>(d.raw_size), how.c_str(),
                same ? "" : (" -> " + std::to_string(d.loaded_size) + " bytes as loaded").c_str());
    std::printf("  cmdline %s\n", quoted(item.cmdline).c_str());
    for (size_t b = 0; b < d.banks.size(); ++b) {
      const char* a = alg_name(d.banks[b]);
      std::printf("  %-6s image   %s\n", a, digest_hex(d.image[b]).c_str());
      std::printf("  %-6s cmdline %s\n", a, digest_hex((*m)[b].cmdline).c_str());
      std::printf("  %-6s module  %s\n", a, digest_hex((*m)[b].module).c_str());
    }
    std::fflush(stdout);
  }
  out.json = std::move(j);
  return out;
}

int run_hash(const HashOptions& o) {
  std::vector<Item> items;
  for (const auto& f : o.files) items.push_back({f, o.cmdline});
  for (const auto& m : o.modules) {
    const size_t sp = m.find(' ');
    Item it{m.substr(0, sp), sp == std::string::npos ? std::string() : m.substr(sp + 1)};
    if (it.path.empty())
      return report(host::fail(Errc::kUsage, "--module '" + m + "': expected 'FILE[ CMDLINE]'"));
    items.push_back(std::move(it));
  }
  if (items.empty())
    return report(host::fail(Errc::kUsage, "hash: no file given (FILE... or --module)"));
  size_t stdin_uses = 0;
  for (const auto& it : items) stdin_uses += it.path == "-" ? 1 : 0;
  if (stdin_uses > 1)
    return report(host::fail(Errc::kUsage, "hash: standard input ('-') can be read only once"));

  std::string alg_text;
  for (const auto& a : o.algs) alg_text += (alg_text.empty() ? "" : ",") + a;
  if (alg_text.empty()) alg_text = "sha256";
  auto banks = host::parse_bank_list(alg_text);
  if (!banks) return report(banks.failure());

  host::LoadOptions lo;
  lo.mode = o.as_loaded == "raw" ? host::LoadMode::kRaw : host::LoadMode::kGrub;
  lo.allow_fallback = o.allow_fallback;
  const unsigned jobs = o.jobs != 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());

  std::vector<std::string> paths;
  for (const auto& it : items) paths.push_back(it.path);
  nlohmann::json files = nlohmann::json::array();
  int rc = kExitOk;
  host::digest_many_as_loaded(paths, *banks, lo, jobs,
                              [&](size_t i, const host::Expected<host::LoadedDigests>& r) {
                                FileReport fr = report_file(items[i], r, o.json);
                                if (rc == kExitOk) rc = fr.exit_code;
                                files.push_back(std::move(fr.json));
                              });
  if (o.json) {
    nlohmann::json doc;
    doc["version"] = 1;
    doc["as_loaded"] = host::load_mode_name(lo.mode);
    doc["algorithms"] = nlohmann::json::array();
    for (HashAlg a : *banks) doc["algorithms"].push_back(alg_name(a));
    doc["files"] = std::move(files);
    std::printf("%s\n", doc.dump(2).c_str());
  }
  return rc;
}

}  // namespace

void setup_hash(CLI::App& parent, Invocation& inv) {
  auto* sub = parent.add_subcommand(
      "hash", "Reference digests of boot modules as GRUB 2.06 loads them, every bank in one pass");
  auto o = std::make_shared<HashOptions>();
  sub->add_option("files", o->files, "Files to hash (each with --cmdline)");
  sub->add_option(
         "--module", o->modules,
         "'FILE[ CMDLINE]': a file with its own command line (after the first space); repeatable")
      ->allow_extra_args(false);
  sub->add_option("--alg", o->algs,
                  "Comma-separated banks: sha1, sha256, sha384, sha512, sm3 (default sha256)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option(
      "--cmdline", o->cmdline,
      "Command line of the positional FILEs as the boot loader passes it (default \"\")");
  sub->add_option("--as-loaded", o->as_loaded,
                  "grub: the bytes GRUB's module2 hands over (gzip/xz/lzop decompressed); raw: the "
                  "file as is (module2 --nounzip)")
      ->check(CLI::IsMember({"grub", "raw"}));
  sub->add_flag("--allow-fallback", o->allow_fallback,
                "When a file starts with a gzip/xz/lzop magic that GRUB then does not decompress, "
                "report the digest of what GRUB loads (the bytes as they are) instead of failing");
  sub->add_flag("--json", o->json, "JSON output (schemas/hash.v1.schema.json)");
  sub->add_option("-j,--jobs", o->jobs, "Files hashed in parallel (default: number of cores)")
      ->transform(number_check(1024))
      ->check(CLI::Range(1u, 1024u));
  on_run(sub, inv, [o]() { return run_hash(*o); });
}

}  // namespace tlaunch::cli
