#include "devices/reset_control.h"

#include "core/io_bus.h"

namespace rw {

namespace {

uint32_t rcr_read(void* device, uint16_t, unsigned) { return static_cast<ResetControl*>(device)->read_reset_control(); }
void rcr_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<ResetControl*>(device)->write_reset_control(static_cast<uint8_t>(value));
}

}  // namespace

void ResetControl::attach(IoBus& io) {
  io.map(kResetControlPort, 1, PortHandler{this, rcr_read, rcr_write});
}

void ResetControl::write_reset_control(uint8_t value) {
  if (value & 0x04) {
    stop_.reset(value & 0x02 ? "hard reset through port 0xCF9" : "soft reset through port 0xCF9");
    return;
  }
  rcr_ = value & 0x02;
}

}  // namespace rw
