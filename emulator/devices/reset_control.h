// The PIIX reset control register at 0xCF9: a write with bit 2 set (0x06 or 0x0E) stops the
// machine and reports the reset; there is no BIOS to reboot into. (The other way, 0xFE to the
// keyboard controller's port 0x64, is the 8042's: devices/kbc8042.h.)
#pragma once

#include <cstdint>

#include "core/stop_request.h"

namespace rw {

class IoBus;

inline constexpr uint16_t kResetControlPort = 0xCF9;

class ResetControl {
 public:
  explicit ResetControl(StopRequest stop) : stop_(stop) {}
  void attach(IoBus& io);

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
