// The Multiboot v1 information structure handed to the kernel in EBX.
//
// Placement matches QEMU 7.2's `-kernel`, so a guest sees the same addresses on both:
//   0x9000  the memory map (e820-style entries, 24 bytes each)
//   0x9500  the 88-byte info structure itself
//   image_low + page_align(image_high - image_low): the (empty) module list, then the
//           command line, then the boot loader name, NUL-terminated.
// If the kernel's own segments (or the strings) cover 0x9000-0x9558, the map and the info
// structure go right after the strings instead (8-byte aligned), so nothing loaded is overwritten.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "loader/load_plan.h"

namespace rw {
class PhysicalMemory;
}

namespace rw::loader {

namespace mbi {
// Field offsets in the info structure.
inline constexpr uint32_t kFlags = 0, kMemLower = 4, kMemUpper = 8, kBootDevice = 12, kCmdline = 16,
                          kModsCount = 20, kModsAddr = 24, kMmapLength = 44, kMmapAddr = 48,
                          kBootLoaderName = 64, kSize = 88;
// Bits of kFlags.
inline constexpr uint32_t kFlagMemory = 1u << 0, kFlagBootDevice = 1u << 1, kFlagCmdline = 1u << 2,
                          kFlagModules = 1u << 3, kFlagMmap = 1u << 6, kFlagBootLoaderName = 1u << 9;
inline constexpr uint32_t kMmapAddress = 0x9000;
inline constexpr uint32_t kInfoAddress = 0x9500;
inline constexpr uint32_t kBootDeviceNone = 0x8000FFFF;  // what QEMU reports: BIOS drive 0x80, no partition
}  // namespace mbi

enum class MemoryType : uint32_t { kAvailable = 1, kReserved = 2 };

struct MemoryMapEntry {
  uint64_t base = 0;
  uint64_t length = 0;
  MemoryType type = MemoryType::kAvailable;
};

// The map a PC with SeaBIOS reports under QEMU 7.2 (default AMD-flavoured qemu64 CPU): low RAM up to
// the EBDA, the BIOS area, RAM from 1 MiB up to 128 KiB below the top (SeaBIOS keeps that), the
// BIOS flash below 4 GiB, and the HyperTransport hole at 1012 GiB.
std::vector<MemoryMapEntry> pc_memory_map(uint64_t memory_bytes);

struct MultibootInfoInput {
  uint64_t memory_bytes = 0;
  std::string_view cmdline;
  std::string_view boot_loader_name = "rewind";
  uint64_t image_low = 0;
  uint64_t image_high = 0;
  std::span<const LoadSegment> segments;  // the kernel's, to keep clear of
};

// Writes the structure (and what it points to) into guest memory; returns its address.
// Throws LoadError if it does not fit in guest memory below 4 GiB.
uint32_t write_multiboot_info(PhysicalMemory& memory, const MultibootInfoInput& input);

}  // namespace rw::loader
