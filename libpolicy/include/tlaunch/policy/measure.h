// Measurement formulas of tboot (docs/reference/vlp.md §6), shared by tb_polgen/tlaunch and the
// launcher.
#pragma once

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/vlp.h"

namespace tlaunch {

// M = H( H(cmdline) || image_digest ), image_digest = H(image bytes as loaded).
// tboot/common/policy.c hash_module(): the cmdline is hashed without its NUL and without
// stripping the file name (the skip_filename() call is commented out upstream).
Result<Digest> module_measurement(Hasher& h, HashAlg alg, ByteSpan cmdline, const Digest& image);

// The policy-control entry tboot records for PCR 17 (and PCR 18 with DA):
// H_bank( policy_control(LE32) || P ), P = H_cur(policy bytes) if control bit 0 else zeros
// (tboot/common/policy.c verify_all_modules / docs/reference/vlp.md §6.3).
Result<Digest> policy_control_measurement(Hasher& h, const vlp::Policy& policy, HashAlg cur_alg,
                                          HashAlg bank);
// Its two parts: P (alg cur_alg; zeros unless control bit 0), and H_bank(control || P). The
// launcher's event log records control and P so that a verifier can recompute the digest
// (docs/reference/eventlog.md §4).
Result<Digest> policy_control_value(Hasher& h, const vlp::Policy& policy, HashAlg cur_alg);
Result<Digest> policy_control_digest(Hasher& h, uint32_t policy_control, const Digest& value,
                                     HashAlg bank);

// extend: pcr = H(pcr || digest) (TPM2_PCR_Extend; TCG TPM 2.0 Part 1 §17.7).
Result<Digest> pcr_extend(Hasher& h, const Digest& pcr, const Digest& digest);

}  // namespace tlaunch
