// The hash text files of lcp2_crtpolelt (mle2, sbios, stm): one digest per line, the bytes
// written as hex numbers separated by any non-hex characters (lcptools-v2 lcputils.c
// parse_line_hashes(); docs/reference/lcp.md §8 "Hash files",
// docs/reference/upstream-quirks.md#q20). The output of lcp2_mlehash ("xx xx ... xx\n") is one
// such line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tlaunch::lcp::host {

struct HashTextError {
  enum Kind {
    kWrongByteCount,  // the line does not hold exactly digest-size bytes (blank lines included);
                      // upstream: "Error: incorrect number of chars for hash"
    kByteOutOfRange,  // a number on the line is larger than 0xff (upstream silently keeps the
                      // low 8 bits; we reject it)
  };
  Kind kind = kWrongByteCount;
  size_t line = 0;      // 1-based line number
  size_t found = 0;     // numbers found on the line
  size_t expected = 0;  // digest size
  std::string token;    // the offending number (kByteOutOfRange)
};

struct HashText {
  std::vector<std::vector<uint8_t>> digests;  // the digests of the lines before any error
  std::optional<HashTextError> error;         // the first bad line
};

// Parses every line of `text` as a digest of `digest_size` bytes. Lines end at '\n' (a '\r'
// before it is a separator like any other non-hex character); a final line without '\n' counts.
HashText parse_hash_text(std::string_view text, size_t digest_size);

// "<file>:<line>: ..." for tlaunch's own messages.
std::string describe_hash_text_error(const HashTextError& e, const std::string& file);

}  // namespace tlaunch::lcp::host
