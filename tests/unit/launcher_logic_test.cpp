// The launcher's pure logic on the host: the defensive Multiboot 1/2 walker, the UEFI hand-over
// pieces (efi.cpp) and the Linux boot protocol planner (its command-line options are core code:
// launch_options_test.cpp). These files are part of the freestanding image (launcher/src) and
// have no host library of their own, so the test compiles them in directly; the fake physical
// memory only exposes the bytes a test puts there, so under ASan any read outside a structure's
// declared bounds fails the test.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../launcher/src/boot_info.cpp"   // NOLINT(bugprone-suspicious-include)
#include "../../launcher/src/efi.cpp"         // NOLINT(bugprone-suspicious-include)
#include "../../launcher/src/linux_boot.cpp"  // NOLINT(bugprone-suspicious-include)
#include "../common/fake_phys_mem.h"

namespace tlaunch::launcher {
namespace {

using Bytes = std::vector<uint8_t>;

using test_support::FakeMem;

void put32(Bytes& b, size_t at, uint32_t v) {
  if (b.size() < at + 4) b.resize(at + 4);
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(Bytes& b, size_t at, uint64_t v) {
  put32(b, at, static_cast<uint32_t>(v));
  put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}
void app32(Bytes& b, uint32_t v) { put32(b, b.size(), v); }
void app64(Bytes& b, uint64_t v) { put64(b, b.size(), v); }
void align8(Bytes& b) {
  while (b.size() % 8) b.push_back(0);
}
std::string str(ByteSpan s) { return std::string(reinterpret_cast<const char*>(s.data), s.size); }

// Multiboot2 information builder (Multiboot2 spec §3.6).
struct Mb2 {
  Bytes b = Bytes(8, 0);
  void string_tag(uint32_t type, const std::string& s) {
    align8(b);
    app32(b, type);
    app32(b, static_cast<uint32_t>(8 + s.size() + 1));
    for (char c : s) b.push_back(static_cast<uint8_t>(c));
    b.push_back(0);
  }
  void module(uint32_t start, uint32_t end, const std::string& s) {
    align8(b);
    app32(b, 3);
    app32(b, static_cast<uint32_t>(16 + s.size() + 1));
    app32(b, start);
    app32(b, end);
    for (char c : s) b.push_back(static_cast<uint8_t>(c));
    b.push_back(0);
  }
  void mmap(const std::vector<MemRegion>& rs, uint32_t entry_size = 24) {
    align8(b);
    app32(b, 6);
    app32(b, static_cast<uint32_t>(16 + rs.size() * entry_size));
    app32(b, entry_size);
    app32(b, 0);
    for (const auto& r : rs) {
      size_t at = b.size();
      app64(b, r.base);
      app64(b, r.length);
      app32(b, r.type);
      app32(b, 0);
      b.resize(at + entry_size, 0);
    }
  }
  void raw_tag(uint32_t type, const Bytes& payload) {
    align8(b);
    app32(b, type);
    app32(b, static_cast<uint32_t>(8 + payload.size()));
    b.insert(b.end(), payload.begin(), payload.end());
  }
  Bytes finish() {
    align8(b);
    app32(b, 0);
    app32(b, 8);
    put32(b, 0, static_cast<uint32_t>(b.size()));
    return b;
  }
};

const std::vector<MemRegion> kRam = {
    {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0x100000, 0x1FF00000, 1}};

Mb2 good_mb2() {
  Mb2 m;
  m.string_tag(1, "logging=serial loglvl=all");
  m.string_tag(2, "GRUB 2.06");
  m.module(0x200000, 0x300000, "console=ttyS0");
  m.module(0x300000, 0x380000, "");
  m.mmap(kRam);
  return m;
}

constexpr uint32_t kInfo = 0x10000;

// The memory the last parse2() ran on: BootInfo's strings point into it, so it must outlive the
// parse (until the next parse2()).
FakeMem& test_mem() {
  static FakeMem mem;
  return mem;
}

Status parse2(const Bytes& info, BootInfo* bi, uint32_t at = kInfo) {
  test_mem().regions.clear();
  test_mem().regions[at] = info;
  return parse_boot_info(test_mem(), kMb2BootMagic, at, bi);
}

TEST(Multiboot2, WellFormed) {
  auto bi = std::make_unique<BootInfo>();
  Bytes info = good_mb2().finish();
  ASSERT_TRUE(parse2(info, bi.get()).ok());
  EXPECT_EQ(bi->protocol, 2);
  EXPECT_EQ(str(bi->cmdline), "logging=serial loglvl=all");
  EXPECT_EQ(str(bi->loader_name), "GRUB 2.06");
  ASSERT_EQ(bi->num_modules, 2u);
  EXPECT_EQ(bi->modules[0].start, 0x200000u);
  EXPECT_EQ(bi->modules[0].end, 0x300000u);
  EXPECT_EQ(str(bi->modules[0].string), "console=ttyS0");
  EXPECT_EQ(bi->modules[1].string.size, 0u);
  ASSERT_TRUE(bi->has_mmap);
  ASSERT_EQ(bi->num_regions, 3u);
  EXPECT_EQ(bi->regions[2].base, 0x100000u);
  EXPECT_EQ(bi->regions[1].type, 2u);
  EXPECT_TRUE(check_modules(*bi, 0x100000, 0x180000).ok());
}

TEST(Multiboot2, MalformedStructuresAreErrorsWithOffsets) {
  auto bi = std::make_unique<BootInfo>();
  Bytes good = good_mb2().finish();
  {  // total_size below the minimum
    Bytes b = good;
    put32(b, 0, 8);
    Status s = parse2(b, bi.get());
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().field, "total_size");
  }
  {  // total_size larger than the memory that holds it: view fails, not a read past it
    Bytes b = good;
    put32(b, 0, static_cast<uint32_t>(good.size() + 64));
    EXPECT_FALSE(parse2(b, bi.get()).ok());
  }
  {  // first tag with size 4 (< header)
    Bytes b = good;
    put32(b, 12, 4);
    Status s = parse2(b, bi.get());
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().field, "tag.size");
    EXPECT_EQ(s.error().offset, 12u);
  }
  {  // a tag that runs past total_size
    Bytes b = good;
    put32(b, 12, 0x1000);
    EXPECT_FALSE(parse2(b, bi.get()).ok());
  }
  {  // no end tag: total_size stops before it
    Bytes b = good;
    put32(b, 0, static_cast<uint32_t>(b.size() - 8));
    Status s = parse2(b, bi.get());
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().message, "tag list ends without an end tag");
  }
  {  // the cmdline string has no NUL inside its tag
    Mb2 m;
    m.string_tag(1, "abc");
    Bytes b = m.finish();
    b[8 + 8 + 3] = 'x';  // overwrite the NUL
    Status s = parse2(b, bi.get());
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().field, "cmdline");
  }
  {  // module tag too small for start/end
    Mb2 m;
    Bytes b = m.finish();
    Bytes t;
    app32(t, 3);
    app32(t, 12);
    app32(t, 0);
    t.resize(16, 0);
    b.insert(b.begin() + 8, t.begin(), t.end());
    put32(b, 0, static_cast<uint32_t>(b.size()));
    EXPECT_FALSE(parse2(b, bi.get()).ok());
  }
  {  // memory map with entry_size 20
    Mb2 m;
    m.mmap(kRam, 20);
    Status s = parse2(m.finish(), bi.get());
    ASSERT_FALSE(s.ok());
    EXPECT_STREQ(s.error().field, "entry_size");
  }
  {  // more modules than a policy can name
    Mb2 m;
    for (int i = 0; i < 129; ++i) m.module(0x200000, 0x200010, "");
    EXPECT_FALSE(parse2(m.finish(), bi.get()).ok());
  }
  // Misaligned information address, wrong magic.
  EXPECT_FALSE(parse2(good, bi.get(), kInfo + 4).ok());
  FakeMem mem;
  mem.regions[kInfo] = good;
  Status s = parse_boot_info(mem, 0x12345678, kInfo, bi.get());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kUnsupported);
}

// Random corruption of a valid structure: the walker may accept or refuse, but it never reads
// outside the buffer (ASan) and anything it accepts is self-consistent.
TEST(Multiboot2, RandomCorruptionNeverReadsOutside) {
  std::mt19937 rng(7);
  const Bytes good = good_mb2().finish();
  auto bi = std::make_unique<BootInfo>();
  for (int round = 0; round < 3000; ++round) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    if (b.size() < 8) continue;
    if (parse2(b, bi.get()).ok()) {
      const Bytes& in = test_mem().regions[kInfo];
      ASSERT_LE(bi->num_modules, kMaxBootModules);
      for (size_t m = 0; m < bi->num_modules; ++m) {
        const uint8_t* p = bi->modules[m].string.data;
        ASSERT_TRUE(bi->modules[m].string.size == 0 ||
                    (p >= in.data() && p + bi->modules[m].string.size <= in.data() + in.size()));
      }
    }
  }
}

// Multiboot 1 (0.6.96 §3.3): info block with pointers to strings, module list and mmap.
struct Mb1World {
  FakeMem mem;
  static constexpr uint32_t kInfoAt = 0x9000, kStrings = 0xA000, kMods = 0xB000, kMmap = 0xC000;
  Mb1World() {
    Bytes info(72, 0);
    put32(info, 0, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    put32(info, 16, kStrings);  // cmdline
    put32(info, 20, 2);         // mods_count
    put32(info, 24, kMods);
    put32(info, 64, kStrings + 0x40);  // boot_loader_name
    Bytes strings(0x100, 0);
    std::memcpy(strings.data(), "launcher.elf logging=serial", 27);
    std::memcpy(strings.data() + 0x40, "qemu", 4);
    std::memcpy(strings.data() + 0x80, "/k console=ttyS0", 16);
    std::memcpy(strings.data() + 0xC0, "/i", 2);
    Bytes mods;
    for (uint32_t v :
         {0x200000u, 0x300000u, kStrings + 0x80, 0u, 0x300000u, 0x301000u, kStrings + 0xC0, 0u})
      app32(mods, v);
    Bytes mmap;
    for (const auto& r : kRam) {
      app32(mmap, 20);
      app64(mmap, r.base);
      app64(mmap, r.length);
      app32(mmap, r.type);
    }
    put32(info, 44, static_cast<uint32_t>(mmap.size()));
    put32(info, 48, kMmap);
    mem.regions[kInfoAt] = info;
    mem.regions[kStrings] = strings;
    mem.regions[kMods] = mods;
    mem.regions[kMmap] = mmap;
  }
  Status parse(BootInfo* bi) { return parse_boot_info(mem, kMb1BootMagic, kInfoAt, bi); }
};

TEST(Multiboot1, WellFormedAndBadPointers) {
  auto bi = std::make_unique<BootInfo>();
  Mb1World w;
  ASSERT_TRUE(w.parse(bi.get()).ok());
  EXPECT_EQ(bi->protocol, 1);
  EXPECT_EQ(str(bi->cmdline), "launcher.elf logging=serial");
  EXPECT_EQ(str(bi->loader_name), "qemu");
  ASSERT_EQ(bi->num_modules, 2u);
  EXPECT_EQ(str(bi->modules[0].string), "/k console=ttyS0");
  EXPECT_EQ(bi->modules[1].end, 0x301000u);
  EXPECT_EQ(bi->num_regions, 3u);

  Mb1World bad_cmdline;
  put32(bad_cmdline.mem.regions[Mb1World::kInfoAt], 16, 0x7000000);  // unmapped
  Status s = bad_cmdline.parse(bi.get());
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().field, "cmdline");

  Mb1World unterminated;  // string runs to the end of its memory without a NUL
  std::fill(unterminated.mem.regions[Mb1World::kStrings].begin(),
            unterminated.mem.regions[Mb1World::kStrings].begin() + 0x40, 'A');
  std::fill(unterminated.mem.regions[Mb1World::kStrings].begin() + 0x40,
            unterminated.mem.regions[Mb1World::kStrings].end(), 'B');
  EXPECT_FALSE(unterminated.parse(bi.get()).ok());

  Mb1World many;
  put32(many.mem.regions[Mb1World::kInfoAt], 20, 200);
  EXPECT_FALSE(many.parse(bi.get()).ok());

  Mb1World short_list;  // mods_count 3 but only 2 entries of memory
  put32(short_list.mem.regions[Mb1World::kInfoAt], 20, 3);
  EXPECT_FALSE(short_list.parse(bi.get()).ok());

  Mb1World bad_mmap;
  put32(bad_mmap.mem.regions[Mb1World::kMmap], 0, 1000);
  s = bad_mmap.parse(bi.get());
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().field, "mmap.size");
}

TEST(Modules, LoaderContextChecks) {
  auto bi = std::make_unique<BootInfo>();
  ASSERT_TRUE(parse2(good_mb2().finish(), bi.get()).ok());
  BootInfo& b = *bi;
  EXPECT_TRUE(check_modules(b, 0x100000, 0x180000).ok());
  // Overlapping the launcher image.
  Status s = check_modules(b, 0x2FF000, 0x301000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().item, 0);
  // Ends before it starts (tboot verify_loader_context).
  b.modules[1].end = b.modules[1].start - 1;
  s = check_modules(b, 0x100000, 0x180000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().item, 1);
  // Outside available RAM (in the reserved hole below 1 MiB).
  b.modules[1].start = 0x9FC00;
  b.modules[1].end = 0x9FD00;
  EXPECT_FALSE(check_modules(b, 0x100000, 0x180000).ok());
  // A zero-length module is fine (tboot hashes 0 bytes).
  b.modules[1].start = b.modules[1].end = 0x400000;
  EXPECT_TRUE(check_modules(b, 0x100000, 0x180000).ok());
  b.num_modules = 0;
  EXPECT_EQ(check_modules(b, 0x100000, 0x180000).error().code, Errc::kNotFound);
}

// A synthetic bzImage with a boot protocol 2.15 setup header (Linux boot.rst).
Bytes make_bzimage(size_t pm_size = 0x2000) {
  Bytes k(2 * 512 + pm_size, 0);
  k[0x1F1] = 1;  // setup_sects
  k[0x1FE] = 0x55;
  k[0x1FF] = 0xAA;
  k[0x200] = 0xEB;
  k[0x201] = 0x66;  // header ends at 0x268
  std::memcpy(&k[0x202], "HdrS", 4);
  k[0x206] = 0x0F;
  k[0x207] = 0x02;
  k[0x211] = 0x01;              // LOADED_HIGH
  put32(k, 0x22C, 0x7FFFFFFF);  // initrd_addr_max
  put32(k, 0x230, 0x200000);    // kernel_alignment
  k[0x234] = 1;                 // relocatable
  put32(k, 0x238, 2047);        // cmdline_size
  put64(k, 0x258, 0x1000000);   // pref_address
  put32(k, 0x260, 0x800000);    // init_size
  k[0x250] = 0x77;              // a byte inside the header, copied verbatim
  for (size_t i = 2 * 512; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
  return k;
}

struct Plan {
  std::unique_ptr<BootInfo> bi = std::make_unique<BootInfo>();
  Bytes kernel = make_bzimage();
  ModuleInfo initrd{0x300000, 0x380000, ByteSpan()};
  std::string cmdline = "console=ttyS0 quiet";
  Bytes bp = Bytes(kBootParamsSize, 0xCC);
  std::unique_ptr<E820Table> e820 = std::make_unique<E820Table>();
  Bytes setup_data = Bytes(kSetupDataSize, 0xCC);
  LinuxRequest req;
  Plan() {
    EXPECT_TRUE(parse2(good_mb2().finish(), bi.get()).ok());
    req.kernel_phys = 0x200000;
    req.initrd = &initrd;
    req.cmdline_phys = 0x150000;
    req.reserved_end = 0x380000;
  }
  Result<LinuxPlan> run() {
    req.kernel = ByteSpan(kernel.data(), kernel.size());
    req.cmdline = ByteSpan(reinterpret_cast<const uint8_t*>(cmdline.data()), cmdline.size());
    Status s = build_e820(*bi, e820.get());
    if (!s.ok()) return s.error();
    req.e820 = e820.get();
    req.setup_data = MutableByteSpan(setup_data.data(), setup_data.size());
    req.setup_data_phys = 0x170000;
    return plan_linux(req, MutableByteSpan(bp.data(), bp.size()));
  }
  uint64_t at64(size_t off) const { return at32(off) | (uint64_t{at32(off + 4)} << 32); }
  uint32_t at32(size_t off) const {
    return bp[off] | (bp[off + 1] << 8) | (bp[off + 2] << 16) |
           (static_cast<uint32_t>(bp[off + 3]) << 24);
  }
};

TEST(LinuxBoot, ZeroPageFromSetupHeaderAndMemoryMap) {
  Plan p;
  auto plan = p.run();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->protocol, 0x020F);
  EXPECT_EQ(plan->load_addr, 0x1000000u);  // pref_address, above everything reserved
  EXPECT_EQ(plan->kernel_src, 0x200000u + 1024);
  EXPECT_EQ(plan->kernel_size, 0x2000u);
  EXPECT_EQ(plan->init_size, 0x800000u);
  // Setup header copied, loader fields filled, everything else zero.
  EXPECT_EQ(p.bp[0x1F1], 1);
  EXPECT_EQ(std::memcmp(&p.bp[0x202], "HdrS", 4), 0);
  EXPECT_EQ(p.bp[0x250], 0x77);
  EXPECT_EQ(p.bp[0x210], 0xFF);
  EXPECT_EQ(p.at32(0x214), 0x1000000u);
  EXPECT_EQ(p.at32(0x218), 0x300000u);
  EXPECT_EQ(p.at32(0x21C), 0x80000u);
  EXPECT_EQ(p.at32(0x228), 0x150000u);
  EXPECT_EQ(p.bp[0x000], 0);
  EXPECT_EQ(p.bp[0x268], 0);  // just past the header
  EXPECT_EQ(p.bp[0xFFF], 0);
  // e820: one entry per memory-map entry, same type numbers.
  ASSERT_EQ(p.bp[0x1E8], 3);
  EXPECT_EQ(p.at32(0x2D0 + 2 * 20), 0x100000u);
  EXPECT_EQ(p.at32(0x2D0 + 2 * 20 + 8), 0x1FF00000u);
  EXPECT_EQ(p.at32(0x2D0 + 2 * 20 + 16), 1u);
  EXPECT_EQ(p.at32(0x2D0 + 1 * 20 + 16), 2u);
}

TEST(LinuxBoot, PlacementAboveReservedMemory) {
  Plan p;
  p.req.reserved_end = 0x1234567;  // modules end above pref_address
  auto plan = p.run();
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->load_addr, 0x1400000u);  // next 2 MiB boundary
  p.req.reserved_end = 0x1FF00000;         // no room for init_size below the end of RAM
  plan = p.run();
  ASSERT_FALSE(plan.ok());
  EXPECT_STREQ(plan.error().field, "init_size");
}

TEST(LinuxBoot, UnbootableKernelsAreRefusedWithTheField) {
  {
    Plan p;
    p.kernel[0x202] = 'X';
    auto r = p.run();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().offset, 0x202u);
  }
  {
    Plan p;
    p.kernel[0x206] = 0x09;  // 2.09
    EXPECT_STREQ(p.run().error().field, "version");
  }
  {
    Plan p;
    p.kernel[0x234] = 0;
    EXPECT_STREQ(p.run().error().field, "relocatable_kernel");
  }
  {
    Plan p;
    p.kernel[0x211] = 0;
    EXPECT_STREQ(p.run().error().field, "loadflags");
  }
  {
    Plan p;
    p.cmdline = std::string(3000, 'a');
    EXPECT_STREQ(p.run().error().field, "cmdline_size");
  }
  {
    Plan p;
    put32(p.kernel, 0x22C, 0x200000);  // initrd_addr_max below the initrd
    EXPECT_STREQ(p.run().error().field, "initrd_addr_max");
  }
  {
    Plan p;
    p.kernel.resize(0x200);  // a zero-length or tiny module 0
    EXPECT_FALSE(p.run().ok());
  }
  {
    Plan p;
    p.kernel[0x1F1] = 200;  // setup_sects beyond the image
    EXPECT_STREQ(p.run().error().field, "setup_sects");
  }
  {
    Plan p;
    p.bi->has_mmap = false;
    p.bi->num_regions = 0;
    EXPECT_FALSE(p.run().ok());
  }
}

// ---- UEFI: the Multiboot2 EFI/ACPI tags, the e820 table from the EFI memory map, efi_info ----

// One EFI_MEMORY_DESCRIPTOR (48-byte stride as OVMF uses): type, base, pages, attribute.
struct EfiDesc {
  uint32_t type;
  uint64_t base;
  uint64_t pages;
  uint64_t attr = 0xF;  // UC|WC|WT|WB
};
Bytes efi_mmap_payload(const std::vector<EfiDesc>& ds, uint32_t desc_size = 48) {
  Bytes p;
  app32(p, desc_size);
  app32(p, 1);
  for (const EfiDesc& d : ds) {
    const size_t at = p.size();
    app32(p, d.type);
    app32(p, 0);
    app64(p, d.base);
    app64(p, 0);
    app64(p, d.pages);
    app64(p, d.attr);
    p.resize(at + desc_size, 0);
  }
  return p;
}

// A valid RSDP (revision 2, 36 bytes) with correct checksums.
Bytes make_rsdp(uint64_t xsdt = 0x7FE0000) {
  Bytes r(36, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  std::memcpy(&r[9], "TLAUNC", 6);
  r[15] = 2;
  put32(r, 16, 0x7FD0000);
  put32(r, 20, 36);
  put64(r, 24, xsdt);
  uint8_t sum = 0;
  for (size_t i = 0; i < 20; ++i) sum = static_cast<uint8_t>(sum + r[i]);
  r[8] = static_cast<uint8_t>(-sum);
  sum = 0;
  for (size_t i = 0; i < 36; ++i) sum = static_cast<uint8_t>(sum + r[i]);
  r[32] = static_cast<uint8_t>(-sum);
  return r;
}

const std::vector<EfiDesc> kOvmfLike = {
    {7, 0x0, 0xA0},          // conventional, below 640 KiB
    {4, 0x100000, 0x700},    // boot services data (RAM after ExitBootServices)
    {10, 0x800000, 0x8},     // ACPI NVS
    {7, 0x808000, 0x8},      // conventional
    {2, 0x810000, 0x100},    // loader data: touches the range before, merged into one RAM range
    {6, 0x1F500000, 0x100},  // runtime services data
    {5, 0x1F600000, 0x100},  // runtime services code
    {9, 0x1F700000, 0x12},   // ACPI reclaim
    {11, 0xFFC00000, 0x400, 0x8000000000000001ull},  // MMIO (flash), runtime
    {7, 0x2000000, 0x1000},                          // out of order: conventional at 32 MiB
    {3, 0x3000000, 0x1000},                          // boot services code, touching the one before
    {7, 0x4000000, 0x0},                             // no pages: skipped
};

TEST(Uefi, Multiboot2EfiAndAcpiTags) {
  auto bi = std::make_unique<BootInfo>();
  Mb2 m = good_mb2();
  Bytes systab;
  app64(systab, 0x1F5EB018);
  m.raw_tag(12, systab);
  m.raw_tag(17, efi_mmap_payload(kOvmfLike));
  Bytes old_acpi = make_rsdp();
  old_acpi.resize(20);
  m.raw_tag(14, old_acpi);
  m.raw_tag(15, make_rsdp());
  ASSERT_TRUE(parse2(m.finish(), bi.get()).ok());
  EXPECT_TRUE(bi->efi.has_systab);
  EXPECT_TRUE(bi->efi.systab_64);
  EXPECT_EQ(bi->efi.systab, 0x1F5EB018u);
  EXPECT_TRUE(bi->efi.has_mmap);
  EXPECT_EQ(bi->efi.desc_size, 48u);
  EXPECT_EQ(bi->efi.desc_version, 1u);
  EXPECT_EQ(bi->efi.mmap.size, kOvmfLike.size() * 48);
  EXPECT_FALSE(bi->efi.boot_services_active);
  EXPECT_EQ(bi->acpi_tag, 15);  // the "new" tag wins over the "old" one
  EXPECT_EQ(bi->rsdp.size, 36u);
  EXPECT_FALSE(bi->acpi_tag_bad);

  // 32-bit firmware, boot services kept, a broken ACPI tag.
  Mb2 m2 = good_mb2();
  Bytes st32;
  app32(st32, 0x7F000000);
  m2.raw_tag(11, st32);
  m2.raw_tag(18, {});
  m2.raw_tag(14, Bytes(20, 'x'));
  ASSERT_TRUE(parse2(m2.finish(), bi.get()).ok());
  EXPECT_FALSE(bi->efi.systab_64);
  EXPECT_EQ(bi->efi.systab, 0x7F000000u);
  EXPECT_TRUE(bi->efi.boot_services_active);
  EXPECT_EQ(bi->acpi_tag, 0);
  EXPECT_TRUE(bi->acpi_tag_bad);
}

TEST(Uefi, MalformedEfiTagsAreErrors) {
  auto bi = std::make_unique<BootInfo>();
  auto parse_with = [&](uint32_t type, const Bytes& payload) {
    Mb2 m = good_mb2();
    m.raw_tag(type, payload);
    return parse2(m.finish(), bi.get());
  };
  Status s = parse_with(17, efi_mmap_payload(kOvmfLike, 36));  // stride below 40
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().field, "descr_size");
  Bytes ragged = efi_mmap_payload(kOvmfLike);
  ragged.resize(ragged.size() - 8);  // not a whole number of descriptors
  s = parse_with(17, ragged);
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().message, "EFI memory map is not a whole number of descriptors");
  s = parse_with(12, Bytes(4, 0));  // EFI64 tag without its 8-byte pointer
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().message, "EFI system table tag too small");
}

TEST(Uefi, E820FromTheEfiMemoryMapAsLinuxMapsIt) {
  EXPECT_EQ(efi_type_to_e820(7, 0x8), kE820Ram);
  EXPECT_EQ(efi_type_to_e820(4, 0x8), kE820Ram);
  EXPECT_EQ(efi_type_to_e820(7, 0x1), kE820Reserved);  // not write-back cacheable
  EXPECT_EQ(efi_type_to_e820(7, 0x40008), kE820SoftReserved);
  EXPECT_EQ(efi_type_to_e820(5, 0x8), kE820Reserved);  // runtime services code
  EXPECT_EQ(efi_type_to_e820(6, 0x8), kE820Reserved);
  EXPECT_EQ(efi_type_to_e820(9, 0x8), kE820Acpi);
  EXPECT_EQ(efi_type_to_e820(10, 0x8), kE820Nvs);
  EXPECT_EQ(efi_type_to_e820(8, 0x8), kE820Unusable);
  EXPECT_EQ(efi_type_to_e820(14, 0x8), kE820Pmem);
  EXPECT_EQ(efi_type_to_e820(11, 0x8), kE820Reserved);
  EXPECT_EQ(efi_type_to_e820(0x70000000, 0x8), kE820Reserved);  // OEM type

  auto bi = std::make_unique<BootInfo>();
  Mb2 m = good_mb2();
  m.raw_tag(17, efi_mmap_payload(kOvmfLike));
  ASSERT_TRUE(parse2(m.finish(), bi.get()).ok());
  auto t = std::make_unique<E820Table>();
  ASSERT_TRUE(build_e820(*bi, t.get()).ok());
  EXPECT_TRUE(t->from_efi);
  const std::vector<MemRegion> want = {
      {0x0, 0xA0000, 1},         {0x100000, 0x700000, 1},   {0x800000, 0x8000, 4},
      {0x808000, 0x108000, 1},   {0x2000000, 0x2000000, 1},  // merged: 32 MiB + 48 MiB touch
      {0x1F500000, 0x200000, 2}, {0x1F700000, 0x12000, 3},  {0xFFC00000, 0x400000, 2},
  };
  ASSERT_EQ(t->count, want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t->entries[i].base, want[i].base) << i;
    EXPECT_EQ(t->entries[i].length, want[i].length) << i;
    EXPECT_EQ(t->entries[i].type, want[i].type) << i;
  }
  EXPECT_TRUE(e820_has_ram(*t, 0x2000000, 0x4000000));
  EXPECT_FALSE(e820_has_ram(*t, 0x1F500000, 0x1F501000));

  // Boot services still running: the Multiboot map, as on BIOS.
  bi->efi.boot_services_active = true;
  ASSERT_TRUE(build_e820(*bi, t.get()).ok());
  EXPECT_FALSE(t->from_efi);
  EXPECT_EQ(t->count, kRam.size());

  // A descriptor that wraps around the address space is an error naming it.
  Mb2 w = good_mb2();
  w.raw_tag(17, efi_mmap_payload({{7, 0xFFFFFFFFFFFFF000ull, 2}}));
  ASSERT_TRUE(parse2(w.finish(), bi.get()).ok());
  Status s = build_e820(*bi, t.get());
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().field, "NumberOfPages");
  EXPECT_EQ(s.error().item, 0);

  // More ranges than the zero page and the setup_data node can carry: an error, not a cut.
  std::vector<EfiDesc> many;
  for (uint64_t i = 0; i < kMaxE820 + 1; ++i) many.push_back({i % 2 ? 7u : 9u, i * 0x1000, 1});
  Mb2 big = good_mb2();
  big.raw_tag(17, efi_mmap_payload(many));
  ASSERT_TRUE(parse2(big.finish(), bi.get()).ok());
  EXPECT_EQ(build_e820(*bi, t.get()).error().code, Errc::kTooLarge);
}

TEST(Uefi, EfiHandoverNeedsExitedBootServicesASystemTableAndAMap) {
  auto bi = std::make_unique<BootInfo>();
  Bytes copy(4096, 0);
  // BIOS: nothing, and nothing to explain.
  ASSERT_TRUE(parse2(good_mb2().finish(), bi.get()).ok());
  EfiHandover h = plan_efi_handover(*bi, MutableByteSpan(copy.data(), copy.size()), 0x180000);
  EXPECT_FALSE(h.present);
  EXPECT_EQ(h.why_not, nullptr);

  Mb2 m = good_mb2();
  Bytes systab;
  app64(systab, 0x1F5EB018);
  m.raw_tag(12, systab);
  m.raw_tag(17, efi_mmap_payload(kOvmfLike));
  ASSERT_TRUE(parse2(m.finish(), bi.get()).ok());
  h = plan_efi_handover(*bi, MutableByteSpan(copy.data(), copy.size()), 0x180000);
  ASSERT_TRUE(h.present);
  EXPECT_EQ(std::memcmp(&h.signature, "EL64", 4), 0);
  EXPECT_EQ(h.systab, 0x1F5EB018u);
  EXPECT_EQ(h.memmap, 0x180000u);
  EXPECT_EQ(h.memmap_size, kOvmfLike.size() * 48);
  EXPECT_EQ(h.desc_size, 48u);
  EXPECT_EQ(h.desc_version, 1u);
  EXPECT_EQ(std::memcmp(copy.data(), bi->efi.mmap.data, bi->efi.mmap.size), 0);

  // Too small a copy buffer: no hand-over, and why.
  h = plan_efi_handover(*bi, MutableByteSpan(copy.data(), 64), 0x180000);
  EXPECT_FALSE(h.present);
  EXPECT_STREQ(h.why_not, "the EFI memory map is larger than the launcher's copy of it");
  bi->efi.boot_services_active = true;
  h = plan_efi_handover(*bi, MutableByteSpan(copy.data(), copy.size()), 0x180000);
  EXPECT_STREQ(h.why_not, "the loader left EFI boot services running");
  bi->efi.boot_services_active = false;
  bi->efi.has_systab = false;
  h = plan_efi_handover(*bi, MutableByteSpan(copy.data(), copy.size()), 0x180000);
  EXPECT_STREQ(h.why_not, "the loader passed no EFI system table");
}

// Firmware memory for find_acpi_rsdp: an EFI system table, its configuration table, an RSDP.
struct Firmware {
  FakeMem mem;
  uint64_t systab = 0x1F5EB018, tables = 0x1F5EC000, rsdp = 0x1F77D014;
  explicit Firmware(bool with_acpi20 = true) {
    Bytes st(120, 0);
    put64(st, 0, 0x5453595320494249ull);  // "IBI SYST"
    put64(st, 104, 3);
    put64(st, 112, tables);
    Bytes ct;
    auto entry = [&](const uint8_t* guid, uint64_t ptr) {
      ct.insert(ct.end(), guid, guid + 16);
      app64(ct, ptr);
    };
    const uint8_t smbios[16] = {0x31, 0x2D, 0x9D, 0xEB};
    entry(smbios, 0x1F520000);
    entry(kAcpi10Guid, 0x1F77D000);  // an ACPI 1.0 RSDP elsewhere
    if (with_acpi20) entry(kAcpi20Guid, rsdp);
    put64(st, 104, ct.size() / 24);
    mem.regions[systab] = st;
    mem.regions[tables] = ct;
    mem.regions[rsdp] = make_rsdp();
    Bytes v1 = make_rsdp(0x1234);
    v1[15] = 0;
    v1.resize(20);
    uint8_t sum = 0;
    v1[8] = 0;
    for (uint8_t b : v1) sum = static_cast<uint8_t>(sum + b);
    v1[8] = static_cast<uint8_t>(-sum);
    mem.regions[0x1F77D000] = v1;
  }
};

TEST(Uefi, AcpiRsdpFromTheEfiConfigurationTable) {
  auto bi = std::make_unique<BootInfo>();
  Bytes copy = make_rsdp();
  bi->efi.has_systab = true;
  bi->efi.systab_64 = true;
  bi->efi.systab = 0x1F5EB018;
  bi->acpi_tag = 15;
  bi->rsdp = ByteSpan(copy.data(), copy.size());
  {
    Firmware fw;
    auto r = find_acpi_rsdp(fw.mem, *bi);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->addr, fw.rsdp);  // the ACPI 2.0 entry wins
    EXPECT_EQ(r->revision, 2);
    EXPECT_TRUE(r->loader_copy);
    EXPECT_TRUE(r->matches);
  }
  {  // only the ACPI 1.0 entry: revision 0 RSDP, differs from the loader's copy
    Firmware fw(false);
    auto r = find_acpi_rsdp(fw.mem, *bi);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->addr, 0x1F77D000u);
    EXPECT_EQ(r->revision, 0);
    EXPECT_FALSE(r->matches);
  }
  {  // a corrupted RSDP (extended checksum) is refused
    Firmware fw;
    fw.mem.regions[fw.rsdp][30] ^= 1;
    auto r = find_acpi_rsdp(fw.mem, *bi);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kBadValue);
  }
  {  // a system table without its signature
    Firmware fw;
    fw.mem.regions[fw.systab][0] = 'X';
    EXPECT_FALSE(find_acpi_rsdp(fw.mem, *bi).ok());
  }
  {  // a configuration table count that runs off the memory: not found, no read past it
    Firmware fw;
    put64(fw.mem.regions[fw.systab], 104, 500);
    EXPECT_EQ(find_acpi_rsdp(fw.mem, *bi).error().code, Errc::kNotFound);
  }
  {  // no system table at all
    Firmware fw;
    bi->efi.has_systab = false;
    EXPECT_EQ(find_acpi_rsdp(fw.mem, *bi).error().code, Errc::kNotFound);
    bi->efi.has_systab = true;
  }
}

TEST(Uefi, ZeroPageCarriesEfiInfoRsdpAndExtendedE820) {
  Plan p;
  Mb2 m = good_mb2();
  Bytes systab;
  app64(systab, 0x11F5EB018ull);  // above 4 GiB: the high half goes to efi_systab_hi
  m.raw_tag(12, systab);
  std::vector<EfiDesc> ds = kOvmfLike;
  ds.push_back({7, 0x100000000ull, 0x10000});
  m.raw_tag(17, efi_mmap_payload(ds));
  Bytes info = m.finish();
  ASSERT_TRUE(parse2(info, p.bi.get()).ok());
  Bytes copy(8192, 0);
  p.req.efi = plan_efi_handover(*p.bi, MutableByteSpan(copy.data(), copy.size()), 0x180000);
  p.req.acpi_rsdp = 0x1F77D014;
  p.req.reserved_end = 0x380000;
  auto plan = p.run();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // pref_address (16 MiB) lies in a hole of the EFI map (0x910000..0x2000000): the kernel goes
  // to the next RAM range that holds init_size.
  EXPECT_EQ(plan->load_addr, 0x2000000u);
  EXPECT_EQ(std::memcmp(&p.bp[0x1C0], "EL64", 4), 0);
  EXPECT_EQ(p.at32(0x1C4), 0x1F5EB018u);  // efi_systab
  EXPECT_EQ(p.at32(0x1C8), 48u);          // efi_memdesc_size
  EXPECT_EQ(p.at32(0x1CC), 1u);           // efi_memdesc_version
  EXPECT_EQ(p.at32(0x1D0), 0x180000u);    // efi_memmap
  EXPECT_EQ(p.at32(0x1D4), ds.size() * 48);
  EXPECT_EQ(p.at32(0x1D8), 1u);  // efi_systab_hi
  EXPECT_EQ(p.at32(0x1DC), 0u);  // efi_memmap_hi
  EXPECT_EQ(p.at64(0x070), 0x1F77D014u);
  EXPECT_EQ(p.bp[0x1E8], 9);
  EXPECT_EQ(p.at64(0x2D0 + 8 * 20), 0x100000000ull);
  EXPECT_EQ(plan->e820_ext_entries, 0u);
  EXPECT_EQ(p.bp[0x250], 0x77);  // setup_data untouched without extra entries

  // 200 separate ranges: 128 in the zero page, 72 in one SETUP_E820_EXT node.
  std::vector<EfiDesc> many = {{7, 0x100000, 0x7F00}};  // RAM for the kernel: 1 MiB .. 128 MiB
  for (uint64_t i = 0; i < 199; ++i) many.push_back({i % 2 ? 10u : 9u, 0x10000000 + i * 0x1000, 1});
  Mb2 m2 = good_mb2();
  m2.raw_tag(17, efi_mmap_payload(many));
  ASSERT_TRUE(parse2(m2.finish(), p.bi.get()).ok());
  p.req.efi = EfiHandover();
  plan = p.run();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->e820_entries, 200u);
  EXPECT_EQ(plan->e820_ext_entries, 72u);
  EXPECT_EQ(p.bp[0x1E8], 128);
  EXPECT_EQ(p.at64(0x250), 0x170000u);  // hdr.setup_data -> the node
  auto sd32 = [&](size_t off) {
    return p.setup_data[off] | (p.setup_data[off + 1] << 8) | (p.setup_data[off + 2] << 16) |
           (static_cast<uint32_t>(p.setup_data[off + 3]) << 24);
  };
  EXPECT_EQ(sd32(0), 0u);  // next
  EXPECT_EQ(sd32(4), 0u);
  EXPECT_EQ(sd32(8), 1u);  // SETUP_E820_EXT
  EXPECT_EQ(sd32(12), 72u * 20);
  EXPECT_EQ(sd32(16), 0x10000000u + 127 * 0x1000);  // entry 128: the 128th ACPI range
  EXPECT_EQ(sd32(16 + 16), kE820Nvs);               // EFI ACPI NVS (type 10) -> e820 4

  // No room for the node: refused, not truncated.
  p.setup_data.resize(32);
  plan = p.run();
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, Errc::kTooLarge);
}

TEST(LinuxBoot, SetupDataEntryGoesAtTheHeadOfTheList) {
  Plan p;
  ASSERT_TRUE(p.run().ok());
  // The test kernel's header leaves 0x77 in setup_data's first byte: that is the list's old head.
  const uint64_t old_head = p.at32(0x250) | (static_cast<uint64_t>(p.at32(0x254)) << 32);
  Bytes entry(16 + 40, 0xEE);
  ASSERT_TRUE(add_setup_data(MutableByteSpan(p.bp.data(), p.bp.size()),
                             MutableByteSpan(entry.data(), entry.size()), 0x123458, 0x474F4C54, 40)
                  .ok());
  EXPECT_EQ(p.at32(0x250), 0x123458u);
  EXPECT_EQ(p.at32(0x254), 0u);
  uint64_t next = 0;
  for (int i = 0; i < 8; ++i) next |= static_cast<uint64_t>(entry[i]) << (8 * i);
  EXPECT_EQ(next, old_head);
  EXPECT_EQ(entry[8] | (entry[9] << 8) | (entry[10] << 16) | (entry[11] << 24), 0x474F4C54);
  EXPECT_EQ(entry[12], 40);
  EXPECT_EQ(entry[16], 0xEE);  // the data is left as it is
  // Refused: unaligned, larger than the buffer.
  EXPECT_FALSE(add_setup_data(MutableByteSpan(p.bp.data(), p.bp.size()),
                              MutableByteSpan(entry.data(), entry.size()), 0x123459, 1, 40)
                   .ok());
  EXPECT_EQ(add_setup_data(MutableByteSpan(p.bp.data(), p.bp.size()),
                           MutableByteSpan(entry.data(), entry.size()), 0x123458, 1, 41)
                .error()
                .code,
            Errc::kTooLarge);
}

TEST(Multiboot2, AcpiRsdpTags) {
  Bytes v1 = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
  v1.resize(20, 1);
  Bytes v2 = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
  v2.resize(36, 2);
  auto tag = [](Mb2& m, uint32_t type, const Bytes& body) {
    align8(m.b);
    app32(m.b, type);
    app32(m.b, static_cast<uint32_t>(8 + body.size()));
    m.b.insert(m.b.end(), body.begin(), body.end());
  };
  auto bi = std::make_unique<BootInfo>();
  Mb2 old_only = good_mb2();
  tag(old_only, 14, v1);
  ASSERT_TRUE(parse2(old_only.finish(), bi.get()).ok());
  ASSERT_EQ(bi->rsdp.size, 20u);
  EXPECT_EQ(bi->rsdp[8], 1);
  // The new RSDP wins, before or after the old one.
  for (bool new_first : {false, true}) {
    Mb2 both = good_mb2();
    if (new_first) tag(both, 15, v2);
    tag(both, 14, v1);
    if (!new_first) tag(both, 15, v2);
    ASSERT_TRUE(parse2(both.finish(), bi.get()).ok());
    ASSERT_EQ(bi->rsdp.size, 36u) << new_first;
    EXPECT_EQ(bi->rsdp[8], 2);
  }
  Mb2 short_tag = good_mb2();
  tag(short_tag, 15, Bytes(v2.begin(), v2.begin() + 20));
  auto st = parse2(short_tag.finish(), bi.get());
  ASSERT_FALSE(st.ok());
  EXPECT_STREQ(st.error().field, "tag.size");
  // Without ACPI tags: no RSDP.
  ASSERT_TRUE(parse2(good_mb2().finish(), bi.get()).ok());
  EXPECT_EQ(bi->rsdp.size, 0u);
}

}  // namespace
}  // namespace tlaunch::launcher
