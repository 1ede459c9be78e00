// tboot's module layout (libpolicy txt_modules.h): which modules tboot's remove_txt_modules()
// takes out of the list before numbering — SINIT ACMs by is_sinit_acmod()'s rules, one LCP
// policy-data module by its UUID or file signature — with synthetic ACM headers built here from
// the field offsets of tboot's acm_hdr_t / acm_info_table_t.
#include "tlaunch/policy/txt_modules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace tlaunch::launch {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// An Intel-format ACM: header_len 0xA1 dwords and scratch 0x8F dwords (the 1216-byte v0.0
// header), then the information table. `size` is the whole module, a multiple of 4.
struct Acm {
  uint16_t module_type = 2;  // chipset
  uint32_t vendor = 0x8086;  // Intel
  uint8_t chipset_type = 1;  // SINIT
  uint8_t info_version = 7;
  size_t size = 4096;
  uint32_t header_size_field = 0;  // 0: size / 4
  bool uuid_ok = true;
  Bytes build() const {
    Bytes b(size, 0xA5);
    put16(b, 0, module_type);
    put16(b, 2, 0);
    put32(b, 4, 0xA1);
    put32(b, 8, 0);
    put32(b, 16, vendor);
    put32(b, 24, header_size_field ? header_size_field : static_cast<uint32_t>(size / 4));
    put32(b, 120, 64);
    put32(b, 124, 0x8F);
    const uint8_t uuid[16] = {0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18,
                              0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a};
    std::memcpy(&b[1216], uuid, 16);
    if (!uuid_ok) b[1216] ^= 1;
    b[1216 + 16] = chipset_type;
    b[1216 + 17] = info_version;
    return b;
  }
};

ModuleHead head(const Bytes& b) { return ModuleHead{ByteSpan(b.data(), b.size()), b.size()}; }

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(TxtModules, SinitRecognisedByTbootsRules) {
  EXPECT_TRUE(is_sinit_acm(head(Acm().build())));
  auto no = [](Acm a) { return !is_sinit_acm(head(a.build())); };
  Acm a;
  a.chipset_type = 0;  // a BIOS ACM
  EXPECT_TRUE(no(a));
  a = Acm();
  a.chipset_type = 9;  // SINIT revocation ACM
  EXPECT_TRUE(no(a));
  a = Acm();
  a.info_version = 2;
  EXPECT_TRUE(no(a));
  a = Acm();
  a.uuid_ok = false;
  EXPECT_TRUE(no(a));
  a = Acm();
  a.vendor = 0x1022;
  EXPECT_TRUE(no(a));
  a = Acm();
  a.module_type = 1;
  EXPECT_TRUE(no(a));
  // The header's size field must match the module, or leave 64 KiB..256 KiB of padding.
  a = Acm();
  a.size = 0x11000;
  a.header_size_field = 0x1000 / 4;  // 64 KiB of padding: accepted
  EXPECT_FALSE(no(a));
  a.size = 0x9000;
  a.header_size_field = 0x1000 / 4;  // 32 KiB: not
  EXPECT_TRUE(no(a));
  a.size = 0x1000;
  a.header_size_field = 0x2000 / 4;  // the header claims more than the module has
  EXPECT_TRUE(no(a));
  a = Acm();
  a.header_size_field = 1200 / 4;  // the information table does not fit in size*4
  a.size = 1200 + 0x10000;
  EXPECT_TRUE(no(a));
  // Shorter than acm_hdr_t, or a head that does not reach the information table.
  Bytes small = Acm().build();
  small.resize(1000);
  EXPECT_FALSE(is_sinit_acm(head(small)));
  Bytes full = Acm().build();
  EXPECT_FALSE(is_sinit_acm(ModuleHead{ByteSpan(full.data(), 1220), full.size()}));
}

TEST(TxtModules, TbootRemovesSinitsThenOneLcpModule) {
  const Bytes kernel = text("kernel"), initrd = text("an initrd image, longer than 28 bytes");
  const Bytes sinit = Acm().build();
  Bytes lcp_v2 = text("Intel(R) TXT LCP_POLICY_DATA");
  lcp_v2.resize(64, 0);
  Bytes lcp_v1 = {0x25, 0x19, 0x0d, 0xab, 0xe7, 0xee, 0xeb, 0x48,
                  0xfc, 0xa9, 0x0b, 0xac, 0x5a, 0x26, 0x2d, 0x0e};
  lcp_v1.resize(40, 1);
  auto run = [](const std::vector<Bytes>& mods) {
    std::vector<ModuleHead> h;
    for (const auto& m : mods) h.push_back(head(m));
    std::vector<TxtModule> k(mods.size());
    const size_t removed = classify_txt_modules(h.data(), h.size(), k.data());
    std::string s;
    for (TxtModule t : k) s += t == TxtModule::kNone ? "." : t == TxtModule::kSinit ? "S" : "L";
    EXPECT_EQ(removed, static_cast<size_t>(
                           std::count_if(s.begin(), s.end(), [](char c) { return c != '.'; })));
    return s;
  };
  EXPECT_EQ(run({kernel, initrd}), "..");
  EXPECT_EQ(run({kernel, initrd, sinit}), "..S");
  EXPECT_EQ(run({kernel, sinit, initrd}), ".S.");  // anywhere after module 0
  EXPECT_EQ(run({sinit, initrd}), "..");           // module 0 is never removed
  EXPECT_EQ(run({kernel, initrd, sinit, sinit}), "..SS");
  EXPECT_EQ(run({kernel, initrd, sinit, lcp_v2}), "..SL");
  EXPECT_EQ(run({kernel, lcp_v2, initrd, lcp_v2}), "...L");  // one LCP module, the last one
  EXPECT_EQ(run({kernel, lcp_v1, initrd, lcp_v2}), ".L..");  // the UUID (old format) first
  // tboot's scan stops at a module shorter than what it compares: an LCP file before it stays
  // (a 12-byte module even ends the UUID scan, so the signature scan finds the v2 file).
  EXPECT_EQ(run({kernel, lcp_v2, text("tiny")}), "...");
  EXPECT_EQ(run({kernel, lcp_v2, sinit, text("tiny")}), "..S.");
  EXPECT_EQ(run({kernel, lcp_v1, text("twelve bytes"), lcp_v2}), "...L");
  // ...but a removed SINIT does not stop it.
  EXPECT_EQ(run({kernel, initrd, lcp_v2, sinit}), "..LS");
  EXPECT_EQ(run({}), "");
  EXPECT_STREQ(txt_module_name(TxtModule::kSinit), "sinit");
  EXPECT_STREQ(txt_module_name(TxtModule::kLcpPolicyData), "lcp-data");
}

}  // namespace
}  // namespace tlaunch::launch
