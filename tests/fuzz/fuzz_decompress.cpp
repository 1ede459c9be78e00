// The GRUB 2.06 decompression chain of `tlaunch hash` and `tlaunch build` (libpolicy
// host/decompress.h: our own gzip member/xz stream-index-footer/lzop header-block parsers around
// zlib, liblzma and liblzo2). A kernel or initrd is attacker-controlled input to every reference
// hash we publish.
//
// Input layout: byte 0 flags (bit 0 allow_fallback, bits 1-2 mode: 0 = the rest is the file, else
// the rest is a payload this target compresses; bit 3 nest two codecs), byte 1 codec choices,
// byte 2 check choices, u16 chunk size, byte damage count, damage ops (kind, u32 position, byte),
// then the payload/file.
//
// Properties:
//  * chunking does not change the outcome: the whole file in one push and in fuzzer-chosen pieces
//    give the same success/failure, error code, loaded bytes, size and layers;
//  * once failed() says the outcome is an error, it is; passthrough() means "no filter applies"
//    and the loaded bytes are the file;
//  * the bytes handed over always have the size the result announces, failures name the file;
//  * without allow_fallback a success is never a fallback (warnings only remark on bytes GRUB
//    ignores, such as data after a gzip member), and a stream
//    compressed here with an integrity check (gzip CRC32, xz CRC32/CRC64/SHA-256, lzop
//    Adler-32/CRC32 of the data), however damaged, either decodes to the original payload, is
//    plain data (no filter's magic left), or is an error: never other content.
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "fuzz.h"
#include "tlaunch/policy/host/decompress.h"

using tlaunch::fuzz::Bytes;
using namespace tlaunch;
using namespace tlaunch::host;

namespace {

void put_le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_be32(Bytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_be16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// RFC 1952 member: 10-byte header, raw deflate, CRC32, ISIZE.
Bytes gzip(const Bytes& data, uint8_t level) {
  Bytes g = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3};
  z_stream z{};
  if (deflateInit2(&z, level % 10, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    std::abort();
  Bytes out(deflateBound(&z, data.size()) + 16);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  g.insert(g.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(z.total_out));
  deflateEnd(&z);
  put_le32(g, static_cast<uint32_t>(crc32_z(0, data.data(), data.size())));
  put_le32(g, static_cast<uint32_t>(data.size()));
  return g;
}

Bytes xz(const Bytes& data, lzma_check check, bool x86) {
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 0);
  opt.dict_size = 1u << 16;  // small: keeps the encoder's set-up cheap per execution
  lzma_filter filters[3];
  size_t i = 0;
  if (x86) filters[i++] = {LZMA_FILTER_X86, nullptr};
  filters[i++] = {LZMA_FILTER_LZMA2, &opt};
  filters[i] = {LZMA_VLI_UNKNOWN, nullptr};
  Bytes out(lzma_stream_buffer_bound(data.size()) + 64);
  size_t pos = 0;
  FUZZ_CHECK(lzma_stream_buffer_encode(filters, check, nullptr, data.data(), data.size(),
                                       out.data(), &pos, out.size()) == LZMA_OK);
  out.resize(pos);
  return out;
}

uint32_t lz_check(bool crc, const uint8_t* p, size_t n) {
  return crc ? static_cast<uint32_t>(crc32_z(0, p, n)) : static_cast<uint32_t>(adler32_z(1, p, n));
}

// An lzop file as GRUB's lzopio.c reads it. `flags`: F_ADLER32_D 0x1, F_ADLER32_C 0x2,
// F_CRC32_D 0x100, F_CRC32_C 0x200, F_H_CRC32 0x1000.
Bytes lzop(const Bytes& data, uint32_t flags, size_t block) {
  static const bool init = lzo_init() == LZO_E_OK;
  FUZZ_CHECK(init);
  Bytes f = {0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes h;
  put_be16(h, 0x1040);
  put_be16(h, 0x20a0);
  put_be16(h, 0x0940);
  h.push_back(1);  // M_LZO1X_1
  h.push_back(5);
  put_be32(h, flags);
  put_be32(h, 0100644);
  put_be32(h, 0);
  put_be32(h, 0);
  h.push_back(1);
  h.push_back('k');
  const uint32_t hc = lz_check((flags & 0x1000) != 0, h.data(), h.size());
  f.insert(f.end(), h.begin(), h.end());
  put_be32(f, hc);
  static Bytes wrk(LZO1X_1_MEM_COMPRESS);
  for (size_t off = 0; off < data.size(); off += block) {
    const size_t n = std::min(block, data.size() - off);
    Bytes c(n + n / 16 + 64 + 3);
    lzo_uint clen = 0;
    FUZZ_CHECK(lzo1x_1_compress(data.data() + off, n, c.data(), &clen, wrk.data()) == LZO_E_OK);
    const bool stored = clen >= n;
    put_be32(f, static_cast<uint32_t>(n));
    put_be32(f, static_cast<uint32_t>(stored ? n : clen));
    if (flags & 0x101) put_be32(f, lz_check((flags & 0x100) != 0, data.data() + off, n));
    if ((flags & 0x202) && !stored) put_be32(f, lz_check((flags & 0x200) != 0, c.data(), clen));
    if (stored)
      f.insert(f.end(), data.begin() + static_cast<std::ptrdiff_t>(off),
               data.begin() + static_cast<std::ptrdiff_t>(off + n));
    else
      f.insert(f.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(clen));
  }
  put_be32(f, 0);
  return f;
}

class VectorSink final : public ByteSink {
 public:
  void write(ByteSpan d) override { bytes.insert(bytes.end(), d.data, d.data + d.size); }
  Bytes bytes;
};

struct Run {
  bool ok = false;
  Errc code = Errc::kOk;
  std::string message;
  GrubChainResult result;
  Bytes loaded;
  bool failed_early = false;  // failed() was true at some point
  bool passthrough = false;   // passthrough() at the end of input
};

Run run_chain(const Bytes& in, bool allow, size_t chunk) {
  VectorSink out, tap1, tap2;
  GrubChainOptions o;
  o.allow_fallback = allow;
  o.name = "vmlinuz";
  GrubFilterChain chain(out, o, {nullptr, &tap1, &tap2});
  Run run;
  if (chunk == 0) chunk = in.size() + 1;
  for (size_t off = 0; off < in.size(); off += chunk) {
    chain.push(ByteSpan(in.data() + off, std::min(chunk, in.size() - off)));
    if (chain.failed()) run.failed_early = true;
  }
  run.passthrough = chain.passthrough();
  auto r = chain.finish();
  if (!r) {
    run.code = r.failure().code;
    run.message = r.failure().message;
    return run;
  }
  run.ok = true;
  run.result = *r;
  switch (r->loaded_from) {
    case -1: run.loaded = out.bytes; break;
    case 0: run.loaded = in; break;
    case 1: run.loaded = tap1.bytes; break;
    case 2: run.loaded = tap2.bytes; break;
    default: tlaunch::fuzz::fuzz_fail(__FILE__, __LINE__, "loaded_from out of range");
  }
  return run;
}

bool same_layers(const std::vector<FilterLayer>& a, const std::vector<FilterLayer>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].codec != b[i].codec || a[i].decompressed != b[i].decompressed ||
        a[i].input_size != b[i].input_size || a[i].output_size != b[i].output_size)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  const uint8_t flags = fin.u8();
  const uint8_t codecs = fin.u8();
  const uint8_t checks = fin.u8();
  const size_t chunk = fin.u16();
  const bool allow = (flags & 1) != 0;
  const bool generate = (flags & 6) != 0;
  const bool nest = (flags & 8) != 0;
  struct Damage {
    uint8_t kind;
    uint32_t pos;
    uint8_t value;
  };
  std::vector<Damage> damage(fin.u8() % 5);
  for (Damage& d : damage) d = {fin.u8(), fin.u32(), fin.u8()};
  const ByteSpan rest = fin.rest();
  const Bytes payload(rest.data, rest.data + rest.size);

  Bytes file = payload;
  bool checked = false;  // every layer has an integrity check over the payload
  bool plain_payload = false;
  std::vector<Codec> built;
  if (generate) {
    // GRUB applies gzio, xzio, lzopio in that order: a nested file decodes twice only when the
    // outer codec comes earlier in that order.
    Codec outer = static_cast<Codec>(codecs % 3), inner = static_cast<Codec>((codecs / 3) % 3);
    if (nest && outer > inner) std::swap(outer, inner);
    std::vector<Codec> layers = {outer};
    if (nest && inner != outer) layers.insert(layers.begin(), inner);  // innermost first
    checked = true;
    for (Codec c : layers) {
      switch (c) {
        case Codec::kGzip: file = gzip(file, checks); break;
        case Codec::kXz: {
          static constexpr lzma_check kChecks[] = {LZMA_CHECK_CRC32, LZMA_CHECK_CRC64,
                                                   LZMA_CHECK_SHA256, LZMA_CHECK_NONE};
          const lzma_check ck = kChecks[(checks >> 4) & 3];
          if (ck == LZMA_CHECK_NONE) checked = false;
          file = xz(file, ck, (checks & 0x40) != 0);
          break;
        }
        case Codec::kLzop: {
          // Flag sets lzop writes (a data check always, when any; a compressed-data check only
          // with one: GRUB reuses the data check for stored blocks and fails without it).
          static constexpr uint32_t kFlags[] = {0x1, 0x100, 0x3, 0x1301, 0x0, 0x1303};
          const uint32_t f = kFlags[(checks >> 2) % 6];
          if ((f & 0x101) == 0) checked = false;
          file = lzop(file, f, 512 + static_cast<size_t>(checks & 3) * 4096);
          break;
        }
      }
      built.insert(built.begin(), c);  // outermost first
    }
    const bool pristine = damage.empty();
    for (const Damage& d : damage) {
      switch (d.kind % 4) {
        case 0:
          if (!file.empty()) file[d.pos % file.size()] ^= static_cast<uint8_t>(d.value | 1);
          break;
        case 1: file.resize(d.pos % (file.size() + 1)); break;
        case 2: file.insert(file.end(), 1 + d.value % 64, static_cast<uint8_t>(d.pos)); break;
        default:
          file.insert(file.begin() + static_cast<std::ptrdiff_t>(d.pos % (file.size() + 1)),
                      d.value);
      }
    }
    // The payload-based properties hold when no filter recognises the payload itself (a payload
    // that is an xz stream inside the gzip layer built here is decoded again, or falls back).
    const Run alone = run_chain(payload, false, 0);
    plain_payload = alone.ok && alone.result.layers.empty();
    if (pristine && plain_payload) {
      // An undamaged stream decodes to the payload in every mode, layer by layer.
      const Run r = run_chain(file, allow, chunk);
      FUZZ_CHECK(r.ok);
      FUZZ_CHECK(r.loaded == payload);
      FUZZ_CHECK(r.result.loaded_from == -1 && r.result.warnings.empty());  // nothing to remark
      FUZZ_CHECK(r.result.layers.size() == built.size());
      for (size_t i = 0; i < built.size(); ++i)
        FUZZ_CHECK(r.result.layers[i].codec == built[i] && r.result.layers[i].decompressed);
    }
  }

  const Run whole = run_chain(file, allow, 0);
  const Run pieces = run_chain(file, allow, chunk == 0 ? 1 : chunk);

  for (const Run* r : {&whole, &pieces}) {
    if (r->failed_early) FUZZ_CHECK(!r->ok);
    if (r->passthrough) FUZZ_CHECK(r->ok && r->result.layers.empty() && r->loaded == file);
    if (!r->ok) {
      FUZZ_CHECK(r->code != Errc::kOk);
      FUZZ_CHECK(r->message.rfind("vmlinuz", 0) == 0);
      continue;
    }
    FUZZ_CHECK(r->loaded.size() == r->result.loaded_size);
    if (r->result.layers.empty()) FUZZ_CHECK(r->loaded == file);
    if (!allow) {
      FUZZ_CHECK(r->result.loaded_from == -1);
      for (const FilterLayer& l : r->result.layers) FUZZ_CHECK(l.decompressed);
      if (generate && checked && plain_payload)
        FUZZ_CHECK(r->loaded == payload || (r->result.layers.empty() && r->loaded == file));
    }
  }

  FUZZ_CHECK(whole.ok == pieces.ok);
  if (whole.ok) {
    FUZZ_CHECK(whole.loaded == pieces.loaded);
    FUZZ_CHECK(whole.result.loaded_from == pieces.result.loaded_from);
    FUZZ_CHECK(same_layers(whole.result.layers, pieces.result.layers));
    FUZZ_CHECK(whole.result.warnings.size() == pieces.result.warnings.size());
  } else {
    FUZZ_CHECK(whole.code == pieces.code);
  }
  return 0;
}
