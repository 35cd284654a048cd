// Bounds-checked little-endian reads from an untrusted file image.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace rw::loader {

// True when [offset, offset + length) lies inside a buffer of `size` bytes, without overflow.
inline bool in_bounds(uint64_t size, uint64_t offset, uint64_t length) {
  return offset <= size && length <= size - offset;
}

// Copies a plain struct out of the image; false if it does not fit.
template <typename T>
bool read_struct(std::span<const uint8_t> image, uint64_t offset, T& out) {
  if (!in_bounds(image.size(), offset, sizeof(T))) return false;
  std::memcpy(&out, image.data() + offset, sizeof(T));
  return true;
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace rw::loader
