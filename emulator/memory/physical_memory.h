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
  void write(uint64_t pa, const void* src, uint64_t len) {
    std::memcpy(base_ + pa, src, len);
    mark_written(pa, len);
  }
  void read(uint64_t pa, void* dst, uint64_t len) const { std::memcpy(dst, base_ + pa, len); }

  // Pages that hold decoded code, as a 32-bit mask of 128-byte chunks per 4 KiB page.
  // Writes that land on a chunk with code invalidate the code cache (self-modifying code).
  uint32_t code_chunks(uint64_t page) const { return code_chunks_[page]; }
  void mark_code(uint64_t pa, uint64_t len);
  void clear_code_marks();
  static uint32_t chunk_mask(uint64_t offset_in_page, uint64_t len);

  // Write tracking for state hashes and snapshots: each page remembers the epoch in
  // which it was last written. The CPU marks a page when it installs a writable TLB
  // entry for it, so after new_write_epoch() (which the caller pairs with flushing
  // the CPU's writable TLB entries) the first write to every page is seen.
  void mark_written(uint64_t pa, uint64_t len) {
    for (uint64_t page = pa >> 12; page <= (pa + len - 1) >> 12 && page < write_epoch_.size(); ++page)
      write_epoch_[page] = epoch_;
  }
  void mark_page_written(uint64_t page) { write_epoch_[page] = epoch_; }
  uint32_t page_write_epoch(uint64_t page) const { return write_epoch_[page]; }
  uint32_t write_epoch() const { return epoch_; }
  uint32_t new_write_epoch() { return ++epoch_; }
  uint64_t page_count() const { return write_epoch_.size(); }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  std::vector<uint32_t> code_chunks_;
  std::vector<uint32_t> write_epoch_;
  uint32_t epoch_ = 1;
};

}  // namespace rw
