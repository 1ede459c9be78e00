// Hash text file parser. Token rules follow lcptools-v2 lcputils.c parse_line_hashes(): skip
// leading white space; then repeatedly read one hex number (an optional 0x/0X prefix is part of
// it, as with strtoul(…, 16)) and skip every following non-hex character. A line is valid when
// it yields exactly digest_size numbers. Upstream truncates numbers to 8 bits; we reject numbers
// above 0xff instead (docs/compat.md).
#include "tlaunch/policy/host/lcp/lcp_hashfile.h"

namespace tlaunch::lcp::host {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses one line (without its '\n'). Returns false with `err` filled on a bad line.
bool parse_line(std::string_view line, size_t digest_size, std::vector<uint8_t>& out,
                HashTextError& err) {
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  size_t count = 0;
  std::optional<std::string> bad_token;
  bool first = true;
  while (i < line.size()) {
    size_t tok_start = i;
    size_t j = i;
    bool negative = false;
    // strtoul accepts a sign in front of the first number (later numbers start at a hex digit).
    if (first && (line[j] == '+' || line[j] == '-')) {
      negative = line[j] == '-';
      ++j;
    }
    if (j + 2 < line.size() && line[j] == '0' && (line[j + 1] == 'x' || line[j + 1] == 'X') &&
        hex_value(line[j + 2]) >= 0)
      j += 2;
    size_t digits_start = j;
    unsigned long long value = 0;
    bool overflow = false;
    while (j < line.size() && hex_value(line[j]) >= 0) {
      if (value > 0xFFFFFFFFFFFFFFFull) overflow = true;
      value = (value << 4) | static_cast<unsigned>(hex_value(line[j]));
      ++j;
    }
    if (j == digits_start) break;  // no number here: strtoul made no conversion, upstream stops
    first = false;
    ++count;
    if ((negative && value != 0) || overflow || value > 0xFF) {
      if (!bad_token) bad_token = std::string(line.substr(tok_start, j - tok_start));
    } else {
      out.push_back(static_cast<uint8_t>(value));
    }
    i = j;
    while (i < line.size() && hex_value(line[i]) < 0) ++i;
  }
  err.found = count;
  err.expected = digest_size;
  if (count != digest_size) {
    err.kind = HashTextError::kWrongByteCount;
    return false;
  }
  if (bad_token) {
    err.kind = HashTextError::kByteOutOfRange;
    err.token = *bad_token;
    return false;
  }
  return true;
}

}  // namespace

HashText parse_hash_text(std::string_view text, size_t digest_size) {
  HashText result;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++line_no;
    std::vector<uint8_t> digest;
    HashTextError err;
    err.line = line_no;
    if (!parse_line(text.substr(pos, end - pos), digest_size, digest, err)) {
      result.error = err;
      return result;
    }
    result.digests.push_back(std::move(digest));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return result;
}

std::string describe_hash_text_error(const HashTextError& e, const std::string& file) {
  std::string where = file + ":" + std::to_string(e.line) + ": ";
  if (e.kind == HashTextError::kByteOutOfRange)
    return where + "'" + e.token + "' is not a byte value (00-ff)";
  if (e.found == 0)
    return where + "no hash on this line (expected " + std::to_string(e.expected) +
           " hex bytes; blank lines are not allowed)";
  return where + "expected " + std::to_string(e.expected) +
         " hex bytes separated by spaces, found " + std::to_string(e.found);
}

}  // namespace tlaunch::lcp::host
