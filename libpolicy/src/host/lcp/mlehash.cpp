// MLE measurement as lcp2_mlehash computes it; see tlaunch/policy/host/lcp/mlehash.h for the rules
// and the upstream behaviours we deliberately do not copy.
#include "tlaunch/policy/host/lcp/mlehash.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/io/file_io.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::Expected;
using tlaunch::host::fail;

// ELF constants (System V ABI; tboot include/elf_defns.h).
constexpr size_t kElf32HeaderSize = 52;
constexpr size_t kElf32PhdrSize = 32;
constexpr uint8_t kElfDataLsb = 1;  // EI_DATA = ELFDATA2LSB
constexpr uint16_t kEtExec = 2;     // e_type
constexpr uint16_t kEm386 = 3;      // e_machine
constexpr uint32_t kEvCurrent = 1;  // e_version
constexpr uint32_t kPtLoad = 1;     // p_type

std::string hex32(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

uint32_t le32_at(const Bytes& b, size_t off) {
  return static_cast<uint32_t>(b[off]) | static_cast<uint32_t>(b[off + 1]) << 8 |
         static_cast<uint32_t>(b[off + 2]) << 16 | static_cast<uint32_t>(b[off + 3]) << 24;
}

// Inflates one or more gzip members (RFC 1952) starting at data[0].
Expected<Bytes> gunzip(const Bytes& in, const std::string& path) {
  Bytes out;
  size_t pos = 0;
  bool first = true;
  while (pos < in.size()) {
    if (!first && !(in.size() - pos >= 2 && in[pos] == 0x1f && in[pos + 1] == 0x8b))
      break;  // zlib gzread ignores what follows a member if it is not another gzip member
    first = false;
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
      return fail(Errc::kInternal, path + ": cannot initialise zlib");
    zs.next_in = const_cast<Bytef*>(in.data() + pos);
    zs.avail_in = static_cast<uInt>(in.size() - pos > 0x40000000u ? 0x40000000u : in.size() - pos);
    int rc = Z_OK;
    uint8_t buf[65536];
    do {
      zs.next_out = buf;
      zs.avail_out = sizeof(buf);
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) break;
      out.insert(out.end(), buf, buf + (sizeof(buf) - zs.avail_out));
      if (out.size() > kMaxExpandedImage * 4) {
        inflateEnd(&zs);
        return fail(Errc::kTooLarge, path + ": decompressed data larger than 1 GiB");
      }
    } while (rc == Z_OK && (zs.avail_in > 0 || zs.avail_out == 0));
    size_t consumed = static_cast<size_t>(zs.next_in - (in.data() + pos));
    std::string zmsg = zs.msg != nullptr ? zs.msg : "error";
    inflateEnd(&zs);
    if (rc == Z_STREAM_END) {
      pos += consumed;
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR)
      return fail(Errc::kTruncated, path + ": gzip data ends early (truncated file) at byte " +
                                        std::to_string(pos + consumed));
    return fail(Errc::kBadValue, path + ": corrupt gzip data near byte " +
                                     std::to_string(pos + consumed) + " (zlib: " + zmsg + ")");
  }
  return out;
}

}  // namespace

Expected<Bytes> read_mle_file(const std::string& path) {
  auto raw = tlaunch::host::read_file(path, kMaxExpandedImage * 4);
  if (!raw) return raw.failure();
  if (raw->size() >= 2 && (*raw)[0] == 0x1f && (*raw)[1] == 0x8b) return gunzip(*raw, path);
  return std::move(*raw);
}

Expected<MleImage> expand_mle_image(const Bytes& file, const std::string& context) {
  auto bad = [&](const std::string& what) { return fail(Errc::kBadValue, context + ": " + what); };
  // is_elf_image(): magic, EI_DATA, e_type, e_machine, e_version, e_phentsize. EI_CLASS is not
  // checked upstream (docs/reference/upstream-quirks.md#q55); EM_386 implies the ELF32 layout,
  // which is what we read.
  if (file.size() < kElf32HeaderSize)
    return fail(Errc::kTruncated, context + ": not an ELF image (shorter than an ELF header)");
  if (!(file[0] == 0x7f && file[1] == 'E' && file[2] == 'L' && file[3] == 'F'))
    return bad("not an ELF image (no ELF magic)");
  if (file[5] != kElfDataLsb) return bad("ELF image is not little-endian (EI_DATA, byte offset 5)");
  uint16_t e_type = static_cast<uint16_t>(file[16] | file[17] << 8);
  uint16_t e_machine = static_cast<uint16_t>(file[18] | file[19] << 8);
  uint32_t e_version = le32_at(file, 20);
  uint32_t e_phoff = le32_at(file, 28);
  uint16_t e_phentsize = static_cast<uint16_t>(file[42] | file[43] << 8);
  uint16_t e_phnum = static_cast<uint16_t>(file[44] | file[45] << 8);
  if (e_type != kEtExec) return bad("ELF image is not executable (e_type " + hex32(e_type) + ")");
  if (e_machine != kEm386)
    return bad("ELF image is not for IA-32 (e_machine " + hex32(e_machine) + ")");
  if (e_version != kEvCurrent)
    return bad("ELF version is invalid (e_version " + hex32(e_version) + ")");
  if (e_phentsize < kElf32PhdrSize)
    return bad("e_phentsize " + std::to_string(e_phentsize) + " is smaller than a program header");

  struct Load {
    uint32_t offset, paddr, filesz, memsz;
  };
  std::vector<Load> loads;
  uint64_t range_end = 0;  // get_elf_image_range(): max(p_paddr + p_memsz); start stays 0
  for (uint32_t i = 0; i < e_phnum; ++i) {
    uint64_t ph = static_cast<uint64_t>(e_phoff) + static_cast<uint64_t>(i) * e_phentsize;
    if (ph + kElf32PhdrSize > file.size())
      return fail(Errc::kTruncated, context + ": program header " + std::to_string(i) +
                                        " (byte offset " + std::to_string(ph) +
                                        ") lies outside the file");
    size_t p = static_cast<size_t>(ph);
    if (le32_at(file, p) != kPtLoad) continue;
    Load l{le32_at(file, p + 4), le32_at(file, p + 12), le32_at(file, p + 16),
           le32_at(file, p + 20)};
    if (static_cast<uint64_t>(l.offset) + l.filesz > file.size())
      return fail(Errc::kTruncated, context + ": PT_LOAD segment " + std::to_string(loads.size()) +
                                        " (p_offset " + hex32(l.offset) + ", p_filesz " +
                                        hex32(l.filesz) + ") runs past the end of the file (" +
                                        std::to_string(file.size()) + " bytes): truncated image");
    if (l.filesz > l.memsz)
      return bad("PT_LOAD segment " + std::to_string(loads.size()) + ": p_filesz " +
                 hex32(l.filesz) + " is larger than p_memsz " + hex32(l.memsz));
    range_end = std::max<uint64_t>(range_end, static_cast<uint64_t>(l.paddr) + l.memsz);
    loads.push_back(l);
  }
  if (range_end == 0) return bad("no loadable (PT_LOAD) content");

  // expand_elf_image(): segments back to back from offset 0
  // (docs/reference/upstream-quirks.md#q50), each limited by what is left of the range-sized
  // buffer.
  uint64_t packed = 0;
  for (const Load& l : loads) {
    if (l.memsz > range_end - packed)
      return bad("expanded image exceeds its address range (segments overlap)");
    packed += l.memsz;
  }
  if (packed > kMaxExpandedImage)
    return fail(Errc::kTooLarge, context + ": expanded image would be " + std::to_string(packed) +
                                     " bytes, more than 256 MiB");
  MleImage img;
  img.image.assign(static_cast<size_t>(packed), 0);
  size_t at = 0;
  for (const Load& l : loads) {
    std::memcpy(img.image.data() + at, file.data() + l.offset, l.filesz);
    at += l.memsz;
  }

  // find_mle_hdr(): the UUID at 16-byte steps.
  const uint8_t uuid_bytes[16] = {0x5a, 0xac, 0x82, 0x90, 0x6f, 0x47, 0xa7, 0x74,
                                  0x0f, 0x5c, 0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42};
  size_t hdr = SIZE_MAX;
  for (size_t off = 0; off + 16 <= img.image.size(); off += 16) {
    if (std::memcmp(img.image.data() + off, uuid_bytes, 16) == 0) {
      hdr = off;
      break;
    }
  }
  if (hdr == SIZE_MAX) return fail(Errc::kNotFound, context + ": no MLE header found in image");
  if (hdr + kMleHeaderSize > img.image.size())
    return fail(Errc::kTruncated, context + ": MLE header at image offset " + hex32(hdr) +
                                      " runs past the end of the expanded image");
  MleHeader& h = img.header;
  h.image_offset = static_cast<uint32_t>(hdr);
  h.length = le32_at(img.image, hdr + 16);
  h.version = le32_at(img.image, hdr + 20);
  h.entry_point = le32_at(img.image, hdr + 24);
  h.first_valid_page = le32_at(img.image, hdr + 28);
  h.mle_start_off = le32_at(img.image, hdr + 32);
  h.mle_end_off = le32_at(img.image, hdr + 36);
  h.capabilities = le32_at(img.image, hdr + 40);
  h.cmdline_start_off = le32_at(img.image, hdr + 44);
  h.cmdline_end_off = le32_at(img.image, hdr + 48);
  if (h.mle_end_off <= h.mle_start_off)
    return bad("MLE header: MleEndOff " + hex32(h.mle_end_off) + " is not above MleStartOff " +
               hex32(h.mle_start_off));
  if (h.mle_end_off > img.image.size())
    return fail(Errc::kTruncated, context + ": MLE header: MleEndOff " + hex32(h.mle_end_off) +
                                      " lies beyond the expanded image (" +
                                      hex32(img.image.size()) + " bytes)");
  if (h.cmdline_end_off > h.cmdline_start_off && h.cmdline_end_off > img.image.size())
    return fail(Errc::kTruncated,
                context + ": MLE header: CmdlineEndOff " + hex32(h.cmdline_end_off) +
                    " lies beyond the expanded image (" + hex32(img.image.size()) + " bytes)");
  return img;
}

Expected<MleHashResult> mle_hash(MleImage img, HashAlg alg,
                                 const std::optional<std::string>& cmdline) {
  MleHashResult res;
  const MleHeader& h = img.header;
  if (cmdline && h.cmdline_end_off > h.cmdline_start_off) {
    size_t area = h.cmdline_end_off - h.cmdline_start_off;
    res.cmdline_area = area;
    uint8_t* dst = img.image.data() + h.cmdline_start_off;
    std::memset(dst, 0, area);
    size_t n = cmdline->size();
    if (n > area) {
      n = area;
      res.cmdline_truncated = true;
    }
    std::memcpy(dst, cmdline->data(), n);  // the NUL is already there when n < area
  }
  tlaunch::host::OpenSslHasher hasher;
  auto d = hash_once(hasher, alg,
                     ByteSpan(img.image.data() + h.mle_start_off, h.mle_end_off - h.mle_start_off));
  if (!d) return fail(d.error(), "MLE hash");
  res.digest = *d;
  return res;
}

std::string mle_hash_line(const Digest& d) {
  std::string s;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < d.size; ++i) {
    if (i) s += ' ';
    s += kHex[d.bytes[i] >> 4];
    s += kHex[d.bytes[i] & 0xF];
  }
  s += '\n';
  return s;
}

}  // namespace tlaunch::lcp::host
