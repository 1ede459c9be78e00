// tlaunch lcp element create|show|wrap-vlp|unwrap-vlp: LCP policy elements (docs/reference/lcp.md
// §7; the same model and printer as lcp2_crtpolelt). See man/tlaunch-lcp.1.
#include "tlaunch/policy/lcp_element.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"
#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::cli {
namespace {

using lcp::host::Bytes;
using tlaunch::host::Expected;
using tlaunch::host::fail;

struct CreateOptions {
  std::string type;
  std::string out;
  std::string alg = "sha256";
  uint32_t ctrl = lcp::kDefaultPolEltControl;
  unsigned minver = 0;
  std::vector<std::string> pcrs;  // "N=HEX"
  std::string uuid;
  std::vector<std::string> files;
  bool json = false;
};

Expected<uint16_t> lcp_hash_alg(const std::string& name) {
  const HashAlgInfo* info = find_hash_alg_by_name(name.c_str());
  if (info == nullptr || info->id == HashAlg::kSha1 ||
      lcp::lcp_digest_size(static_cast<uint16_t>(info->id)) == 0)
    return fail(Errc::kUsage, "unsupported hash algorithm '" + name +
                                  "' for an LCP element (use sha256, sha384, sha512 or sm3)");
  return static_cast<uint16_t>(info->id);
}

Expected<std::vector<Bytes>> read_hash_files(const std::vector<std::string>& files, uint16_t alg) {
  std::vector<Bytes> all;
  for (const auto& f : files) {
    auto text = tlaunch::host::read_file(f, 16u << 20);
    if (!text) return text.failure();
    auto parsed = lcp::host::parse_hash_text(
        std::string_view(reinterpret_cast<const char*>(text->data()), text->size()),
        lcp::lcp_digest_size(alg));
    if (parsed.error)
      return fail(Errc::kBadValue, lcp::host::describe_hash_text_error(*parsed.error, f));
    for (auto& d : parsed.digests) all.push_back(std::move(d));
  }
  if (all.size() > 0xFFFF) return fail(Errc::kTooLarge, "more than 65535 hashes in one element");
  return all;
}

Expected<Bytes> build(const CreateOptions& o) {
  if (o.type == "custom" || o.type == "custom2") {
    if (o.uuid.empty()) return fail(Errc::kUsage, "--uuid is required for a custom element");
    auto uuid = lcp::host::parse_uuid(o.uuid);
    if (!uuid || uuid->is_null())
      return fail(Errc::kUsage, "--uuid '" + o.uuid +
                                    "' is not 'tboot' or {0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, "
                                    "{0xkk, 0xll, 0xmm, 0xnn, 0xoo, 0xpp}}");
    if (o.files.size() != 1)
      return fail(Errc::kUsage, "a custom element takes exactly one data file");
    auto data = tlaunch::host::read_file(o.files[0]);
    if (!data) return data.failure();
    return lcp::host::build_custom(o.ctrl, *uuid, *data);
  }
  auto alg = lcp_hash_alg(o.alg);
  if (!alg) return alg.failure();
  if (o.type == "pconf2") {
    if (!o.files.empty())
      return fail(Errc::kUsage, "a pconf2 element takes no files; use --pcr N=HEX");
    lcp::PcrValues pcrs;
    size_t d = lcp::lcp_digest_size(*alg);
    for (const auto& p : o.pcrs) {
      size_t eq = p.find('=');
      if (eq != 1 || p[0] < '0' || p[0] > '7')
        return fail(Errc::kUsage, "--pcr '" + p + "': expected N=HEX with N in 0..7");
      size_t n = static_cast<size_t>(p[0] - '0');
      if (pcrs.present[n])
        return fail(Errc::kUsage, "--pcr " + std::string(1, p[0]) + " given twice");
      auto v = lcp::host::parse_pcr_value(std::string_view(p).substr(2), d);
      if (!v)
        return fail(Errc::kUsage, "--pcr " + std::string(1, p[0]) + ": expected exactly " +
                                      std::to_string(2 * d) + " hex digits (" + o.alg + ")");
      std::copy(v->begin(), v->end(), pcrs.value[n]);
      pcrs.present[n] = true;
    }
    if (o.pcrs.empty())
      return fail(Errc::kUsage, "a pconf2 element needs at least one --pcr N=HEX");
    return lcp::host::build_pconf2(o.ctrl, *alg, pcrs);
  }
  if (!o.pcrs.empty()) return fail(Errc::kUsage, "--pcr is only for --type pconf2");
  auto hashes = read_hash_files(o.files, *alg);
  if (!hashes) return hashes.failure();
  if (o.type == "mle2") {
    if (o.minver > 0xFF) return fail(Errc::kUsage, "--minver must be 0..255");
    return lcp::host::build_mle2(o.ctrl, static_cast<uint8_t>(o.minver), *alg, *hashes);
  }
  if (o.type == "sbios" || o.type == "sbios2") {
    if (hashes->empty())
      return fail(Errc::kUsage, "an sbios element needs at least one hash (the fallback hash)");
    return lcp::host::build_sbios2(o.ctrl, *alg, *hashes);
  }
  if (o.type == "stm" || o.type == "stm2") return lcp::host::build_stm2(o.ctrl, *alg, *hashes);
  return fail(Errc::kUsage,
              "unknown element type '" + o.type + "' (mle2, pconf2, sbios, stm or custom)");
}

nlohmann::json document(const std::string& file, const lcp::ElementView& e) {
  // schemas/lcp-element.v1.schema.json
  return {{"version", 1}, {"file", file}, {"element", lcp::host::element_json(e)}};
}

Expected<Bytes> read_element(const std::string& path, lcp::ElementView* view) {
  auto data = tlaunch::host::read_file(path, 64u << 20);
  if (!data) return data.failure();
  auto e = lcp::read_element_file(ByteSpan(data->data(), data->size()));
  if (!e) return fail(e.error(), path);
  *view = *e;
  return data;
}

std::string summary(const lcp::ElementView& e) {
  const char* name = lcp::element_type_name(e.type);
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%s element (type 0x%x), %u bytes, policy_elt_control 0x%08x",
                name ? name : "legacy", e.type, e.size, e.policy_elt_control);
  return buf;
}

void setup_create(CLI::App& elt, Invocation& inv) {
  auto o = std::make_shared<CreateOptions>();
  auto* sub =
      elt.add_subcommand("create", "Create an element file (mle2, pconf2, sbios, stm, custom)");
  sub->add_option("--type", o->type, "Element type: mle2, pconf2, sbios, stm, custom")->required();
  sub->add_option("-o,--out", o->out, "Output element file (written atomically)")->required();
  sub->add_option("--ctrl", o->ctrl, "PolEltControl (default 1: override PS policy)");
  sub->add_option("--alg", o->alg, "Hash algorithm: sha256 (default), sha384, sha512, sm3");
  sub->add_option("--minver", o->minver, "mle2: SINITMinVersion (0..255)");
  sub->add_option("--pcr", o->pcrs, "pconf2: PCR value N=HEX (N 0..7), repeatable");
  sub->add_option("--uuid", o->uuid,
                  "custom: 'tboot' or {0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {6 bytes}}");
  sub->add_option("files", o->files, "Hash files (mle2, sbios, stm) or the data file (custom)");
  sub->add_flag("--json", o->json, "Print the created element as JSON");
  on_run(sub, inv, [o]() {
    auto bytes = build(*o);
    if (!bytes) return report(bytes.failure());
    auto e = lcp::read_element_file(ByteSpan(bytes->data(), bytes->size()));
    if (!e) return report(fail(e.error(), "internal: created element"));
    auto w = tlaunch::host::write_file_atomic(o->out, *bytes);
    if (!w) return report(w.failure());
    if (o->json)
      std::printf("%s\n", document(o->out, *e).dump(2).c_str());
    else
      std::printf("%s: %s\n", o->out.c_str(), summary(*e).c_str());
    return static_cast<int>(kExitOk);
  });
}

void setup_show(CLI::App& elt, Invocation& inv) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* sub = elt.add_subcommand("show", "Validate and print an element file");
  sub->add_option("file", *file, "Element file")->required();
  sub->add_flag("--json", *json, "Machine-readable output (schemas/lcp-element.v1.schema.json)");
  on_run(sub, inv, [file, json]() {
    lcp::ElementView e;
    auto data = read_element(*file, &e);
    if (!data) return report(data.failure());
    if (*json)
      std::printf("%s\n", document(*file, e).dump(2).c_str());
    else
      std::printf("policy element file: %s\n%s", file->c_str(), lcp::host::element_text(e).c_str());
    return static_cast<int>(kExitOk);
  });
}

void setup_wrap(CLI::App& elt, Invocation& inv) {
  struct Opt {
    std::string in, out;
    uint32_t ctrl = lcp::kDefaultPolEltControl;
  };
  auto o = std::make_shared<Opt>();
  auto* sub =
      elt.add_subcommand("wrap-vlp", "Wrap a tboot VLP into a CUSTOM2 element with the tboot UUID");
  sub->add_option("vlp", o->in, "tboot policy file (validated)")->required();
  sub->add_option("-o,--out", o->out, "Output element file")->required();
  sub->add_option("--ctrl", o->ctrl, "PolEltControl (default 1)");
  on_run(sub, inv, [o]() {
    auto vlp = tlaunch::host::read_file(o->in, 1u << 20);
    if (!vlp) return report(vlp.failure());
    auto wrapped = lcp::host::wrap_vlp(*vlp, o->ctrl);
    if (!wrapped) {
      auto f = wrapped.failure();
      f.message = o->in + ": " + f.message;
      return report(f);
    }
    auto w = tlaunch::host::write_file_atomic(o->out, *wrapped);
    if (!w) return report(w.failure());
    std::printf("%s: custom element (tboot policy, %zu bytes of VLP), %zu bytes\n", o->out.c_str(),
                vlp->size(), wrapped->size());
    return static_cast<int>(kExitOk);
  });
}

void setup_unwrap(CLI::App& elt, Invocation& inv) {
  struct Opt {
    std::string in, out;
  };
  auto o = std::make_shared<Opt>();
  auto* sub = elt.add_subcommand("unwrap-vlp",
                                 "Extract the tboot VLP from a CUSTOM2 (or legacy CUSTOM) element");
  sub->add_option("element", o->in, "Element file")->required();
  sub->add_option("-o,--out", o->out, "Output VLP file")->required();
  on_run(sub, inv, [o]() {
    auto data = tlaunch::host::read_file(o->in, 64u << 20);
    if (!data) return report(data.failure());
    auto vlp = lcp::host::unwrap_vlp(*data, o->in);
    if (!vlp) return report(vlp.failure());
    auto w = tlaunch::host::write_file_atomic(o->out, *vlp);
    if (!w) return report(w.failure());
    std::printf("%s: tboot policy, %zu bytes\n", o->out.c_str(), vlp->size());
    return static_cast<int>(kExitOk);
  });
}

}  // namespace

void setup_lcp_element(CLI::App& lcp_noun, Invocation& inv) {
  auto* elt =
      lcp_noun.add_subcommand("element", "LCP policy elements (MLE2, PCONF2, SBIOS, STM, CUSTOM)");
  elt->require_subcommand(1);
  setup_create(*elt, inv);
  setup_show(*elt, inv);
  setup_wrap(*elt, inv);
  setup_unwrap(*elt, inv);
}

}  // namespace tlaunch::cli
