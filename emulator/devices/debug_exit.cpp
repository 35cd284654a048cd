#include "devices/debug_exit.h"

#include "core/io_bus.h"

namespace rw {

namespace {

void debug_exit_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<const StopRequest*>(device)->exit(value);
}

}  // namespace

void attach_debug_exit(IoBus& io, const StopRequest& stop) {
  // Reads fall through to "nothing there" (all ones), as on QEMU.
  io.map(kDebugExitPort, 1, PortHandler{const_cast<StopRequest*>(&stop), nullptr, debug_exit_write});
}

}  // namespace rw
