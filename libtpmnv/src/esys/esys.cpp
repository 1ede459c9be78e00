#include "tlaunch/tpmnv/esys.h"

#include <string.h>

#include <cstdlib>
#include <utility>

#include "tlaunch/tpmnv/attributes.h"
#include "tlaunch/tpmnv/rc.h"

namespace tlaunch::tpmnv {
namespace {

// TPM_CC values used in policy sessions (TPM 2.0 Part 2 §6.5.2).
constexpr uint32_t kCcNvWrite = 0x00000137;
constexpr uint32_t kCcNvUndefineSpaceSpecial = 0x0000011F;
constexpr uint32_t kCcNvWriteLock = 0x00000138;

std::string label(uint32_t handle) {
  Target t;
  t.handle = handle;
  t.spec = find_index_spec(handle);
  return t.label();
}

// A TPM2B_AUTH holding a copy of a secret, wiped when it goes out of scope.
struct AuthValue {
  TPM2B_AUTH value{};
  explicit AuthValue(const Secret& s) {
    value.size = static_cast<UINT16>(s.size());
    memcpy(value.buffer, s.data(), s.size());
  }
  ~AuthValue() { explicit_bzero(&value, sizeof(value)); }
  AuthValue(const AuthValue&) = delete;
  AuthValue& operator=(const AuthValue&) = delete;
};

ESYS_TR hierarchy_tr(Hierarchy h) {
  return h == Hierarchy::kPlatform ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER;
}

}  // namespace

std::string choose_tcti(const std::string& option, std::string* origin) {
  auto set = [origin](const char* o) {
    if (origin) *origin = o;
  };
  if (!option.empty()) {
    set("--tcti");
    return option;
  }
  if (const char* v = std::getenv("TPM2TOOLS_TCTI"); v && *v) {
    set("TPM2TOOLS_TCTI");
    return v;
  }
  if (const char* v = std::getenv("TCTI"); v && *v) {
    set("TCTI");
    return v;
  }
  set("default");
  return "device:/dev/tpmrm0";
}

// ---------------------------------------------------------------------------------- Tcti

void quiet_tss2_logging() {
  // ESAPI and the TCTI loader log every TPM error to stderr ("ERROR:tcti:..."); tlaunch reports
  // them itself. TSS2_LOG set by the user (e.g. all+debug) still wins. tpm2-tss reads the
  // variable when a module logs for the first time, so this must run before any TSS call.
  setenv("TSS2_LOG", "all+NONE", 0);
}

host::Expected<Tcti> Tcti::open(const std::string& conf) {
  quiet_tss2_logging();
  Tcti t;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(conf.c_str(), &t.ctx_);
  if (rc != TSS2_RC_SUCCESS || t.ctx_ == nullptr) {
    host::Failure f = tpm_failure("cannot open the TPM through TCTI '" + conf + "'", rc);
    f.code = Errc::kTpmUnreachable;
    if (!rc_hint(rc))
      f.message +=
          "\n  hint: check --tcti (or TPM2TOOLS_TCTI/TCTI): e.g. device:/dev/tpmrm0, "
          "swtpm:host=127.0.0.1,port=2321, mssim:host=localhost,port=2321";
    return f;
  }
  return t;
}

Tcti::~Tcti() {
  if (ctx_) Tss2_TctiLdr_Finalize(&ctx_);
}
Tcti::Tcti(Tcti&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
Tcti& Tcti::operator=(Tcti&& o) noexcept {
  if (this != &o) {
    if (ctx_) Tss2_TctiLdr_Finalize(&ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}

// --------------------------------------------------------------------------- EsysContext

host::Expected<EsysContext> EsysContext::open(TSS2_TCTI_CONTEXT* tcti) {
  EsysContext c;
  TSS2_RC rc = Esys_Initialize(&c.ctx_, tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) return tpm_failure("cannot initialize ESAPI", rc);
  return c;
}
EsysContext::~EsysContext() {
  if (ctx_) Esys_Finalize(&ctx_);
}
EsysContext::EsysContext(EsysContext&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
EsysContext& EsysContext::operator=(EsysContext&& o) noexcept {
  if (this != &o) {
    if (ctx_) Esys_Finalize(&ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}

// -------------------------------------------------------------------------------- EsysTr

EsysTr::~EsysTr() { reset(); }
EsysTr::EsysTr(EsysTr&& o) noexcept
    : ctx_(o.ctx_), tr_(std::exchange(o.tr_, ESYS_TR_NONE)), kind_(o.kind_) {}
EsysTr& EsysTr::operator=(EsysTr&& o) noexcept {
  if (this != &o) {
    reset();
    ctx_ = o.ctx_;
    kind_ = o.kind_;
    tr_ = std::exchange(o.tr_, ESYS_TR_NONE);
  }
  return *this;
}
ESYS_TR EsysTr::release() { return std::exchange(tr_, ESYS_TR_NONE); }
void EsysTr::reset() {
  if (tr_ == ESYS_TR_NONE || ctx_ == nullptr) return;
  // Best effort: a destructor has nobody to report to, and a failed flush leaves only a
  // session that the TPM drops at the next reset.
  if (kind_ == Kind::kFlush) {
    if (Esys_FlushContext(ctx_, tr_) != TSS2_RC_SUCCESS) Esys_TR_Close(ctx_, &tr_);
  } else {
    Esys_TR_Close(ctx_, &tr_);
  }
  tr_ = ESYS_TR_NONE;
}

// ---------------------------------------------------------------------------- EsysDevice

EsysDevice::EsysDevice(Tcti tcti, Auths auths, std::string conf)
    : tcti_(std::move(tcti)),
      transport_(tcti_.get(), conf),
      adapter_(transport_),
      auths_(std::move(auths)),
      conf_(std::move(conf)) {}

EsysDevice::~EsysDevice() { indices_.clear(); }

host::Expected<std::unique_ptr<EsysDevice>> EsysDevice::open(const std::string& tcti_conf,
                                                             Auths auths) {
  host::Expected<Tcti> tcti = Tcti::open(tcti_conf);
  if (!tcti) return tcti.failure();
  // ESAPI runs over the device's transport (tcti_transport.h): one byte seam for every command.
  std::unique_ptr<EsysDevice> dev(new EsysDevice(std::move(*tcti), std::move(auths), tcti_conf));
  host::Expected<EsysContext> ctx = EsysContext::open(dev->adapter_.get());
  if (!ctx) return ctx.failure();
  dev->ctx_ = std::move(*ctx);
  return dev;
}

host::Failure EsysDevice::esys_failure(const std::string& what, uint32_t rc) const {
  if (rc_errc(rc) == Errc::kTpmUnreachable && adapter_.last_error().code != Errc::kOk)
    return core_failure(what + " through " + conf_, adapter_.last_error());
  return tpm_failure(what, rc);
}

host::HostStatus EsysDevice::set_auth(ESYS_TR tr, const Secret& s) {
  AuthValue v(s);
  TSS2_RC rc = Esys_TR_SetAuth(ctx_.get(), tr, &v.value);
  if (rc != TSS2_RC_SUCCESS) return tpm_failure("cannot set an authorization value", rc);
  return host::host_ok();
}

// TPM properties through the core command code (the launcher's marshalling) over the transport.
host::Expected<tpm::Properties> EsysDevice::properties(uint32_t first, uint32_t count) {
  auto p = tpm::get_properties(transport_, first, count);
  if (!p.ok()) return core_failure("GetCapability(TPM_PROPERTIES) through " + conf_, p.error());
  return *p;
}

host::Expected<TpmLimits> EsysDevice::limits() {
  if (limits_) return *limits_;
  // One GetCapability covers both properties (TPM_PT_NV_INDEX_MAX .. TPM_PT_NV_BUFFER_MAX).
  auto p = properties(tpm::kPtNvIndexMax, tpm::kPtNvBufferMax - tpm::kPtNvIndexMax + 1);
  if (!p) return p.failure();
  TpmLimits l;
  p->find(tpm::kPtNvIndexMax, &l.nv_index_max);
  p->find(tpm::kPtNvBufferMax, &l.nv_buffer_max);
  limits_ = l;
  return l;
}

host::Expected<TpmState> EsysDevice::state() {
  auto p = properties(tpm::kPtPermanent, tpm::kPtMaxAuthFail - tpm::kPtPermanent + 1);
  if (!p) return p.failure();
  TpmState s;
  uint32_t v = 0;
  if (p->find(tpm::kPtPermanent, &v)) {
    s.owner_auth_set = v & TPMA_PERMANENT_OWNERAUTHSET;
    s.in_lockout = v & TPMA_PERMANENT_INLOCKOUT;
  }
  if (p->find(tpm::kPtStartupClear, &v)) {
    s.platform_hierarchy = v & TPMA_STARTUP_CLEAR_PHENABLE;
    s.owner_hierarchy = v & TPMA_STARTUP_CLEAR_SHENABLE;
    s.platform_nv = v & TPMA_STARTUP_CLEAR_PHENABLENV;
  }
  p->find(tpm::kPtLockoutCounter, &s.lockout_counter);
  p->find(tpm::kPtMaxAuthFail, &s.max_auth_fail);
  return s;
}

host::Expected<TpmInfo> EsysDevice::info() {
  TpmInfo info;
  auto lim = limits();
  if (!lim) return lim.failure();
  info.limits = *lim;
  auto fixed = properties(tpm::kPtManufacturer, 1);
  if (!fixed) return fixed.failure();
  uint32_t m = 0;
  if (fixed->find(tpm::kPtManufacturer, &m)) {
    // Four ASCII characters, big-endian ("IBM ", "INTC", "MSFT"), trailing blanks dropped.
    for (int s = 24; s >= 0; s -= 8) {
      const char c = static_cast<char>((m >> s) & 0xFF);
      if (c >= 0x20 && c < 0x7F) info.manufacturer += c;
    }
    while (!info.manufacturer.empty() && info.manufacturer.back() == ' ')
      info.manufacturer.pop_back();
  }
  auto var = properties(tpm::kPtHrNvIndex, tpm::kPtNvCountersAvail - tpm::kPtHrNvIndex + 1);
  if (!var) return var.failure();
  var->find(tpm::kPtHrNvIndex, &info.nv_indices);
  var->find(tpm::kPtHrPersistentAvail, &info.persistent_avail);
  var->find(tpm::kPtNvCountersAvail, &info.nv_counters_avail);
  auto banks = tpm::get_pcr_banks(transport_);
  if (!banks.ok()) return core_failure("GetCapability(PCRS) through " + conf_, banks.error());
  info.banks = *banks;
  return info;
}

host::Expected<Digest> EsysDevice::pcr_read(uint8_t pcr, HashAlg bank) {
  auto d = tpm::pcr_read(transport_, pcr, bank);
  if (!d.ok())
    return core_failure("PCR_Read of PCR " + std::to_string(pcr) + " through " + conf_, d.error());
  return *d;
}

host::Expected<std::vector<uint32_t>> EsysDevice::list_indices() {
  std::vector<uint32_t> out;
  UINT32 property = TPM2_HR_NV_INDEX;
  for (;;) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    TSS2_RC rc = Esys_GetCapability(ctx_.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    TPM2_CAP_HANDLES, property, TPM2_MAX_CAP_HANDLES, &more, &raw);
    EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
    if (rc != TSS2_RC_SUCCESS) return esys_failure("GetCapability(TPM_CAP_HANDLES, NV)", rc);
    const TPML_HANDLE& h = data->data.handles;
    UINT32 last = property;
    for (UINT32 i = 0; i < h.count && i < TPM2_MAX_CAP_HANDLES; ++i) {
      if ((h.handle[i] >> 24) != TPM2_HT_NV_INDEX) continue;
      out.push_back(h.handle[i]);
      last = h.handle[i];
    }
    if (more != TPM2_YES || h.count == 0 || (last >> 24) != TPM2_HT_NV_INDEX) break;
    property = last + 1;
  }
  return out;
}

host::Expected<ESYS_TR> EsysDevice::index_tr(uint32_t handle) {
  auto it = indices_.find(handle);
  if (it != indices_.end()) return it->second.get();
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_TR_FromTPMPublic(ctx_.get(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (rc != TSS2_RC_SUCCESS) {
    if (rc_errc(rc) == Errc::kTpm && rc_base(rc) == kRcHandle)
      return host::fail(Errc::kNotFound, "NV index " + label(handle) + " is not defined");
    return esys_failure("NV_ReadPublic of " + label(handle), rc);
  }
  indices_.emplace(handle, EsysTr(ctx_.get(), tr, EsysTr::Kind::kClose));
  return tr;
}

host::Expected<std::optional<NvPublic>> EsysDevice::read_public(uint32_t handle) {
  // The core NV_ReadPublic (the launcher's code), which also checks that the answer is about the
  // index asked for, as tboot does (docs/reference/nv.md §4.3).
  auto p = tpm::nv_read_public(transport_, handle);
  if (!p.ok()) {
    if (p.error().code == Errc::kTpm && rc_base(p.error().tpm_rc) == kRcHandle)
      return std::optional<NvPublic>();
    return core_failure("NV_ReadPublic of " + label(handle), p.error());
  }
  return std::optional<NvPublic>(*p);
}

host::HostStatus EsysDevice::define(const NvDefinition& def) {
  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = def.handle;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  pub.nvPublic.attributes = def.attributes;
  if (def.auth_policy.size() > sizeof(pub.nvPublic.authPolicy.buffer))
    return host::fail(Errc::kBadValue, "authPolicy too long");
  pub.nvPublic.authPolicy.size = static_cast<UINT16>(def.auth_policy.size());
  if (!def.auth_policy.empty())
    memcpy(pub.nvPublic.authPolicy.buffer, def.auth_policy.data(), def.auth_policy.size());
  pub.nvPublic.dataSize = def.size;
  ESYS_TR hier = hierarchy_tr(def.hierarchy);
  TPMNV_TRY(set_auth(hier, def.hierarchy == Hierarchy::kPlatform ? auths_.platform : auths_.owner));
  AuthValue index_auth(auths_.index);
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_NV_DefineSpace(ctx_.get(), hier, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                   &index_auth.value, &pub, &tr);
  if (rc != TSS2_RC_SUCCESS)
    return esys_failure(std::string("NV_DefineSpace of ") + label(def.handle) + " by the " +
                            hierarchy_name(def.hierarchy) + " hierarchy",
                        rc);
  indices_.erase(def.handle);
  indices_.emplace(def.handle, EsysTr(ctx_.get(), tr, EsysTr::Kind::kClose));
  return host::host_ok();
}

host::Expected<EsysTr> EsysDevice::platform_policy_session(const NvPublic& pub,
                                                           uint32_t command_code) {
  PlatformSecretPolicy policy = platform_secret_policy();
  if (policy_bytes(pub) != policy.auth_policy) {
    return host::fail(
        Errc::kUnsupported,
        "NV index " + label(pub.handle) + " has the authPolicy " +
            (pub.auth_policy_size == 0 ? std::string("(empty)") : host::hex(policy_bytes(pub))) +
            ", which tlaunch cannot satisfy (it knows only its own PS policy; "
            "Intel's AUX policy is for the ACMs)");
  }
  TPMT_SYM_DEF sym{};
  sym.algorithm = TPM2_ALG_NULL;
  ESYS_TR raw = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_StartAuthSession(ctx_.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &raw);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("StartAuthSession (policy)", rc);
  EsysTr session(ctx_.get(), raw, EsysTr::Kind::kFlush);
  rc = Esys_TRSess_SetAttributes(ctx_.get(), raw, TPMA_SESSION_CONTINUESESSION,
                                 TPMA_SESSION_CONTINUESESSION);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("session attributes", rc);
  TPMNV_TRY(set_auth(ESYS_TR_RH_PLATFORM, auths_.platform));
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  rc = Esys_PolicySecret(ctx_.get(), ESYS_TR_RH_PLATFORM, raw, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, &timeout, &ticket);
  EsysPtr<TPM2B_TIMEOUT> timeout_owner(timeout);
  EsysPtr<TPMT_TK_AUTH> ticket_owner(ticket);
  if (rc != TSS2_RC_SUCCESS)
    return esys_failure("PolicySecret(platform) for " + label(pub.handle), rc);
  rc = Esys_PolicyCommandCode(ctx_.get(), raw, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              command_code);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("PolicyCommandCode", rc);
  TPML_DIGEST branches{};
  branches.count = 2;
  const Bytes* digests[2] = {&policy.write_branch, &policy.delete_branch};
  for (int i = 0; i < 2; ++i) {
    branches.digests[i].size = static_cast<UINT16>(digests[i]->size());
    memcpy(branches.digests[i].buffer, digests[i]->data(), digests[i]->size());
  }
  rc = Esys_PolicyOR(ctx_.get(), raw, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &branches);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("PolicyOR", rc);
  return session;
}

host::Expected<ESYS_TR> EsysDevice::auth_handle(const NvPublic& pub, AuthRole role,
                                                uint32_t command_code, EsysTr* policy,
                                                ESYS_TR* session) {
  *session = ESYS_TR_PASSWORD;
  host::Expected<ESYS_TR> tr = index_tr(pub.handle);
  if (!tr) return tr.failure();
  switch (role) {
    case AuthRole::kOwner:
      TPMNV_TRY(set_auth(ESYS_TR_RH_OWNER, auths_.owner));
      return ESYS_TR(ESYS_TR_RH_OWNER);
    case AuthRole::kPlatform:
      TPMNV_TRY(set_auth(ESYS_TR_RH_PLATFORM, auths_.platform));
      return ESYS_TR(ESYS_TR_RH_PLATFORM);
    case AuthRole::kIndex:
      TPMNV_TRY(set_auth(*tr, auths_.index));
      return *tr;
    case AuthRole::kPolicy: {
      host::Expected<EsysTr> s = platform_policy_session(pub, command_code);
      if (!s) return s.failure();
      *policy = std::move(*s);
      *session = policy->get();
      return *tr;
    }
  }
  return host::fail(Errc::kInternal, "unknown authorization role");
}

host::HostStatus EsysDevice::undefine(const NvPublic& pub) {
  host::Expected<ESYS_TR> tr = index_tr(pub.handle);
  if (!tr) return tr.failure();
  TSS2_RC rc;
  std::string what;
  if ((pub.attributes & attr::kPlatformCreate) && (pub.attributes & attr::kPolicyDelete)) {
    // Part 3 §31.4: POLICY_DELETE indices go only through NV_UndefineSpaceSpecial, with the
    // index's policy (ADMIN role) and the platform authorization.
    host::Expected<EsysTr> session = platform_policy_session(pub, kCcNvUndefineSpaceSpecial);
    if (!session) return session.failure();
    TPMNV_TRY(set_auth(ESYS_TR_RH_PLATFORM, auths_.platform));
    rc = Esys_NV_UndefineSpaceSpecial(ctx_.get(), *tr, ESYS_TR_RH_PLATFORM, session->get(),
                                      ESYS_TR_PASSWORD, ESYS_TR_NONE);
    what = "NV_UndefineSpaceSpecial of " + label(pub.handle);
  } else {
    bool platform = pub.attributes & attr::kPlatformCreate;
    ESYS_TR hier = platform ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER;
    TPMNV_TRY(set_auth(hier, platform ? auths_.platform : auths_.owner));
    rc = Esys_NV_UndefineSpace(ctx_.get(), hier, *tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
    what = std::string("NV_UndefineSpace of ") + label(pub.handle) + " by the " +
           (platform ? "platform" : "owner") + " hierarchy";
  }
  if (rc != TSS2_RC_SUCCESS) return esys_failure(what, rc);
  // ESAPI dropped the object together with the index.
  auto it = indices_.find(pub.handle);
  if (it != indices_.end()) {
    it->second.release();
    indices_.erase(it);
  }
  return host::host_ok();
}

host::HostStatus EsysDevice::write(const NvPublic& pub, AuthRole role, uint16_t offset,
                                   ByteSpan data) {
  TPM2B_MAX_NV_BUFFER buf{};
  if (data.size > sizeof(buf.buffer))
    return host::fail(Errc::kInternal, "NV_Write chunk larger than TPM2B_MAX_NV_BUFFER");
  buf.size = static_cast<UINT16>(data.size);
  if (data.size != 0) memcpy(buf.buffer, data.data, data.size);
  EsysTr policy;
  ESYS_TR session = ESYS_TR_PASSWORD;
  host::Expected<ESYS_TR> auth = auth_handle(pub, role, kCcNvWrite, &policy, &session);
  if (!auth) return auth.failure();
  TSS2_RC rc = Esys_NV_Write(ctx_.get(), *auth, indices_.at(pub.handle).get(), session,
                             ESYS_TR_NONE, ESYS_TR_NONE, &buf, offset);
  if (rc != TSS2_RC_SUCCESS)
    return esys_failure("NV_Write of " + std::to_string(data.size) + " bytes at offset " +
                            std::to_string(offset) + " of " + label(pub.handle) +
                            " (authorized as " + auth_role_name(role) + ")",
                        rc);
  return host::host_ok();
}

host::Expected<Bytes> EsysDevice::read(const NvPublic& pub, AuthRole role, uint16_t offset,
                                       uint16_t size) {
  EsysTr policy;
  ESYS_TR session = ESYS_TR_PASSWORD;
  if (role == AuthRole::kPolicy)
    return host::fail(Errc::kUnsupported,
                      "reading " + label(pub.handle) + " needs a policy session (policyread)");
  host::Expected<ESYS_TR> auth = auth_handle(pub, role, 0, &policy, &session);
  if (!auth) return auth.failure();
  TPM2B_MAX_NV_BUFFER* raw = nullptr;
  TSS2_RC rc = Esys_NV_Read(ctx_.get(), *auth, indices_.at(pub.handle).get(), session, ESYS_TR_NONE,
                            ESYS_TR_NONE, size, offset, &raw);
  EsysPtr<TPM2B_MAX_NV_BUFFER> data(raw);
  if (rc != TSS2_RC_SUCCESS)
    return esys_failure("NV_Read of " + std::to_string(size) + " bytes at offset " +
                            std::to_string(offset) + " of " + label(pub.handle) +
                            " (authorized as " + auth_role_name(role) + ")",
                        rc);
  return Bytes(data->buffer, data->buffer + data->size);
}

host::HostStatus EsysDevice::write_lock(const NvPublic& pub, AuthRole role) {
  EsysTr policy;
  ESYS_TR session = ESYS_TR_PASSWORD;
  host::Expected<ESYS_TR> auth = auth_handle(pub, role, kCcNvWriteLock, &policy, &session);
  if (!auth) return auth.failure();
  TSS2_RC rc = Esys_NV_WriteLock(ctx_.get(), *auth, indices_.at(pub.handle).get(), session,
                                 ESYS_TR_NONE, ESYS_TR_NONE);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("NV_WriteLock of " + label(pub.handle), rc);
  return host::host_ok();
}

host::HostStatus EsysDevice::read_lock(const NvPublic& pub, AuthRole role) {
  EsysTr policy;
  ESYS_TR session = ESYS_TR_PASSWORD;
  if (role == AuthRole::kPolicy)
    return host::fail(Errc::kUnsupported,
                      "read-locking " + label(pub.handle) + " needs a policy session (policyread)");
  host::Expected<ESYS_TR> auth = auth_handle(pub, role, 0, &policy, &session);
  if (!auth) return auth.failure();
  TSS2_RC rc = Esys_NV_ReadLock(ctx_.get(), *auth, indices_.at(pub.handle).get(), session,
                                ESYS_TR_NONE, ESYS_TR_NONE);
  if (rc != TSS2_RC_SUCCESS) return esys_failure("NV_ReadLock of " + label(pub.handle), rc);
  return host::host_ok();
}

}  // namespace tlaunch::tpmnv
