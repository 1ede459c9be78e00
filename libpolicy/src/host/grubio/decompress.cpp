// GrubFilterChain: GRUB 2.06's gzio -> xzio -> lzopio filter order (grub-core/kern/file.c
// grub_file_open() applies grub_file_filters[] in enum order, include/grub/file.h), each filter
// seeing the output of the previous one. See decompress.h for the rules and decompress_*.cpp for
// each filter.
#include "tlaunch/policy/host/grubio/decompress.h"

#include <algorithm>
#include <cstring>

#include "tlaunch/policy/host/grubio/decompress_codecs.h"

namespace tlaunch::host {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::kGzip:
      return "gzip";
    case Codec::kXz:
      return "xz";
    case Codec::kLzop:
      return "lzop";
  }
  return "?";
}

namespace grubio {

std::unique_ptr<Decoder> make_decoder(Codec c) {
  switch (c) {
    case Codec::kGzip:
      return make_gzip_decoder();
    case Codec::kXz:
      return make_xz_decoder();
    case Codec::kLzop:
      return make_lzop_decoder();
  }
  return nullptr;
}

void TailBuffer::append(ByteSpan data) {
  total_ += data.size;
  const size_t cap = buf_.size();
  if (cap == 0) return;
  if (data.size >= cap) {
    std::memcpy(buf_.data(), data.data + (data.size - cap), cap);
    head_ = 0;
    return;
  }
  size_t first = std::min(data.size, cap - head_);
  std::memcpy(buf_.data() + head_, data.data, first);
  std::memcpy(buf_.data(), data.data + first, data.size - first);
  head_ = (head_ + data.size) % cap;
}

std::vector<uint8_t> TailBuffer::bytes() const {
  const size_t cap = buf_.size();
  if (total_ < cap) return std::vector<uint8_t>(buf_.begin(), buf_.begin() + total_);
  std::vector<uint8_t> out;
  out.reserve(cap);
  out.insert(out.end(), buf_.begin() + head_, buf_.end());
  out.insert(out.end(), buf_.begin(), buf_.begin() + head_);
  return out;
}

}  // namespace grubio

// The longest stream head a filter may need before it can decide (gzip's optional header fields
// are unbounded in GRUB, which reads them byte by byte; real files have a few dozen bytes).
inline constexpr size_t kMaxHead = size_t{256} << 10;

class FilterStage final : public ByteSink {
 public:
  enum class Mode : uint8_t { kSniff, kPass, kDecode, kStopped };

  FilterStage(Codec codec, ByteSink& next, ByteSink* tap, bool allow_fallback)
      : codec_(codec),
        decoder_(grubio::make_decoder(codec)),
        out_(next, out_size_),
        tap_(tap),
        allow_fallback_(allow_fallback) {}

  void write(ByteSpan in) override {
    in_size_ += in.size;
    if (tap_ != nullptr) tap_->write(in);
    switch (mode_) {
      case Mode::kSniff:
        sniff(in, false);
        break;
      case Mode::kPass:
        out_.write(in);
        break;
      case Mode::kDecode:
        decoder_->feed(in, out_);
        break;
      case Mode::kStopped:
        break;
    }
  }

  void finish() {
    if (mode_ == Mode::kSniff) sniff(ByteSpan(), true);
    if (mode_ == Mode::kDecode) {
      end_ = decoder_->end(out_);
      ended_ = true;
    }
  }

  Codec codec() const { return codec_; }
  Mode mode() const { return mode_; }
  bool failed() const {
    return !stop_message_.empty() || (mode_ == Mode::kDecode && decoder_->hopeless());
  }
  const std::string& stop_message() const { return stop_message_; }
  Errc stop_code() const { return stop_code_; }
  bool header_fallback() const { return !fallback_reason_.empty(); }
  const std::string& fallback_reason() const { return fallback_reason_; }
  const grubio::DecodeEnd& end() const { return end_; }
  bool ended() const { return ended_; }
  uint64_t in_size() const { return in_size_; }
  uint64_t out_size() const { return out_size_; }

 private:
  // Counts what the stage hands on.
  class CountingSink final : public ByteSink {
   public:
    CountingSink(ByteSink& next, uint64_t& count) : next_(next), count_(count) {}
    void write(ByteSpan data) override {
      count_ += data.size;
      if (data.size != 0) next_.write(data);
    }

   private:
    ByteSink& next_;
    uint64_t& count_;
  };

  void sniff(ByteSpan in, bool eof) {
    const size_t take = std::min(in.size, kMaxHead - head_.size());
    head_.insert(head_.end(), in.data, in.data + take);
    const ByteSpan rest = in.subspan(take, in.size - take);
    const bool at_end = eof && rest.size == 0;
    grubio::Sniff s = decoder_->sniff(ByteSpan(head_.data(), head_.size()), at_end);
    if (s.kind == grubio::SniffKind::kNeedMore) {
      if (head_.size() < kMaxHead && !at_end) return;
      if (at_end) {
        s.kind = grubio::SniffKind::kAbsent;  // decoders decide at eof; be safe
      } else {
        stop(Errc::kUnsupported, std::string(codec_name(codec_)) + ": header longer than " +
                                     std::to_string(kMaxHead >> 10) +
                                     " KiB; not supported by tlaunch");
        return;
      }
    }
    ByteSpan head(head_.data(), head_.size());
    switch (s.kind) {
      case grubio::SniffKind::kFallback:
        if (!allow_fallback_) {
          stop(Errc::kBadValue,
               std::string(codec_name(codec_)) + ": the data starts with the " +
                   codec_name(codec_) +
                   " magic bytes but GRUB 2.06 does not decompress it: " + s.reason +
                   "; GRUB loads such data undecompressed (--allow-fallback gives the digest of "
                   "that)");
          return;
        }
        fallback_reason_ = s.reason;
        [[fallthrough]];
      case grubio::SniffKind::kAbsent:
      case grubio::SniffKind::kNeedMore:
        mode_ = Mode::kPass;
        out_.write(head);
        out_.write(rest);
        break;
      case grubio::SniffKind::kDecode:
        mode_ = Mode::kDecode;
        decoder_->feed(head, out_);
        if (rest.size != 0) decoder_->feed(rest, out_);
        break;
    }
    std::vector<uint8_t>().swap(head_);
  }

  void stop(Errc code, std::string message) {
    mode_ = Mode::kStopped;
    stop_code_ = code;
    stop_message_ = std::move(message);
    std::vector<uint8_t>().swap(head_);
  }

  Codec codec_;
  std::unique_ptr<grubio::Decoder> decoder_;
  uint64_t out_size_ = 0;
  CountingSink out_;
  ByteSink* tap_;
  bool allow_fallback_;
  Mode mode_ = Mode::kSniff;
  std::vector<uint8_t> head_;
  uint64_t in_size_ = 0;
  std::string fallback_reason_;
  Errc stop_code_ = Errc::kOk;
  std::string stop_message_;
  grubio::DecodeEnd end_;
  bool ended_ = false;
};

GrubFilterChain::GrubFilterChain(ByteSink& out, GrubChainOptions options,
                                 std::array<ByteSink*, kCodecCount> taps)
    : options_(std::move(options)) {
  // Built back to front: each stage writes into the next one.
  ByteSink* next = &out;
  for (size_t i = kCodecCount; i-- > 0;) {
    stages_[i] = std::make_unique<FilterStage>(static_cast<Codec>(i), *next,
                                               i == 0 ? nullptr : taps[i], options_.allow_fallback);
    next = stages_[i].get();
  }
  taps_ = taps;
}

GrubFilterChain::~GrubFilterChain() = default;

void GrubFilterChain::push(ByteSpan data) {
  if (data.size == 0) return;
  pushed_ += data.size;
  stages_[0]->write(data);
}

bool GrubFilterChain::failed() const {
  for (const auto& s : stages_)
    if (s->failed()) return true;
  return false;
}

bool GrubFilterChain::passthrough() const {
  for (const auto& s : stages_)
    if (s->mode() != FilterStage::Mode::kPass || s->header_fallback()) return false;
  return true;
}

Expected<GrubChainResult> GrubFilterChain::finish() {
  for (auto& s : stages_) s->finish();
  GrubChainResult r;
  // Where a message happens: the file, or the data an outer filter decompressed.
  std::string where = options_.name.empty() ? std::string("input") : options_.name;
  auto context = [&where](const std::string& msg) { return where + ": " + msg; };
  for (size_t k = 0; k < kCodecCount; ++k) {
    FilterStage& s = *stages_[k];
    const char* name = codec_name(s.codec());
    if (s.mode() == FilterStage::Mode::kStopped)
      return fail(s.stop_code(), context(s.stop_message()));
    if (s.mode() == FilterStage::Mode::kPass) {
      if (s.header_fallback()) {
        FilterLayer l{s.codec(), false, s.in_size(), s.out_size(), s.fallback_reason()};
        r.warnings.push_back(
            context(std::string(name) +
                    ": GRUB 2.06 loads this data undecompressed: " + s.fallback_reason()));
        r.layers.push_back(std::move(l));
      }
      continue;
    }
    // Decoded (or tried to).
    const grubio::DecodeEnd& e = s.end();
    if (e.kind == grubio::EndKind::kFailed) return fail(e.code, context(e.message));
    if (e.kind == grubio::EndKind::kFallback) {
      if (!options_.allow_fallback)
        return fail(Errc::kBadValue, context(std::string(name) + ": " + e.message +
                                             "; GRUB 2.06 then loads the data undecompressed "
                                             "(--allow-fallback gives the digest of that)"));
      if (k != 0 && taps_[k] == nullptr)
        return fail(Errc::kUnsupported,
                    context(std::string(name) + ": " + e.message + "; GRUB 2.06 then loads the " +
                            "data undecompressed, which this caller did not keep"));
      r.layers.push_back(FilterLayer{s.codec(), false, s.in_size(), s.in_size(), e.message});
      r.warnings.push_back(
          context(std::string(name) + ": GRUB 2.06 loads this data undecompressed: " + e.message));
      r.loaded_from = static_cast<int>(k);
      r.loaded_size = s.in_size();
      return r;
    }
    if (!e.quirks.empty() && !options_.allow_fallback)
      return fail(Errc::kBadValue, context(std::string(name) + ": " + e.quirks.front() +
                                           " (--allow-fallback gives the digest of what GRUB "
                                           "loads)"));
    FilterLayer l{s.codec(), true, s.in_size(), s.out_size(), std::string()};
    for (const auto& q : e.quirks) {
      l.note += q;
      r.warnings.push_back(context(std::string(name) + ": " + q));
    }
    for (const auto& n : e.notes) {
      if (!l.note.empty()) l.note += "; ";
      l.note += n;
      r.warnings.push_back(context(std::string(name) + ": " + n));
    }
    r.layers.push_back(std::move(l));
    where += std::string(" (") + name + "-decompressed)";
  }
  r.loaded_from = -1;
  r.loaded_size = stages_[kCodecCount - 1]->out_size();
  return r;
}

}  // namespace tlaunch::host
