// Parsing of --memory values: "128M", "1G", "64m", "65536K", "134217728".
#pragma once

#include <cstdint>
#include <string_view>

namespace rw::cli {

inline constexpr uint64_t kMinMemoryBytes = uint64_t{2} << 20;
inline constexpr uint64_t kMaxMemoryBytes = uint64_t{3} << 30;  // RAM stays below the 32-bit PCI hole

// Throws std::invalid_argument with a one-line reason for anything it does not accept.
uint64_t parse_memory_size(std::string_view text);

// A size in bytes with an optional K, M or G suffix ("64M", "1G", "512K", "4096"), no other
// limit; the message names `option`.
uint64_t parse_byte_size(std::string_view text, std::string_view option);

// A plain non-negative decimal integer; throws std::invalid_argument otherwise.
uint64_t parse_count(std::string_view text);

}  // namespace rw::cli
