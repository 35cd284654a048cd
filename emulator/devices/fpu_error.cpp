#include "devices/fpu_error.h"

#include "core/io_bus.h"

namespace rw {

void FpuError::attach(IoBus& io) {
  io.map(kFpuErrorPort, 1,
         PortHandler{this, nullptr, [](void* self, uint16_t, unsigned, uint32_t) { static_cast<FpuError*>(self)->clear(); }});
}

void FpuError::raise() {
  if (asserted_) return;
  asserted_ = true;
  irq_.set(true);
}

void FpuError::clear() {
  if (!asserted_) return;
  asserted_ = false;
  irq_.set(false);
}

}  // namespace rw
