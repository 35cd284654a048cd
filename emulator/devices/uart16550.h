// 16550A UART (COM1 at 0x3F8): transmit only for now. A byte written to THR is sent at once,
// so THR and the shift register are always empty. Output is buffered here and written to the
// host FILE* at each newline, when the buffer fills, and on flush() (the machine flushes
// whenever a run stops and when it is destroyed), so no exit path loses output.
// Receive is not connected yet: LSR.DR stays 0 except for bytes looped back in loopback mode.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace rw {

class IoBus;

class Uart16550 {
 public:
  static constexpr uint16_t kCom1Base = 0x3F8;

  explicit Uart16550(FILE* out) : out_(out) {}
  ~Uart16550() { flush(); }
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  void attach(IoBus& io, uint16_t base = kCom1Base);
  uint16_t base() const { return base_; }

  // Register access by offset 0-7 from the base port.
  uint8_t read(unsigned offset);
  void write(unsigned offset, uint8_t value);

  void flush();
  // The level of the UART's interrupt line (IRQ 4 once a PIC is wired).
  bool interrupt_pending() const { return interrupt_id() != kIirNoInterrupt; }

 private:
  static constexpr uint8_t kIirNoInterrupt = 0x01, kIirThrEmpty = 0x02, kIirReceivedData = 0x04;
  uint8_t interrupt_id() const;
  bool dlab() const { return lcr_ & 0x80; }
  bool loopback() const { return mcr_ & 0x10; }
  void transmit(uint8_t byte);
  uint8_t modem_status() const;

  FILE* out_;
  uint16_t base_ = kCom1Base;
  std::string pending_output_;
  uint16_t divisor_ = 12;  // 9600 baud, as after a BIOS
  uint8_t ier_ = 0, fcr_ = 0, lcr_ = 0x03, mcr_ = 0, scr_ = 0;
  bool thr_interrupt_ = false;  // "THR empty" interrupt raised and not yet acknowledged
  bool rx_full_ = false;        // a looped-back byte waits in RBR
  uint8_t rbr_ = 0;
};

}  // namespace rw
