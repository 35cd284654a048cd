#include "devices/kbc8042.h"

#include "core/io_bus.h"

namespace rw {

namespace {

// Controller commands (IBM PC/AT Technical Reference, "Keyboard Controller").
enum : uint8_t {
  kReadCommandByte = 0x20,
  kWriteCommandByte = 0x60,
  kDisableMouse = 0xA7,
  kEnableMouse = 0xA8,
  kTestMousePort = 0xA9,
  kSelfTest = 0xAA,
  kKeyboardInterfaceTest = 0xAB,
  kDisableKeyboard = 0xAD,
  kEnableKeyboard = 0xAE,
  kReadInputPort = 0xC0,
  kReadOutputPort = 0xD0,
  kWriteOutputPort = 0xD1,
  kWriteKeyboardBuffer = 0xD2,
  kWriteMouseBuffer = 0xD3,
  kWriteToMouse = 0xD4,
  kA20Off = 0xDD,
  kA20On = 0xDF,
  kReadTestInputs = 0xE0,
};
constexpr uint8_t kSelfTestPassed = 0x55;
constexpr uint8_t kOutputPortBufferFull = 0x10;  // output port bit 4 mirrors the output buffer

// Keyboard commands and replies.
enum : uint8_t {
  kSetLeds = 0xED,
  kEcho = 0xEE,
  kScanSet = 0xF0,
  kIdentify = 0xF2,
  kTypematic = 0xF3,
  kEnableScanning = 0xF4,
  kDisableScanning = 0xF5,
  kSetDefaults = 0xF6,
  kResetKeyboard = 0xFF,
  kAck = 0xFA,
  kResend = 0xFE,
  kSelfTestOk = 0xAA,
  kKeyboardId = 0xAB,
};
// The second identify byte and the scan set numbers as the guest sees them: translated to
// set 1 codes when the command byte asks for translation, as QEMU's keyboard answers.
constexpr uint8_t kIdTranslated = 0x41, kIdRaw = 0x83;
constexpr uint8_t kTranslatedSet[4] = {0, 0x43, 0x41, 0x3F};

uint32_t kbc_read(void* device, uint16_t port, unsigned) {
  auto* k = static_cast<Kbc8042*>(device);
  return port == Kbc8042::kDataPort ? k->read_data() : k->read_status();
}
void kbc_write(void* device, uint16_t port, unsigned, uint32_t value) {
  auto* k = static_cast<Kbc8042*>(device);
  if (port == Kbc8042::kDataPort)
    k->write_data(static_cast<uint8_t>(value));
  else
    k->write_command(static_cast<uint8_t>(value));
}
uint32_t port_a_read(void* device, uint16_t, unsigned) { return static_cast<Kbc8042*>(device)->read_system_control(); }
void port_a_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<Kbc8042*>(device)->write_system_control(static_cast<uint8_t>(value));
}

}  // namespace

Kbc8042::Kbc8042(StopRequest stop, IrqLine irq1, A20Line a20) : stop_(stop), irq1_(irq1), a20_line_(a20) {}

void Kbc8042::attach(IoBus& io) {
  io.map(kDataPort, 1, PortHandler{this, kbc_read, kbc_write});
  io.map(kCommandPort, 1, PortHandler{this, kbc_read, kbc_write});
  io.map(kSystemControlPort, 1, PortHandler{this, port_a_read, port_a_write});
}

void Kbc8042::bios_setup() {
  // SeaBIOS tests the controller (system flag set), sets the command byte to keyboard IRQ
  // on, translation on, mouse off, and enables A20 through port 0x92.
  command_byte_ = kKeyboardIrq | kMouseDisabled | kTranslate;
  status_flags_ = kSystemFlag | kNotInhibited | kCommandFlag;
  port_a_ = kA20;
  output_port_ = 0xCF;  // reset line high, A20 on, the unused lines high
  a20_ = true;
}

uint8_t Kbc8042::read_status() const { return status_flags_ | (queue_count_ ? kOutputFull : 0); }

uint8_t Kbc8042::read_data() {
  if (queue_count_ == 0) return queue_[(queue_head_ + kQueueSize - 1) % kQueueSize];  // the last byte again
  const uint8_t byte = queue_[queue_head_];
  queue_head_ = static_cast<uint8_t>((queue_head_ + 1) % kQueueSize);
  --queue_count_;
  // Each byte is an interrupt of its own: the line drops when one is taken and rises again
  // for the next.
  if (irq_level_) {
    irq_level_ = false;
    irq1_.set(false);
  }
  update_irq();
  return byte;
}

void Kbc8042::push(uint8_t byte) {
  if (queue_count_ == kQueueSize) return;  // a guest that never reads: the oldest replies stay
  queue_[(queue_head_ + queue_count_) % kQueueSize] = byte;
  ++queue_count_;
  update_irq();
}

void Kbc8042::update_irq() {
  const bool level = queue_count_ > 0 && (command_byte_ & kKeyboardIrq);
  if (level == irq_level_) return;
  irq_level_ = level;
  irq1_.set(level);
}

void Kbc8042::write_command(uint8_t command) {
  status_flags_ |= kCommandFlag;
  pending_command_ = 0;
  switch (command) {
    case kReadCommandByte: push(command_byte_); break;
    case kWriteCommandByte:
    case kWriteOutputPort:
    case kWriteKeyboardBuffer:
    case kWriteMouseBuffer:
    case kWriteToMouse: pending_command_ = command; break;
    case kDisableMouse: command_byte_ |= kMouseDisabled; break;
    case kEnableMouse: command_byte_ &= static_cast<uint8_t>(~kMouseDisabled); break;
    case kTestMousePort: push(0x00); break;
    case kSelfTest:
      status_flags_ |= kSystemFlag;
      push(kSelfTestPassed);
      break;
    case kKeyboardInterfaceTest: push(0x00); break;
    case kDisableKeyboard: command_byte_ |= kKeyboardDisabled; break;
    case kEnableKeyboard: command_byte_ &= static_cast<uint8_t>(~kKeyboardDisabled); break;
    case kReadInputPort: push(0x80); break;  // keyboard not inhibited (no key lock)
    case kReadOutputPort: {
      const uint8_t port = static_cast<uint8_t>((output_port_ & ~kOutputPortBufferFull) |
                                                (queue_count_ ? kOutputPortBufferFull : 0));
      push(port);
      break;
    }
    case kA20Off:
      output_port_ &= static_cast<uint8_t>(~kA20);
      set_a20(false);
      break;
    case kA20On:
      output_port_ |= kA20;
      set_a20(true);
      break;
    case kReadTestInputs: push(0x00); break;
    default:
      // 0xF0-0xFF pulse the output port lines whose bits are 0 in the low nibble; line 0
      // is the CPU's reset.
      if ((command & 0xF0) == 0xF0 && !(command & 0x01))
        stop_.reset("0xFE written to the keyboard controller, port 0x64");
      break;
  }
}

void Kbc8042::write_data(uint8_t value) {
  status_flags_ &= static_cast<uint8_t>(~kCommandFlag);
  const uint8_t command = pending_command_;
  pending_command_ = 0;
  switch (command) {
    case kWriteCommandByte:
      command_byte_ = value;
      if (value & kSystemFlagBit)
        status_flags_ |= kSystemFlag;
      else
        status_flags_ &= static_cast<uint8_t>(~kSystemFlag);
      update_irq();
      return;
    case kWriteOutputPort: write_output_port(value); return;
    case kWriteKeyboardBuffer:
    case kWriteMouseBuffer: push(value); return;
    case kWriteToMouse: return;  // no mouse
    default: break;
  }
  // To the keyboard; talking to it enables its interface again.
  command_byte_ &= static_cast<uint8_t>(~kKeyboardDisabled);
  keyboard_command(value);
}

void Kbc8042::keyboard_command(uint8_t value) {
  if (keyboard_pending_) {
    const uint8_t command = keyboard_pending_;
    keyboard_pending_ = 0;
    switch (command) {
      case kSetLeds: leds_ = value & 0x07; push(kAck); return;
      case kTypematic: push(kAck); return;
      case kScanSet:
        if (value == 0) {
          push(kAck);
          push((command_byte_ & kTranslate) ? kTranslatedSet[scan_set_] : scan_set_);
        } else if (value <= 3) {
          scan_set_ = value;
          push(kAck);
        } else {
          push(kResend);
        }
        return;
      default: break;
    }
  }
  switch (value) {
    case kSetLeds:
    case kTypematic:
    case kScanSet:
      keyboard_pending_ = value;
      push(kAck);
      break;
    case kEcho: push(kEcho); break;
    case kIdentify:
      push(kAck);
      push(kKeyboardId);
      push((command_byte_ & kTranslate) ? kIdTranslated : kIdRaw);
      break;
    case kEnableScanning:
      keyboard_scanning_ = true;
      push(kAck);
      break;
    case kDisableScanning:
    case kSetDefaults:
      keyboard_scanning_ = value == kSetDefaults;
      scan_set_ = 2;
      push(kAck);
      break;
    case kResetKeyboard:
      keyboard_scanning_ = true;
      scan_set_ = 2;
      leds_ = 0;
      push(kAck);
      push(kSelfTestOk);
      break;
    default:
      // 0xF7-0xFD (scan set 3 key modes) are taken; anything else is not a command.
      push(value >= 0xF7 && value <= 0xFD ? kAck : kResend);
      break;
  }
}

void Kbc8042::write_output_port(uint8_t value) {
  output_port_ = value;
  set_a20(value & kA20);
  if (!(value & kResetLine)) stop_.reset("the keyboard controller's output port reset line (bit 0) cleared");
}

void Kbc8042::write_system_control(uint8_t value) {
  const uint8_t old = port_a_;
  port_a_ = value;
  set_a20(value & kA20);
  if ((value & 0x01) && !(old & 0x01)) stop_.reset("fast reset through port 0x92 (bit 0)");
}

void Kbc8042::set_a20(bool enabled) {
  if (enabled == a20_) return;
  a20_ = enabled;
  a20_line_.set(enabled);
}

std::string Kbc8042::check_state() const {
  if (queue_head_ >= kQueueSize || queue_count_ > kQueueSize) return "kbc: output queue out of range";
  if (scan_set_ < 1 || scan_set_ > 3) return "kbc: scan set out of range";
  return {};
}

}  // namespace rw
