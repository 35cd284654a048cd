#include "cli/memory_size.h"

#include <fmt/format.h>

#include <cctype>
#include <stdexcept>
#include <string>

namespace rw::cli {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Leading decimal digits of `text` as a number; `used` is how many characters they took.
uint64_t parse_digits(std::string_view text, size_t& used) {
  uint64_t value = 0;
  used = 0;
  while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used]))) {
    const uint64_t digit = static_cast<uint64_t>(text[used] - '0');
    if (value > (UINT64_MAX - digit) / 10) throw std::invalid_argument("number too large");
    value = value * 10 + digit;
    ++used;
  }
  if (used == 0) throw std::invalid_argument("expected a number");
  return value;
}

}  // namespace

uint64_t parse_byte_size(std::string_view text, std::string_view option) {
  const std::string quoted = fmt::format("'{}'", text);
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = parse_digits(text, used);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("bad {} value {}: {} (use e.g. 128M, 1G, 65536K)", option, quoted, e.what()));
  }
  std::string_view suffix = text.substr(used);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (std::tolower(static_cast<unsigned char>(suffix[0]))) {
      case 'k': shift = 10; suffix.remove_prefix(1); break;
      case 'm': shift = 20; suffix.remove_prefix(1); break;
      case 'g': shift = 30; suffix.remove_prefix(1); break;
      default: break;
    }
    const bool unit_ok = suffix.empty() || equals_ignoring_case(suffix, "b") ||
                         (shift != 0 && equals_ignoring_case(suffix, "ib"));
    if (!unit_ok) throw std::invalid_argument(fmt::format("bad {} value {}: unknown unit (use K, M or G)", option, quoted));
  }
  if (value > (UINT64_MAX >> shift)) throw std::invalid_argument(fmt::format("bad {} value {}: too large", option, quoted));
  return value << shift;
}

uint64_t parse_memory_size(std::string_view text) {
  const uint64_t bytes = parse_byte_size(text, "--memory");
  const std::string quoted = fmt::format("'{}'", text);
  if (bytes > kMaxMemoryBytes) {
    throw std::invalid_argument(fmt::format("bad --memory value {}: more than the maximum of 3G", quoted));
  }
  if (bytes < kMinMemoryBytes) {
    throw std::invalid_argument(fmt::format("bad --memory value {}: less than the minimum of 2M", quoted));
  }
  if (bytes % 4096 != 0) {
    throw std::invalid_argument(fmt::format("bad --memory value {}: not a multiple of 4K", quoted));
  }
  return bytes;
}

uint64_t parse_count(std::string_view text) {
  size_t used = 0;
  const uint64_t value = parse_digits(text, used);
  if (used != text.size()) throw std::invalid_argument("expected a plain decimal number");
  return value;
}

}  // namespace rw::cli
