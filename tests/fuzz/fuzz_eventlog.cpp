// TCG crypto-agile event log reader (libpolicy eventlog.h) and the host's whole-log decoding and
// renderings (host/eventlog_host.h: `tlaunch log show|replay|export`). The input is a log.
// Properties:
//  * a rejected log names a field and a byte offset inside the input;
//  * every event lies inside the input, events follow each other without gaps, and what follows
//    the last event is zero bytes;
//  * writing the accepted events again with the Writer, after the same header, reproduces the
//    input's bytes exactly (nothing is lost or invented by decoding);
//  * the log-area reader (kArea, what the launcher appends after) never fails, and for a file the
//    file reader accepts it finds the same events, up to the first event Linux would not show;
//  * the launcher's event data, where present, decodes or is rejected with an offset inside it;
//  * the host renderings (text, JSON, CEL-JSON, replay) take every accepted log.
#include <memory>

#include "fuzz.h"
#include "tlaunch/policy/eventlog.h"
#include "tlaunch/policy/host/eventlog/eventlog_host.h"

using namespace tlaunch;
using tlaunch::fuzz::Bytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  std::vector<eventlog::Event> events;
  auto r = eventlog::Reader::open(in);
  Error err;
  size_t end = 0;
  if (r.ok()) {
    eventlog::Event e;
    size_t expect_offset = r->header_size();
    FUZZ_CHECK(expect_offset <= size);
    for (;;) {
      auto more = r->next(&e);
      if (!more.ok()) {
        err = more.error();
        break;
      }
      if (!*more) break;
      FUZZ_CHECK(e.offset == expect_offset);
      FUZZ_CHECK(e.size > 0 && e.offset + e.size <= size);
      FUZZ_CHECK(fuzz::inside(e.data, in));
      FUZZ_CHECK(e.num_digests == r->spec_id().num_algs);
      FUZZ_CHECK(e.pcr <= eventlog::kMaxPcr);
      expect_offset += e.size;
      events.push_back(e);
    }
    end = r->end();
    if (err.ok()) {
      FUZZ_CHECK(end == expect_offset);
      for (size_t i = end; i < size; ++i) FUZZ_CHECK(data[i] == 0);
    }
  } else {
    err = r.error();
  }
  if (!err.ok()) {
    fuzz::check_error(err, size);
    FUZZ_CHECK(err.field != nullptr);
    FUZZ_CHECK(err.offset != kNoOffset);
  }

  // The log-area reader: never an error after a valid header; same events as the file reader up to
  // the first one it refuses.
  auto area = eventlog::Reader::open(in, eventlog::Reader::Mode::kArea);
  FUZZ_CHECK(area.ok() == r.ok());
  if (area.ok()) {
    eventlog::Event e;
    size_t n = 0;
    for (;; ++n) {
      auto more = area->next(&e);
      FUZZ_CHECK(more.ok());
      if (!*more) break;
      FUZZ_CHECK(n < events.size() || !err.ok());
      if (n < events.size()) FUZZ_CHECK(e.offset == events[n].offset && e.size == events[n].size);
    }
    if (err.ok()) {
      bool linux_end = false;
      for (const auto& ev : events) linux_end = linux_end || (ev.type == 0 && ev.data.size == 0);
      if (!linux_end) FUZZ_CHECK(n == events.size());
    }
  }
  if (!r.ok() || !err.ok()) return 0;

  // Re-encoding: the header bytes, then every event through the Writer.
  Bytes buf(size + 64, 0);
  std::copy(data, data + r->header_size(), buf.begin());
  auto w = eventlog::Writer::attach(MutableByteSpan(buf.data(), buf.size()));
  FUZZ_CHECK(w.ok());
  FUZZ_CHECK(w->size() == r->header_size());
  for (const auto& e : events)
    FUZZ_CHECK(w->append(e.pcr, e.type, e.digests, e.num_digests, e.data).ok());
  FUZZ_CHECK(w->size() == end);
  FUZZ_CHECK(fuzz::same(w->written(), ByteSpan(data, end)));

  // The launcher's event data.
  for (const auto& e : events) {
    if (!launch::is_launch_data(e.data)) continue;
    auto d = launch::decode_launch_data(e.data, e.data_offset);
    if (!d.ok()) {
      FUZZ_CHECK(d.error().offset >= e.data_offset &&
                 d.error().offset <= e.data_offset + e.data.size);
      continue;
    }
    FUZZ_CHECK(fuzz::inside(d->text, e.data));
  }

  // Host decoding and renderings.
  auto log = host::log::parse_log(Bytes(data, data + size), "fuzz.log");
  FUZZ_CHECK(log.ok());
  FUZZ_CHECK(log->events.size() == events.size());
  (void)host::log::log_json(*log).dump();
  (void)host::log::log_text(*log);
  (void)host::log::cel_json(*log).dump();
  for (auto start : {launch::PcrStart::kAllOnes, launch::PcrStart::kZero}) {
    auto rp = host::log::replay(*log, start);
    FUZZ_CHECK(rp.ok());
    (void)host::log::replay_json(*log, *rp, start).dump();
  }
  return 0;
}
