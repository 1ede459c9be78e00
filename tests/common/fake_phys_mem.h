// Physical memory for host tests of launcher code (launcher/src/boot_info.h PhysMem): separate
// buffers at chosen addresses; view() succeeds only inside one of them.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "boot_info.h"

namespace tlaunch::launcher::test_support {

class FakeMem final : public PhysMem {
 public:
  std::map<uint64_t, std::vector<uint8_t>> regions;
  bool view(uint64_t addr, uint64_t len, ByteSpan* out) const override {
    for (const auto& [base, bytes] : regions) {
      if (addr >= base && addr - base <= bytes.size() && len <= bytes.size() - (addr - base)) {
        *out = ByteSpan(bytes.data() + (addr - base), static_cast<size_t>(len));
        return true;
      }
    }
    return false;
  }
};

}  // namespace tlaunch::launcher::test_support
