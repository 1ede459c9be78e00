// tlaunch nv read NAME|HANDLE [--offset N] [--size N] [-o FILE]: chunked NV_Read.
#include <unistd.h>

#include <cstdio>

#include "nv_common.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/tpmnv/ops.h"

namespace tlaunch::cli {

namespace {
struct ReadCmdOptions {
  nv::CommonOptions common;
  std::string index;
  std::string offset = "0";
  std::string size;
  std::string output;
};

int run_read(const ReadCmdOptions& o) {
  using namespace tpmnv;
  host::Expected<Target> target = resolve_target(o.index, nv::handle_set(o.common));
  if (!target) return nv::fail(target.failure());
  host::Expected<uint32_t> offset = nv::parse_number(o.offset, "--offset", 0xFFFF);
  if (!offset) return nv::fail(offset.failure());
  std::optional<size_t> size;
  if (!o.size.empty()) {
    host::Expected<uint32_t> n = nv::parse_number(o.size, "--size", 0xFFFF);
    if (!n) return nv::fail(n.failure());
    size = *n;
  }
  auto dev = nv::open_device(o.common);
  if (!dev) return nv::fail(dev.failure());
  host::Expected<NvPublic> pub = require_index(**dev, *target);
  if (!pub) return nv::fail(pub.failure());
  host::Expected<Bytes> data = read_index(**dev, *target, *pub, *offset, size);
  if (!data) return nv::fail(data.failure());
  if (!o.output.empty()) {
    host::HostStatus st = host::write_file_atomic(o.output, *data);
    if (!st) return nv::fail(st.failure());
  }
  if (o.common.json) {
    nlohmann::json j = {{"index", nv::target_json(*target)},
                        {"offset", *offset},
                        {"size", data->size()},
                        {"hex", host::hex(*data)}};
    if (!o.output.empty()) j["output"] = o.output;
    nv::print_json("nv-read", j);
  } else if (o.output.empty()) {
    size_t done = 0;
    while (done < data->size()) {
      ssize_t n = ::write(STDOUT_FILENO, data->data() + done, data->size() - done);
      if (n <= 0) return nv::fail(host::fail(Errc::kIo, "cannot write to standard output"));
      done += static_cast<size_t>(n);
    }
  } else {
    std::fprintf(stderr, "tlaunch: read %zu bytes of %s into %s\n", data->size(),
                 target->label().c_str(), o.output.c_str());
  }
  return kExitOk;
}
}  // namespace

void setup_nv_read(CLI::App& parent, Invocation& inv) {
  auto o = std::make_shared<ReadCmdOptions>();
  auto* sub =
      parent.add_subcommand("read", "Read an NV index (whole, or a range) to stdout or a file");
  sub->add_option("index", o->index, "Catalogue name or hex handle")->required();
  sub->add_option("--offset", o->offset, "First byte (default 0)");
  sub->add_option("--size", o->size, "Number of bytes (default: to the end of the index)");
  sub->add_option("-o,--output", o->output, "Write to FILE (atomically) instead of stdout");
  nv::add_common_options(sub, o->common);
  on_run(sub, inv, [o]() { return run_read(*o); });
}

}  // namespace tlaunch::cli
