// Loading and replaying event logs (host/eventlog_host.h).
#include "tlaunch/policy/host/eventlog/eventlog_host.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/measure.h"

namespace tlaunch::host::log {

namespace {

// "StartupLocality" and its NUL: an EV_NO_ACTION event in PCR 0 whose data carries the locality
// the TPM was started from, which becomes the last byte of PCR 0's start value
// (PFP rev 1.05 §10.4.5.3; TPM 2.0 Part 1 §34.3 for the H-CRTM value 4).
constexpr char kStartupLocality[16] = "StartupLocality";

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

size_t Log::launcher_events() const {
  size_t n = 0;
  for (const auto& e : events)
    n += e.type == eventlog::kEvTbMeasurement && launch::is_launch_data(e.data);
  return n;
}

Expected<Log> parse_log(Bytes bytes, const std::string& source) {
  Log log;
  log.source = source;
  log.bytes = std::make_shared<const Bytes>(std::move(bytes));
  const ByteSpan in(log.bytes->data(), log.bytes->size());
  auto r = eventlog::Reader::open(in);
  if (!r.ok()) return fail(r.error(), source);
  log.spec = r->spec_id();
  log.header_size = r->header_size();
  eventlog::Event e;
  for (;;) {
    auto more = r->next(&e);
    if (!more.ok())
      return fail(more.error(), source + ": event " + std::to_string(log.events.size()));
    if (!*more) break;
    log.events.push_back(e);
  }
  log.end = r->end();
  return log;
}

Expected<Log> load_log(const std::string& path) {
  // binary_bios_measurements reports size 0 in stat(): read_file() reads to the end regardless.
  auto bytes = read_file(path, size_t{64} << 20);
  if (!bytes) return bytes.failure();
  return parse_log(std::move(*bytes), path);
}

std::string find_setup_data_log(const std::string& root) {
  const std::string base = (root == "/" ? "" : root) + kSetupDataDir;
  DIR* d = ::opendir(base.c_str());
  if (d == nullptr) return "";
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  // Entries are numbered in list order; take the first that is ours.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const auto& n : names) {
    std::string type = read_text(base + "/" + n + "/type");
    while (!type.empty() && (type.back() == '\n' || type.back() == ' ')) type.pop_back();
    unsigned long v = 0;
    try {
      v = std::stoul(type, nullptr, 0);
    } catch (...) {
      continue;
    }
    if (v == launch::kSetupDataType) return base + "/" + n + "/data";
  }
  return "";
}

const Replayed* Replay::find(uint32_t pcr, HashAlg bank) const {
  for (const auto& v : values)
    if (v.pcr == pcr && v.value.alg == bank) return &v;
  return nullptr;
}

Digest start_value(const Log& log, uint32_t pcr, HashAlg bank, launch::PcrStart start) {
  Digest d = launch::pcr_start_value(static_cast<uint8_t>(pcr), bank, start);
  if (d.size == 0) {  // an algorithm the core table does not know: its declared size
    const int k = log.spec.find(static_cast<uint16_t>(bank));
    d.alg = bank;
    d.size = k >= 0 ? static_cast<uint8_t>(log.spec.algs[k].size) : 0;
  }
  if (pcr == 0) {
    for (const auto& e : log.events) {
      if (e.pcr != 0 || e.type != eventlog::kEvNoAction || e.data.size < 17) continue;
      if (equal_bytes(e.data.data, reinterpret_cast<const uint8_t*>(kStartupLocality), 16) &&
          d.size > 0)
        d.bytes[d.size - 1] = e.data[16];
    }
  }
  return d;
}

Expected<std::vector<Digest>> pcr_history(const Log& log, uint32_t pcr, HashAlg bank,
                                          launch::PcrStart start) {
  OpenSslHasher h;
  std::vector<Digest> out{start_value(log, pcr, bank, start)};
  for (const auto& e : log.events) {
    if (e.pcr != pcr || !e.extends()) continue;
    const Digest* d = e.digest(bank);
    if (d == nullptr) continue;
    auto nv = pcr_extend(h, out.back(), *d);
    if (!nv.ok()) return fail(nv.error(), log.source + ": replay");
    out.push_back(*nv);
  }
  return out;
}

Expected<Replay> replay(const Log& log, launch::PcrStart start,
                        std::optional<size_t> events_limit) {
  OpenSslHasher h;
  Replay r;
  const size_t n = events_limit ? std::min(*events_limit, log.events.size()) : log.events.size();
  for (uint32_t pcr = 0; pcr <= eventlog::kMaxPcr; ++pcr) {
    for (size_t b = 0; b < log.spec.num_algs; ++b) {
      const HashAlg bank = static_cast<HashAlg>(log.spec.algs[b].alg);
      // A bank OpenSSL cannot hash (SM3 on most builds) is not replayed: replay_text says so.
      if (evp_md(bank) == nullptr) continue;
      Replayed v;
      v.pcr = pcr;
      v.value = start_value(log, pcr, bank, start);
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        const eventlog::Event& e = log.events[i];
        if (e.pcr != pcr || !e.extends()) continue;
        any = true;
        const Digest* d = e.digest(bank);
        if (d == nullptr) continue;  // the reader guarantees one per declared bank
        auto nv = pcr_extend(h, v.value, *d);
        if (!nv.ok()) return fail(nv.error(), log.source + ": replay");
        v.value = *nv;
        ++v.extends;
      }
      if (any) r.values.push_back(v);
    }
  }
  return r;
}

}  // namespace tlaunch::host::log
