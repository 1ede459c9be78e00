// tpm2-tss ESAPI behind move-only owners (CONVENTIONS §5) and the NvDevice it implements.
// Host only: links libtss2-esys, libtss2-tctildr, libtss2-rc.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <map>
#include <memory>
#include <string>

#include "tlaunch/tpmnv/device.h"
#include "tlaunch/tpmnv/secret.h"
#include "tlaunch/tpmnv/tcti_transport.h"

namespace tlaunch::tpmnv {

// The TCTI configuration tpm2-tools would use: the --tcti option, else $TPM2TOOLS_TCTI, else
// $TCTI, else "device:/dev/tpmrm0" (tpm2-tools lib/tpm2_options.c). *origin names the source.
std::string choose_tcti(const std::string& option, std::string* origin = nullptr);

// Results that ESAPI allocates are released with Esys_Free.
struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// A TCTI context from Tss2_TctiLdr_Initialize, finalized by its destructor.
class Tcti {
 public:
  static host::Expected<Tcti> open(const std::string& conf);
  Tcti() = default;
  ~Tcti();
  Tcti(Tcti&& o) noexcept;
  Tcti& operator=(Tcti&& o) noexcept;
  Tcti(const Tcti&) = delete;
  Tcti& operator=(const Tcti&) = delete;
  TSS2_TCTI_CONTEXT* get() const { return ctx_; }

 private:
  TSS2_TCTI_CONTEXT* ctx_ = nullptr;
};

// An ESYS_CONTEXT over a Tcti (which must outlive it), finalized by its destructor.
class EsysContext {
 public:
  static host::Expected<EsysContext> open(TSS2_TCTI_CONTEXT* tcti);
  EsysContext() = default;
  ~EsysContext();
  EsysContext(EsysContext&& o) noexcept;
  EsysContext& operator=(EsysContext&& o) noexcept;
  EsysContext(const EsysContext&) = delete;
  EsysContext& operator=(const EsysContext&) = delete;
  ESYS_CONTEXT* get() const { return ctx_; }

 private:
  ESYS_CONTEXT* ctx_ = nullptr;
};

// An ESYS_TR. kClose: only ESAPI's metadata is dropped (Esys_TR_Close; NV indices stay in the
// TPM). kFlush: the TPM object is flushed (Esys_FlushContext; sessions). release() gives it up,
// e.g. after NV_UndefineSpace consumed it.
class EsysTr {
 public:
  enum class Kind : uint8_t { kClose, kFlush };
  EsysTr() = default;
  EsysTr(ESYS_CONTEXT* ctx, ESYS_TR tr, Kind kind) : ctx_(ctx), tr_(tr), kind_(kind) {}
  ~EsysTr();
  EsysTr(EsysTr&& o) noexcept;
  EsysTr& operator=(EsysTr&& o) noexcept;
  EsysTr(const EsysTr&) = delete;
  EsysTr& operator=(const EsysTr&) = delete;
  ESYS_TR get() const { return tr_; }
  ESYS_TR release();

 private:
  void reset();
  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR tr_ = ESYS_TR_NONE;
  Kind kind_ = Kind::kClose;
};

// Authorization values a device uses: the owner and platform hierarchies' and the index's
// password (the same index password serves every index of one run).
struct Auths {
  Secret owner;
  Secret platform;
  Secret index;
};

class EsysDevice final : public NvDevice {
 public:
  // Opens the TCTI (conf as from choose_tcti()) and an ESAPI context. Errors:
  // kTpmUnreachable naming the TCTI string.
  static host::Expected<std::unique_ptr<EsysDevice>> open(const std::string& tcti_conf,
                                                          Auths auths);
  ~EsysDevice() override;

  host::Expected<TpmLimits> limits() override;
  host::Expected<TpmState> state() override;
  host::Expected<TpmInfo> info() override;
  host::Expected<Digest> pcr_read(uint8_t pcr, HashAlg bank) override;
  host::Expected<std::vector<uint32_t>> list_indices() override;
  host::Expected<std::optional<NvPublic>> read_public(uint32_t handle) override;
  host::HostStatus define(const NvDefinition& def) override;
  host::HostStatus undefine(const NvPublic& pub) override;
  host::HostStatus write(const NvPublic& pub, AuthRole role, uint16_t offset,
                         ByteSpan data) override;
  host::Expected<Bytes> read(const NvPublic& pub, AuthRole role, uint16_t offset,
                             uint16_t size) override;
  host::HostStatus write_lock(const NvPublic& pub, AuthRole role) override;
  host::HostStatus read_lock(const NvPublic& pub, AuthRole role) override;

 private:
  EsysDevice(Tcti tcti, Auths auths, std::string conf);
  // A failure of an ESAPI call; a transport failure is reported with its real cause.
  host::Failure esys_failure(const std::string& what, uint32_t rc) const;
  host::Expected<tpm::Properties> properties(uint32_t first, uint32_t count);
  host::Expected<ESYS_TR> index_tr(uint32_t handle);
  // The authHandle and session for `role` on `pub`; *policy receives a policy session when
  // role is kPolicy (satisfied for `command_code`).
  host::Expected<ESYS_TR> auth_handle(const NvPublic& pub, AuthRole role, uint32_t command_code,
                                      EsysTr* policy, ESYS_TR* session);
  host::Expected<EsysTr> platform_policy_session(const NvPublic& pub, uint32_t command_code);
  host::HostStatus set_auth(ESYS_TR tr, const Secret& s);

  // Declaration order = reverse destruction order: TRs, the ESAPI context, its TCTI adapter, the
  // transport, then the TCTI.
  Tcti tcti_;
  TctiTransport transport_;
  TransportTcti adapter_;
  EsysContext ctx_;
  Auths auths_;
  std::string conf_;
  std::map<uint32_t, EsysTr> indices_;
  std::optional<TpmLimits> limits_;
};

}  // namespace tlaunch::tpmnv
