// What to copy where: the result of reading a kernel image, before anything touches guest memory.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "loader/multiboot_header.h"

namespace rw::loader {

struct LoadSegment {
  uint64_t paddr = 0;        // guest physical address of the first byte
  uint64_t file_offset = 0;  // where its bytes start in the image
  uint64_t file_size = 0;    // bytes copied from the image
  uint64_t mem_size = 0;     // bytes occupied in memory; the rest after file_size is zeroed
};

enum class ImageFormat { kElf32, kElf64, kAoutKludge };

struct LoadPlan {
  ImageFormat format = ImageFormat::kElf32;
  std::vector<LoadSegment> segments;  // every one checked against the image's size
  uint64_t entry = 0;
  uint64_t low = 0;   // lowest loaded address
  uint64_t high = 0;  // one past the highest loaded address
};

// Reads an ELF32 (i386) or ELF64 (x86-64) image's PT_LOAD segments by physical address.
// Throws LoadError for anything that is not a well-formed, supported ELF executable.
LoadPlan plan_elf(std::span<const uint8_t> image);

// Uses the multiboot header's address fields (the "a.out kludge") instead of ELF headers.
LoadPlan plan_aout_kludge(std::span<const uint8_t> image, const MultibootHeader& header);

// True if the image starts with the ELF magic.
bool is_elf(std::span<const uint8_t> image);

}  // namespace rw::loader
