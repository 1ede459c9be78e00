// The launcher's log records (launch_log.h; docs/reference/eventlog.md §3–§4).
#include "tlaunch/policy/launch_log.h"

#include "tlaunch/policy/launch_options.h"
#include "tlaunch/policy/measure.h"

namespace tlaunch::launch {

const uint8_t kEventDataSignature[kEventDataSignatureSize] = {'t', 'l', 'a', 'u', 'n', 'c', 'h', 0};

namespace {

constexpr size_t kHeaderSize = 20;
constexpr uint8_t kFlagPolicyFromNv = 0x01;

bool known_kind(uint8_t k) {
  return k == static_cast<uint8_t>(EventKind::kPolicyControl) ||
         k == static_cast<uint8_t>(EventKind::kModule0) ||
         k == static_cast<uint8_t>(EventKind::kModule) ||
         k == static_cast<uint8_t>(EventKind::kLauncherCmdline);
}

}  // namespace

Result<LogRecord> launch_record(Hasher& h, const Config& config, const Input& input,
                                const Outcome& outcome, size_t index, MutableByteSpan data_buf) {
  if (index >= outcome.num_events)
    return with_value(make_error(Errc::kInternal, "no such launch event"), index);
  const Event& ev = outcome.events[index];
  LaunchEventData f;
  f.kind = ev.kind;
  switch (ev.kind) {
    case EventKind::kLauncherCmdline:
      // No component: the digests are H_bank(text) of the line itself.
      f.text = input.launcher_cmdline;
      break;
    case EventKind::kPolicyControl: {
      auto p = policy_control_value(h, outcome.policy, config.cur_alg);
      if (!p.ok()) return p.error();
      f.policy_from_nv = outcome.policy_from_nv;
      f.value = outcome.policy.policy_control;
      f.components[0] = *p;
      f.num_components = 1;
      break;
    }
    case EventKind::kModule0:
    case EventKind::kModule: {
      if (ev.module >= input.num_modules || input.modules == nullptr)
        return with_item(make_error(Errc::kInternal, "event names a module the input lacks"),
                         ev.module);
      const ModuleInput& m = input.modules[ev.module];
      f.module = ev.module;
      f.entry = ev.entry >= 0 ? static_cast<uint16_t>(ev.entry) : kNoEntry;
      f.num_components = m.num_digests < kMaxBanks ? m.num_digests : kMaxBanks;
      for (size_t i = 0; i < f.num_components; ++i) f.components[i] = m.image[i];
      f.text = m.cmdline;
      break;
    }
  }
  auto data = encode_launch_data(f, data_buf);
  if (!data.ok()) return data.error();
  LogRecord r;
  r.pcr = ev.pcr;
  r.digests = ev.digests;
  r.num_digests = ev.num_digests;
  r.data = *data;
  return r;
}

Status log_launch_event(eventlog::Writer& log, Hasher& h, const Config& config, const Input& input,
                        const Outcome& outcome, size_t index, MutableByteSpan data_buf) {
  auto r = launch_record(h, config, input, outcome, index, data_buf);
  if (!r.ok()) return r.error();
  return log.append(r->pcr, r->type, r->digests, r->num_digests, r->data);
}

Result<size_t> launch_events_size(const eventlog::Writer& log, Hasher& h, const Config& config,
                                  const Input& input, const Outcome& outcome,
                                  MutableByteSpan data_buf) {
  size_t total = 0;
  for (size_t i = 0; i < extended_events(outcome); ++i) {
    auto r = launch_record(h, config, input, outcome, i, data_buf);
    if (!r.ok()) return r.error();
    total += log.event_size(r->data.size);
  }
  return total;
}

Result<eventlog::Writer> create_launch_log(MutableByteSpan buf, const Config& config) {
  HashAlg algs[kMaxBanks];
  const size_t n = measurement_algs(config, algs);
  return eventlog::Writer::create(buf, algs, n);
}

bool log_takes_launch_events(const eventlog::SpecId& spec, const Config& config) {
  HashAlg algs[kMaxBanks];
  const size_t n = measurement_algs(config, algs);
  if (n != spec.num_algs) return false;
  for (size_t i = 0; i < n; ++i)
    if (spec.find(static_cast<uint16_t>(algs[i])) < 0) return false;
  return true;
}

Result<ByteSpan> encode_launch_data(const LaunchEventData& d, MutableByteSpan out) {
  ByteWriter w(out);
  w.bytes(ByteSpan(kEventDataSignature, kEventDataSignatureSize));
  w.u8(kEventDataVersion);
  w.u8(static_cast<uint8_t>(d.kind));
  w.le16(d.module);
  w.le16(d.entry);
  w.u8(d.policy_from_nv ? kFlagPolicyFromNv : 0);
  w.u8(static_cast<uint8_t>(d.num_components));
  w.le32(d.value);
  for (size_t i = 0; i < d.num_components && i < kMaxBanks; ++i) {
    w.le16(static_cast<uint16_t>(d.components[i].alg));
    w.bytes(d.components[i].span());
  }
  w.le32(static_cast<uint32_t>(d.text.size));
  w.bytes(d.text);
  TLAUNCH_TRY(w.status());
  return w.written();
}

const Digest* LaunchEventData::component(HashAlg alg) const {
  for (size_t i = 0; i < num_components; ++i)
    if (components[i].alg == alg) return &components[i];
  return nullptr;
}

bool is_launch_data(ByteSpan data) {
  return data.size >= kEventDataSignatureSize &&
         equal_bytes(data.data, kEventDataSignature, kEventDataSignatureSize);
}

Result<LaunchEventData> decode_launch_data(ByteSpan data, uint32_t base) {
  ByteReader r(data, base);
  LaunchEventData d;
  if (!is_launch_data(data))
    return make_error(Errc::kBadValue, "no tlaunch signature", "signature", base);
  TLAUNCH_TRY(r.skip(kEventDataSignatureSize, "signature"));
  const uint32_t version_at = r.abs_offset();
  auto version = r.u8("version");
  if (!version.ok()) return version.error();
  if (*version != kEventDataVersion)
    return with_value(
        make_error(Errc::kUnsupported, "unknown tlaunch event data version", "version", version_at),
        *version);
  const uint32_t kind_at = r.abs_offset();
  auto kind = r.u8("kind");
  if (!kind.ok()) return kind.error();
  if (!known_kind(*kind))
    return with_value(make_error(Errc::kBadValue, "unknown event kind", "kind", kind_at), *kind);
  d.kind = static_cast<EventKind>(*kind);
  const uint32_t module_at = r.abs_offset();
  auto module = r.le16("module");
  if (!module.ok()) return module.error();
  const bool no_module =
      d.kind == EventKind::kPolicyControl || d.kind == EventKind::kLauncherCmdline;
  if (*module >= kMaxModules || (no_module && *module != 0))
    return with_value(make_error(Errc::kBadValue, "module index out of range", "module", module_at),
                      *module);
  d.module = *module;
  auto entry = r.le16("entry");
  if (!entry.ok()) return entry.error();
  d.entry = *entry;
  const uint32_t flags_at = r.abs_offset();
  auto flags = r.u8("flags");
  if (!flags.ok()) return flags.error();
  if ((*flags & ~kFlagPolicyFromNv) != 0 || (d.kind != EventKind::kPolicyControl && *flags != 0))
    return with_value(make_error(Errc::kBadValue, "unknown flags", "flags", flags_at), *flags);
  d.policy_from_nv = (*flags & kFlagPolicyFromNv) != 0;
  const uint32_t count_at = r.abs_offset();
  auto count = r.u8("count");
  if (!count.ok()) return count.error();
  // The launcher's command line has no component (its digests hash the text itself).
  const bool cmdline = d.kind == EventKind::kLauncherCmdline;
  if (*count > kMaxBanks || (cmdline ? *count != 0 : *count == 0) ||
      (d.kind == EventKind::kPolicyControl && *count != 1))
    return with_value(
        make_error(Errc::kBadValue, "component count out of range", "count", count_at), *count);
  auto value = r.le32("value");
  if (!value.ok()) return value.error();
  if (d.kind != EventKind::kPolicyControl && *value != 0)
    return with_value(
        make_error(Errc::kBadValue, "value must be 0 for a module", "value", r.abs_offset() - 4),
        *value);
  d.value = *value;
  for (size_t i = 0; i < *count; ++i) {
    const uint32_t alg_at = r.abs_offset();
    auto alg = r.le16("component.alg");
    if (!alg.ok()) return alg.error();
    const uint8_t size = digest_size(*alg);
    if (size == 0)
      return with_value(
          make_error(Errc::kBadValue, "unknown component algorithm", "component.alg", alg_at),
          *alg);
    if (d.component(static_cast<HashAlg>(*alg)) != nullptr)
      return with_value(
          make_error(Errc::kBadValue, "two components of one algorithm", "component.alg", alg_at),
          *alg);
    auto bytes = r.bytes(size, "component.digest");
    if (!bytes.ok()) return bytes.error();
    d.components[d.num_components++] = make_digest(static_cast<HashAlg>(*alg), *bytes);
  }
  const uint32_t text_at = r.abs_offset();
  auto text_size = r.le32("text_size");
  if (!text_size.ok()) return text_size.error();
  if (d.kind == EventKind::kPolicyControl && *text_size != 0)
    return with_value(
        make_error(Errc::kBadValue, "the policy control event has no text", "text_size", text_at),
        *text_size);
  auto text = r.bytes(*text_size, "text");
  if (!text.ok()) return text.error();
  d.text = *text;
  if (!r.at_end())
    return make_error(Errc::kBadValue, "bytes after the text", "text", r.abs_offset());
  static_assert(kHeaderSize == kEventDataSignatureSize + 12, "event data header layout");
  return d;
}

Status check_launch_event(Hasher& h, const eventlog::Event& event, const LaunchEventData& data) {
  for (size_t i = 0; i < event.num_digests; ++i) {
    const Digest& logged = event.digests[i];
    const uint16_t alg = static_cast<uint16_t>(logged.alg);
    Result<Digest> expect = make_error(Errc::kInternal, "unset");
    if (data.kind == EventKind::kPolicyControl) {
      expect = policy_control_digest(h, data.value, data.components[0], logged.alg);
    } else if (data.kind == EventKind::kLauncherCmdline) {
      expect = hash_once(h, logged.alg, data.text);
    } else {
      const Digest* image = data.component(logged.alg);
      if (image == nullptr)
        return with_value(
            make_error(Errc::kVerifyFailed, "the event data has no image digest for this bank",
                       "component.alg", event.data_offset),
            alg);
      expect = module_measurement(h, logged.alg, data.text, *image);
    }
    if (!expect.ok()) return with_value(expect.error(), alg);
    if (!(*expect == logged))
      return with_value(
          make_error(Errc::kVerifyFailed, "the digest does not match what the event data describes",
                     "digests.digest", event.offset),
          alg);
  }
  return ok_status();
}

}  // namespace tlaunch::launch
