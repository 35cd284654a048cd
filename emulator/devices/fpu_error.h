// The PC's x87 error line: with CR0.NE clear the FPU reports an unmasked exception on FERR#,
// which the chipset latches onto IRQ 13; a write to port 0xF0 clears the latch (and lets the
// FPU go on, IGNNE#). The CPU calls raise() through Cpu::raise_ferr.
#pragma once

#include <cstdint>

#include "core/irq_line.h"

namespace rw {

class IoBus;

inline constexpr uint16_t kFpuErrorPort = 0xF0;

class FpuError {
 public:
  explicit FpuError(IrqLine irq) : irq_(irq) {}
  void attach(IoBus& io);

  void raise();
  void clear();
  bool asserted() const { return asserted_; }
  // For Cpu::raise_ferr.
  static void raise_thunk(void* self) { static_cast<FpuError*>(self)->raise(); }

  // Machine state save, restore and digests (machine/machine_state.cpp). The interrupt
  // controllers keep the line's level in their own state.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(asserted_);
  }

 private:
  IrqLine irq_;
  bool asserted_ = false;
};

}  // namespace rw
