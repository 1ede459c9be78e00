#include "tlaunch/tpmnv/tcti_transport.h"

#include <tss2/tss2_rc.h>

#include <cstddef>

namespace tlaunch::tpmnv {

Status TctiTransport::send(ByteSpan command) {
  const TSS2_RC rc = Tss2_Tcti_Transmit(tcti_, command.size, command.data);
  if (rc != TSS2_RC_SUCCESS)
    return with_value(make_error(Errc::kTpmUnreachable, "the TCTI could not send the command"), rc);
  return ok_status();
}

Result<size_t> TctiTransport::receive(MutableByteSpan out) {
  size_t size = out.size;
  const TSS2_RC rc = Tss2_Tcti_Receive(tcti_, &size, out.data, TSS2_TCTI_TIMEOUT_BLOCK);
  if (rc == TSS2_TCTI_RC_INSUFFICIENT_BUFFER)
    return make_error(Errc::kTooLarge, "the TPM response is larger than the buffer");
  if (rc != TSS2_RC_SUCCESS)
    return with_value(make_error(Errc::kTpmUnreachable, "the TCTI could not receive the response"),
                      rc);
  return size;
}

// The TCTI context ESAPI sees. `common` must be the first member: ESAPI reaches the function
// pointers through a cast of the context pointer (tss2_tcti.h, TSS2_TCTI_CONTEXT_COMMON_V2).
struct TransportTcti::Context {
  TSS2_TCTI_CONTEXT_COMMON_V2 common{};
  tpm::Transport* transport = nullptr;
  bool awaiting_response = false;
  // The response, once read from the transport: a receive with a null buffer asks for its size
  // first (the TCTI specification allows that), the next one copies it out.
  bool have_response = false;
  size_t response_size = 0;
  uint8_t response[8192] = {};
  Error error;
};
static_assert(offsetof(TransportTcti::Context, common) == 0);

namespace {

// "TLTRANSP": identifies our contexts (TCTIs have a magic; ESAPI does not check it).
constexpr uint64_t kMagic = 0x544C5452414E5350ull;

using Ctx = TransportTcti::Context;
Ctx* as_ctx(TSS2_TCTI_CONTEXT* c) {
  auto* x = reinterpret_cast<Ctx*>(c);
  return (x != nullptr && x->common.v1.magic == kMagic) ? x : nullptr;
}

TSS2_RC transmit(TSS2_TCTI_CONTEXT* c, size_t size, const uint8_t* command) {
  Ctx* x = as_ctx(c);
  if (x == nullptr) return TSS2_TCTI_RC_BAD_CONTEXT;
  if (command == nullptr) return TSS2_TCTI_RC_BAD_REFERENCE;
  if (x->awaiting_response) return TSS2_TCTI_RC_BAD_SEQUENCE;
  Status s = x->transport->send(ByteSpan(command, size));
  if (!s.ok()) {
    x->error = s.error();
    return TSS2_TCTI_RC_IO_ERROR;
  }
  x->awaiting_response = true;
  return TSS2_RC_SUCCESS;
}

// Blocking whatever the timeout (the Transport waits with its own bound); ESAPI's synchronous
// calls pass TSS2_TCTI_TIMEOUT_BLOCK anyway. A null `response` asks for the size only.
TSS2_RC receive(TSS2_TCTI_CONTEXT* c, size_t* size, uint8_t* response, int32_t) {
  Ctx* x = as_ctx(c);
  if (x == nullptr) return TSS2_TCTI_RC_BAD_CONTEXT;
  if (size == nullptr) return TSS2_TCTI_RC_BAD_REFERENCE;
  if (!x->awaiting_response) return TSS2_TCTI_RC_BAD_SEQUENCE;
  if (!x->have_response) {
    auto n = x->transport->receive(MutableByteSpan(x->response, sizeof(x->response)));
    if (!n.ok()) {
      x->error = n.error();
      x->awaiting_response = false;
      return TSS2_TCTI_RC_IO_ERROR;
    }
    x->have_response = true;
    x->response_size = *n;
  }
  if (response == nullptr) {
    *size = x->response_size;
    return TSS2_RC_SUCCESS;
  }
  if (*size < x->response_size) {
    *size = x->response_size;
    return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
  }
  copy_bytes(response, x->response, x->response_size);
  *size = x->response_size;
  x->have_response = false;
  x->awaiting_response = false;
  return TSS2_RC_SUCCESS;
}

void finalize(TSS2_TCTI_CONTEXT*) {}  // the owner (TransportTcti) frees the context

TSS2_RC cancel(TSS2_TCTI_CONTEXT*) { return TSS2_TCTI_RC_NOT_IMPLEMENTED; }
TSS2_RC set_locality(TSS2_TCTI_CONTEXT*, uint8_t) { return TSS2_TCTI_RC_NOT_IMPLEMENTED; }

}  // namespace

TransportTcti::TransportTcti(tpm::Transport& t) : ctx_(std::make_unique<Context>()) {
  ctx_->common.v1.magic = kMagic;
  ctx_->common.v1.version = 2;
  ctx_->common.v1.transmit = transmit;
  ctx_->common.v1.receive = receive;
  ctx_->common.v1.finalize = finalize;
  ctx_->common.v1.cancel = cancel;
  ctx_->common.v1.getPollHandles = nullptr;
  ctx_->common.v1.setLocality = set_locality;
  ctx_->common.makeSticky = nullptr;
  ctx_->transport = &t;
}

TransportTcti::~TransportTcti() = default;

TSS2_TCTI_CONTEXT* TransportTcti::get() {
  return reinterpret_cast<TSS2_TCTI_CONTEXT*>(&ctx_->common);
}

const Error& TransportTcti::last_error() const { return ctx_->error; }

}  // namespace tlaunch::tpmnv
