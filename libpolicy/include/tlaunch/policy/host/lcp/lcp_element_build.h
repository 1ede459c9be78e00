// Building LCP element files on the host: owned byte vectors around the core encoders
// (tlaunch/policy/lcp_element.h), the UUID text syntax of lcp2_crtpolelt, and wrapping a tboot
// VLP into a CUSTOM2 element (docs/reference/vlp.md §5.3, docs/reference/lcp.md §7.5).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tlaunch/policy/host/io/error.h"
#include "tlaunch/policy/lcp_element.h"

namespace tlaunch::lcp::host {

using Bytes = std::vector<uint8_t>;

// lcptools-v2 custom_elt.c string_to_uuid(): "tboot" (exact, after leading white space) or
// "{0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {0xkk, 0xll, 0xmm, 0xnn, 0xoo, 0xpp}}" with white space
// allowed around every token, numbers in hex (0x optional), commas required, nothing after the
// final "}}". Values wider than their field are rejected (upstream truncates them).
std::optional<Uuid> parse_uuid(std::string_view text);

tlaunch::host::Expected<Bytes> build_mle2(uint32_t control, uint8_t sinit_min_version,
                                          uint16_t hash_alg, const std::vector<Bytes>& hashes);
// hashes[0] is the fallback hash (sbios_elt.c): at least one hash is required.
tlaunch::host::Expected<Bytes> build_sbios2(uint32_t control, uint16_t hash_alg,
                                            const std::vector<Bytes>& hashes);
tlaunch::host::Expected<Bytes> build_stm2(uint32_t control, uint16_t hash_alg,
                                          const std::vector<Bytes>& hashes);
// PCR values of hash_alg's digest size; the composite digest includes PCR 7
// (docs/reference/upstream-quirks.md#q16).
tlaunch::host::Expected<Bytes> build_pconf2(uint32_t control, uint16_t hash_alg,
                                            const PcrValues& pcrs);
tlaunch::host::Expected<Bytes> build_custom(uint32_t control, const Uuid& uuid, const Bytes& data,
                                            uint32_t type = kEltCustom2);

// A VLP (validated with vlp::decode, which must consume it exactly) as a CUSTOM2 element with
// the tboot UUID.
tlaunch::host::Expected<Bytes> wrap_vlp(const Bytes& vlp, uint32_t control);
// The VLP inside a CUSTOM (0x13 or 0x03) element with the tboot UUID, validated with
// vlp::decode (which must consume the element data exactly). `context` names the file.
tlaunch::host::Expected<Bytes> unwrap_vlp(const Bytes& element, const std::string& context);

// PCR value text of lcp2_crtpolelt --pcrN: exactly 2*digest_size hex digits, nothing else
// (hash.c import_hash(); upstream turns non-hex pairs into 0,
// docs/reference/upstream-quirks.md#q18, we reject them).
std::optional<Bytes> parse_pcr_value(std::string_view text, size_t digest_size);

}  // namespace tlaunch::lcp::host
