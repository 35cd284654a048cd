// QEMU's isa-debug-exit at port 0xF4: a write of v ends the run with exit status (v << 1) | 1.
#pragma once

#include <cstdint>

namespace rw {

class IoBus;
class Machine;

inline constexpr uint16_t kDebugExitPort = 0xF4;

void attach_debug_exit(IoBus& io, Machine& machine);

}  // namespace rw
