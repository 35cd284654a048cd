#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "elf_builder.h"
#include "loader/load_error.h"
#include "loader/multiboot_info.h"
#include "loader/multiboot_loader.h"
#include "memory/physical_memory.h"

namespace rw {
namespace {

using namespace loader;

uint32_t u32_at(const PhysicalMemory& mem, uint64_t pa) {
  uint32_t v;
  mem.read(pa, &v, 4);
  return v;
}
uint64_t u64_at(const PhysicalMemory& mem, uint64_t pa) {
  uint64_t v;
  mem.read(pa, &v, 8);
  return v;
}
std::string string_at(const PhysicalMemory& mem, uint64_t pa) {
  return std::string(reinterpret_cast<const char*>(mem.host(pa)));
}

// What QEMU 7.2 hands `-kernel probe.elf -append "foo bar" -m 128` (a kernel at 1 MiB, 0x358 bytes).
TEST(MultibootInfo, MatchesQemuFor128MiB) {
  PhysicalMemory mem(128ull << 20);
  testing::ElfSpec spec;
  spec.segments = {testing::TestSegment{0x100000, std::vector<uint8_t>(0x358, 0x90), 0}};
  const BootImage boot = load_multiboot(mem, testing::build_elf(spec), multiboot_cmdline("probe.elf", "foo bar"));

  ASSERT_EQ(boot.multiboot_info, 0x9500u);
  const uint32_t info = boot.multiboot_info;
  EXPECT_EQ(u32_at(mem, info + mbi::kFlags), 0x24Fu);
  EXPECT_EQ(u32_at(mem, info + mbi::kMemLower), 639u);
  EXPECT_EQ(u32_at(mem, info + mbi::kMemUpper), 0x1FB80u);
  EXPECT_EQ(u32_at(mem, info + mbi::kBootDevice), 0x8000FFFFu);
  EXPECT_EQ(u32_at(mem, info + mbi::kCmdline), 0x101000u);
  EXPECT_EQ(u32_at(mem, info + mbi::kModsCount), 0u);
  EXPECT_EQ(u32_at(mem, info + mbi::kModsAddr), 0x101000u);
  EXPECT_EQ(u32_at(mem, info + mbi::kMmapLength), 0xA8u);
  EXPECT_EQ(u32_at(mem, info + mbi::kMmapAddr), 0x9000u);
  EXPECT_EQ(u32_at(mem, info + mbi::kBootLoaderName), 0x101012u);
  EXPECT_EQ(string_at(mem, 0x101000), "probe.elf foo bar");
  EXPECT_EQ(string_at(mem, 0x101012), "rewind");

  struct Expected {
    uint64_t base, length;
    uint32_t type;
  };
  const Expected map[] = {{0, 0x9FC00, 1},           {0x9FC00, 0x400, 2},        {0xF0000, 0x10000, 2},
                          {0x100000, 0x7EE0000, 1},  {0x7FE0000, 0x20000, 2},    {0xFFFC0000, 0x40000, 2},
                          {0xFD00000000, 0x300000000, 2}};
  for (size_t i = 0; i < std::size(map); ++i) {
    const uint64_t e = 0x9000 + i * 24;
    EXPECT_EQ(u32_at(mem, e), 20u) << i;
    EXPECT_EQ(u64_at(mem, e + 4), map[i].base) << i;
    EXPECT_EQ(u64_at(mem, e + 12), map[i].length) << i;
    EXPECT_EQ(u32_at(mem, e + 20), map[i].type) << i;
  }
}

TEST(MultibootInfo, MemUpperFollowsMemorySize) {
  for (uint64_t mib : {2, 256, 3072}) {
    PhysicalMemory mem(mib << 20);
    const BootImage boot = load_multiboot(mem, testing::build_elf({}), "k");
    EXPECT_EQ(u32_at(mem, boot.multiboot_info + mbi::kMemUpper), (mib << 10) - 1024 - 128) << mib;
  }
}

TEST(MultibootInfo, MovesOutOfTheWayOfALowKernel) {
  PhysicalMemory mem(4ull << 20);
  testing::ElfSpec spec;
  spec.segments = {testing::TestSegment{0x8000, std::vector<uint8_t>(0x2000, 0x90), 0}};
  spec.entry = 0x8000;
  const auto image = testing::build_elf(spec);
  const BootImage boot = load_multiboot(mem, image, "low");
  EXPECT_GE(boot.multiboot_info, 0xA000u);
  EXPECT_EQ(*mem.host(0x9500), 0x90);  // the kernel's bytes are intact
  const uint32_t mmap = u32_at(mem, boot.multiboot_info + mbi::kMmapAddr);
  EXPECT_GE(mmap, 0xA000u);
  EXPECT_EQ(string_at(mem, u32_at(mem, boot.multiboot_info + mbi::kCmdline)), "low");
}

TEST(MultibootInfo, CommandLineThatDoesNotFitIsAnError) {
  PhysicalMemory mem(2ull << 20);
  testing::ElfSpec spec;
  spec.segments = {testing::TestSegment{0x100000, std::vector<uint8_t>(16, 0x90), 0xFF000}};
  EXPECT_THROW(load_multiboot(mem, testing::build_elf(spec), std::string(0x2000, 'x')), LoadError);
}

}  // namespace
}  // namespace rw
