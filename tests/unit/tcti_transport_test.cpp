// The host end of the one TPM transport seam (tpmnv/tcti_transport.h): ESAPI's TCTI calls reach
// the tpm::Transport unchanged, in order, with the TCTI's sequence rules, and a transport
// failure is kept with its cause. (EsysDevice over swtpm — every NV verb — runs through the same
// adapter in the integration tests.)
#include "tlaunch/tpmnv/tcti_transport.h"

#include <gtest/gtest.h>
#include <tss2/tss2_tcti.h>

#include <vector>

namespace tlaunch::tpmnv {
namespace {

// Records what is sent; answers with the next canned response, or fails when told to.
class FakeTransport final : public tpm::Transport {
 public:
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> response;
  bool fail_receive = false;

  Status send(ByteSpan command) override {
    sent.emplace_back(command.begin(), command.end());
    return ok_status();
  }
  Result<size_t> receive(MutableByteSpan out) override {
    if (fail_receive) return make_error(Errc::kTpmUnreachable, "the simulated TPM went away");
    if (response.size() > out.size) return make_error(Errc::kTooLarge, "response too large");
    copy_bytes(out.data, response.data(), response.size());
    return response.size();
  }
};

TEST(TransportTcti, PassesCommandsAndResponsesThrough) {
  FakeTransport t;
  TransportTcti tcti(t);
  const uint8_t cmd[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x44, 0, 0};
  t.response = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0};
  ASSERT_EQ(Tss2_Tcti_Transmit(tcti.get(), sizeof(cmd), cmd), TSS2_RC_SUCCESS);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_EQ(t.sent[0], std::vector<uint8_t>(cmd, cmd + sizeof(cmd)));
  uint8_t rsp[64];
  size_t size = sizeof(rsp);
  ASSERT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
  EXPECT_EQ(std::vector<uint8_t>(rsp, rsp + size), t.response);
}

TEST(TransportTcti, SequenceRules) {
  FakeTransport t;
  TransportTcti tcti(t);
  uint8_t rsp[64];
  size_t size = sizeof(rsp);
  // A receive without a command, two commands without a receive.
  EXPECT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_TCTI_RC_BAD_SEQUENCE);
  const uint8_t cmd[] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0x7A};
  ASSERT_EQ(Tss2_Tcti_Transmit(tcti.get(), sizeof(cmd), cmd), TSS2_RC_SUCCESS);
  EXPECT_EQ(Tss2_Tcti_Transmit(tcti.get(), sizeof(cmd), cmd), TSS2_TCTI_RC_BAD_SEQUENCE);
  EXPECT_EQ(t.sent.size(), 1u);
  EXPECT_EQ(Tss2_Tcti_Receive(tcti.get(), nullptr, rsp, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_TCTI_RC_BAD_REFERENCE);
  // The size first (null buffer), then the bytes; a buffer too small keeps the response.
  t.response = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0};
  size = 0;
  ASSERT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, nullptr, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_RC_SUCCESS);
  EXPECT_EQ(size, 10u);
  size = 4;
  EXPECT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_TCTI_RC_INSUFFICIENT_BUFFER);
  size = sizeof(rsp);
  ASSERT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
  EXPECT_EQ(std::vector<uint8_t>(rsp, rsp + size), t.response);
  EXPECT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_TCTI_RC_BAD_SEQUENCE);
}

TEST(TransportTcti, TransportFailureIsKeptWithItsCause) {
  FakeTransport t;
  TransportTcti tcti(t);
  const uint8_t cmd[] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0x7A};
  ASSERT_EQ(Tss2_Tcti_Transmit(tcti.get(), sizeof(cmd), cmd), TSS2_RC_SUCCESS);
  t.fail_receive = true;
  uint8_t rsp[64];
  size_t size = sizeof(rsp);
  EXPECT_EQ(Tss2_Tcti_Receive(tcti.get(), &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK),
            TSS2_TCTI_RC_IO_ERROR);
  EXPECT_EQ(tcti.last_error().code, Errc::kTpmUnreachable);
  EXPECT_STREQ(tcti.last_error().message, "the simulated TPM went away");
  // The exchange is over; the next command may follow.
  t.fail_receive = false;
  EXPECT_EQ(Tss2_Tcti_Transmit(tcti.get(), sizeof(cmd), cmd), TSS2_RC_SUCCESS);
}

}  // namespace
}  // namespace tlaunch::tpmnv
