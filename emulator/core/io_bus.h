// Port I/O dispatch: a device registers a range of ports with two plain functions.
// Unclaimed ports read as all ones and ignore writes, as on a PC with nothing there.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace rw {

struct PortHandler {
  void* device = nullptr;
  uint32_t (*read)(void* device, uint16_t port, unsigned size) = nullptr;
  void (*write)(void* device, uint16_t port, unsigned size, uint32_t value) = nullptr;
};

class IoBus {
 public:
  IoBus() { owner_.fill(0); handlers_.push_back({}); }

  void map(uint16_t first, unsigned count, PortHandler handler) {
    handlers_.push_back(handler);
    for (unsigned p = first; p < first + count && p < 65536; ++p) owner_[p] = static_cast<uint8_t>(handlers_.size() - 1);
  }

  uint32_t read(uint16_t port, unsigned size) {
    const PortHandler& h = handlers_[owner_[port]];
    if (!h.read) return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
    return h.read(h.device, port, size);
  }

  void write(uint16_t port, unsigned size, uint32_t value) {
    const PortHandler& h = handlers_[owner_[port]];
    if (h.write) h.write(h.device, port, size, value);
  }

 private:
  std::array<uint8_t, 65536> owner_;
  std::vector<PortHandler> handlers_;
};

}  // namespace rw
