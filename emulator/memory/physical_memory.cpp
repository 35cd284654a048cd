#include "memory/physical_memory.h"

#include <sys/mman.h>

#include <new>
#include <stdexcept>

namespace rw {

PhysicalMemory::PhysicalMemory(uint64_t size_bytes) : size_(size_bytes) {
  void* p = mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<uint8_t*>(p);
  code_chunks_.assign((size_bytes + 4095) / 4096, 0);
  write_epoch_.assign((size_bytes + 4095) / 4096, 0);
}

PhysicalMemory::~PhysicalMemory() { munmap(base_, size_); }

uint32_t PhysicalMemory::chunk_mask(uint64_t offset_in_page, uint64_t len) {
  uint64_t first = offset_in_page >> 7;
  uint64_t last = (offset_in_page + len - 1) >> 7;
  if (last > 31) last = 31;
  uint64_t bits = ((uint64_t{2} << last) - 1) & ~((uint64_t{1} << first) - 1);
  return static_cast<uint32_t>(bits);
}

void PhysicalMemory::mark_code(uint64_t pa, uint64_t len) {
  while (len > 0) {
    uint64_t page = pa >> 12;
    uint64_t off = pa & 4095;
    uint64_t n = std::min<uint64_t>(len, 4096 - off);
    if (page < code_chunks_.size()) code_chunks_[page] |= chunk_mask(off, n);
    pa += n;
    len -= n;
  }
}

void PhysicalMemory::clear_code_marks() { std::fill(code_chunks_.begin(), code_chunks_.end(), 0); }

}  // namespace rw
