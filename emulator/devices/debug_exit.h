// QEMU's isa-debug-exit at port 0xF4: a write of v ends the run with exit status (v << 1) | 1.
#pragma once

#include <cstdint>

#include "core/stop_request.h"

namespace rw {

class IoBus;

inline constexpr uint16_t kDebugExitPort = 0xF4;

// `stop` must outlive the bus's use of the port (the machine owns both).
void attach_debug_exit(IoBus& io, const StopRequest& stop);

}  // namespace rw
