// Mutated images must only ever load or fail with a LoadError: never crash, never write
// outside guest memory (the sanitizer-free check: it completes and memory stays mapped).
#include <gtest/gtest.h>

#include <random>

#include "elf_builder.h"
#include "loader/load_error.h"
#include "loader/multiboot_loader.h"
#include "memory/physical_memory.h"

namespace rw {
namespace {

using testing::build_elf;
using testing::ElfSpec;
using testing::TestSegment;

void mutate(std::vector<uint8_t>& image, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 6) {
      case 0:  // flip a byte anywhere
        if (!image.empty()) image[rng() % image.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        break;
      case 1:  // a random 32-bit value in the headers, where offsets and sizes live
        if (image.size() >= 4) {
          const size_t at = rng() % std::min<size_t>(image.size() - 3, 160);
          const uint32_t v = static_cast<uint32_t>(rng());
          std::memcpy(image.data() + at, &v, 4);
        }
        break;
      case 2:  // an extreme value
        if (image.size() >= 8) {
          const size_t at = rng() % std::min<size_t>(image.size() - 7, 160);
          const uint64_t extremes[] = {0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, UINT64_MAX, 0xFFFFFFFFFFFFF000ull};
          std::memcpy(image.data() + at, &extremes[rng() % 7], rng() % 2 ? 4 : 8);
        }
        break;
      case 3:  // truncate
        image.resize(rng() % (image.size() + 1));
        break;
      case 4:  // grow with garbage
        image.resize(image.size() + rng() % 300, static_cast<uint8_t>(rng()));
        break;
      case 5:  // drop a valid multiboot header (maybe with the address flag) somewhere aligned
        if (image.size() >= 64) {
          const uint32_t flags = (rng() % 2) ? 0x10003 : 3;
          const uint32_t header[8] = {0x1BADB002, flags, static_cast<uint32_t>(-(0x1BADB002u + flags)),
                                      static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng() % 0x400000),
                                      static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                      static_cast<uint32_t>(rng())};
          const size_t at = (rng() % (image.size() - 3)) & ~size_t{3};
          std::memcpy(image.data() + at, header, std::min(sizeof header, image.size() - at));
        }
        break;
    }
  }
}

TEST(LoaderFuzz, MutatedImagesLoadOrFailCleanly) {
  std::mt19937_64 rng(12345);
  PhysicalMemory mem(4ull << 20);
  std::vector<std::vector<uint8_t>> seeds;
  for (int bits : {32, 64}) {
    ElfSpec spec;
    spec.bits = bits;
    spec.segments = {TestSegment{0x100000, std::vector<uint8_t>(48, 0x90), 0x400},
                     TestSegment{0x180000, std::vector<uint8_t>(32, 0xF4), 0}};
    seeds.push_back(build_elf(spec));
  }
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> image = seeds[i % seeds.size()];
    mutate(image, rng);
    try {
      loader::load_multiboot(mem, image, "fuzz");
      ++loaded;
    } catch (const LoadError& e) {
      ASSERT_NE(std::string(e.what()), "");
      ASSERT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      ++rejected;
    }
  }
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(LoaderFuzz, RandomGarbageIsRejectedCleanly) {
  std::mt19937_64 rng(777);
  PhysicalMemory mem(4ull << 20);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> image(rng() % 512);
    for (auto& b : image) b = static_cast<uint8_t>(rng());
    if (image.size() >= 4 && rng() % 2) std::memcpy(image.data(), ELFMAG, SELFMAG);
    try {
      loader::load_multiboot(mem, image, "");
    } catch (const LoadError&) {
    }
  }
}

}  // namespace
}  // namespace rw
