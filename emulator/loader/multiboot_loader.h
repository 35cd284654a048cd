// Boots a Multiboot v1 kernel the way QEMU's `-kernel` does: load it, build the info structure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loader/load_plan.h"

namespace rw {
class PhysicalMemory;
}

namespace rw::loader {

struct BootImage {
  ImageFormat format = ImageFormat::kElf32;
  uint32_t entry = 0;           // 32-bit protected-mode entry point, also for ELF64 images
  uint32_t multiboot_info = 0;  // guest physical address, for EBX
  uint64_t low = 0, high = 0;   // the loaded range
};

// Loads `image` into `memory` and writes the multiboot information with `cmdline`.
// Throws LoadError (one line, no file name) for any image it will not boot.
BootImage load_multiboot(PhysicalMemory& memory, std::span<const uint8_t> image, std::string_view cmdline);

// Reads the whole file; throws LoadError naming the file if it cannot, if it is not a regular
// file (a FIFO is refused without waiting for a writer), or if it is larger than `max_bytes`.
std::vector<uint8_t> read_image_file(const std::string& path, uint64_t max_bytes = uint64_t{4} << 30);

// As QEMU does, the kernel's command line is its path, a space, and the --append string.
std::string multiboot_cmdline(std::string_view kernel_path, std::string_view append);

// All of the above for a file; LoadError messages start with the path.
BootImage load_multiboot_file(PhysicalMemory& memory, const std::string& path, std::string_view append);

}  // namespace rw::loader
