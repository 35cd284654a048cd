#include "loader/multiboot_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "block/input_file.h"
#include "loader/load_error.h"
#include "loader/multiboot_header.h"
#include "loader/multiboot_info.h"
#include "memory/physical_memory.h"

namespace rw::loader {

namespace {

constexpr uint64_t kMaxImageBytes = uint64_t{4} << 30;  // nothing larger can be loaded below 4 GiB

std::string size_text(uint64_t bytes) {
  if (bytes % (1ull << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} KiB", bytes >> 10);
}

void check_fits(const LoadPlan& plan, const PhysicalMemory& memory) {
  for (const LoadSegment& s : plan.segments) {
    if (!memory.contains(s.paddr, s.mem_size)) {
      throw LoadError(fmt::format("segment at 0x{:x}-0x{:x} lies outside guest memory ({}); try a larger --memory",
                                  s.paddr, s.paddr + s.mem_size, size_text(memory.size())));
    }
  }
}

void copy_segments(const LoadPlan& plan, std::span<const uint8_t> image, PhysicalMemory& memory) {
  for (const LoadSegment& s : plan.segments) {
    memory.write(s.paddr, image.data() + s.file_offset, s.file_size);
    std::memset(memory.host(s.paddr + s.file_size), 0, s.mem_size - s.file_size);
  }
}

}  // namespace

BootImage load_multiboot(PhysicalMemory& memory, std::span<const uint8_t> image, std::string_view cmdline) {
  if (image.empty()) throw LoadError("empty file");
  const std::optional<MultibootHeader> header = find_multiboot_header(image);

  LoadPlan plan;
  if (header && header->has_addresses) {
    plan = plan_aout_kludge(image, *header);
  } else if (!is_elf(image)) {
    throw LoadError(header ? "not an ELF file, and its multiboot header gives no load addresses (flag 16)"
                           : "not an ELF file (and no multiboot header)");
  } else {
    plan = plan_elf(image);  // reports ELF problems before a missing header: they are more precise
    if (!header) throw LoadError("no multiboot header in the first 8 KiB (not a Multiboot v1 kernel)");
  }

  if (plan.entry >= (uint64_t{1} << 32)) {
    throw LoadError(fmt::format("entry point 0x{:x} is not below 4 GiB (multiboot enters in 32-bit mode)", plan.entry));
  }
  check_fits(plan, memory);
  copy_segments(plan, image, memory);

  MultibootInfoInput info;
  info.memory_bytes = memory.size();
  info.cmdline = cmdline;
  info.image_low = plan.low;
  info.image_high = plan.high;
  info.segments = plan.segments;

  BootImage boot;
  boot.format = plan.format;
  boot.entry = static_cast<uint32_t>(plan.entry);
  boot.multiboot_info = write_multiboot_info(memory, info);
  boot.low = plan.low;
  boot.high = plan.high;
  return boot;
}

std::vector<uint8_t> read_image_file(const std::string& path, uint64_t max_bytes) {
  std::string problem;
  std::optional<block::InputFile> file = block::InputFile::open(path, block::FileKinds::kRegular, problem);
  if (!file) {
    // "cannot open: ..." as it is; a wrong kind of file cannot be read as a kernel.
    throw LoadError(fmt::format("{}: {}{}", path, problem.rfind("cannot ", 0) == 0 ? "" : "cannot read: it ", problem));
  }
  const uint64_t limit = std::min(max_bytes, kMaxImageBytes);
  if (file->size() > limit) {
    throw LoadError(fmt::format("{}: file too large to load ({} bytes; guest memory is {})", path, file->size(),
                                size_text(limit)));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(file->size()));
  if (!file->read_at(0, bytes.data(), bytes.size()))
    throw LoadError(fmt::format("{}: cannot read: {}", path, errno ? std::strerror(errno) : "the file got shorter"));
  return bytes;
}

std::string multiboot_cmdline(std::string_view kernel_path, std::string_view append) {
  std::string cmdline(kernel_path);
  cmdline += ' ';
  cmdline += append;
  return cmdline;
}

BootImage load_multiboot_file(PhysicalMemory& memory, const std::string& path, std::string_view append) {
  // Nothing larger than guest memory can be loaded into it.
  const std::vector<uint8_t> image = read_image_file(path, memory.size());
  try {
    return load_multiboot(memory, image, multiboot_cmdline(path, append));
  } catch (const LoadError& e) {
    throw LoadError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace rw::loader
