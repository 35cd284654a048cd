#include "devices/post_port.h"

#include "core/io_bus.h"

namespace rw {

namespace {
void ignore_write(void*, uint16_t, unsigned, uint32_t) {}
}  // namespace

void attach_post_port(IoBus& io) {
  // Reads stay "nothing there" (all ones).
  io.map(0x80, 1, PortHandler{nullptr, nullptr, ignore_write});
}

}  // namespace rw
