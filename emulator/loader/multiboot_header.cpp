#include "loader/multiboot_header.h"

#include <algorithm>

#include "loader/byte_reader.h"
#include "loader/load_error.h"

namespace rw::loader {

std::optional<MultibootHeader> find_multiboot_header(std::span<const uint8_t> image) {
  const uint64_t search_end = std::min<uint64_t>(image.size(), kMultibootSearchBytes);
  for (uint64_t offset = 0; offset + 12 <= search_end; offset += 4) {
    const uint8_t* p = image.data() + offset;
    const uint32_t magic = load_u32(p);
    if (magic != kMultibootHeaderMagic) continue;
    const uint32_t flags = load_u32(p + 4);
    const uint32_t checksum = load_u32(p + 8);
    if (static_cast<uint32_t>(magic + flags + checksum) != 0) continue;

    MultibootHeader header;
    header.file_offset = offset;
    header.flags = flags;
    if (flags & kMultibootFlagAoutKludge) {
      if (!in_bounds(image.size(), offset, 32)) {
        throw LoadError("multiboot header asks for load addresses (flag 16) but the file ends inside the header");
      }
      header.has_addresses = true;
      header.header_addr = load_u32(p + 12);
      header.load_addr = load_u32(p + 16);
      header.load_end_addr = load_u32(p + 20);
      header.bss_end_addr = load_u32(p + 24);
      header.entry_addr = load_u32(p + 28);
    }
    return header;
  }
  return std::nullopt;
}

}  // namespace rw::loader
