#include "devices/reset_control.h"

#include "core/io_bus.h"

namespace rw {

namespace {

constexpr uint8_t kPulseResetLine = 0xFE;
// Self-test passed, command/data flag, keyboard not inhibited; both buffers empty.
constexpr uint8_t kIdleKeyboardStatus = 0x1C;

uint32_t keyboard_read(void* device, uint16_t, unsigned) {
  return static_cast<ResetControl*>(device)->read_keyboard_status();
}
void keyboard_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<ResetControl*>(device)->write_keyboard_command(static_cast<uint8_t>(value));
}
uint32_t rcr_read(void* device, uint16_t, unsigned) { return static_cast<ResetControl*>(device)->read_reset_control(); }
void rcr_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<ResetControl*>(device)->write_reset_control(static_cast<uint8_t>(value));
}

}  // namespace

void ResetControl::attach(IoBus& io) {
  io.map(kKeyboardControllerPort, 1, PortHandler{this, keyboard_read, keyboard_write});
  io.map(kResetControlPort, 1, PortHandler{this, rcr_read, rcr_write});
}

uint8_t ResetControl::read_keyboard_status() const { return kIdleKeyboardStatus; }

void ResetControl::write_keyboard_command(uint8_t command) {
  if (command == kPulseResetLine) stop_.reset("0xFE written to the keyboard controller, port 0x64");
}

void ResetControl::write_reset_control(uint8_t value) {
  if (value & 0x04) {
    stop_.reset(value & 0x02 ? "hard reset through port 0xCF9" : "soft reset through port 0xCF9");
    return;
  }
  rcr_ = value & 0x02;
}

}  // namespace rw
