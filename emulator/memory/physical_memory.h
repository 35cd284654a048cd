// Guest physical memory: one anonymous host mapping of the whole RAM size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace rw {

class PhysicalMemory {
 public:
  explicit PhysicalMemory(uint64_t size_bytes);
  ~PhysicalMemory();
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  uint64_t size() const { return size_; }
  bool contains(uint64_t pa, uint64_t len) const { return pa <= size_ && len <= size_ - pa; }
  uint8_t* host(uint64_t pa) { return base_ + pa; }
  const uint8_t* host(uint64_t pa) const { return base_ + pa; }

  // Bulk access for loaders and devices; callers check contains() first.
  void write(uint64_t pa, const void* src, uint64_t len) { std::memcpy(base_ + pa, src, len); }
  void read(uint64_t pa, void* dst, uint64_t len) const { std::memcpy(dst, base_ + pa, len); }

  // Pages that hold decoded code, as a 32-bit mask of 128-byte chunks per 4 KiB page.
  // Writes that land on a chunk with code invalidate the code cache (self-modifying code).
  uint32_t code_chunks(uint64_t page) const { return code_chunks_[page]; }
  void mark_code(uint64_t pa, uint64_t len);
  void clear_code_marks();
  static uint32_t chunk_mask(uint64_t offset_in_page, uint64_t len);

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  std::vector<uint32_t> code_chunks_;
};

}  // namespace rw
