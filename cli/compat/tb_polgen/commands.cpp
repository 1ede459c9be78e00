#include "commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/host/grubio/tbpolgen_image.h"
#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/host/vlp/vlp_text.h"
#include "tlaunch/policy/measure.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch::tbpolgen {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

void print_text(const host::PolicyText& t) {
  std::fputs(t.out.c_str(), stdout);
  std::fputs(t.err.c_str(), stderr);
}

// Policies are read, written and printed with the digest sizes of tboot 1.10.5, the release
// Debian 12 ships: SHA-1 (0x04, and the legacy id 0x00) has 20-byte digests there, and
// `--alg sha1` works (docs/compat.md "tbp-sha1"); everything else is HEAD's.
constexpr vlp::Release kRelease = vlp::Release::kTboot1105;

bool is_sha1(uint8_t alg) { return alg == 0x04 || alg == 0x00; }

// tb_polgen can hash images only with these (hash.c hash_file(), extend_hash(), print_hash());
// 1.10.5 also with SHA-1 0x04, not with the legacy 0x00.
bool image_alg_supported(uint8_t alg) {
  return alg == 0x04 || alg == 0x0B || alg == 0x0C || alg == 0x0D;
}

// print_hash(): "%02x " per byte and a newline, or a complaint on stderr.
void print_hash(const Digest& d, uint8_t alg) {
  if (!image_alg_supported(alg)) {
    std::fprintf(stderr, "unsupported hash alg (%d)\n", alg);
    return;
  }
  for (size_t i = 0; i < d.size; ++i) std::printf("%02x ", d.bytes[i]);
  std::printf("\n");
}

// read_policy_file() of tb_polgen/policy.c: at most MAX_TB_POLICY_SIZE (2124) bytes are read,
// the rest of a longer file is ignored; *exists tells create() whether a file was there.
bool read_policy(const Params& p, vlp::Policy* out, bool* exists) {
  const char* path = p.policy_file.c_str();
  errno = 0;
  FilePtr f(std::fopen(path, "r"));
  if (!f) {
    const int err = errno;
    if (exists != nullptr) *exists = err != ENOENT;
    if (p.verbose) std::printf("fopen failed, errno %s\n", std::strerror(err));
    return false;
  }
  if (exists != nullptr) *exists = true;
  std::vector<uint8_t> buf(vlp::kMaxPolicySize);
  const size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
  if (std::ferror(f.get())) {
    std::fprintf(stderr, "fread failed, errno %s\n", std::strerror(errno));
    return false;
  }
  if (n == 0) {
    std::fprintf(stderr, "Policy file %s is empty\n", path);
    return false;
  }
  const ByteSpan bytes(buf.data(), n);
  if (p.verbose) print_text(host::tb_polgen_text(bytes, kRelease));
  auto r = vlp::decode(bytes, kRelease);
  if (!r.ok()) {
    std::fprintf(stderr, "Policy file %s is corrupt\n", path);
    return false;
  }
  *out = *r;
  return true;
}

// write_policy_file(): writes exactly the policy's bytes. Unlike upstream (fopen "w", truncate,
// write; failures reported only with --verbose) the file is replaced atomically and a failure is
// always reported.
bool write_policy(const Params& p, const vlp::Policy& pol) {
  uint8_t buf[vlp::kMaxPolicySize];
  auto n = vlp::encode(pol, MutableByteSpan(buf, sizeof(buf)));
  if (!n.ok()) {
    std::fprintf(stderr, "%s\n", host::describe(n.error(), p.policy_file).c_str());
    return false;
  }
  if (p.verbose) print_text(host::tb_polgen_text(ByteSpan(buf, *n), kRelease));
  // Not upstream's: 1.10.5 writes SHA-1 policies without a word.
  if (is_sha1(pol.hash_alg))
    std::fprintf(stderr,
                 "warning: SHA-1 is weak: a module with a colliding SHA-1 digest would pass this "
                 "policy; prefer --alg sha256, sha384 or sha512\n");
  auto w = host::write_file_atomic(p.policy_file, buf, *n);
  if (!w.ok()) {
    std::fprintf(stderr, "Error writing policy file %s\n", w.failure().message.c_str());
    return false;
  }
  return true;
}

// The entry for exactly module `mod_num` (129 = the ANY entry). Upstream's find_policy_entry()
// also returns an earlier ANY entry (docs/reference/upstream-quirks.md#q2), so `--add --num N`
// appended a duplicate after it every time and `--del --num N` deleted the ANY entry; both act on
// N's own entry here.
int find_exact(const vlp::Policy& pol, int mod_num) {
  for (size_t i = 0; i < pol.num_entries(); ++i)
    if (pol.entry(i).mod_num == mod_num) return static_cast<int>(i);
  return -1;
}

// H(cmdline) as hash_buffer() does it: SM3 is accepted there (only image hashing refuses it);
// an unknown algorithm is reported and, as upstream, not treated as fatal at this point.
Digest hash_cmdline(const Params& p, uint8_t alg) {
  Digest d;
  d.alg = static_cast<HashAlg>(alg);
  if (!image_alg_supported(alg) && alg != 0x12) {
    std::fprintf(stderr, "unsupported hash alg (%d)\n", alg);
    return d;
  }
  host::OpenSslHasher h;
  auto r = hash_once(h, static_cast<HashAlg>(alg), cstr_bytes(p.cmdline.c_str()));
  if (r.ok()) d = *r;
  return d;
}

bool can_open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// The digest tboot will compare: H( H(cmdline) || H(image) ) (docs/reference/vlp.md §6.1), with
// tb_polgen's --verbose trace.
bool measure_image(const Params& p, uint8_t alg, Digest* out) {
  if (p.verbose) std::printf("hashing command line \"%s\"...\n", p.cmdline.c_str());
  const Digest cmd = hash_cmdline(p, alg);
  if (p.verbose) {
    std::printf("hash is...");
    print_hash(cmd, alg);
  }
  if (p.verbose) std::printf("hashing image file %s...\n", p.image_file.c_str());
  if (!image_alg_supported(alg)) {
    // hash_file() opens the image before it looks at the algorithm.
    if (!can_open(p.image_file))
      std::fprintf(stderr, "File %s does not exist\n", p.image_file.c_str());
    else
      std::fprintf(stderr, "unsupported hash alg (%d)\n", alg);
    return false;
  }
  auto image = host::hash_image_gzread(p.image_file, static_cast<HashAlg>(alg));
  if (!image.ok()) {
    if (image.failure().code == Errc::kNotFound)
      std::fprintf(stderr, "File %s does not exist\n", p.image_file.c_str());
    else
      std::fprintf(stderr, "Error hashing image file %s\n", image.failure().message.c_str());
    return false;
  }
  if (p.verbose) {
    std::printf("hash is...");
    print_hash(*image, alg);
  }
  host::OpenSslHasher h;
  auto m = module_measurement(h, static_cast<HashAlg>(alg), cstr_bytes(p.cmdline.c_str()), *image);
  if (!m.ok()) {
    std::fprintf(stderr, "unsupported hash alg (%d)\n", alg);
    return false;
  }
  if (p.verbose) {
    std::printf("cumulative hash is...");
    print_hash(*m, alg);
  }
  *out = *m;
  return true;
}

}  // namespace

bool do_show(const Params& p) {
  vlp::Policy pol;
  if (!read_policy(p, &pol, nullptr)) {
    std::fprintf(stderr, "Error reading policy file %s\n", p.policy_file.c_str());
    return false;
  }
  // verify_policy(g_policy, calc_policy_size(g_policy), true): the policy's own bytes.
  uint8_t buf[vlp::kMaxPolicySize];
  auto n = vlp::encode(pol, MutableByteSpan(buf, sizeof(buf)));
  if (!n.ok()) return false;
  print_text(host::tb_polgen_text(ByteSpan(buf, *n), kRelease));
  return true;
}

bool do_create(const Params& p) {
  if (p.verbose) std::printf("reading existing policy file %s...\n", p.policy_file.c_str());
  vlp::Policy pol;
  bool exists = false;
  const bool read = read_policy(p, &pol, &exists);
  if (!read && exists) {
    std::fprintf(stderr, "Error reading policy file %s\n", p.policy_file.c_str());
    return false;
  }
  const auto type = static_cast<uint8_t>(p.policy_type);
  const auto control = static_cast<uint32_t>(p.policy_control);
  if (!read) {
    pol = vlp::Policy::create(type, static_cast<uint8_t>(p.hash_alg), control, kRelease);
  } else {
    // An existing policy keeps its entries and hash algorithm
    // (docs/reference/upstream-quirks.md#q9); --ctrl, given or not (default 1), replaces
    // policy_control.
    std::fprintf(stderr,
                 "warning: modifying existing policy file, hash algorithm will not be changed\n");
    pol.policy_type = type;
    pol.policy_control = control;
  }
  if (p.verbose) std::printf("writing new policy file...\n");
  return write_policy(p, pol);
}

bool do_add(const Params& p) {
  if (p.verbose) std::printf("reading existing policy file %s...\n", p.policy_file.c_str());
  vlp::Policy pol;
  if (!read_policy(p, &pol, nullptr)) {
    std::fprintf(stderr, "Error reading policy file %s\n", p.policy_file.c_str());
    return false;
  }
  const auto mod = static_cast<uint8_t>(p.mod_num);
  const auto pcr = static_cast<uint8_t>(p.pcr);
  const auto htype = static_cast<uint8_t>(p.hash_type);
  int idx = find_exact(pol, p.mod_num);
  if (idx < 0) {
    if (p.verbose)
      std::printf("adding new policy entry for mod_num %u (pcr: %u, hash_type: %u)\n", mod, pcr,
                  htype);
    // New entries go at the end, as upstream (never before an ANY entry; see docs/compat.md).
    vlp::Entry e;
    e.mod_num = mod;
    e.pcr = pcr;
    e.hash_type = htype;
    auto added = pol.add_entry(e);
    if (!added.ok()) {
      std::fprintf(stderr, "cannot add another entry\n");
      return false;
    }
    idx = static_cast<int>(*added);
  } else {
    if (p.verbose) std::printf("modifying policy entry for mod_num %u\n", mod);
    // Existing digests are kept (docs/reference/upstream-quirks.md#q3), only pcr and hash_type
    // change.
    pol.entry(static_cast<size_t>(idx)).pcr = pcr;
    pol.entry(static_cast<size_t>(idx)).hash_type = htype;
  }
  if (htype == vlp::kHashImage) {
    Digest m;
    if (!measure_image(p, pol.hash_alg, &m)) return false;
    if (!pol.add_hash(static_cast<size_t>(idx), m.span()).ok()) {
      std::fprintf(stderr, "cannot add another hash\n");
      return false;
    }
  }
  if (p.verbose) std::printf("writing new policy file...\n");
  return write_policy(p, pol);
}

bool do_del(const Params& p) {
  if (p.verbose) std::printf("reading existing policy file %s...\n", p.policy_file.c_str());
  vlp::Policy pol;
  if (!read_policy(p, &pol, nullptr)) {
    std::fprintf(stderr, "Error reading policy file %s\n", p.policy_file.c_str());
    return false;
  }
  const int idx = find_exact(pol, p.mod_num);
  if (idx < 0) {
    std::fprintf(stderr, "specified mod_num does not exist\n");
    return false;
  }
  const auto i = static_cast<size_t>(idx);
  // Without --pos (or with --pos -1) the whole entry goes, as the man page documents; upstream
  // read an uninitialised pos instead (docs/reference/upstream-quirks.md#q1).
  if (p.pos_given && p.pos != -1) {
    const int nh = pol.entry(i).num_hashes;
    if (p.pos < 0 || p.pos >= nh) {
      std::fprintf(stderr, "specified pos does not exist\n");
      return false;
    }
    // An entry whose only digest is deleted is deleted with it (upstream do_del()).
    const bool ok =
        nh == 1 ? pol.del_entry(i).ok() : pol.del_hash(i, static_cast<size_t>(p.pos)).ok();
    if (!ok) {
      std::fprintf(stderr, nh == 1 ? "failed to delete entry\n" : "failed to delete hash\n");
      return false;
    }
  } else if (!pol.del_entry(i).ok()) {
    std::fprintf(stderr, "failed to delete entry\n");
    return false;
  }
  if (p.verbose) std::printf("writing new policy file...\n");
  return write_policy(p, pol);
}

namespace {

// read_elt_file() of tb_polgen/policy.c with its messages; the caller adds "Error reading elt
// file".
bool read_elt(const std::string& path, std::vector<uint8_t>* out) {
  errno = 0;
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    std::fprintf(stderr, "fopen %s failed, errno %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<uint8_t> data;
  uint8_t chunk[65536];
  for (;;) {
    const size_t n = std::fread(chunk, 1, sizeof(chunk), f.get());
    data.insert(data.end(), chunk, chunk + n);
    if (n < sizeof(chunk)) break;
  }
  if (std::ferror(f.get())) {
    std::fprintf(stderr, "reading file %s failed, errono %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  if (data.empty()) {
    std::fprintf(stderr, "failed to get file len\n");
    return false;
  }
  *out = std::move(data);
  return true;
}

uint32_t le32(const uint8_t* b) {
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

// LCP_CUSTOM_ELEMENT_TBOOT_UUID {0xc3930641, 0xe3cb, 0x4f40, 0x91d7, {27 f8 b9 e2 5c 86}}, every
// field little-endian as tboot stores uuid_t (docs/reference/vlp.md §5.3).
constexpr uint8_t kTbootUuid[16] = {0x41, 0x06, 0x93, 0xc3, 0xcb, 0xe3, 0x40, 0x4f,
                                    0xd7, 0x91, 0x27, 0xf8, 0xb9, 0xe2, 0x5c, 0x86};
constexpr uint32_t kEltTypeCustomLegacy = 0x03;  // LCP_POLELT_TYPE_CUSTOM (lcp2.h)
constexpr uint32_t kEltTypeCustom2 = 0x13;       // LCP_POLELT_TYPE_CUSTOM2 (lcp3.h)
constexpr size_t kEltHeaderSize = 12;            // size, type, policy_elt_control

}  // namespace

// --unwrap: the VLP inside a tboot custom LCP element, accepted as tboot's unwrap_lcp_policy()
// accepts it (docs/reference/vlp.md §5.3): type 0x03 or 0x13, the tboot UUID, and a policy that
// verify_policy() accepts. Upstream accepted only 0x03, ignored the UUID and wrote whatever
// followed it (docs/reference/upstream-quirks.md#q8).
bool do_unwrap(const Params& p) {
  if (p.verbose) std::printf("reading existing elt file %s...\n", p.elt_file.c_str());
  std::vector<uint8_t> elt;
  if (!read_elt(p.elt_file, &elt)) {
    std::fprintf(stderr, "Error reading elt file %s\n", p.elt_file.c_str());
    return false;
  }
  if (elt.size() < kEltHeaderSize || le32(elt.data()) != elt.size()) {
    std::fprintf(stderr, "data is too small\n");
    return false;
  }
  const uint32_t type = le32(elt.data() + 4);
  if (type != kEltTypeCustomLegacy && type != kEltTypeCustom2) {
    std::fprintf(stderr, "Bad element type %u (i.e. non-custom)\n", type);
    return false;
  }
  if (elt.size() < kEltHeaderSize + sizeof(kTbootUuid) ||
      std::memcmp(elt.data() + kEltHeaderSize, kTbootUuid, sizeof(kTbootUuid)) != 0) {
    std::fprintf(stderr,
                 "Element in %s is not a tboot policy element (its UUID is not the tboot UUID "
                 "{0xc3930641, 0xe3cb, 0x4f40, 0x91d7, {0x27, 0xf8, 0xb9, 0xe2, 0x5c, 0x86}})\n",
                 p.elt_file.c_str());
    return false;
  }
  const size_t at = kEltHeaderSize + sizeof(kTbootUuid);
  auto r = vlp::decode(ByteSpan(elt.data() + at, elt.size() - at), kRelease);
  if (!r.ok()) {
    Error e = r.error();
    if (e.offset != kNoOffset) e.offset += static_cast<uint32_t>(at);  // offset in the elt file
    std::fprintf(stderr, "%s\n",
                 host::describe(e, "Policy in elt file " + p.elt_file + " is corrupt").c_str());
    return false;
  }
  if (p.verbose) std::printf("writing/overwriting policy file...\n");
  return write_policy(p, *r);
}

}  // namespace tlaunch::tbpolgen
