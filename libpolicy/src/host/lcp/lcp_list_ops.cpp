// Host list operations (see lcp_list_ops.h).
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"

#include <cstdio>

#include "tlaunch/policy/host/io/file_io.h"
#include "tlaunch/policy/lcp_element.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::describe;
using tlaunch::host::fail;
using tlaunch::host::host_ok;
using tlaunch::host::read_file;

std::string hex16(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%x", v);
  return b;
}

// Converts a big-endian signature (RSA value, or ECC r||s) to the stored little-endian form:
// RSA reversed as a whole, ECC each half reversed on its own.
Bytes to_stored(const PublicKey& pub, ByteSpan be) {
  if (pub.algo == KeyAlgo::kRsa) return reversed(be);
  const size_t k = be.size / 2;
  Bytes out = reversed(be.subspan(0, k));
  Bytes s = reversed(be.subspan(k, k));
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

Bytes to_big_endian(const ListSignatureView& s) {
  if (s.key_kind == KeyKind::kEcc) {
    Bytes out = reversed(s.r);
    Bytes b = reversed(s.s);
    out.insert(out.end(), b.begin(), b.end());
    return out;
  }
  return reversed(s.value);
}

ListCheck invalid(uint16_t hash, std::string reason) {
  ListCheck c;
  c.is_signed = true;
  c.valid = false;
  c.hash_alg = hash;
  c.reason = std::move(reason);
  return c;
}

// LIST2_1 structure checks of pollist2_1.c verify_tpm20_pollist_2_1_{rsa,ec}_sig().
std::string list21_field_problem(const ListSignatureView& s) {
  if (s.kas_version != kSignatureVersion)
    return "KeyAndSignature.Version is " + hex16(s.kas_version) + ", expected 0x10";
  if (s.key_version != kSignatureVersion)
    return "Key.Version is " + hex16(s.key_version) + ", expected 0x10";
  if (s.sig_version != kSignatureVersion)
    return "Signature.Version is " + hex16(s.sig_version) + ", expected 0x10";
  if (s.sig_key_size_field != s.key_size_field)
    return "Signature.KeySize (" + std::to_string(s.sig_key_size_field) +
           ") differs from Key.KeySize (" + std::to_string(s.key_size_field) + ")";
  if (s.key_kind == KeyKind::kRsa) {
    if (s.exponent != kRsaExponent)
      return "Key.Exponent is " + std::to_string(s.exponent) + ", expected 65537";
    if (s.scheme != kAlgRsaPss && s.scheme != kAlgRsaSsa)
      return "SigScheme " + hex16(s.scheme) + " is not RSAPSS (0x16) or RSASSA (0x14)";
    if (s.hash_alg != kAlgSha256 && s.hash_alg != kAlgSha384)
      return "Signature.HashAlg " + hex16(s.hash_alg) + " is not SHA-256 or SHA-384";
  } else if (s.key_kind == KeyKind::kEcc) {
    if (s.scheme != kAlgEcdsa && s.scheme != kAlgSm2)
      return "SigScheme " + hex16(s.scheme) + " is not ECDSA (0x18) or SM2 (0x1b)";
    if (s.scheme == kAlgSm2 && s.key_bytes != kEcc256Bytes)
      return "SM2 keys are 256 bits, Key.KeySize is " + std::to_string(s.key_size_field);
    const uint16_t want = ecc_hash_for(s.scheme, s.key_bytes);
    if (s.hash_alg != want)
      return "Signature.HashAlg " + hex16(s.hash_alg) + " does not fit the key (expected " +
             hex16(want) + ")";
  }
  return {};
}

}  // namespace

std::string scheme_short_name(uint16_t scheme) {
  switch (scheme) {
    case kAlgRsaSsa:
      return "RSASSA";
    case kAlgRsaPss:
      return "RSA-PSS";
    case kAlgEcdsa:
      return "ECDSA";
    case kAlgSm2:
      return "SM2";
    case kAlgLms:
      return "LMS";
    case kAlgMldsa:
      return "ML-DSA-87";
    case kAlgNull:
      return "none";
    default:
      return hex16(scheme);
  }
}

std::string list_kind(const ListView& list) {
  return std::string(list.is_list2() ? "LCP_POLICY_LIST2 " : "LCP_POLICY_LIST2_1 ") +
         hex16(list.version);
}

Expected<ListFile> list_from_bytes(Bytes bytes, const std::string& name,
                                   bool allow_missing_sig_block) {
  ListFile f;
  f.path = name;
  f.bytes = std::move(bytes);
  auto v = decode_list_file(ByteSpan(f.bytes.data(), f.bytes.size()), allow_missing_sig_block);
  if (!v.ok()) return fail(v.error(), name);
  f.view = *v;
  return f;
}

Expected<ListFile> read_list_file(const std::string& path, bool allow_missing_sig_block) {
  auto data = read_file(path, kMaxListSize + 1024 * 1024);
  if (!data.ok()) return data.failure();
  return list_from_bytes(std::move(*data), path, allow_missing_sig_block);
}

Expected<Bytes> read_elements(const std::vector<std::string>& element_files) {
  Bytes all;
  for (const std::string& f : element_files) {
    auto data = read_file(f, kMaxListSize);
    if (!data.ok()) return data.failure();
    auto e = read_element_file(ByteSpan(data->data(), data->size()));
    if (!e.ok()) return fail(e.error(), f);
    all.insert(all.end(), data->begin(), data->end());
    if (all.size() > kMaxListSize)
      return fail(Errc::kTooLarge, f + ": the elements exceed the 16 MiB list limit");
  }
  return all;
}

Expected<Bytes> make_list(uint16_t version, const std::vector<Bytes>& elements,
                          ElementOrder order) {
  size_t total = 0;
  for (const Bytes& e : elements) total += e.size();
  if (total > kMaxListSize)
    return fail(Errc::kTooLarge, "the elements exceed the 16 MiB list limit");
  Bytes joined;
  joined.reserve(total);
  auto append = [&joined](const Bytes& e) { joined.insert(joined.end(), e.begin(), e.end()); };
  if (order == ElementOrder::kAsWritten)
    for (const Bytes& e : elements) append(e);
  else
    for (auto it = elements.rbegin(); it != elements.rend(); ++it) append(*it);
  Bytes out(unsigned_list_size(joined.size()));
  ByteWriter w(MutableByteSpan(out.data(), out.size()));
  auto n = encode_unsigned_list(w, version, ByteSpan(joined.data(), joined.size()));
  if (!n.ok()) return fail(n.error(), "list");
  return out;
}

Expected<Bytes> create_list(uint16_t version, const std::vector<std::string>& element_files,
                            ElementOrder order) {
  std::vector<Bytes> elements;
  for (const std::string& f : element_files) {
    auto e = read_elements({f});
    if (!e.ok()) return e.failure();
    elements.push_back(std::move(*e));
  }
  return make_list(version, elements, order);
}

Expected<PreparedList> prepare_signed_list(const ListView& list, const PublicKey& pub,
                                           const SignRequest& req, bool include_value) {
  SignatureSpec spec;
  spec.scheme = req.scheme;
  spec.revocation_counter = req.revocation_counter;
  Bytes modulus, qx, qy;
  const bool rsa_scheme = req.scheme == kAlgRsaSsa || req.scheme == kAlgRsaPss;
  const bool ecc_scheme = req.scheme == kAlgEcdsa || req.scheme == kAlgSm2;
  if (!rsa_scheme && !ecc_scheme)
    return fail(Errc::kUnsupported, "unsupported signature algorithm " + hex16(req.scheme));
  if (rsa_scheme && pub.algo != KeyAlgo::kRsa)
    return fail(Errc::kCrypto, scheme_short_name(req.scheme) + " needs an RSA key, but " +
                                   pub.source + " is " + pub.describe());
  if (req.scheme == kAlgEcdsa && pub.algo != KeyAlgo::kEc)
    return fail(Errc::kCrypto,
                "ECDSA needs an EC P-256/P-384 key, but " + pub.source + " is " + pub.describe());
  if (req.scheme == kAlgSm2) {
    if (!sm2_supported())
      return fail(Errc::kUnsupported, "SM2 signatures are not supported by this OpenSSL");
    if (pub.algo != KeyAlgo::kSm2)
      return fail(Errc::kCrypto,
                  "SM2 needs an SM2 key, but " + pub.source + " is " + pub.describe());
  }
  uint16_t hash = req.hash_alg;
  if (rsa_scheme) {
    spec.key_kind = KeyKind::kRsa;
    modulus = pub.modulus_le();
    spec.modulus = ByteSpan(modulus.data(), modulus.size());
    if (hash == kAlgNull) hash = kAlgSha256;
    if (hash != kAlgSha256 && hash != kAlgSha384)
      return fail(Errc::kUnsupported, "RSA list signatures use SHA-256 or SHA-384");
  } else {
    spec.key_kind = KeyKind::kEcc;
    qx = pub.x_le();
    qy = pub.y_le();
    spec.qx = ByteSpan(qx.data(), qx.size());
    spec.qy = ByteSpan(qy.data(), qy.size());
    const uint16_t implied = ecc_hash_for(req.scheme, static_cast<uint16_t>(pub.bytes));
    // lcptools ignores --hashalg for ECC (docs/reference/upstream-quirks.md#q33); an explicit
    // different hash is an error here.
    if (hash != kAlgNull && hash != implied)
      return fail(Errc::kUnsupported,
                  std::string(req.scheme == kAlgSm2 ? "SM2 signatures use SM3"
                                                    : "ECDSA uses the hash of its curve: ") +
                      (req.scheme == kAlgSm2
                           ? ""
                           : (implied == kAlgSha384 ? "SHA-384 for P-384" : "SHA-256 for P-256")));
    hash = implied;
  }
  spec.hash_alg = hash;
  auto lay = signed_list_layout(list.version, list.elements.size, spec);
  if (!lay.ok()) return fail(lay.error(), "list");
  PreparedList p;
  p.bytes.resize(lay->size);
  ByteWriter w(MutableByteSpan(p.bytes.data(), p.bytes.size()));
  auto written = encode_signed_list(w, list.version, list.elements, spec, include_value);
  if (!written.ok()) return fail(written.error(), "list");
  p.layout = *written;
  p.bytes.resize(p.layout.size);
  p.scheme = req.scheme;
  // LIST2 RSASSA stores no hash: the verifier reads it from the DigestInfo.
  p.hash_alg = hash;
  return p;
}

HostStatus place_value(PreparedList& p, const PublicKey& pub, ByteSpan sig_be) {
  Bytes stored = to_stored(pub, sig_be);
  Status s = place_signature_value(MutableByteSpan(p.bytes.data(), p.bytes.size()), p.layout,
                                   ByteSpan(stored.data(), stored.size()));
  if (!s.ok()) return fail(s.error(), "signature");
  return host_ok();
}

Expected<Bytes> sign_list(const ListView& list, const PublicKey& pub, const PrivateKey& priv,
                          const SignRequest& req) {
  if (auto pair = check_key_pair(pub, priv); !pair.ok()) return pair.failure();
  auto p = prepare_signed_list(list, pub, req);
  if (!p.ok()) return p.failure();
  auto sig = sign_message(priv, pub, p->scheme, p->hash_alg, p->tbs());
  if (!sig.ok()) return sig.failure();
  if (auto s = place_value(*p, pub, ByteSpan(sig->data(), sig->size())); !s.ok())
    return s.failure();
  // Never hand out a list that does not verify.
  auto check = list_from_bytes(p->bytes, "signed list");
  if (!check.ok()) return check.failure();
  auto v = verify_list(check->view);
  if (!v.ok()) return v.failure();
  if (!v->valid) return fail(Errc::kInternal, "the list just signed does not verify: " + v->reason);
  return std::move(p->bytes);
}

Expected<Bytes> attach_signature(const ListView& list, const PublicKey& pub, const SignRequest& req,
                                 ByteSpan signature) {
  auto p = prepare_signed_list(list, pub, req);
  if (!p.ok()) return p.failure();
  auto be = parse_detached_signature(pub, signature);
  if (!be.ok()) return be.failure();
  if (auto s = place_value(*p, pub, ByteSpan(be->data(), be->size())); !s.ok()) return s.failure();
  auto check = list_from_bytes(p->bytes, "list");
  if (!check.ok()) return check.failure();
  auto v = verify_list(check->view);
  if (!v.ok()) return v.failure();
  if (!v->valid)
    return fail(Errc::kVerifyFailed, "the signature does not verify for this list and key " +
                                         pub.source + ": " + v->reason);
  return std::move(p->bytes);
}

Expected<PublicKey> list_public_key(const ListView& list, const std::string& source) {
  const ListSignatureView& s = list.signature;
  if (!list.is_signed) return fail(Errc::kNotFound, source + ": the list is not signed");
  switch (s.key_kind) {
    case KeyKind::kRsa: {
      Bytes n = reversed(s.modulus);
      return rsa_public_key(ByteSpan(n.data(), n.size()), source);
    }
    case KeyKind::kEcc: {
      Bytes x = reversed(s.qx);
      Bytes y = reversed(s.qy);
      return ecc_public_key(s.scheme == kAlgSm2 ? KeyAlgo::kSm2 : KeyAlgo::kEc,
                            ByteSpan(x.data(), x.size()), ByteSpan(y.data(), y.size()), source);
    }
    case KeyKind::kLms:
      return fail(Errc::kUnsupported,
                  source +
                      ": LMS signatures are not supported by this build (lcptools needs "
                      "its IPP-Crypto backend for them too)");
    case KeyKind::kMldsa:
      return fail(Errc::kUnsupported,
                  source +
                      ": ML-DSA-87 signatures are not supported by this OpenSSL (3.5 or "
                      "later is needed)");
    case KeyKind::kNone:
      break;
  }
  return fail(Errc::kInternal, source + ": signed list without a key");
}

Expected<ListCheck> verify_list(const ListView& list) {
  ListCheck c;
  if (!list.is_signed) {
    c.valid = true;
    return c;
  }
  const ListSignatureView& s = list.signature;
  if (!s.has_value)
    return invalid(kAlgNull, "the list has no SigBlock (it was prepared for external signing)");
  uint16_t hash = s.hash_alg;
  if (list.is_list21()) {
    if (s.key_kind == KeyKind::kRsa || s.key_kind == KeyKind::kEcc) {
      std::string problem = list21_field_problem(s);
      if (!problem.empty()) return invalid(hash, problem);
    }
  }
  auto pub = list_public_key(list, "the list's public key");
  if (!pub.ok()) {
    if (pub.failure().code == Errc::kUnsupported) return pub.failure();
    return invalid(hash, pub.failure().message);
  }
  Bytes be = to_big_endian(s);
  // LIST2 RSASSA: the hash comes from the DigestInfo (kAlgNull).
  auto out = verify_message(*pub, s.scheme,
                            list.is_list2() && s.key_kind == KeyKind::kRsa ? kAlgNull : hash,
                            list.signed_bytes, ByteSpan(be.data(), be.size()));
  if (!out.ok()) {
    if (out.failure().code == Errc::kUnsupported) return out.failure();
    return invalid(hash, out.failure().message);
  }
  c.is_signed = true;
  c.valid = out->valid;
  c.hash_alg = out->hash_alg;
  c.reason = out->reason;
  return c;
}

}  // namespace tlaunch::lcp::host
