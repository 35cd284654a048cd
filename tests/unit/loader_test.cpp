#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <utility>

#include "elf_builder.h"
#include "loader/load_error.h"
#include "loader/multiboot_info.h"
#include "loader/multiboot_loader.h"
#include "memory/physical_memory.h"

namespace rw {
namespace {

using loader::BootImage;
using loader::ImageFormat;
using loader::load_multiboot;
using testing::build_elf;
using testing::ElfSpec;
using testing::TestSegment;

constexpr uint64_t kMemory = 16ull << 20;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

// The LoadError message, or "" if loading succeeded.
std::string load_error(std::span<const uint8_t> image, uint64_t memory = kMemory) {
  PhysicalMemory mem(memory);
  try {
    load_multiboot(mem, image, "k");
  } catch (const LoadError& e) {
    return e.what();
  }
  return "";
}

TEST(Loader, LoadsElf32SegmentsAndZeroesBss) {
  ElfSpec spec;
  spec.segments = {TestSegment{0x100000, pattern(100, 1), 0x300}, TestSegment{0x200000, pattern(40, 9), 0}};
  spec.entry = 0x100010;
  const auto image = build_elf(spec);

  PhysicalMemory mem(kMemory);
  std::memset(mem.host(0x100000), 0xCC, 0x1000);  // bss must be cleared, not assumed zero
  const BootImage boot = load_multiboot(mem, image, "k");

  EXPECT_EQ(boot.format, ImageFormat::kElf32);
  EXPECT_EQ(boot.entry, 0x100010u);
  EXPECT_EQ(boot.low, 0x100000u);
  EXPECT_EQ(boot.high, 0x200028u);
  EXPECT_EQ(std::memcmp(mem.host(0x100000), spec.segments[0].data.data(), 100), 0);
  EXPECT_EQ(std::memcmp(mem.host(0x200000), spec.segments[1].data.data(), 40), 0);
  for (uint64_t a = 0x100000 + 100; a < 0x100300; ++a) ASSERT_EQ(*mem.host(a), 0) << std::hex << a;
  EXPECT_EQ(*mem.host(0x100300), 0xCC);  // past memsz: untouched
}

TEST(Loader, LoadsElf64ByPhysicalAddress) {
  ElfSpec spec;
  spec.bits = 64;
  spec.segments = {TestSegment{0x180000, pattern(64, 3), 0x100}};
  spec.entry = 0x180000;
  const auto image = build_elf(spec);

  PhysicalMemory mem(kMemory);
  const BootImage boot = load_multiboot(mem, image, "k");
  EXPECT_EQ(boot.format, ImageFormat::kElf64);
  EXPECT_EQ(boot.entry, 0x180000u);
  EXPECT_EQ(std::memcmp(mem.host(0x180000), spec.segments[0].data.data(), 64), 0);
}

TEST(Loader, Elf64EntryAbove4GiBIsRejected) {
  ElfSpec spec;
  spec.bits = 64;
  spec.entry = 0x100000000ull;
  EXPECT_NE(load_error(build_elf(spec)).find("entry point 0x100000000"), std::string::npos);
}

TEST(Loader, RejectsEmptyFile) { EXPECT_EQ(load_error({}), "empty file"); }

TEST(Loader, RejectsNonElf) {
  const std::string text = "#!/bin/sh\necho this is not a kernel\n";
  const std::vector<uint8_t> image(text.begin(), text.end());
  EXPECT_NE(load_error(image).find("not an ELF file"), std::string::npos);
}

TEST(Loader, RejectsElfWithoutMultibootHeader) {
  ElfSpec spec;
  spec.multiboot = false;
  EXPECT_NE(load_error(build_elf(spec)).find("no multiboot header"), std::string::npos);
}

TEST(Loader, RejectsBadChecksum) {
  ElfSpec spec;
  spec.bad_checksum = true;
  EXPECT_NE(load_error(build_elf(spec)).find("no multiboot header"), std::string::npos);
}

TEST(Loader, MultibootHeaderBeyond8KiBIsNotFound) {
  ElfSpec spec;
  spec.multiboot = false;
  auto image = build_elf(spec);
  image.resize(8192 + 64, 0);
  const uint32_t header[3] = {0x1BADB002, 0, static_cast<uint32_t>(-0x1BADB002)};
  std::memcpy(image.data() + 8192, header, sizeof header);
  EXPECT_NE(load_error(image).find("no multiboot header"), std::string::npos);
}

TEST(Loader, RejectsTruncatedElfHeader) {
  auto image = build_elf(ElfSpec{});
  image.resize(30);
  EXPECT_NE(load_error(image).find("truncated"), std::string::npos);
}

TEST(Loader, RejectsTruncatedProgramHeaders) {
  auto image = build_elf(ElfSpec{});
  image.resize(sizeof(Elf32_Ehdr) + 10);
  EXPECT_NE(load_error(image).find("truncated"), std::string::npos);
}

TEST(Loader, RejectsTruncatedSegment) {
  auto image = build_elf(ElfSpec{});
  image.resize(image.size() - 10);
  EXPECT_NE(load_error(image).find("truncated"), std::string::npos);
}

TEST(Loader, RejectsSegmentBeyondMemory) {
  ElfSpec spec;
  spec.segments = {TestSegment{0x1000000, pattern(16, 1), 0}};  // at 16 MiB
  spec.entry = 0x1000000;
  EXPECT_NE(load_error(build_elf(spec), 2ull << 20).find("outside guest memory"), std::string::npos);
}

TEST(Loader, RejectsBssBeyondMemory) {
  ElfSpec spec;
  spec.segments = {TestSegment{0x100000, pattern(16, 1), 0x200000}};  // bss runs to 3 MiB
  EXPECT_NE(load_error(build_elf(spec), 2ull << 20).find("outside guest memory"), std::string::npos);
}

TEST(Loader, SegmentInTheLegacyHoleIsFine) {
  ElfSpec spec;
  spec.segments = {TestSegment{0xA0000, pattern(16, 1), 0}};
  spec.entry = 0xA0000;
  EXPECT_EQ(load_error(build_elf(spec)), "");
}

TEST(Loader, RejectsWrongMachine) {
  ElfSpec spec;
  spec.machine = EM_ARM;
  EXPECT_NE(load_error(build_elf(spec)).find("unsupported ELF machine"), std::string::npos);
  spec.bits = 64;
  spec.machine = EM_386;
  EXPECT_NE(load_error(build_elf(spec)).find("unsupported ELF machine"), std::string::npos);
}

TEST(Loader, RejectsFileSizeLargerThanMemorySize) {
  ElfSpec spec;
  spec.segments = {TestSegment{0x100000, pattern(64, 1), 0}};
  auto image = build_elf(spec);
  Elf32_Phdr ph;
  std::memcpy(&ph, image.data() + sizeof(Elf32_Ehdr), sizeof ph);
  ph.p_memsz = 8;
  std::memcpy(image.data() + sizeof(Elf32_Ehdr), &ph, sizeof ph);
  EXPECT_NE(load_error(image).find("exceeds memory size"), std::string::npos);
}

TEST(Loader, RejectsSegmentAddressOverflow) {
  ElfSpec spec;
  spec.bits = 64;
  spec.segments = {TestSegment{0xFFFFFFFFFFFFFFF0ull, pattern(16, 1), 0x100}};
  EXPECT_NE(load_error(build_elf(spec)).find("overflows"), std::string::npos);
}

// A raw binary whose multiboot header carries the load addresses (flag 16).
std::vector<uint8_t> aout_kludge_image(uint32_t load_addr, uint32_t load_end, uint32_t bss_end, uint32_t entry) {
  std::vector<uint8_t> image = pattern(256, 5);
  const uint32_t flags = 0x10003;
  const uint32_t header_offset = 16;
  const uint32_t header[8] = {0x1BADB002, flags, static_cast<uint32_t>(-(0x1BADB002u + flags)),
                              load_addr + header_offset, load_addr, load_end, bss_end, entry};
  std::memcpy(image.data() + header_offset, header, sizeof header);
  return image;
}

TEST(Loader, LoadsAoutKludgeImage) {
  const auto image = aout_kludge_image(0x200000, 0x200000 + 200, 0x200000 + 0x1000, 0x200040);
  PhysicalMemory mem(kMemory);
  std::memset(mem.host(0x200000), 0xCC, 0x2000);
  const BootImage boot = load_multiboot(mem, image, "k");
  EXPECT_EQ(boot.format, ImageFormat::kAoutKludge);
  EXPECT_EQ(boot.entry, 0x200040u);
  EXPECT_EQ(std::memcmp(mem.host(0x200000), image.data(), 200), 0);
  EXPECT_EQ(*mem.host(0x200000 + 200), 0);  // bss
  EXPECT_EQ(*mem.host(0x200000 + 0xFFF), 0);
  EXPECT_EQ(*mem.host(0x201100), 0xCC);  // (the command line sits at 0x201000)
}

TEST(Loader, AoutKludgeWithoutEndLoadsWholeFile) {
  const auto image = aout_kludge_image(0x200000, 0, 0, 0x200000);
  PhysicalMemory mem(kMemory);
  const BootImage boot = load_multiboot(mem, image, "k");
  EXPECT_EQ(boot.high, 0x200000u + image.size());
  EXPECT_EQ(std::memcmp(mem.host(0x200000), image.data(), image.size()), 0);
}

TEST(Loader, AoutKludgeTakesPrecedenceOverElf) {
  // As in QEMU and GRUB: with flag 16 the ELF headers are not used.
  ElfSpec spec;
  spec.multiboot = false;
  auto image = build_elf(spec);
  image.resize(512, 0);
  const uint32_t flags = 0x10000;
  const uint32_t header[8] = {0x1BADB002, flags, static_cast<uint32_t>(-(0x1BADB002u + flags)),
                              0x300000 + 256, 0x300000, 0x300000 + 512, 0, 0x300000};
  std::memcpy(image.data() + 256, header, sizeof header);
  PhysicalMemory mem(kMemory);
  const BootImage boot = load_multiboot(mem, image, "k");
  EXPECT_EQ(boot.format, ImageFormat::kAoutKludge);
  EXPECT_EQ(std::memcmp(mem.host(0x300000), image.data(), 512), 0);
}

TEST(Loader, RejectsBadAoutKludgeAddresses) {
  // load_addr after header_addr
  auto image = aout_kludge_image(0x200000, 0, 0, 0x200000);
  uint32_t header_addr = 0x100000;
  std::memcpy(image.data() + 16 + 12, &header_addr, 4);
  EXPECT_NE(load_error(image).find("header_addr"), std::string::npos);
  // load starts before the file
  image = aout_kludge_image(0x200000, 0, 0, 0x200000);
  header_addr = 0x200000 + 100;
  std::memcpy(image.data() + 16 + 12, &header_addr, 4);
  EXPECT_NE(load_error(image).find("before the start of the file"), std::string::npos);
  // load_end past the end of the file
  EXPECT_NE(load_error(aout_kludge_image(0x200000, 0x200000 + 4096, 0, 0x200000)).find("truncated"),
            std::string::npos);
  // bss_end before load_end
  EXPECT_NE(load_error(aout_kludge_image(0x200000, 0x200000 + 100, 0x200000 + 50, 0x200000)).find("bss_end_addr"),
            std::string::npos);
  // beyond memory
  EXPECT_NE(load_error(aout_kludge_image(0x2000000, 0, 0, 0x2000000)).find("outside guest memory"), std::string::npos);
}

TEST(Loader, RejectsNonElfWithHeaderButNoAddresses) {
  std::vector<uint8_t> image(64, 0);
  const uint32_t header[3] = {0x1BADB002, 3, static_cast<uint32_t>(-(0x1BADB002u + 3))};
  std::memcpy(image.data() + 8, header, sizeof header);
  EXPECT_NE(load_error(image).find("not an ELF file"), std::string::npos);
}

TEST(Loader, CommandLineIsPathThenAppendLikeQemu) {
  EXPECT_EQ(loader::multiboot_cmdline("build/guest/hello.elf", "foo bar"), "build/guest/hello.elf foo bar");
  EXPECT_EQ(loader::multiboot_cmdline("k.elf", ""), "k.elf ");
}

TEST(Loader, FileErrorsNameTheFile) {
  PhysicalMemory mem(kMemory);
  try {
    loader::load_multiboot_file(mem, "/nonexistent/kernel.elf", "");
    FAIL() << "no error";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/kernel.elf: cannot open: No such file or directory");
  }
  try {
    loader::load_multiboot_file(mem, "/", "");
    FAIL() << "no error";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/: ", 0), 0u) << e.what();
  }
}

TEST(Loader, OnlyRegularFilesAreReadAndNeverWaitedFor) {
  PhysicalMemory mem(kMemory);
  const std::string fifo = ::testing::TempDir() + "loader-test.fifo";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens the FIFO: the loader must refuse it at once, not wait in open().
  const std::pair<std::string, std::string> cases[] = {
      {fifo, "it is a FIFO (named pipe), not a regular file"},
      {"/dev/zero", "it is a character device, not a regular file"},
      {"/", "it is a directory, not a regular file"},
  };
  for (const auto& [path, why] : cases) {
    try {
      loader::load_multiboot_file(mem, path, "");
      ADD_FAILURE() << path << " accepted";
    } catch (const LoadError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": cannot read: " + why);
    }
  }
  std::remove(fifo.c_str());
}

TEST(Loader, AFileLargerThanGuestMemoryIsRefusedBeforeItIsRead) {
  PhysicalMemory mem(2 << 20);
  const std::string big = ::testing::TempDir() + "loader-test-big.elf";
  {
    FILE* f = std::fopen(big.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fseek(f, (2 << 20), SEEK_SET), 0);  // 2 MiB + 1 byte, sparse
    ASSERT_EQ(std::fputc(0, f), 0);
    std::fclose(f);
  }
  try {
    loader::load_multiboot_file(mem, big, "");
    ADD_FAILURE() << "accepted";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()), big + ": file too large to load (2097153 bytes; guest memory is 2 MiB)");
  }
  std::remove(big.c_str());
}

}  // namespace
}  // namespace rw
