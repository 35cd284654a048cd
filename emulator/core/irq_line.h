// One ISA interrupt line, as a device sees it: set_irq(level). The machine routes it
// to the interrupt controller; unit tests route it to a recorder.
#pragma once

namespace rw {

struct IrqLine {
  void (*sink)(void* controller, unsigned irq, bool level) = nullptr;
  void* controller = nullptr;
  unsigned irq = 0;

  void set(bool level) const {
    if (sink) sink(controller, irq, level);
  }
};

}  // namespace rw
