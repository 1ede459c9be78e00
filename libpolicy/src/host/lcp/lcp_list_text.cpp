// Upstream-identical list / data file / policy text (see lcp_list_text.h for the sources).
#include "tlaunch/policy/host/lcp/lcp_list_text.h"

#include <cstdarg>
#include <cstdio>

#include "tlaunch/policy/host/lcp/lcp_element_text.h"
#include "tlaunch/policy/lcp_common.h"

namespace tlaunch::lcp::host {
namespace {

// printf into a std::string (the upstream formats are printf formats).
std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  int n = std::vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  if (n < 0) return {};
  return std::string(
      buf, static_cast<size_t>(n) < sizeof(buf) ? static_cast<size_t>(n) : sizeof(buf) - 1);
}

std::string elements_text(const ListView& l, const std::string& prefix, bool brief) {
  std::string out;
  const std::string np = prefix + "    ";
  ElementIterator it(l);
  unsigned i = 0;
  while (!it.done()) {
    auto e = it.next();
    if (!e.ok()) break;  // cannot happen: the list was validated when decoded
    out += fmt("%s policy_element[%u]:\n", prefix.c_str(), i++);
    out += element_text(*e, np, brief);
  }
  return out;
}

// pollist2.c display_tpm20_signature().
std::string list2_signature_text(const ListView& l, const std::string& p, bool brief) {
  const ListSignatureView& s = l.signature;
  const std::string hp = p + "\t";
  std::string out;
  out += fmt("%s revocation_counter: 0x%x (%u)\n", p.c_str(), s.revocation_counter,
             s.revocation_counter);
  out += fmt("%s pubkey_size: 0x%x (%u)\n", p.c_str(), s.key_bytes, s.key_bytes);
  if (s.key_kind == KeyKind::kRsa) {
    if (brief) return out;
    out += fmt("%s pubkey_value:\n", p.c_str());
    out += hex_dump(hp, s.modulus);
    out += fmt("%s sig_block:\n", p.c_str());
    if (s.has_value) {
      out += hex_dump(hp, s.value);
    } else {
      // lcptools pads a missing SigBlock with zeros when it reads the list.
      std::string zeros(s.key_bytes, '\0');
      out += hex_dump(hp, ByteSpan(reinterpret_cast<const uint8_t*>(zeros.data()), zeros.size()));
    }
    return out;
  }
  out += fmt("%s reserved: 0x%x (%u)\n", p.c_str(), s.ecc_reserved, s.ecc_reserved);
  if (brief) return out;
  out += fmt("%s qx:\n", p.c_str());
  out += hex_dump(hp, s.qx);
  out += fmt("%s qy:\n", p.c_str());
  out += hex_dump(hp, s.qy);
  out += fmt("%s r:\n", p.c_str());
  out += hex_dump(hp, s.r);
  out += fmt("%s s:\n", p.c_str());
  out += hex_dump(hp, s.s);
  return out;
}

// pollist2_1.c display_tpm20_signature_2_1(), always called with an eight-space prefix.
std::string list21_signature_text(const ListView& l) {
  const ListSignatureView& s = l.signature;
  const std::string p = "        ";
  const char* P = p.c_str();
  const std::string hp = p + "\t";
  std::string out =
      fmt("%s revocation_counter: 0x%x (%u)\n", P, s.revocation_counter, s.revocation_counter);
  auto header = [&](const char* title) {
    out += title;
    out += fmt("%s Version: 0x%x\n", P, s.kas_version);
    out += fmt("%s KeyAlg: 0x%x (%s)\n", P, s.key_alg, key_alg_str(s.key_alg).c_str());
  };
  switch (s.key_kind) {
    case KeyKind::kRsa:
      header("RSA_KEY_AND_SIGNATURE:\n");
      out += "RSA_PUBLIC_KEY:\n";
      out += fmt("%s Version: 0x%x\n", P, s.key_version);
      out += fmt("%s KeySize: 0x%x (%u)\n", P, s.key_size_field, s.key_size_field);
      out += fmt("%s Exponent: 0x%x\n", P, s.exponent);
      out += fmt("%s Modulus:\n", P);
      out += hex_dump(hp, s.modulus);
      out += "End of RSA_PUBLIC_KEY\n";
      out += fmt("%s SigScheme: 0x%x (%s)\n", P, s.scheme, sig_alg_str(s.scheme).c_str());
      out += "RSA_SIGNATURE:\n";
      out += fmt("%s Version: 0x%x\n", P, s.sig_version);
      // Signature.KeySize in hex, then Key.KeySize in decimal (as upstream prints them).
      out += fmt("%s KeySize: 0x%x (%u)\n", P, s.sig_key_size_field, s.key_size_field);
      out += fmt("%s HashAlg: 0x%x (%s)\n", P, s.hash_alg, hash_alg_str(s.hash_alg).c_str());
      out += fmt("%s sig_block:\n", P);
      out += hex_dump(hp, s.value);
      break;
    case KeyKind::kEcc:
      header("ECC_KEY_AND_SIGNATURE:\n");
      out += "ECC_PUBLIC_KEY:\n";
      out += fmt("%s Version: 0x%x\n", P, s.key_version);
      out += fmt("%s KeySize: 0x%x (%u)\n", P, s.key_size_field, s.key_size_field);
      out += "Public key Qx: \n";
      out += hex_dump(hp, s.qx);
      out += "Public key Qy: \n";
      out += hex_dump(hp, s.qy);
      out += "End of ECC_PUBLIC_KEY\n";
      out += fmt("%s SigScheme: 0x%x (%s)\n", P, s.scheme, sig_alg_str(s.scheme).c_str());
      out += "ECC_SIGNATURE:\n";
      out += fmt("%s Version: 0x%x\n", P, s.sig_version);
      out += fmt("%s KeySize: 0x%x (%u)\n", P, s.sig_key_size_field, s.key_size_field);
      out += fmt("%s HashAlg: 0x%x (%s)\n", P, s.hash_alg, hash_alg_str(s.hash_alg).c_str());
      out += "Signature R part: \n";
      out += hex_dump(hp, s.r);
      out += "Signature S part: \n";
      out += hex_dump(hp, s.s);
      break;
    case KeyKind::kLms: {
      // lcputils.c print_xdr_lms_key_info() / print_lms_signature(); XDR fields are big-endian.
      header("LMS_KEY_AND_SIGNATURE:\n");
      out += "LMS_PUBLIC_KEY:\n";
      out += fmt("%s Version: 0x%x\n", P, s.key_version);
      out += fmt("%s KeySize: 0x%x\n", P, s.key_size_field);
      auto be32 = [](ByteSpan b, size_t at) {
        return (static_cast<uint32_t>(b[at]) << 24) | (static_cast<uint32_t>(b[at + 1]) << 16) |
               (static_cast<uint32_t>(b[at + 2]) << 8) | b[at + 3];
      };
      auto lms_name = [](uint32_t t) {
        return t == 7 ? "LMOTS_SHA256_N24_W4" : t == 0xD ? "LMS_SHA256_M24_H20" : "Unknown";
      };
      const ByteSpan k = s.key_blob;
      out += "LMS Public Key is in XDR format, which is Big Endian.\nLMS Public Key:\n";
      out += fmt("   LMS Type: 0x%x (%s)\n", be32(k, 0), lms_name(be32(k, 0)));
      out += fmt("   LMOTS Type: 0x%x (%s)\n", be32(k, 4), lms_name(be32(k, 4)));
      out += "   LMS Key Identifier:\n" + hex_dump("      ", k.subspan(8, 16));
      out += "   LMS tree 1st node string:\n" + hex_dump("      ", k.subspan(24, 24));
      out += "End of LMS_PUBLIC_KEY\n";
      out += fmt("%s SigScheme: 0x%x (%s)\n", P, s.scheme, sig_alg_str(s.scheme).c_str());
      out += "LMS_SIGNATURE:\n";
      out += fmt("%s Version: 0x%x\n", P, s.sig_version);
      out += fmt("%s KeySize: 0x%x\n", P, s.sig_key_size_field);
      out += fmt("%s HashAlg: 0x%x (%s)\n", P, s.hash_alg, hash_alg_str(s.hash_alg).c_str());
      const ByteSpan v = s.value;  // q, LMOTS type, C[24], y[1224], LMS type, path[480]
      out += "LMS Signature:\n";
      out += fmt("    LMS leaf number: 0x%x\n", be32(v, 0));
      out += "    LMOTS Signature:\n";
      out += fmt("        LMOTS Type: 0x%x (%s)\n", be32(v, 4), lms_name(be32(v, 4)));
      out += "        LMOTS Seed:\n" + hex_dump("            ", v.subspan(8, 24), 32);
      out += "        LMOTS Signature Block:\n" + hex_dump("            ", v.subspan(32, 1224), 32);
      out += fmt("    LMS Type: 0x%x (%s)\n", be32(v, 1256), lms_name(be32(v, 1256)));
      out += "    LMS PATH:\n" + hex_dump("            ", v.subspan(1260, 480), 32);
      break;
    }
    case KeyKind::kMldsa: {
      header("MLDSA_KEY_AND_SIGNATURE:\n");
      out += "MLDSA_PUBLIC_KEY:\n";
      out += fmt("%s Version: 0x%x\n", P, s.key_version);
      out += fmt("%s KeySize: 0x%x (%d bytes)\n", P, s.key_size_field, s.key_size_field);
      out += fmt("%s Rho (%d bytes):\n", P, 32) + hex_dump(hp, s.key_blob.subspan(0, 32));
      out += fmt("%s T1 (%d bytes):\n", P, 2560) + hex_dump(hp, s.key_blob.subspan(32, 64));
      out += fmt("%s ... (truncated, total %d bytes)\n", P, 2560);
      out += "End of MLDSA_PUBLIC_KEY\n";
      out += fmt("%s SigScheme: 0x%x (%s)\n", P, s.scheme, sig_alg_str(s.scheme).c_str());
      out += "MLDSA_SIGNATURE:\n";
      out += fmt("%s Version: 0x%x\n", P, s.sig_version);
      out += fmt("%s KeySize: 0x%x (%d bytes)\n", P, s.sig_key_size_field, s.sig_key_size_field);
      out += fmt("%s CommitHash (%d bytes):\n", P, 64) + hex_dump(hp, s.value.subspan(0, 64));
      out += fmt("%s RespVector (%d bytes):\n", P, 4480) + hex_dump(hp, s.value.subspan(64, 64));
      out += fmt("%s ... (truncated, total %d bytes)\n", P, 4480);
      out += fmt("%s HintVector (%d bytes):\n", P, 83) + hex_dump(hp, s.value.subspan(4544, 83));
      out += "End of MLDSA_SIGNATURE\n";
      break;
    }
    case KeyKind::kNone:
      break;
  }
  return out;
}

}  // namespace

std::string hex_dump(const std::string& prefix, ByteSpan data, size_t per_line) {
  std::string out;
  static const char* kDigits = "0123456789abcdef";
  for (size_t i = 0; i < data.size; ++i) {
    if (i % per_line == 0) out += prefix;
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
    out += ' ';
    if ((i + 1) % per_line == 0) out += '\n';
  }
  if (data.size % per_line != 0) out += '\n';
  return out;
}

std::string list2_text(const ListView& l, const std::string& prefix, bool brief) {
  const char* p = prefix.c_str();
  std::string out;
  out += fmt("%s version: 0x%x\n", p, l.version);
  out += fmt("%s sig_alg: 0x%x, %s\n", p, l.sig_alg, sig_alg_str(l.sig_alg).c_str());
  out += fmt("%s policy_elements_size: 0x%x (%u)\n", p, l.elements_size, l.elements_size);
  out += elements_text(l, prefix, brief);
  if (l.is_signed) {
    out += fmt("%s signature:\n", p);
    out += list2_signature_text(l, prefix + "    ", brief);
  }
  return out;
}

std::string list21_text(const ListView& l, const std::string& prefix, bool brief) {
  const char* p = prefix.c_str();
  std::string out = "LCP_POLICY_LIST_2_1 structure:\n";
  out += fmt("%s Version: 0x%x\n", p, l.version);
  out += fmt("%s KeySignatureOffset: 0x%x\n", p, l.key_signature_offset);
  out += fmt("%s PolicyElementsSize: 0x%x\n", p, l.elements_size);
  out += elements_text(l, prefix, brief);
  if (l.is_signed) out += list21_signature_text(l);
  return out;
}

std::string list_text(const ListView& l, const std::string& prefix, bool brief) {
  return l.is_list2() ? list2_text(l, prefix, brief) : list21_text(l, prefix, brief);
}

std::string policy_data_text(const PolicyDataView& d, const std::string& prefix, bool brief) {
  const char* p = prefix.c_str();
  std::string out;
  out += fmt("%s file_signature: %s\n", p, kPolicyDataSignature);
  out += fmt("%s num_lists: %u\n", p, d.num_lists);
  const std::string np = prefix + "    ";
  for (unsigned i = 0; i < d.num_lists; ++i) {
    out += fmt("%s list %u:\n", p, i);
    const ListView& l = d.lists[i];
    out += l.is_list2() ? list2_text(l, np, brief) : list21_text(l, np, false);
  }
  return out;
}

std::string policy_text(const Policy& pol, const std::string& prefix) {
  const char* p = prefix.c_str();
  std::string out;
  out += fmt("%s version: 0x%x\n", p, pol.version);
  out += fmt("%s hash_alg: 0x%x (%s)\n", p, pol.hash_alg, hash_alg_str(pol.hash_alg).c_str());
  if (pol.policy_type == kPolicyTypeList)
    out += fmt("%s policy_type: list\n", p);
  else if (pol.policy_type == kPolicyTypeAny)
    out += fmt("%s policy_type: any\n", p);
  else
    out += fmt("%s policy_type: unknown (%u)\n", p, pol.policy_type);
  out += fmt("%s sinit_min_version: 0x%x\n", p, pol.sinit_min_version);
  out += fmt("%s data_revocation_counters: ", p);
  for (uint16_t c : pol.data_revocation_counters) out += fmt("%u, ", c);
  out += "\n";
  out += fmt("%s policy_control: 0x%x\n", p, pol.policy_control);
  out += fmt("%s max_sinit_min_ver: 0x%x\n", p, pol.max_sinit_min_ver);
  const bool v30 = pol.version == kPolicyVersion30;
  out +=
      fmt(v30 ? "%s max_biosac_min_ver: 0x%x\n" : "%s reserved: 0x%x\n", p, pol.max_biosac_min_ver);
  out += fmt("%s lcp_hash_alg_mask: 0x%x\n", p, pol.lcp_hash_alg_mask);
  out += fmt("%s lcp_sign_alg_mask: 0x%x\n", p, pol.lcp_sign_alg_mask);
  out +=
      fmt(v30 ? "%s aux_hash_alg_mask: 0x%x\n" : "%s reserved2: 0x%x\n", p, pol.aux_hash_alg_mask);
  out += fmt("%s policy_hash:\n", p);
  out += hex_dump(prefix, pol.hash());
  return out;
}

}  // namespace tlaunch::lcp::host
