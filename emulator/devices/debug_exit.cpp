#include "devices/debug_exit.h"

#include "machine/io_bus.h"
#include "machine/machine.h"

namespace rw {

namespace {

void debug_exit_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<Machine*>(device)->request_exit(value);
}

}  // namespace

void attach_debug_exit(IoBus& io, Machine& machine) {
  // Reads fall through to "nothing there" (all ones), as on QEMU.
  io.map(kDebugExitPort, 1, PortHandler{&machine, nullptr, debug_exit_write});
}

}  // namespace rw
