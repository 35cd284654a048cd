// The two ways a PC guest asks for a reset:
//  - 0xFE ("pulse reset line") to the keyboard controller's command port 0x64;
//  - a write with bit 2 set to the PIIX reset control register at 0xCF9 (0x06 or 0x0E).
// Either stops the machine and reports the reset; there is no BIOS to reboot into.
// On the machine of recordings before format 6 (no 8042: MachineConfig::keyboard_controller_and_cga
// off) this also answers port 0x64: it reads as an idle controller, so guests that wait for its
// input buffer to drain before sending 0xFE get to send it. Otherwise the 8042 (kbc8042.h)
// takes port 0x64 over, 0xFE included.
#pragma once

#include <cstdint>

#include "core/stop_request.h"

namespace rw {

class IoBus;

inline constexpr uint16_t kKeyboardControllerPort = 0x64;
inline constexpr uint16_t kResetControlPort = 0xCF9;

class ResetControl {
 public:
  explicit ResetControl(StopRequest stop) : stop_(stop) {}
  void attach(IoBus& io);

  uint8_t read_keyboard_status() const;
  void write_keyboard_command(uint8_t command);
  uint8_t read_reset_control() const { return rcr_; }
  void write_reset_control(uint8_t value);
  // Machine state save, restore and digests (machine/machine_state.cpp).
  template <class Archive>
  void serialize(Archive& ar) {
    ar(rcr_);
  }

 private:
  StopRequest stop_;
  uint8_t rcr_ = 0;  // bit 1 (hard reset) is kept; bit 2 (do it) triggers the reset
};

}  // namespace rw
