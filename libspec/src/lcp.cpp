// The optional Launch Control Policy of a launch spec: elements, lists (unsigned, signed here with
// a deterministic scheme, or signed elsewhere), the LCP_POLICY_2 for the PO index and the policy
// data file GRUB loads. Built with the LCP code of libpolicy (lcp_element_build.h,
// lcp_list_ops.h, lcp_policy_ops.h, mlehash.h); nothing here re-implements a format rule.
#include <algorithm>

#include "tlaunch/spec/build.h"
#include "tlaunch/policy/host/lcp/lcp_element_build.h"
#include "tlaunch/policy/host/lcp/lcp_list_ops.h"
#include "tlaunch/policy/host/lcp/lcp_policy_ops.h"
#include "tlaunch/policy/host/lcp/mlehash.h"

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

}  // namespace

Expected<LcpBuild> build_lcp(const LaunchSpec& spec, const Bytes& vlp) {
  const LcpSpec& l = *spec.lcp;
  LcpBuild out;
  std::vector<ListFile> lists;
  uint16_t hash_mask = lcp::hash_alg_to_mask(static_cast<uint16_t>(l.hash_alg));
  uint32_t sign_mask = 0;
  lcp::Policy policy;

  for (size_t li = 0; li < l.lists.size(); ++li) {
    const LcpListSpec& ls = l.lists[li];
    Bytes elements;
    for (const LcpElementSpec& es : ls.elements) {
      Expected<Bytes> elt = Bytes{};
      uint32_t control = es.control;
      switch (es.kind) {
        case LcpElementKind::kVlp:
          // The VLP as tboot's fallback source (docs/reference/vlp.md §5.3): CUSTOM2 element, tboot
          // UUID.
          elt = lcp::host::wrap_vlp(vlp, control);
          break;
        case LcpElementKind::kMle: {
          // The launcher's MLE hash as SINIT measures it, with the command line it copies into
          // its MLE command-line area (launcher/README.md; lcp2_mlehash --cmdline).
          const std::string& image =
              es.host_path.empty() ? spec.launcher.ref.host_path : es.host_path;
          auto file = lcp::host::read_mle_file(image);
          if (!file) return issue_from(file.failure(), spec, es.json_path);
          auto mle = lcp::host::expand_mle_image(*file, image);
          if (!mle) return issue_from(mle.failure(), spec, es.json_path);
          auto h = lcp::host::mle_hash(std::move(*mle), es.hash_alg, spec.launcher.cmdline);
          if (!h) return issue_from(h.failure(), spec, es.json_path);
          elt = lcp::host::build_mle2(control, es.min_sinit_version,
                                      static_cast<uint16_t>(es.hash_alg),
                                      {Bytes(h->digest.bytes, h->digest.bytes + h->digest.size)});
          hash_mask |= lcp::hash_alg_to_mask(static_cast<uint16_t>(es.hash_alg));
          break;
        }
        case LcpElementKind::kCustom: {
          auto uuid = lcp::host::parse_uuid(es.uuid);
          if (!uuid)
            return issue(
                Errc::kBadValue, spec, at(es.json_path, "uuid"),
                "\"" + es.uuid +
                    "\" is neither \"tboot\" nor a UUID like "
                    "{0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {0xkk, 0xll, 0xmm, 0xnn, 0xoo, 0xpp}}");
          auto data = read_file(es.host_path, 1u << 20);
          if (!data) return issue_from(data.failure(), spec, at(es.json_path, "file"));
          elt = lcp::host::build_custom(control, *uuid, *data);
          break;
        }
        case LcpElementKind::kFile: {
          auto e = lcp::host::read_elements({es.host_path});
          if (!e) return issue_from(e.failure(), spec, at(es.json_path, "file"));
          elt = std::move(*e);
          break;
        }
      }
      if (!elt) return issue_from(elt.failure(), spec, es.json_path);
      elements.insert(elements.end(), elt->begin(), elt->end());
    }
    Bytes unsigned_list(lcp::unsigned_list_size(elements.size()));
    ByteWriter w(MutableByteSpan(unsigned_list.data(), unsigned_list.size()));
    auto n = lcp::encode_unsigned_list(w, ls.version, ByteSpan(elements.data(), elements.size()));
    if (!n.ok()) return issue_from(fail(n.error(), "list"), spec, ls.json_path);
    const std::string name = "list " + std::to_string(li);
    auto list = lcp::host::list_from_bytes(std::move(unsigned_list), name);
    if (!list) return issue_from(list.failure(), spec, ls.json_path);

    if (ls.signing) {
      const LcpSigningSpec& sg = *ls.signing;
      auto pub = lcp::host::load_public_key(sg.public_key);
      if (!pub) return issue_from(pub.failure(), spec, at(sg.json_path, "public_key"));
      lcp::host::SignRequest req;
      req.scheme = scheme_of(sg.alg);
      req.hash_alg = sg.hash_alg == "sha384"   ? lcp::kAlgSha384
                     : sg.hash_alg == "sha256" ? lcp::kAlgSha256
                                               : lcp::kAlgNull;
      req.revocation_counter = sg.revocation_counter;
      auto prepared = lcp::host::prepare_signed_list(list->view, *pub, req);
      if (!prepared) return issue_from(prepared.failure(), spec, sg.json_path);
      ByteSpan tbs = prepared->tbs();
      out.tbs.push_back({"lcp-list-" + std::to_string(li) + ".tbs", Bytes(tbs.begin(), tbs.end())});
      Expected<Bytes> signed_list = Bytes{};
      if (!sg.signature.empty()) {
        auto sig = read_file(sg.signature, 1u << 16);
        if (!sig) return issue_from(sig.failure(), spec, at(sg.json_path, "signature"));
        signed_list =
            lcp::host::attach_signature(list->view, *pub, req, ByteSpan(sig->data(), sig->size()));
        if (!signed_list)
          return issue_from(signed_list.failure(), spec, at(sg.json_path, "signature"));
      } else if (!sg.private_key.empty()) {
        // Same spec and files must give the same bytes: RSA-PSS and ECDSA signatures are
        // randomized, so only PKCS#1 v1.5 is signed here.
        if (sg.alg != "rsa")
          return issue(Errc::kBadValue, spec, at(sg.json_path, "private_key"),
                       sg.alg +
                           " signatures are randomized, so every build would differ: sign the "
                           "list's to-be-signed bytes once (written as lcp-list-" +
                           std::to_string(li) +
                           ".tbs by a build without \"private_key\") and name the signature in "
                           "\"signature\"");
        lcp::host::PassphraseSource pass;
        if (sg.passphrase.rfind("file:", 0) == 0) pass.file = sg.passphrase.substr(5);
        if (sg.passphrase.rfind("env:", 0) == 0) pass.env_var = sg.passphrase.substr(4);
        pass.allow_prompt = sg.passphrase.empty();
        auto priv = lcp::host::load_private_key(sg.private_key, pass);
        if (!priv) return issue_from(priv.failure(), spec, at(sg.json_path, "private_key"));
        signed_list = lcp::host::sign_list(list->view, *pub, *priv, req);
        if (!signed_list)
          return issue_from(signed_list.failure(), spec, at(sg.json_path, "private_key"));
      } else {
        out.pending.push_back({at(sg.json_path, "signature"),
                               "the list waits for a detached signature: sign lcp-list-" +
                                   std::to_string(li) + ".tbs (" + std::to_string(tbs.size) +
                                   " bytes) with the private key of " + sg.public_key +
                                   " and name the signature file here"});
        continue;
      }
      list = lcp::host::list_from_bytes(std::move(*signed_list), name);
      if (!list) return issue_from(list.failure(), spec, ls.json_path);
      sign_mask |=
          sign_mask_bit(*pub, req.hash_alg != lcp::kAlgNull ? req.hash_alg : prepared->hash_alg);
      if (li < lcp::kRevocationCounters)
        policy.data_revocation_counters[li] = sg.revocation_counter;
    }
    lists.push_back(std::move(*list));
  }
  if (!out.pending.empty()) return out;

  // LCP_POLICY_2 of type LIST (docs/reference/lcp.md §3): the masks allow exactly what the lists
  // use; an unsigned policy still needs a sign mask (lcp2_crtpol requires one for 3.x):
  // RSA-2048/SHA-256.
  policy.version = l.version;
  policy.hash_alg = static_cast<uint16_t>(l.hash_alg);
  policy.policy_type = lcp::kPolicyTypeList;
  policy.sinit_min_version = l.min_sinit_version;
  policy.policy_control = l.control;
  policy.lcp_hash_alg_mask = hash_mask;
  policy.lcp_sign_alg_mask = sign_mask != 0 ? sign_mask : lcp::kSignMaskRsa2048Sha256;
  // 3.0: AuxHashAlgMask defaults to the mask of the policy's algorithm; reserved later
  // (docs/reference/lcp.md).
  if (l.version == lcp::kPolicyVersion30)
    policy.aux_hash_alg_mask = lcp::hash_alg_to_mask(static_cast<uint16_t>(l.hash_alg));
  std::vector<const ListFile*> ptrs;
  for (const ListFile& f : lists) ptrs.push_back(&f);
  auto built = lcp::host::build_policy(policy, ptrs);
  if (!built) return issue_from(built.failure(), spec, l.json_path);
  out.policy = std::move(built->policy_bytes);
  out.data = std::move(built->data_bytes);
  return out;
}

}  // namespace tlaunch::host::spec
