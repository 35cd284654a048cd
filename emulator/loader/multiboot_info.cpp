#include "loader/multiboot_info.h"

#include <fmt/format.h>

#include <cstring>

#include "loader/load_error.h"
#include "memory/physical_memory.h"

namespace rw::loader {

namespace {

constexpr uint64_t kLowRamEnd = 0x9FC00;          // 639 KiB: the EBDA follows
constexpr uint64_t kBiosAreaStart = 0xF0000;
constexpr uint64_t kHighRamStart = 0x100000;
constexpr uint64_t kSeaBiosTopReserve = 0x20000;  // SeaBIOS's high tables
constexpr uint64_t kMmapEntryBytes = 24;          // a 4-byte size field, then 20 bytes

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

bool overlaps(uint64_t a_begin, uint64_t a_end, uint64_t b_begin, uint64_t b_end) {
  return a_begin < b_end && b_begin < a_end;
}

void put_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

}  // namespace

std::vector<MemoryMapEntry> pc_memory_map(uint64_t memory_bytes) {
  std::vector<MemoryMapEntry> map = {
      {0, kLowRamEnd, MemoryType::kAvailable},
      {kLowRamEnd, 0xA0000 - kLowRamEnd, MemoryType::kReserved},
      {kBiosAreaStart, 0x100000 - kBiosAreaStart, MemoryType::kReserved},
  };
  if (memory_bytes > kHighRamStart + kSeaBiosTopReserve) {
    map.push_back({kHighRamStart, memory_bytes - kSeaBiosTopReserve - kHighRamStart, MemoryType::kAvailable});
    map.push_back({memory_bytes - kSeaBiosTopReserve, kSeaBiosTopReserve, MemoryType::kReserved});
  }
  map.push_back({0xFFFC0000, 0x40000, MemoryType::kReserved});
  map.push_back({0xFD00000000, 0x300000000, MemoryType::kReserved});
  return map;
}

uint32_t write_multiboot_info(PhysicalMemory& memory, const MultibootInfoInput& in) {
  const std::vector<MemoryMapEntry> map = pc_memory_map(in.memory_bytes);
  const uint64_t mmap_bytes = map.size() * kMmapEntryBytes;

  // Strings after the kernel image, as QEMU lays out its multiboot buffer.
  const uint64_t strings_addr = in.image_low + align_up(in.image_high - in.image_low, 4096);
  const uint64_t cmdline_addr = strings_addr;
  const uint64_t name_addr = cmdline_addr + in.cmdline.size() + 1;
  const uint64_t strings_end = name_addr + in.boot_loader_name.size() + 1;

  uint64_t mmap_addr = mbi::kMmapAddress;
  uint64_t info_addr = mbi::kInfoAddress;
  bool low_area_taken = overlaps(mmap_addr, info_addr + mbi::kSize, strings_addr, strings_end);
  for (const LoadSegment& s : in.segments) {
    low_area_taken |= overlaps(mmap_addr, info_addr + mbi::kSize, s.paddr, s.paddr + s.mem_size);
  }
  if (low_area_taken) {
    mmap_addr = align_up(strings_end, 8);
    info_addr = mmap_addr + mmap_bytes;
  }
  const uint64_t end = std::max(strings_end, info_addr + mbi::kSize);
  if (end > memory.size() || end > (uint64_t{1} << 32)) {
    throw LoadError(fmt::format("the multiboot information (command line, memory map) does not fit in guest memory "
                                "after the kernel (needs up to 0x{:x}, memory ends at 0x{:x})",
                                end, memory.size()));
  }

  memory.write(cmdline_addr, in.cmdline.data(), in.cmdline.size());
  *memory.host(cmdline_addr + in.cmdline.size()) = 0;
  memory.write(name_addr, in.boot_loader_name.data(), in.boot_loader_name.size());
  *memory.host(name_addr + in.boot_loader_name.size()) = 0;

  for (size_t i = 0; i < map.size(); ++i) {
    uint8_t* e = memory.host(mmap_addr + i * kMmapEntryBytes);
    put_u32(e, kMmapEntryBytes - 4);
    put_u64(e + 4, map[i].base);
    put_u64(e + 12, map[i].length);
    put_u32(e + 20, static_cast<uint32_t>(map[i].type));
  }

  uint8_t info[mbi::kSize] = {};
  const uint64_t upper_ram = in.memory_bytes > kHighRamStart + kSeaBiosTopReserve
                                 ? in.memory_bytes - kHighRamStart - kSeaBiosTopReserve
                                 : 0;
  put_u32(info + mbi::kFlags, mbi::kFlagMemory | mbi::kFlagBootDevice | mbi::kFlagCmdline | mbi::kFlagModules |
                                  mbi::kFlagMmap | mbi::kFlagBootLoaderName);
  put_u32(info + mbi::kMemLower, static_cast<uint32_t>(kLowRamEnd / 1024));
  put_u32(info + mbi::kMemUpper, static_cast<uint32_t>(upper_ram / 1024));
  put_u32(info + mbi::kBootDevice, mbi::kBootDeviceNone);
  put_u32(info + mbi::kCmdline, static_cast<uint32_t>(cmdline_addr));
  put_u32(info + mbi::kModsCount, 0);
  put_u32(info + mbi::kModsAddr, static_cast<uint32_t>(strings_addr));
  put_u32(info + mbi::kMmapLength, static_cast<uint32_t>(mmap_bytes));
  put_u32(info + mbi::kMmapAddr, static_cast<uint32_t>(mmap_addr));
  put_u32(info + mbi::kBootLoaderName, static_cast<uint32_t>(name_addr));
  memory.write(info_addr, info, sizeof info);
  return static_cast<uint32_t>(info_addr);
}

}  // namespace rw::loader
