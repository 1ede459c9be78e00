#include "tlaunch/policy/host/vlp/vlp_text.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "tlaunch/policy/sha2.h"

namespace tlaunch::host {
namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<size_t>(n));
  }
  va_end(ap2);
  return s;
}

uint32_t le32_at(ByteSpan b, size_t off) {
  return static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
         (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
}

bool field_is(const Error& e, const char* name) {
  return e.field != nullptr && std::strcmp(e.field, name) == 0;
}

// hash_alg_to_string() of tboot include/hash.h: HEAD names only these four; 1.10.5 also calls
// SHA-1 and the legacy SHA-1 id 0x00 "TB_HALG_SHA1".
const char* tb_alg_name(uint8_t alg, vlp::Release release) {
  switch (alg) {
    case 0x00:
    case 0x04:
      return release == vlp::Release::kTboot1105 ? "TB_HALG_SHA1" : "unsupported";
    case 0x0B:
      return "TB_HALG_SHA256";
    case 0x12:
      return "TB_HALG_SM3";
    case 0x0C:
      return "TB_HALG_SHA384";
    case 0x0D:
      return "TB_HALG_SHA512";
    default:
      return "unsupported";
  }
}

// The "\t\t mod_num: ..." line(s): any / nv + nv_index / nv_raw + nv_index / decimal.
void mod_num_lines(std::string& o, ByteSpan b, size_t off) {
  const uint8_t mod = b[off];
  if (mod == vlp::kModNumAny) {
    o += "\t\t mod_num: any\n";
  } else if (mod == vlp::kModNumNv || mod == vlp::kModNumNvRaw) {
    o += format("\t\t mod_num: %s\n\t\t nv_index: %08x\n", mod == vlp::kModNumNv ? "nv" : "nv_raw",
                le32_at(b, off + 3));
  } else {
    o += format("\t\t mod_num: %u\n", mod);
  }
}

void pcr_line(std::string& o, uint8_t pcr) {
  if (pcr == vlp::kPcrNone)
    o += "\t\t pcr: none\n";
  else
    o += format("\t\t pcr: %u\n", pcr);
}

// print_hash() of tb_polgen/hash.c: "%02x " per byte and a newline for SHA-256/384/512 (and, in
// 1.10.5, SHA-1 0x04 but not the legacy 0x00); any other algorithm leaves the stdout line
// unterminated and complains on stderr.
void hash_line(PolicyText& t, uint8_t alg, vlp::Release release, const uint8_t* d, size_t n,
               size_t j) {
  t.out += format("\t\t hashes[%zu]: ", j);
  const bool sha1 = alg == 0x04 && release == vlp::Release::kTboot1105;
  if (alg != 0x0B && alg != 0x0C && alg != 0x0D && !sha1) {
    t.err += format("unsupported hash alg (%d)\n", alg);
    return;
  }
  for (size_t i = 0; i < n; ++i) t.out += format("%02x ", d[i]);
  t.out += "\n";
}

std::string hex_of(ByteSpan s) { return hex(s.data, s.size); }

// Entry index of the first ANY entry before entry i, or -1: tboot's lookup (first entry equal to
// the module number or ANY) never reaches entry i for a module when an ANY entry comes first.
int shadowing_any(const vlp::Policy& p, size_t i) {
  const uint8_t mod = p.entry(i).mod_num;
  if (mod == vlp::kModNumAny || mod == vlp::kModNumNv || mod == vlp::kModNumNvRaw) return -1;
  for (size_t k = 0; k < i; ++k)
    if (p.entry(k).mod_num == vlp::kModNumAny) return static_cast<int>(k);
  return -1;
}

}  // namespace

PolicyText tb_polgen_text(ByteSpan b, vlp::Release release) {
  PolicyText t;
  std::string& o = t.out;
  o += "policy:\n";
  auto r = vlp::decode(b, release);
  const Error* e = r.ok() ? nullptr : &r.error();
  // The order of the checks and messages below is verify_policy()'s (include/tb_policy.h); the
  // verdict and the failing field come from vlp::decode(), which applies the same rules.
  if (e != nullptr && field_is(*e, "size")) {
    o += format("size of policy is too small (%lu)\n", static_cast<unsigned long>(b.size));
    return t;
  }
  if (e != nullptr && field_is(*e, "version")) {
    o += format("unsupported version (%u)\n", b[0]);
    return t;
  }
  o += format("\t version: %u\n", b[0]);
  o += format("\t policy_type: %s\n", vlp::policy_type_name(b[1]));
  if (e != nullptr && field_is(*e, "policy_type")) return t;
  const uint8_t alg = b[2];
  const uint32_t ctrl = le32_at(b, 3);
  o += format("\t hash_alg: %s\n", tb_alg_name(alg, release));
  o += format("\t policy_control: %08x (%s)\n", ctrl,
              (ctrl & vlp::kCtlExtendPcr17) ? "EXTEND_PCR17" : "");
  const uint8_t n = b[11];
  o += format("\t num_entries: %u\n", n);
  const size_t h = vlp::policy_digest_size(alg, release);
  const auto too_small =
      format("size of policy entry is too small (%lu)\n", static_cast<unsigned long>(b.size));
  size_t off = vlp::kHeaderSize;
  for (size_t i = 0; i < n; ++i) {
    const bool failing = e != nullptr && e->item == static_cast<int32_t>(i);
    if (failing && (field_is(*e, "entry"))) {
      o += too_small;
      return t;
    }
    o += format("\t policy entry[%zu]:\n", i);
    if (failing && field_is(*e, "mod_num")) {
      o += format("mod_num invalid (%u)\n", b[off]);
      return t;
    }
    mod_num_lines(o, b, off);
    if (failing && field_is(*e, "pcr")) {
      o += format("pcr invalid (%u)\n", b[off + 1]);
      return t;
    }
    pcr_line(o, b[off + 1]);
    o += format("\t\t hash_type: %s\n", vlp::hash_type_name(b[off + 2]));
    if (failing && field_is(*e, "hash_type")) return t;
    const uint8_t nh = b[off + 7];
    o += format("\t\t num_hashes: %u\n", nh);
    if (failing) {  // "num_hashes": the digests run past the end
      o += too_small;
      return t;
    }
    for (size_t j = 0; j < nh; ++j)
      hash_line(t, alg, release, b.data + off + vlp::kEntryHeaderSize + j * h, h, j);
    off += vlp::kEntryHeaderSize + nh * h;
  }
  t.valid = e == nullptr;
  return t;
}

const char* vlp_type_keyword(uint8_t policy_type) {
  const char* k = vlp::policy_type_keyword(policy_type);
  return k ? k : "unsupported";
}

const char* vlp_alg_keyword(uint8_t hash_alg) {
  switch (hash_alg) {
    case 0x0B:
      return "sha256";
    case 0x0C:
      return "sha384";
    case 0x0D:
      return "sha512";
    case 0x12:
      return "sm3";
    default:
      return "unsupported";
  }
}

namespace {

std::string policy_sha256(const vlp::Policy& p) {
  uint8_t buf[vlp::kMaxPolicySize];
  auto n = vlp::encode(p, MutableByteSpan(buf, sizeof(buf)));
  if (!n.ok()) return std::string();
  SoftHasher hasher;
  auto d = hash_once(hasher, HashAlg::kSha256, ByteSpan(buf, *n));
  return d.ok() ? hex_of(d->span()) : std::string();
}

nlohmann::json module_value(uint8_t mod) {
  switch (mod) {
    case vlp::kModNumAny:
      return "any";
    case vlp::kModNumNv:
      return "nv";
    case vlp::kModNumNvRaw:
      return "nv_raw";
    default:
      return mod;
  }
}

}  // namespace

nlohmann::json vlp_json(const vlp::Policy& p, const std::string& file, size_t file_size) {
  nlohmann::json j;
  j["file"] = file;
  j["size"] = p.size();
  j["trailing_bytes"] = file_size > p.size() ? file_size - p.size() : 0;
  j["sha256"] = policy_sha256(p);
  j["version"] = p.version;
  j["policy_type"] = vlp_type_keyword(p.policy_type);
  j["policy_type_value"] = p.policy_type;
  j["hash_alg"] = vlp_alg_keyword(p.hash_alg);
  j["hash_alg_id"] = p.hash_alg;
  j["digest_size"] = p.digest_size();
  j["policy_control"] = p.policy_control;
  j["extend_pcr17"] = (p.policy_control & vlp::kCtlExtendPcr17) != 0;
  j["reserved"] = p.reserved;
  j["entries"] = nlohmann::json::array();
  for (size_t i = 0; i < p.num_entries(); ++i) {
    const vlp::Entry& e = p.entry(i);
    nlohmann::json je;
    je["index"] = i;
    je["mod_num"] = e.mod_num;
    je["module"] = module_value(e.mod_num);
    if (e.pcr == vlp::kPcrNone)
      je["pcr"] = "none";
    else
      je["pcr"] = e.pcr;
    je["hash_type"] = e.hash_type == vlp::kHashImage ? "image" : "any";
    je["nv_index"] = e.nv_index;
    je["hashes"] = nlohmann::json::array();
    for (size_t k = 0; k < e.num_hashes; ++k) je["hashes"].push_back(hex_of(p.hash(i, k)));
    int s = shadowing_any(p, i);
    if (s >= 0) je["shadowed_by"] = s;
    j["entries"].push_back(je);
  }
  return j;
}

std::string vlp_human_text(const vlp::Policy& p, const std::string& file, size_t file_size) {
  std::string o = format("%s: tboot VLP version %u, %zu bytes", file.c_str(), p.version, p.size());
  if (file_size > p.size()) o += format(" (+%zu ignored trailing bytes)", file_size - p.size());
  o += "\n";
  o += format("  type:            %s (%s)\n", vlp_type_keyword(p.policy_type),
              vlp::policy_type_name(p.policy_type));
  o += format("  hash algorithm:  %s (0x%02x)\n", vlp_alg_keyword(p.hash_alg), p.hash_alg);
  o += format(
      "  policy control:  0x%08x%s\n", p.policy_control,
      (p.policy_control & vlp::kCtlExtendPcr17) ? " (extend PCR 17 with the policy hash)" : "");
  o += format("  policy sha256:   %s\n", policy_sha256(p).c_str());
  o += format("  entries:         %zu\n", p.num_entries());
  for (size_t i = 0; i < p.num_entries(); ++i) {
    const vlp::Entry& e = p.entry(i);
    std::string what;
    if (e.mod_num == vlp::kModNumAny)
      what = "any module";
    else if (e.mod_num == vlp::kModNumNv || e.mod_num == vlp::kModNumNvRaw)
      what = format("%s index 0x%08x", e.mod_num == vlp::kModNumNv ? "nv" : "nv_raw", e.nv_index);
    else
      what = format("module %u", e.mod_num);
    std::string pcr = e.pcr == vlp::kPcrNone ? "none" : std::to_string(e.pcr);
    o += format("  [%zu] %s, pcr %s, hash %s, %u digest%s\n", i, what.c_str(), pcr.c_str(),
                e.hash_type == vlp::kHashImage ? "image" : "any", e.num_hashes,
                e.num_hashes == 1 ? "" : "s");
    int s = shadowing_any(p, i);
    if (s >= 0)
      o += format("      note: never used at boot, entry [%d] (any module) matches first\n", s);
    for (size_t k = 0; k < e.num_hashes; ++k) o += "      " + hex_of(p.hash(i, k)) + "\n";
  }
  return o;
}

Expected<LoadedPolicy> load_vlp_file(const std::string& path) {
  // One byte more than tboot reads, to tell "exactly 2124" from "larger".
  auto bytes = read_file_prefix(path, vlp::kMaxPolicySize + 1);
  if (!bytes.ok()) return bytes.failure();
  if (bytes->empty()) return fail(Errc::kTruncated, path + ": file is empty, not a VLP");
  if (bytes->size() > vlp::kMaxPolicySize)
    return fail(Errc::kTooLarge,
                path +
                    ": file is larger than 2124 bytes, the most tboot reads of a VLP "
                    "(MAX_TB_POLICY_SIZE)");
  auto r = vlp::decode(ByteSpan(bytes->data(), bytes->size()));
  if (!r.ok()) return fail(r.error(), path);
  LoadedPolicy lp;
  lp.policy = *r;
  lp.file_size = bytes->size();
  return lp;
}

HostStatus save_vlp_file(const std::string& path, const vlp::Policy& policy) {
  uint8_t buf[vlp::kMaxPolicySize];
  auto n = vlp::encode(policy, MutableByteSpan(buf, sizeof(buf)));
  if (!n.ok()) return fail(n.error(), path);
  return write_file_atomic(path, buf, *n);
}

}  // namespace tlaunch::host
