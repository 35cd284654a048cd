// How a device asks the machine to stop at the end of the current instruction, because the
// guest asked to exit (isa-debug-exit) or to be reset: exit(value) and reset(how). The
// machine routes them to Machine::request_exit and request_reset; unit tests to a recorder.
#pragma once

#include <cstdint>

namespace rw {

struct StopRequest {
  void (*on_exit)(void* machine, uint32_t value) = nullptr;
  void (*on_reset)(void* machine, const char* how) = nullptr;
  void* machine = nullptr;

  void exit(uint32_t value) const {
    if (on_exit) on_exit(machine, value);
  }
  // `how` names the guest's way of asking, for the user ("0xFE written to ...").
  void reset(const char* how) const {
    if (on_reset) on_reset(machine, how);
  }
};

}  // namespace rw
