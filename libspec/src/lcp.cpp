// The optional Launch Control Policy of a launch spec: elements, lists (unsigned, signed here with
// a deterministic scheme, or signed elsewhere), the LCP_POLICY_2 for the PO index and the policy
// data file GRUB loads. Built with the LCP code of libpolicy (lcp_element_build.h,
// lcp_list_ops.h, lcp_policy_ops.h, mlehash.h); nothing here re-implements a format rule.
#include <algorithm>

#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_policy_ops.h"
#include "tlaunch/policy/host/lcp/mlehash.h"
#include "tlaunch/spec/build.h"

namespace tlaunch::host::spec {

namespace {

using lcp::host::ListFile;

std::string at(const std::string& path, const std::string& member) {
  return pointer_append(path, member);
}

Failure issue(Errc code, const LaunchSpec& spec, const std::string& path, const std::string& why) {
  return fail(code, spec.spec_path + ": " + path + ": " + why);
}

// A failure of the LCP code, placed at the spec's JSON path.
Failure issue_from(const Failure& f, const LaunchSpec& spec, const std::string& path) {
  return Failure{f.code, spec.spec_path + ": " + path + ": " + f.message, f.tpm_rc};
}

uint16_t scheme_of(const std::string& alg) {
  if (alg == "rsa") return lcp::kAlgRsaSsa;
  if (alg == "rsapss") return lcp::kAlgRsaPss;
  return lcp::kAlgEcdsa;
}

// LcpSignAlgMask bit of a signed list (docs/reference/lcp.md §2.3): RSA key size + hash, or the ECC
// curve. The RSA bits are used for RSA-PSS lists too.
uint32_t sign_mask_bit(const lcp::host::PublicKey& pub, uint16_t hash_alg) {
  using lcp::host::KeyAlgo;
  if (pub.algo == KeyAlgo::kRsa) {
    bool sha384 = hash_alg == lcp::kAlgSha384;
    if (pub.bytes == 256) return sha384 ? lcp::kSignMaskRsa2048Sha384 : lcp::kSignMaskRsa2048Sha256;
    return sha384 ? lcp::kSignMaskRsa3072Sha384 : lcp::kSignMaskRsa3072Sha256;
  }
  if (pub.algo == KeyAlgo::kEc)
    return pub.bytes == 32 ? lcp::kSignMaskEcdsaP256 : lcp::kSignMaskEcdsaP384;
  return 0x00010000;  // SM2 (docs/reference/lcp.md §2.3)
}

// Builds the LCP of a spec: its lists in spec order, then the policy over them.
class LcpBuilder {
 public:
  LcpBuilder(const LaunchSpec& spec, const Bytes& vlp)
      : spec_(spec),
        vlp_(vlp),
        hash_mask_(lcp::hash_alg_to_mask(static_cast<uint16_t>(spec.lcp->hash_alg))) {}

  Expected<LcpBuild> build() {
    for (size_t li = 0; li < spec_.lcp->lists.size(); ++li) {
      auto st = add_list(li);
      if (!st) return st.failure();
    }
    if (!out_.pending.empty()) return std::move(out_);
    return finish();
  }

 private:
  // An element of the spec; failures are placed at its JSON path.
  Expected<Bytes> element(const LcpElementSpec& es) {
    switch (es.kind) {
      case LcpElementKind::kVlp:
        // The VLP as tboot's fallback source (docs/reference/vlp.md §5.3): CUSTOM2 element,
        // tboot UUID.
        return placed(lcp::host::wrap_vlp(vlp_, es.control), es.json_path);
      case LcpElementKind::kMle:
        return mle_element(es);
      case LcpElementKind::kCustom:
        return custom_element(es);
      case LcpElementKind::kFile: {
        auto e = lcp::host::read_elements({es.host_path});
        if (!e) return issue_from(e.failure(), spec_, at(es.json_path, "file"));
        return std::move(*e);
      }
    }
    return Bytes{};
  }

  // The launcher's MLE hash as SINIT measures it, with the command line it copies into its MLE
  // command-line area (launcher/README.md; lcp2_mlehash --cmdline).
  Expected<Bytes> mle_element(const LcpElementSpec& es) {
    const std::string& image = es.host_path.empty() ? spec_.launcher.ref.host_path : es.host_path;
    auto file = lcp::host::read_mle_file(image);
    if (!file) return issue_from(file.failure(), spec_, es.json_path);
    auto mle = lcp::host::expand_mle_image(*file, image);
    if (!mle) return issue_from(mle.failure(), spec_, es.json_path);
    auto h = lcp::host::mle_hash(std::move(*mle), es.hash_alg, spec_.launcher.cmdline);
    if (!h) return issue_from(h.failure(), spec_, es.json_path);
    hash_mask_ |= lcp::hash_alg_to_mask(static_cast<uint16_t>(es.hash_alg));
    return placed(
        lcp::host::build_mle2(es.control, es.min_sinit_version, static_cast<uint16_t>(es.hash_alg),
                              {Bytes(h->digest.bytes, h->digest.bytes + h->digest.size)}),
        es.json_path);
  }

  Expected<Bytes> custom_element(const LcpElementSpec& es) {
    auto uuid = lcp::host::parse_uuid(es.uuid);
    if (!uuid)
      return issue(
          Errc::kBadValue, spec_, at(es.json_path, "uuid"),
          "\"" + es.uuid +
              "\" is neither \"tboot\" nor a UUID like "
              "{0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {0xkk, 0xll, 0xmm, 0xnn, 0xoo, 0xpp}}");
    auto data = read_file(es.host_path, 1u << 20);
    if (!data) return issue_from(data.failure(), spec_, at(es.json_path, "file"));
    return placed(lcp::host::build_custom(es.control, *uuid, *data), es.json_path);
  }

  // A failure of the LCP code placed at `path` in the spec.
  Expected<Bytes> placed(Expected<Bytes> r, const std::string& path) const {
    if (!r) return issue_from(r.failure(), spec_, path);
    return r;
  }

  // The list's elements in spec order, as an unsigned list.
  Expected<ListFile> unsigned_list(const LcpListSpec& ls, const std::string& name) {
    Bytes elements;
    for (const LcpElementSpec& es : ls.elements) {
      auto elt = element(es);
      if (!elt) return elt.failure();
      elements.insert(elements.end(), elt->begin(), elt->end());
    }
    Bytes bytes(lcp::unsigned_list_size(elements.size()));
    ByteWriter w(MutableByteSpan(bytes.data(), bytes.size()));
    auto n = lcp::encode_unsigned_list(w, ls.version, ByteSpan(elements.data(), elements.size()));
    if (!n.ok()) return issue_from(fail(n.error(), "list"), spec_, ls.json_path);
    auto list = lcp::host::list_from_bytes(std::move(bytes), name);
    if (!list) return issue_from(list.failure(), spec_, ls.json_path);
    return std::move(*list);
  }

  // "signature": the detached signature attached to the list.
  Expected<Bytes> attach_detached(const LcpSigningSpec& sg, const ListFile& list,
                                  const lcp::host::PublicKey& pub,
                                  const lcp::host::SignRequest& req) {
    auto sig = read_file(sg.signature, 1u << 16);
    if (!sig) return issue_from(sig.failure(), spec_, at(sg.json_path, "signature"));
    auto signed_list =
        lcp::host::attach_signature(list.view, pub, req, ByteSpan(sig->data(), sig->size()));
    if (!signed_list)
      return issue_from(signed_list.failure(), spec_, at(sg.json_path, "signature"));
    return signed_list;
  }

  // "private_key": the list signed here. Same spec and files must give the same bytes: RSA-PSS
  // and ECDSA signatures are randomized, so only PKCS#1 v1.5 is signed here.
  Expected<Bytes> sign_here(const LcpSigningSpec& sg, size_t li, const ListFile& list,
                            const lcp::host::PublicKey& pub, const lcp::host::SignRequest& req) {
    if (sg.alg != "rsa")
      return issue(Errc::kBadValue, spec_, at(sg.json_path, "private_key"),
                   sg.alg +
                       " signatures are randomized, so every build would differ: sign the "
                       "list's to-be-signed bytes once (written as lcp-list-" +
                       std::to_string(li) +
                       ".tbs by a build without \"private_key\") and name the signature in "
                       "\"signature\"");
    // The one secret syntax; a relative file: is relative to the spec like every other path in
    // it (tlaunch-build(1)).
    lcp::host::PassphraseSource pass;
    pass.spec = sg.passphrase;
    pass.base_dir = spec_.base_dir;
    pass.what = at(sg.json_path, "passphrase");
    auto priv = lcp::host::load_private_key(sg.private_key, pass);
    if (!priv) return issue_from(priv.failure(), spec_, at(sg.json_path, "private_key"));
    auto signed_list = lcp::host::sign_list(list.view, pub, *priv, req);
    if (!signed_list)
      return issue_from(signed_list.failure(), spec_, at(sg.json_path, "private_key"));
    return signed_list;
  }

  // Signs list `li` as its "signing" says and records its to-be-signed bytes. nullopt when the
  // list waits for a detached signature (recorded in out_.pending).
  Expected<std::optional<ListFile>> sign(const LcpListSpec& ls, size_t li, const ListFile& list,
                                         const std::string& name) {
    const LcpSigningSpec& sg = *ls.signing;
    auto pub = lcp::host::load_public_key(sg.public_key);
    if (!pub) return issue_from(pub.failure(), spec_, at(sg.json_path, "public_key"));
    lcp::host::SignRequest req;
    req.scheme = scheme_of(sg.alg);
    req.hash_alg = sg.hash_alg == "sha384"   ? lcp::kAlgSha384
                   : sg.hash_alg == "sha256" ? lcp::kAlgSha256
                                             : lcp::kAlgNull;
    req.revocation_counter = sg.revocation_counter;
    auto prepared = lcp::host::prepare_signed_list(list.view, *pub, req);
    if (!prepared) return issue_from(prepared.failure(), spec_, sg.json_path);
    ByteSpan tbs = prepared->tbs();
    out_.tbs.push_back({"lcp-list-" + std::to_string(li) + ".tbs", Bytes(tbs.begin(), tbs.end())});
    Expected<Bytes> signed_list = Bytes{};
    if (!sg.signature.empty()) {
      signed_list = attach_detached(sg, list, *pub, req);
    } else if (!sg.private_key.empty()) {
      signed_list = sign_here(sg, li, list, *pub, req);
    } else {
      out_.pending.push_back({at(sg.json_path, "signature"),
                              "the list waits for a detached signature: sign lcp-list-" +
                                  std::to_string(li) + ".tbs (" + std::to_string(tbs.size) +
                                  " bytes) with the private key of " + sg.public_key +
                                  " and name the signature file here"});
      return std::optional<ListFile>();
    }
    if (!signed_list) return signed_list.failure();
    auto signed_file = lcp::host::list_from_bytes(std::move(*signed_list), name);
    if (!signed_file) return issue_from(signed_file.failure(), spec_, ls.json_path);
    sign_mask_ |=
        sign_mask_bit(*pub, req.hash_alg != lcp::kAlgNull ? req.hash_alg : prepared->hash_alg);
    if (li < lcp::kRevocationCounters) policy_.data_revocation_counters[li] = sg.revocation_counter;
    return std::optional<ListFile>(std::move(*signed_file));
  }

  // List `li` of the spec, built (and signed) into lists_.
  HostStatus add_list(size_t li) {
    const LcpListSpec& ls = spec_.lcp->lists[li];
    const std::string name = "list " + std::to_string(li);
    auto list = unsigned_list(ls, name);
    if (!list) return list.failure();
    if (!ls.signing) {
      lists_.push_back(std::move(*list));
      return host_ok();
    }
    auto signed_list = sign(ls, li, *list, name);
    if (!signed_list) return signed_list.failure();
    if (*signed_list) lists_.push_back(std::move(**signed_list));
    return host_ok();
  }

  // LCP_POLICY_2 of type LIST (docs/reference/lcp.md §3): the masks allow exactly what the lists
  // use; an unsigned policy still needs a sign mask (lcp2_crtpol requires one for 3.x):
  // RSA-2048/SHA-256.
  Expected<LcpBuild> finish() {
    const LcpSpec& l = *spec_.lcp;
    policy_.version = l.version;
    policy_.hash_alg = static_cast<uint16_t>(l.hash_alg);
    policy_.policy_type = lcp::kPolicyTypeList;
    policy_.sinit_min_version = l.min_sinit_version;
    policy_.policy_control = l.control;
    policy_.lcp_hash_alg_mask = hash_mask_;
    policy_.lcp_sign_alg_mask = sign_mask_ != 0 ? sign_mask_ : lcp::kSignMaskRsa2048Sha256;
    // 3.0: AuxHashAlgMask defaults to the mask of the policy's algorithm; reserved later
    // (docs/reference/lcp.md).
    if (l.version == lcp::kPolicyVersion30)
      policy_.aux_hash_alg_mask = lcp::hash_alg_to_mask(static_cast<uint16_t>(l.hash_alg));
    std::vector<const ListFile*> ptrs;
    for (const ListFile& f : lists_) ptrs.push_back(&f);
    auto built = lcp::host::build_policy(policy_, ptrs);
    if (!built) return issue_from(built.failure(), spec_, l.json_path);
    out_.policy = std::move(built->policy_bytes);
    out_.data = std::move(built->data_bytes);
    return std::move(out_);
  }

  const LaunchSpec& spec_;
  const Bytes& vlp_;
  LcpBuild out_;
  std::vector<ListFile> lists_;
  uint16_t hash_mask_;
  uint32_t sign_mask_ = 0;
  lcp::Policy policy_;
};

}  // namespace

Expected<LcpBuild> build_lcp(const LaunchSpec& spec, const Bytes& vlp) {
  return LcpBuilder(spec, vlp).build();
}

}  // namespace tlaunch::host::spec
