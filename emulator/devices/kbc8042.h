// The 8042 keyboard controller (IBM PC/AT) at 0x60 (data) and 0x64 (status / command),
// IRQ 1, with a keyboard attached that has no keys pressed: it answers its commands but
// never sends a scan code (host keyboard input is not modelled; serial is the console).
// Also the A20 gate: the controller's output port bit 1 (commands 0xD1, 0xDD, 0xDF) and
// port 0x92 ("system control port A", fast A20 on bit 1, fast reset on bit 0). As on QEMU,
// whichever of the two was written last sets the gate.
//
// Everything happens at the instruction that asks: a command's reply is in the output
// buffer when the OUT retires and the input buffer is never busy, so the device has no
// timers and its state is a few bytes. Replies queue up (a keyboard reset answers 0xFA
// then 0xAA); each one raises IRQ 1 on its own edge when the command byte enables it.
// Reset requests (0xFE, output port bit 0 cleared, port 0x92 bit 0 set) go to the machine.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/irq_line.h"
#include "core/stop_request.h"

namespace rw {

class IoBus;

// Where the A20 gate goes: the machine masks physical address bit 20 while it is off.
struct A20Line {
  void (*sink)(void* machine, bool enabled) = nullptr;
  void* machine = nullptr;
  void set(bool enabled) const {
    if (sink) sink(machine, enabled);
  }
};

class Kbc8042 {
 public:
  static constexpr uint16_t kDataPort = 0x60, kCommandPort = 0x64, kSystemControlPort = 0x92;
  // Status bits.
  static constexpr uint8_t kOutputFull = 0x01, kInputFull = 0x02, kSystemFlag = 0x04, kCommandFlag = 0x08,
                           kNotInhibited = 0x10;
  // Command byte bits.
  static constexpr uint8_t kKeyboardIrq = 0x01, kMouseIrq = 0x02, kSystemFlagBit = 0x04, kKeyboardDisabled = 0x10,
                           kMouseDisabled = 0x20, kTranslate = 0x40;
  // Output port bits.
  static constexpr uint8_t kResetLine = 0x01, kA20 = 0x02;
  static constexpr size_t kQueueSize = 16;

  Kbc8042(StopRequest stop, IrqLine irq1, A20Line a20);
  Kbc8042(const Kbc8042&) = delete;
  Kbc8042& operator=(const Kbc8042&) = delete;

  void attach(IoBus& io);
  // What the guest finds after SeaBIOS (read back on QEMU): see kbc8042.cpp.
  void bios_setup();

  uint8_t read_status() const;
  uint8_t read_data();
  void write_command(uint8_t command);
  void write_data(uint8_t value);
  uint8_t read_system_control() const { return port_a_; }
  void write_system_control(uint8_t value);

  bool a20() const { return a20_; }
  uint8_t command_byte() const { return command_byte_; }
  uint8_t output_port() const { return output_port_; }

  // Machine state save, restore and digests (machine/machine_state.cpp). The IRQ line's
  // level is saved so that the next edge is where it would have been; the machine applies
  // a20() to the CPU after a restore.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(command_byte_, output_port_, status_flags_, pending_command_, keyboard_pending_, keyboard_scanning_,
       scan_set_, leds_, queue_, queue_head_, queue_count_, port_a_, a20_, irq_level_);
  }
  // Empty if a restored state is one this device can run from; else what is wrong.
  std::string check_state() const;

 private:
  void push(uint8_t byte);
  void update_irq();
  void keyboard_command(uint8_t value);
  void write_output_port(uint8_t value);
  void set_a20(bool enabled);

  StopRequest stop_;
  IrqLine irq1_;
  A20Line a20_line_;
  uint8_t command_byte_ = kSystemFlagBit | kTranslate | kKeyboardIrq;
  uint8_t output_port_ = kResetLine | kA20;
  uint8_t status_flags_ = kNotInhibited;  // system and command flags; the buffers' bits are derived
  uint8_t pending_command_ = 0;   // a controller command waiting for its data byte (0x60, 0xD1...)
  uint8_t keyboard_pending_ = 0;  // a keyboard command waiting for its parameter (0xED, 0xF0, 0xF3)
  bool keyboard_scanning_ = true;
  uint8_t scan_set_ = 2;
  uint8_t leds_ = 0;
  std::array<uint8_t, kQueueSize> queue_{};  // the output buffer and the replies behind it
  uint8_t queue_head_ = 0;
  uint8_t queue_count_ = 0;
  uint8_t port_a_ = kA20;
  bool a20_ = true;
  bool irq_level_ = false;
};

}  // namespace rw
