#include "tlaunch/tpmnv/ops.h"

#include <algorithm>

#include "tlaunch/tpmnv/attributes.h"

namespace tlaunch::tpmnv {
namespace {
// tpm2-tss include/tss2/tss2_tpm2_types.h: TPM2_MAX_NV_BUFFER_SIZE.
constexpr uint32_t kMaxNvBuffer = 2048;
}  // namespace

uint32_t chunk_size(const TpmLimits& limits) {
  uint32_t c = limits.nv_buffer_max == 0 ? 512 : limits.nv_buffer_max;
  return std::min(c, kMaxNvBuffer);
}

std::vector<std::pair<uint32_t, uint32_t>> chunks(uint32_t offset, size_t size, uint32_t max) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  if (max == 0) return out;
  size_t done = 0;
  while (done < size) {
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(max, size - done));
    out.emplace_back(offset + static_cast<uint32_t>(done), n);
    done += n;
  }
  return out;
}

host::Expected<NvPublic> require_index(NvDevice& dev, const Target& target) {
  host::Expected<std::optional<NvPublic>> pub = dev.read_public(target.handle);
  if (!pub) return pub.failure();
  if (!pub->has_value())
    return host::fail(Errc::kNotFound, "NV index " + target.label() + " is not defined");
  return std::move(**pub);
}

host::HostStatus check_writable(const Target& target, const NvPublic& pub, uint32_t offset,
                                size_t size) {
  if (offset + size > pub.size) {
    return host::fail(Errc::kTooLarge, std::to_string(size) + " bytes at offset " +
                                           std::to_string(offset) + " do not fit NV index " +
                                           target.label() + " of " + std::to_string(pub.size) +
                                           " bytes; nothing was written");
  }
  if (nt_of(pub.attributes) != 0)
    return host::fail(
        Errc::kUnsupported,
        "NV index " + target.label() + " is a " +
            (nt_name(nt_of(pub.attributes)) ? nt_name(nt_of(pub.attributes)) : "non-ordinary") +
            " index; only ordinary indices hold data");
  if (pub.attributes & attr::kWriteLocked)
    return host::fail(Errc::kConflict,
                      "NV index " + target.label() +
                          " is write-locked (writelocked: until TPM reset, or for good with "
                          "writedefine); nothing was written");
  host::Expected<AuthRole> role = write_role(pub.attributes);
  if (!role)
    return host::fail(role.failure().code,
                      "NV index " + target.label() + ": " + role.failure().message);
  if ((pub.attributes & attr::kWriteAll) && (offset != 0 || size != pub.size))
    return host::fail(Errc::kBadValue, "NV index " + target.label() +
                                           " has writeall: it must be written whole (" +
                                           std::to_string(pub.size) + " bytes at offset 0)");
  return host::host_ok();
}

host::Expected<WriteResult> write_index(NvDevice& dev, const Target& target, const NvPublic& pub,
                                        ByteSpan data, const WriteOptions& options) {
  TPMNV_TRY(check_writable(target, pub, options.offset, data.size));
  host::Expected<TpmLimits> limits = dev.limits();
  if (!limits) return limits.failure();
  WriteResult r;
  r.chunk = chunk_size(*limits);
  AuthRole role = *write_role(pub.attributes);
  // The chunks that need a command (an interrupted earlier write may have left some in place).
  std::vector<std::pair<uint32_t, uint32_t>> todo;
  for (auto [off, len] : chunks(options.offset, data.size, r.chunk)) {
    size_t rel = off - options.offset;
    if (options.existing && options.existing->size() >= rel + len &&
        equal_bytes(options.existing->data() + rel, data.data + rel, len)) {
      ++r.skipped;
      continue;
    }
    todo.emplace_back(off, len);
  }
  auto put = [&](uint32_t off, ByteSpan bytes) -> host::HostStatus {
    TPMNV_TRY(dev.write(pub, role, static_cast<uint16_t>(off), bytes));
    ++r.commands;
    r.bytes += bytes.size;
    return host::host_ok();
  };
  // One command is atomic on the TPM. With two or more, every state between them would be
  // "new chunks up to k, old bytes after": for a VLP (which carries no checksum) such a mix can
  // decode as a third, valid policy. So (docs/robustness.md "Torn NV writes"): clear byte 0 (the
  // VLP version) first, write the other chunks, and write the head last, which restores byte 0.
  // Every intermediate state is then the old content, the new one, or undecodable.
  const bool head_last = options.head_last && options.offset == 0 && todo.size() >= 2 &&
                         data.size > 0 && data[0] != 0 && !(pub.attributes & attr::kWriteAll);
  if (!head_last) {
    for (auto [off, len] : todo) TPMNV_TRY(put(off, data.subspan(off - options.offset, len)));
  } else {
    static constexpr uint8_t kInvalid[1] = {0};
    TPMNV_TRY(put(0, ByteSpan(kInvalid, 1)));
    r.head_last = true;
    const bool head_in_todo = todo.front().first == 0;  // chunks are in ascending order
    for (auto [off, len] : todo)
      if (off != 0) TPMNV_TRY(put(off, data.subspan(off, len)));
    // The head chunk, or (when it already held the new bytes) just byte 0 again.
    TPMNV_TRY(put(0, data.subspan(0, head_in_todo ? todo.front().second : 1)));
  }
  if (!options.verify) {
    r.verify_note = "not verified (--no-verify)";
    return r;
  }
  NvPublic after = pub;
  after.attributes |= attr::kWritten;
  host::Expected<AuthRole> rrole = read_role(pub.attributes);
  if (!rrole || *rrole == AuthRole::kPolicy || (pub.attributes & attr::kReadLocked)) {
    r.verify_note = "not verified: the index cannot be read back with a password";
    return r;
  }
  host::Expected<Bytes> back = read_index(dev, target, after, options.offset, data.size);
  if (!back) return back.failure();
  if (back->size() != data.size || !equal_bytes(back->data(), data.data, data.size)) {
    size_t at = 0;
    while (at < data.size && at < back->size() && (*back)[at] == data[at]) ++at;
    return host::fail(Errc::kVerifyFailed, "NV index " + target.label() +
                                               ": read-back differs from the data written, "
                                               "first at byte " +
                                               std::to_string(options.offset + at));
  }
  r.verified = true;
  return r;
}

host::Expected<Bytes> read_index(NvDevice& dev, const Target& target, const NvPublic& pub,
                                 uint32_t offset, std::optional<size_t> size) {
  if (offset > pub.size || (size && offset + *size > pub.size)) {
    return host::fail(Errc::kTooLarge, "range " + std::to_string(offset) + "+" +
                                           std::to_string(size.value_or(0)) +
                                           " is beyond the end of NV index " + target.label() +
                                           " (" + std::to_string(pub.size) + " bytes)");
  }
  if (!(pub.attributes & attr::kWritten))
    return host::fail(Errc::kBadValue, "NV index " + target.label() +
                                           " has never been written (WRITTEN is clear): "
                                           "there is nothing to read");
  if (pub.attributes & attr::kReadLocked)
    return host::fail(Errc::kConflict,
                      "NV index " + target.label() + " is read-locked until the next TPM reset");
  host::Expected<AuthRole> role = read_role(pub.attributes);
  if (!role)
    return host::fail(role.failure().code,
                      "NV index " + target.label() + ": " + role.failure().message);
  host::Expected<TpmLimits> limits = dev.limits();
  if (!limits) return limits.failure();
  size_t n = size.value_or(pub.size - offset);
  Bytes out;
  out.reserve(n);
  for (auto [off, len] : chunks(offset, n, chunk_size(*limits))) {
    host::Expected<Bytes> part =
        dev.read(pub, *role, static_cast<uint16_t>(off), static_cast<uint16_t>(len));
    if (!part) return part.failure();
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

}  // namespace tlaunch::tpmnv
