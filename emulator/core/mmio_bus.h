// Memory-mapped device registers: a device claims a range of physical addresses that is
// not RAM with two plain functions taking the exact access size (1, 2, 4 or 8 bytes). The
// CPU asks this bus only on its slow path, for physical addresses outside RAM: MMIO pages
// never enter the TLB, so RAM accesses cost what they did before. Unclaimed addresses read
// as all ones and ignore writes, as on a PC with nothing there.
//
// `peek` reads a register as the guest would but without side effects, for the debugger;
// a device without one (null) refuses debugger reads.
#pragma once

#include <cstdint>
#include <vector>

namespace rw {

struct MmioHandler {
  void* device = nullptr;
  uint64_t (*read)(void* device, uint64_t offset, unsigned size) = nullptr;
  void (*write)(void* device, uint64_t offset, unsigned size, uint64_t value) = nullptr;
  bool (*peek)(void* device, uint64_t offset, unsigned size, uint64_t& value) = nullptr;
};

class MmioBus {
 public:
  void map(uint64_t base, uint64_t size, MmioHandler handler) { regions_.push_back({base, size, handler}); }

  uint64_t read(uint64_t addr, unsigned size) {
    if (const Region* r = find(addr)) {
      ++accesses_;
      return r->handler.read(r->handler.device, addr - r->base, size);
    }
    return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
  }
  // Returns whether a device took the write (the CPU then ends its trace after the
  // instruction, so that an interrupt the write raised is taken at the next boundary).
  bool write(uint64_t addr, unsigned size, uint64_t value) {
    if (const Region* r = find(addr)) {
      ++accesses_;
      r->handler.write(r->handler.device, addr - r->base, size, value);
      return true;
    }
    return false;
  }
  // For the debugger: false if a device is there and cannot be read without side effects.
  // Unclaimed addresses read as all ones.
  bool peek(uint64_t addr, unsigned size, uint64_t& value) const {
    const Region* r = find(addr);
    if (!r) {
      value = size == 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
      return true;
    }
    return r->handler.peek && r->handler.peek(r->handler.device, addr - r->base, size, value);
  }
  bool claimed(uint64_t addr) const { return find(addr) != nullptr; }
  // Guest accesses to device registers so far (a statistic for --stats; not machine state).
  uint64_t accesses() const { return accesses_; }

 private:
  struct Region {
    uint64_t base, size;
    MmioHandler handler;
  };
  const Region* find(uint64_t addr) const {
    for (const Region& r : regions_)
      if (addr - r.base < r.size) return &r;
    return nullptr;
  }
  std::vector<Region> regions_;
  uint64_t accesses_ = 0;
};

}  // namespace rw
