// Hash text files of lcp2_crtpolelt (mle2/sbios/stm --hash files; libpolicy
// lcp::host::parse_hash_text, docs/reference/lcp.md §8, docs/reference/upstream-quirks.md#q20). The
// first input byte selects the digest size (20, 32, 48 or 64 bytes); the rest is the file.
//
// Properties:
//  * differential: every line is also parsed the way upstream lcputils.c parse_line_hashes()
//    does, with the C library's strtoul(…, 16) and isxdigit(); the number count reported for a bad
//    line and the bytes of every good line agree with it (lines holding a NUL byte are skipped by
//    the oracle: strtoul stops there, upstream's fgets-based reader would see a shorter line);
//  * a successful parse has one digest per line (a last line without '\n' counts), each of the
//    digest size; the digests written back as lcp2_mlehash-style text parse to the same digests;
//  * the error message names the file and the line.
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"

using tlaunch::fuzz::Bytes;
using namespace tlaunch::lcp::host;

namespace {

struct Oracle {
  size_t count = 0;
  Bytes bytes;
  bool all_bytes = true;  // every number fits 0..0xff and none is negative
};

// Upstream's loop over one line, with the real strtoul.
Oracle upstream_line(const std::string& line) {
  Oracle o;
  const char* p = line.c_str();
  while (*p != '\0' && std::isspace(static_cast<unsigned char>(*p))) ++p;
  while (*p != '\0') {
    char* next = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(p, &next, 16);
    if (next == p) break;
    ++o.count;
    if (errno == ERANGE || v > 0xFF) o.all_bytes = false;
    // strtoul negates a leading '-': only "-0" stays a byte value.
    if (v > 0xFF) o.all_bytes = false;
    o.bytes.push_back(static_cast<uint8_t>(v));
    p = next;
    while (*p != '\0' && !std::isxdigit(static_cast<unsigned char>(*p))) ++p;
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  static constexpr size_t kSizes[] = {20, 32, 48, 64};
  const size_t dsize = kSizes[fin.u8() & 3];
  const tlaunch::ByteSpan body = fin.rest();
  const std::string_view text(reinterpret_cast<const char*>(body.data), body.size);

  HashText r = parse_hash_text(text, dsize);
  for (const auto& d : r.digests) FUZZ_CHECK(d.size() == dsize);

  // Line by line against the oracle, up to and including the first bad line.
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string line(text.substr(pos, end - pos));
    ++line_no;
    const bool bad = r.error && r.error->line == line_no;
    if (line.find('\0') == std::string::npos) {
      Oracle o = upstream_line(line);
      if (bad) {
        FUZZ_CHECK(r.error->found == o.count);
        if (r.error->kind == HashTextError::kByteOutOfRange) FUZZ_CHECK(!o.all_bytes);
        if (r.error->kind == HashTextError::kWrongByteCount) FUZZ_CHECK(o.count != dsize);
      } else {
        FUZZ_CHECK(line_no <= r.digests.size());
        FUZZ_CHECK(o.count == dsize && o.all_bytes && o.bytes == r.digests[line_no - 1]);
      }
    }
    if (bad) break;
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  if (r.error) {
    FUZZ_CHECK(r.error->line == r.digests.size() + 1);
    const std::string msg = describe_hash_text_error(*r.error, "f.hash");
    FUZZ_CHECK(msg.rfind("f.hash:" + std::to_string(r.error->line) + ": ", 0) == 0);
  } else {
    FUZZ_CHECK(r.digests.size() == line_no);
  }

  // The digests as lcp2_mlehash prints them ("xx xx ... xx\n") parse back to the same digests.
  std::string again;
  static const char* kHex = "0123456789abcdef";
  for (const auto& d : r.digests) {
    for (size_t i = 0; i < d.size(); ++i) {
      if (i) again += ' ';
      again += kHex[d[i] >> 4];
      again += kHex[d[i] & 15];
    }
    again += '\n';
  }
  HashText r2 = parse_hash_text(again, dsize);
  FUZZ_CHECK(!r2.error && r2.digests == r.digests);
  return 0;
}
