// tlaunch nv write NAME|HANDLE FILE [--offset N]: chunked NV_Write, then read back and compare.
#include <unistd.h>

#include <cstdio>

#include "nv_common.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {
struct WriteCmdOptions {
  nv::CommonOptions common;
  std::string index;
  std::string file;
  std::string offset = "0";
  bool no_verify = false;
};

host::Expected<tpmnv::Bytes> read_input(const std::string& path) {
  if (path != "-") return host::read_file(path, 0x10000);
  tpmnv::Bytes data;
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0) return host::fail(Errc::kIo, "cannot read standard input");
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > 0x10000) break;
  }
  return data;
}

int run_write(const WriteCmdOptions& o) {
  using namespace tpmnv;
  host::Expected<Target> target = resolve_target(o.index, nv::handle_set(o.common));
  if (!target) return nv::fail(target.failure());
  host::Expected<uint32_t> offset = nv::parse_number(o.offset, "--offset", 0xFFFF);
  if (!offset) return nv::fail(offset.failure());
  host::Expected<Bytes> data = read_input(o.file);
  if (!data) return nv::fail(data.failure());
  if (data->empty())
    return nv::fail(host::fail(Errc::kBadValue, o.file + ": empty, nothing to write"));
  // No NV index holds more than 65535 bytes (TPMS_NV_PUBLIC.dataSize is a u16).
  if (*offset + data->size() > 0xFFFF)
    return nv::fail(host::fail(Errc::kTooLarge, o.file + ": " + std::to_string(data->size()) +
                                                    " bytes at offset " + std::to_string(*offset) +
                                                    " exceed any NV index"));
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<NvPublic> pub = require_index(**dev, *target);
  if (!pub) return nv::fail(pub.failure());
  WriteOptions wo;
  wo.offset = *offset;
  wo.verify = !o.no_verify;
  host::Expected<WriteResult> r =
      write_index(**dev, *target, *pub, ByteSpan(data->data(), data->size()), wo);
  if (!r) return nv::fail(r.failure());
  if (o.common.json) {
    nlohmann::json j = {
        {"action", "written"},    {"index", nv::target_json(*target)}, {"offset", *offset},
        {"size", data->size()},   {"nv_write_commands", r->commands},  {"chunk_size", r->chunk},
        {"verified", r->verified}, {"head_last", r->head_last}};
    if (!r->verify_note.empty()) j["note"] = r->verify_note;
    nv::print_json("nv-write", j);
  } else {
    std::printf("wrote %zu bytes at offset %u of %s in %zu NV_Write command%s (chunk %u bytes%s)%s\n",
                data->size(), *offset, target->label().c_str(), r->commands,
                r->commands == 1 ? "" : "s", r->chunk,
                r->head_last ? ", head chunk last" : "",
                r->verified ? ", read back and verified" : "");
    if (!r->verify_note.empty())
      std::fprintf(stderr, "tlaunch: note: %s\n", r->verify_note.c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_write(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<WriteCmdOptions>();
  auto* sub = parent.add_subcommand("write", "Write a file into an NV index (chunked, verified)");
  sub->add_option("index", o->index, "Catalogue name or hex handle")->required();
  sub->add_option("file", o->file, "Data file ('-' for standard input)")->required();
  sub->add_option("--offset", o->offset, "Byte offset in the index (default 0)");
  sub->add_flag("--no-verify", o->no_verify, "Do not read back and compare");
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_write(*o); });
}

}  // namespace tlaunch::cli
