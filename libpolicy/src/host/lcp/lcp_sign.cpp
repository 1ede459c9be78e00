// OpenSSL 3 EVP keys, signing and verification for LCP lists (see lcp_sign.h).
#include "tlaunch/policy/host/lcp/lcp_sign.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "tlaunch/policy/host/grubio/openssl_hasher.h"
#include "tlaunch/policy/lcp_common.h"
#include "tlaunch/policy/lcp_list.h"

namespace tlaunch::lcp::host {
namespace {

using tlaunch::host::fail;
using tlaunch::host::host_ok;
using tlaunch::host::read_file;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct DecoderDeleter {
  void operator()(OSSL_DECODER_CTX* c) const { OSSL_DECODER_CTX_free(c); }
};
using DecoderPtr = std::unique_ptr<OSSL_DECODER_CTX, DecoderDeleter>;
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

// A secret that wipes itself (CONVENTIONS §5: secrets live in a buffer that wipes itself).
class Secret {
 public:
  Secret() = default;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { clear(); }
  void assign(const char* p, size_t n) {
    clear();
    s_.assign(p, n);
  }
  void clear() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
    s_.clear();
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// The last OpenSSL error as text (and clears the queue).
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  std::string s;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    s = buf;
  }
  ERR_clear_error();
  return s.empty() ? std::string("unknown OpenSSL error") : s;
}

const EVP_MD* md_for(uint16_t hash_alg) {
  switch (hash_alg) {
    case kAlgSha256:
      return EVP_sha256();
    case kAlgSha384:
      return EVP_sha384();
    case kAlgSm3_256:
      return tlaunch::host::evp_md(HashAlg::kSm3_256);
    default:
      return nullptr;
  }
}

const char* scheme_name(uint16_t scheme) {
  switch (scheme) {
    case kAlgRsaSsa:
      return "RSASSA (PKCS#1 v1.5)";
    case kAlgRsaPss:
      return "RSA-PSS";
    case kAlgEcdsa:
      return "ECDSA";
    case kAlgSm2:
      return "SM2";
    default:
      return "an unknown scheme";
  }
}

Bytes bn_to_fixed(const BIGNUM* bn, size_t n) {
  Bytes out(n);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(n)) < 0) out.clear();
  return out;
}

Expected<PublicKey> from_pkey(EvpPkeyPtr pkey, const std::string& source) {
  PublicKey k;
  k.source = source;
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    const int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits != 2048 && bits != 3072) {
      std::string msg = source + ": RSA key of " + std::to_string(bits) + " bits ";
      msg += bits < 2048 ? "is too small: " : "is not supported: ";
      msg += "LCP lists are signed with 2048- or 3072-bit RSA keys";
      return fail(Errc::kCrypto, msg);
    }
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      BN_free(n);
      BN_free(e);
      return fail(Errc::kCrypto, source + ": cannot read the RSA key: " + openssl_error());
    }
    BnPtr np(n), ep(e);
    if (!BN_is_word(ep.get(), kRsaExponent))
      return fail(Errc::kCrypto, source +
                                     ": RSA public exponent is not 65537; LCP lists store no "
                                     "exponent and always assume 65537");
    k.algo = KeyAlgo::kRsa;
    k.bytes = static_cast<size_t>(bits) / 8u;
    k.modulus = bn_to_fixed(np.get(), k.bytes);
  } else if (EVP_PKEY_is_a(pkey.get(), "EC") || EVP_PKEY_is_a(pkey.get(), "SM2")) {
    char group[64] = {};
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &glen) != 1)
      return fail(Errc::kCrypto, source + ": cannot read the EC key's curve: " + openssl_error());
    const std::string g(group);
    if (g == "prime256v1" || g == "P-256" || g == "secp256r1") {
      k.algo = KeyAlgo::kEc;
      k.bytes = 32;
    } else if (g == "secp384r1" || g == "P-384") {
      k.algo = KeyAlgo::kEc;
      k.bytes = 48;
    } else if (g == "SM2" || g == "sm2") {
      k.algo = KeyAlgo::kSm2;
      k.bytes = 32;
    } else {
      return fail(Errc::kCrypto, source + ": EC curve " + g +
                                     " is not supported: LCP lists are signed with P-256, P-384 "
                                     "or SM2 keys");
    }
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
      BN_free(x);
      BN_free(y);
      return fail(Errc::kCrypto, source + ": cannot read the EC public point: " + openssl_error());
    }
    BnPtr xp(x), yp(y);
    // Padded to the field size (lcptools sizes by the larger coordinate,
    // docs/reference/upstream-quirks.md#q38).
    k.x = bn_to_fixed(xp.get(), k.bytes);
    k.y = bn_to_fixed(yp.get(), k.bytes);
  } else {
    return fail(Errc::kCrypto, source + ": unsupported key type " +
                                   std::string(EVP_PKEY_get0_type_name(pkey.get())
                                                   ? EVP_PKEY_get0_type_name(pkey.get())
                                                   : "?") +
                                   " (RSA, EC P-256/P-384 or SM2 expected)");
  }
  if ((k.algo == KeyAlgo::kRsa && k.modulus.empty()) ||
      (k.algo != KeyAlgo::kRsa && (k.x.empty() || k.y.empty())))
    return fail(Errc::kCrypto, source + ": cannot serialize the public key");
  k.pkey = std::move(pkey);
  return k;
}

// Tries every decoder OpenSSL has (PEM, DER; SPKI, PKCS#1, PKCS#8, SEC1) for the selection.
EvpPkeyPtr decode_key(const Bytes& data, int selection, pem_password_cb* cb, void* cb_arg) {
  EVP_PKEY* pkey = nullptr;
  DecoderPtr dctx(
      OSSL_DECODER_CTX_new_for_pkey(&pkey, nullptr, nullptr, nullptr, selection, nullptr, nullptr));
  if (!dctx) return nullptr;
  if (cb != nullptr) OSSL_DECODER_CTX_set_pem_password_cb(dctx.get(), cb, cb_arg);
  const unsigned char* p = data.data();
  size_t len = data.size();
  if (OSSL_DECODER_from_data(dctx.get(), &p, &len) != 1) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return EvpPkeyPtr(pkey);
}

// Passphrase callback state for one load_private_key() call.
struct PassState {
  const PassphraseSource* source = nullptr;
  std::string key_path;
  bool asked = false;      // OpenSSL needed a passphrase
  bool available = false;  // and one was found
  bool fetched = false;
  std::string problem;  // why none was available
  Secret secret;
};

bool read_tty_passphrase(const std::string& prompt, Secret& out) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  struct termios old {};
  bool restore = ::tcgetattr(fd, &old) == 0;
  if (restore) {
    struct termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    (void)::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  char buf[1024];
  size_t n = 0;
  bool ok = false;
  while (n < sizeof(buf)) {
    char c;
    ssize_t r = ::read(fd, &c, 1);
    if (r <= 0) break;
    if (c == '\n' || c == '\r') {
      ok = true;
      break;
    }
    buf[n++] = c;
  }
  if (restore) (void)::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  if (ok) out.assign(buf, n);
  OPENSSL_cleanse(buf, sizeof(buf));
  return ok;
}

void fetch_passphrase(PassState& st) {
  if (st.fetched) return;
  st.fetched = true;
  const PassphraseSource& src = *st.source;
  if (!src.file.empty()) {
    auto data = read_file(src.file, 64 * 1024);
    if (!data.ok()) {
      st.problem = "cannot read the passphrase file: " + data.failure().message;
      return;
    }
    size_t n = 0;
    while (n < data->size() && (*data)[n] != '\n') ++n;
    size_t len = n;
    if (len > 0 && (*data)[len - 1] == '\r') --len;
    st.secret.assign(reinterpret_cast<const char*>(data->data()), len);
    OPENSSL_cleanse(data->data(), data->size());
    st.available = true;
    return;
  }
  if (!src.env_var.empty()) {
    if (const char* v = std::getenv(src.env_var.c_str()); v != nullptr) {
      st.secret.assign(v, std::strlen(v));
      st.available = true;
      return;
    }
  }
  if (src.allow_prompt && ::isatty(STDIN_FILENO)) {
    if (read_tty_passphrase("Enter the passphrase of " + st.key_path + ": ", st.secret)) {
      st.available = true;
      return;
    }
  }
  st.problem = "the private key is encrypted; give its passphrase with --passphrase-file FILE";
  if (!src.env_var.empty()) st.problem += " or the " + src.env_var + " environment variable";
}

int pass_cb(char* buf, int size, int /*rwflag*/, void* u) {
  auto* st = static_cast<PassState*>(u);
  st->asked = true;
  fetch_passphrase(*st);
  if (!st->available) return -1;
  const std::string& s = st->secret.str();
  if (s.size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, s.data(), s.size());
  return static_cast<int>(s.size());
}

bool has_private_part(EVP_PKEY* pkey) {
  BIGNUM* d = nullptr;
  const char* name = EVP_PKEY_is_a(pkey, "RSA") ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  bool ok = EVP_PKEY_get_bn_param(pkey, name, &d) == 1 && d != nullptr;
  BN_clear_free(d);
  ERR_clear_error();
  return ok;
}

std::string algo_words(KeyAlgo a) {
  switch (a) {
    case KeyAlgo::kRsa:
      return "an RSA key";
    case KeyAlgo::kEc:
      return "an EC (P-256/P-384) key";
    case KeyAlgo::kSm2:
      return "an SM2 key";
  }
  return "a key";
}

// The key algorithm a scheme needs.
KeyAlgo algo_for_scheme(uint16_t scheme) {
  if (scheme == kAlgEcdsa) return KeyAlgo::kEc;
  if (scheme == kAlgSm2) return KeyAlgo::kSm2;
  return KeyAlgo::kRsa;
}

HostStatus check_scheme(const PublicKey& pub, uint16_t scheme, uint16_t hash_alg) {
  if (scheme != kAlgRsaSsa && scheme != kAlgRsaPss && scheme != kAlgEcdsa && scheme != kAlgSm2)
    return fail(
        Errc::kUnsupported, "unsupported signature scheme 0x" + [&] {
          char b[8];
          std::snprintf(b, sizeof(b), "%x", scheme);
          return std::string(b);
        }());
  const KeyAlgo want = algo_for_scheme(scheme);
  if (pub.algo != want)
    return fail(Errc::kCrypto, std::string(scheme_name(scheme)) + " needs " + algo_words(want) +
                                   ", but " + pub.source + " is " + pub.describe());
  if (scheme == kAlgSm2) {
    if (!sm2_supported())
      return fail(Errc::kUnsupported, "SM2 signatures are not supported by this OpenSSL");
    if (hash_alg != kAlgSm3_256) return fail(Errc::kUnsupported, "SM2 signatures use SM3");
  } else if (scheme == kAlgEcdsa) {
    const uint16_t want_hash = pub.bytes == 48 ? kAlgSha384 : kAlgSha256;
    if (hash_alg != want_hash)
      return fail(Errc::kUnsupported, "ECDSA " + pub.describe() + " signatures use " +
                                          (want_hash == kAlgSha384 ? "SHA-384" : "SHA-256"));
  } else if (hash_alg != kAlgSha256 && hash_alg != kAlgSha384 &&
             !(scheme == kAlgRsaSsa && hash_alg == kAlgNull)) {
    return fail(Errc::kUnsupported, "RSA list signatures use SHA-256 or SHA-384");
  }
  return host_ok();
}

// DER-encodes r||s (big-endian halves) as an ECDSA-Sig-Value.
Bytes ecdsa_der(ByteSpan sig) {
  const size_t k = sig.size / 2;
  EcdsaSigPtr es(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.data, static_cast<int>(k), nullptr);
  BIGNUM* s = BN_bin2bn(sig.data + k, static_cast<int>(k), nullptr);
  if (!es || r == nullptr || s == nullptr || ECDSA_SIG_set0(es.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int len = i2d_ECDSA_SIG(es.get(), nullptr);
  if (len <= 0) return {};
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  if (i2d_ECDSA_SIG(es.get(), &p) != len) return {};
  return out;
}

// Sets up mctx for signing/verifying with pub/priv key `pkey` under scheme and hash. For SM2 the
// distinguishing ID is set empty before init (lcp3.h SM2_ID / SM2_ID_LEN = 0).
// For SM2, sm2_ctx owns the key context given to mctx (which must outlive mctx's use).
HostStatus digest_init(EVP_MD_CTX* mctx, PkeyCtxPtr& sm2_ctx, EVP_PKEY* pkey, uint16_t scheme,
                       uint16_t hash_alg, bool sign) {
  const EVP_MD* md = md_for(hash_alg);
  if (md == nullptr)
    return fail(Errc::kUnsupported, "hash algorithm not supported by this OpenSSL");
  EVP_PKEY_CTX* pctx = nullptr;
  if (scheme == kAlgSm2) {
    sm2_ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!sm2_ctx) return fail(Errc::kCrypto, "SM2 context: " + openssl_error());
    static const char kEmptyId[1] = {0};
    if (EVP_PKEY_CTX_set1_id(sm2_ctx.get(), kEmptyId, 0) <= 0)
      return fail(Errc::kCrypto, "cannot set the SM2 user ID: " + openssl_error());
    pctx = sm2_ctx.get();
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx);  // mctx uses, but does not own, pctx
  }
  int rc = sign ? EVP_DigestSignInit(mctx, &pctx, md, nullptr, pkey)
                : EVP_DigestVerifyInit(mctx, &pctx, md, nullptr, pkey);
  if (rc != 1) return fail(Errc::kCrypto, "signature setup failed: " + openssl_error());
  if (scheme == kAlgRsaSsa || scheme == kAlgRsaPss) {
    if (EVP_PKEY_CTX_set_rsa_padding(
            pctx, scheme == kAlgRsaPss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1)
      return fail(Errc::kCrypto, "cannot set RSA padding: " + openssl_error());
    if (scheme == kAlgRsaPss) {
      // EMSA-PSS, MGF1 with the signature hash, salt length = digest length (docs/reference/lcp.md
      // §5.3; crypto_OpenSSL.c sets saltlen -1 = RSA_PSS_SALTLEN_DIGEST).
      if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
        return fail(Errc::kCrypto, "cannot set RSA-PSS parameters: " + openssl_error());
    }
  }
  return host_ok();
}

// DigestInfo prefixes (RFC 8017 §9.2 note 1).
constexpr uint8_t kSha256Prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
constexpr uint8_t kSha384Prefix[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};

// Recovers the DigestInfo of a PKCS#1 v1.5 signature to learn its hash (LIST2 stores no hash).
// Unlike lcptools' pkcs_get_hashalg(), this works for every key size
// (docs/reference/upstream-quirks.md#q26): OpenSSL strips and checks the padding.
uint16_t rsassa_hash_of(const PublicKey& pub, ByteSpan sig, std::string& reason) {
  PkeyCtxPtr c(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.pkey.get(), nullptr));
  if (!c || EVP_PKEY_verify_recover_init(c.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(c.get(), RSA_PKCS1_PADDING) != 1) {
    reason = "cannot set up RSA signature recovery: " + openssl_error();
    return kAlgNull;
  }
  Bytes out(pub.bytes);
  size_t outlen = out.size();
  if (EVP_PKEY_verify_recover(c.get(), out.data(), &outlen, sig.data, sig.size) != 1) {
    ERR_clear_error();
    reason = "the signature is not a PKCS#1 v1.5 signature made with this key";
    return kAlgNull;
  }
  if (outlen == sizeof(kSha256Prefix) + 32 &&
      std::memcmp(out.data(), kSha256Prefix, sizeof(kSha256Prefix)) == 0)
    return kAlgSha256;
  if (outlen == sizeof(kSha384Prefix) + 48 &&
      std::memcmp(out.data(), kSha384Prefix, sizeof(kSha384Prefix)) == 0)
    return kAlgSha384;
  reason = "the signature's DigestInfo names a hash other than SHA-256 or SHA-384";
  return kAlgNull;
}

}  // namespace

Bytes reversed(ByteSpan b) {
  return Bytes(std::make_reverse_iterator(b.end()), std::make_reverse_iterator(b.begin()));
}

std::string PublicKey::describe() const {
  switch (algo) {
    case KeyAlgo::kRsa:
      return "RSA-" + std::to_string(bytes * 8);
    case KeyAlgo::kEc:
      return bytes == 48 ? "ECC P-384" : "ECC P-256";
    case KeyAlgo::kSm2:
      return "SM2";
  }
  return "?";
}
Bytes PublicKey::modulus_le() const { return reversed(ByteSpan(modulus.data(), modulus.size())); }
Bytes PublicKey::x_le() const { return reversed(ByteSpan(x.data(), x.size())); }
Bytes PublicKey::y_le() const { return reversed(ByteSpan(y.data(), y.size())); }

bool sm2_supported() {
  EVP_PKEY_CTX* c = EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr);
  bool ok = c != nullptr && tlaunch::host::evp_md(HashAlg::kSm3_256) != nullptr;
  EVP_PKEY_CTX_free(c);
  ERR_clear_error();
  return ok;
}

Expected<PublicKey> rsa_public_key(ByteSpan modulus_be, const std::string& source) {
  BnPtr n(BN_bin2bn(modulus_be.data, static_cast<int>(modulus_be.size), nullptr));
  BnPtr e(BN_new());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || BN_set_word(e.get(), kRsaExponent) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return fail(Errc::kCrypto, source + ": cannot build the RSA key: " + openssl_error());
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return fail(Errc::kCrypto, source + ": not a valid RSA public key: " + openssl_error());
  auto k = from_pkey(EvpPkeyPtr(pkey), source);
  if (k.ok() && k->bytes != modulus_be.size)
    return fail(Errc::kCrypto, source + ": RSA modulus has leading zero bytes");
  return k;
}

Expected<PublicKey> ecc_public_key(KeyAlgo algo, ByteSpan x_be, ByteSpan y_be,
                                   const std::string& source) {
  const size_t k = x_be.size;
  const char* group = nullptr;
  if (algo == KeyAlgo::kSm2 && k == 32)
    group = "SM2";
  else if (algo == KeyAlgo::kEc && k == 32)
    group = "prime256v1";
  else if (algo == KeyAlgo::kEc && k == 48)
    group = "secp384r1";
  if (group == nullptr || y_be.size != k)
    return fail(Errc::kCrypto, source + ": unsupported ECC key size");
  if (algo == KeyAlgo::kSm2 && !sm2_supported())
    return fail(Errc::kUnsupported, "SM2 is not supported by this OpenSSL");
  Bytes point;
  point.push_back(0x04);  // uncompressed (SEC 1 §2.3.3)
  point.insert(point.end(), x_be.begin(), x_be.end());
  point.insert(point.end(), y_be.begin(), y_be.end());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return fail(Errc::kCrypto, source + ": cannot build the EC key: " + openssl_error());
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, algo == KeyAlgo::kSm2 ? "SM2" : "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return fail(Errc::kCrypto,
                source + ": the public key is not a point on the " + std::string(group) + " curve");
  }
  return from_pkey(EvpPkeyPtr(pkey), source);
}

Expected<PublicKey> load_public_key(const std::string& path) {
  auto data = read_file(path, 1024 * 1024);
  if (!data.ok()) return data.failure();
  if (EvpPkeyPtr pkey = decode_key(*data, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr))
    return from_pkey(std::move(pkey), path);
  ERR_clear_error();
  // Raw fallbacks of lcptools (crypto_OpenSSL.c): RSA modulus big-endian, EC Qx||Qy little-endian.
  const ByteSpan raw(data->data(), data->size());
  if (raw.size == kRsa2048Bytes || raw.size == kRsa3072Bytes) return rsa_public_key(raw, path);
  if (raw.size == 2u * kEcc256Bytes || raw.size == 2u * kEcc384Bytes) {
    const size_t k = raw.size / 2;
    Bytes x = reversed(raw.subspan(0, k));
    Bytes y = reversed(raw.subspan(k, k));
    return ecc_public_key(KeyAlgo::kEc, ByteSpan(x.data(), k), ByteSpan(y.data(), k), path);
  }
  return fail(Errc::kCrypto, path +
                                 ": not a public key (PEM or DER, a raw 256/384-byte RSA modulus "
                                 "or a raw 64/96-byte EC point)");
}

Expected<PrivateKey> load_private_key(const std::string& path, const PassphraseSource& pass) {
  auto data = read_file(path, 1024 * 1024);
  if (!data.ok()) return data.failure();
  PassState st;
  st.source = &pass;
  st.key_path = path;
  EvpPkeyPtr pkey = decode_key(*data, EVP_PKEY_KEYPAIR, &pass_cb, &st);
  OPENSSL_cleanse(data->data(), data->size());
  if (!pkey) {
    ERR_clear_error();
    if (st.asked && !st.available) return fail(Errc::kCrypto, path + ": " + st.problem);
    if (st.asked)
      return fail(Errc::kCrypto, path + ": cannot decrypt the private key: wrong passphrase");
    return fail(Errc::kCrypto, path + ": not a private key (PEM or DER expected)");
  }
  if (!has_private_part(pkey.get()))
    return fail(Errc::kCrypto, path + ": holds a public key, not a private key");
  PrivateKey k;
  k.pkey = std::move(pkey);
  k.source = path;
  return k;
}

Expected<PublicKey> public_key_of(const PrivateKey& key) {
  if (EVP_PKEY_up_ref(key.pkey.get()) != 1) return fail(Errc::kInternal, "EVP_PKEY_up_ref failed");
  return from_pkey(EvpPkeyPtr(key.pkey.get()), key.source);
}

HostStatus check_key_pair(const PublicKey& pub, const PrivateKey& priv) {
  auto mine = public_key_of(priv);
  if (!mine.ok()) return mine.failure();
  const bool same = mine->algo == pub.algo && mine->bytes == pub.bytes &&
                    mine->modulus == pub.modulus && mine->x == pub.x && mine->y == pub.y;
  if (!same)
    return fail(Errc::kCrypto, "the private key " + priv.source +
                                   " does not belong to the public key " + pub.source + " (" +
                                   mine->describe() + " vs " + pub.describe() + ")");
  return host_ok();
}

Expected<Bytes> sign_message(const PrivateKey& key, const PublicKey& pub, uint16_t scheme,
                             uint16_t hash_alg, ByteSpan msg) {
  if (auto s = check_scheme(pub, scheme, hash_alg); !s.ok()) return s.failure();
  if (scheme == kAlgRsaSsa && hash_alg == kAlgNull)
    return fail(Errc::kUsage, "RSASSA signing needs a hash algorithm");
  if (auto s = check_key_pair(pub, key); !s.ok()) return s.failure();
  PkeyCtxPtr sm2_ctx;  // declared before mctx: destroyed after it
  MdCtxPtr mctx(EVP_MD_CTX_new());
  if (!mctx) return fail(Errc::kInternal, "out of memory");
  if (auto s = digest_init(mctx.get(), sm2_ctx, key.pkey.get(), scheme, hash_alg, true); !s.ok())
    return s.failure();
  size_t len = 0;
  if (EVP_DigestSign(mctx.get(), nullptr, &len, msg.data, msg.size) != 1)
    return fail(Errc::kCrypto, "signing failed: " + openssl_error());
  Bytes sig(len);
  if (EVP_DigestSign(mctx.get(), sig.data(), &len, msg.data, msg.size) != 1)
    return fail(Errc::kCrypto, "signing failed: " + openssl_error());
  sig.resize(len);
  if (pub.algo == KeyAlgo::kRsa) {
    if (sig.size() != pub.bytes) return fail(Errc::kCrypto, "RSA signature has an unexpected size");
    return sig;
  }
  const unsigned char* p = sig.data();
  EcdsaSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!es) return fail(Errc::kCrypto, "cannot decode the ECDSA signature: " + openssl_error());
  Bytes out = bn_to_fixed(ECDSA_SIG_get0_r(es.get()), pub.bytes);
  Bytes s = bn_to_fixed(ECDSA_SIG_get0_s(es.get()), pub.bytes);
  if (out.empty() || s.empty()) return fail(Errc::kCrypto, "ECDSA signature does not fit the key");
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

Expected<VerifyOutcome> verify_message(const PublicKey& pub, uint16_t scheme, uint16_t hash_alg,
                                       ByteSpan msg, ByteSpan sig) {
  if (auto s = check_scheme(pub, scheme, hash_alg); !s.ok()) return s.failure();
  VerifyOutcome out;
  out.hash_alg = hash_alg;
  const size_t want = pub.algo == KeyAlgo::kRsa ? pub.bytes : 2u * pub.bytes;
  if (sig.size != want) {
    out.reason = "the signature is " + std::to_string(sig.size) + " bytes, " + pub.describe() +
                 " signatures are " + std::to_string(want);
    return out;
  }
  if (scheme == kAlgRsaSsa && hash_alg == kAlgNull) {
    out.hash_alg = rsassa_hash_of(pub, sig, out.reason);
    if (out.hash_alg == kAlgNull) return out;
  }
  Bytes der;
  ByteSpan value = sig;
  if (pub.algo != KeyAlgo::kRsa) {
    der = ecdsa_der(sig);
    if (der.empty()) return fail(Errc::kCrypto, "cannot encode the ECDSA signature");
    value = ByteSpan(der.data(), der.size());
  }
  PkeyCtxPtr sm2_ctx;  // declared before mctx: destroyed after it
  MdCtxPtr mctx(EVP_MD_CTX_new());
  if (!mctx) return fail(Errc::kInternal, "out of memory");
  if (auto s = digest_init(mctx.get(), sm2_ctx, pub.pkey.get(), scheme, out.hash_alg, false);
      !s.ok())
    return s.failure();
  const int rc = EVP_DigestVerify(mctx.get(), value.data, value.size, msg.data, msg.size);
  ERR_clear_error();
  if (rc == 1) {
    out.valid = true;
    out.reason.clear();
  } else {
    out.reason = "the signature does not match the signed data and the public key";
  }
  return out;
}

Expected<Bytes> parse_detached_signature(const PublicKey& pub, ByteSpan sig) {
  if (pub.algo == KeyAlgo::kRsa) {
    if (sig.size != pub.bytes)
      return fail(Errc::kBadValue, "the signature is " + std::to_string(sig.size) + " bytes; an " +
                                       pub.describe() + " signature is " +
                                       std::to_string(pub.bytes) + " bytes (big-endian)");
    return Bytes(sig.begin(), sig.end());
  }
  const size_t k = pub.bytes;
  // DER ECDSA-Sig-Value, consumed completely.
  const unsigned char* p = sig.data;
  EcdsaSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size)));
  if (es && p == sig.data + sig.size) {
    Bytes r = bn_to_fixed(ECDSA_SIG_get0_r(es.get()), k);
    Bytes s = bn_to_fixed(ECDSA_SIG_get0_s(es.get()), k);
    if (r.empty() || s.empty())
      return fail(Errc::kBadValue, "the DER signature's r or s is larger than the key");
    r.insert(r.end(), s.begin(), s.end());
    return r;
  }
  ERR_clear_error();
  if (sig.size == 2u * k) return Bytes(sig.begin(), sig.end());
  return fail(Errc::kBadValue, "the signature is neither a DER ECDSA signature nor raw r||s of " +
                                   std::to_string(2u * k) + " bytes");
}

}  // namespace tlaunch::lcp::host
