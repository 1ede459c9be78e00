// PCR value text of lcp2_crtpolelt --pcrN (pconf2 elements; libpolicy
// lcp::host::parse_pcr_value, hash.c import_hash(), docs/reference/upstream-quirks.md#q18). The
// first input byte selects the digest size (20, 32, 48 or 64 bytes); the rest is the option value.
//
// Property (an independent oracle): the value is accepted exactly when it is 2 * size hex digits
// and nothing else, and the bytes are those digits read in pairs, high nibble first.
#include <string_view>

#include "fuzz.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"

using tlaunch::fuzz::Bytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tlaunch::fuzz::Input fin(data, size);
  static constexpr size_t kSizes[] = {20, 32, 48, 64};
  const size_t dsize = kSizes[fin.u8() & 3];
  const tlaunch::ByteSpan body = fin.rest();
  const std::string_view text(reinterpret_cast<const char*>(body.data), body.size);

  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool expect = text.size() == 2 * dsize;
  Bytes want;
  for (size_t i = 0; expect && i < dsize; ++i) {
    const int hi = nib(text[2 * i]), lo = nib(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      expect = false;
    else
      want.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  auto got = tlaunch::lcp::host::parse_pcr_value(text, dsize);
  FUZZ_CHECK(got.has_value() == expect);
  if (expect) FUZZ_CHECK(*got == want);
  return 0;
}
