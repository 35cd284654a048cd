// The Multiboot v1 header a kernel carries in its first 8 KiB.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace rw::loader {

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
inline constexpr uint32_t kMultibootBootMagic = 0x2BADB002;  // in EAX at kernel entry
inline constexpr uint32_t kMultibootSearchBytes = 8192;
inline constexpr uint32_t kMultibootFlagAoutKludge = 1u << 16;

struct MultibootHeader {
  uint64_t file_offset = 0;  // where the magic was found
  uint32_t flags = 0;
  // Valid only with kMultibootFlagAoutKludge (the "a.out kludge" address fields).
  bool has_addresses = false;
  uint32_t header_addr = 0;
  uint32_t load_addr = 0;
  uint32_t load_end_addr = 0;
  uint32_t bss_end_addr = 0;
  uint32_t entry_addr = 0;
};

// First 32-bit aligned header in the first 8 KiB whose checksum is right, if any.
// Throws LoadError if the header asks for the address fields but the file ends before them.
std::optional<MultibootHeader> find_multiboot_header(std::span<const uint8_t> image);

}  // namespace rw::loader
