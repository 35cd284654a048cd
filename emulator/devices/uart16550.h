// 16550A UART (COM1 at 0x3F8, IRQ 4).
//
// Transmit: a byte written to THR is sent at once, so THR and the shift register are
// always empty. Output is buffered here and written to the host FILE* at each newline,
// when the buffer fills, and on flush() (the machine flushes whenever a run stops and
// when it is destroyed), so no exit path loses output.
//
// Receive: bytes come in through receive() (the machine's serial input source calls it
// at instruction boundaries, only while receive_space() says there is room, so host
// input waits on the host side instead of overrunning). A 16-byte FIFO when FCR bit 0
// is set, else the single RBR. Interrupts in priority order: line status (overrun),
// received data (FIFO at its trigger level), character timeout (data below the trigger
// level and nothing received or read for four character times of guest time), THR
// empty. The interrupt output drives IRQ 4 (not gated by MCR.OUT2, as in QEMU).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/guest_clock.h"
#include "core/irq_line.h"

namespace rw {

class IoBus;
class Scheduler;

class Uart16550 {
 public:
  static constexpr uint16_t kCom1Base = 0x3F8;
  static constexpr unsigned kFifoSize = 16;

  explicit Uart16550(FILE* out) : out_(out) {}
  ~Uart16550() { flush(); }
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  void attach(IoBus& io, uint16_t base = kCom1Base);
  // The interrupt line and the guest clock (for the character timeout). Without them
  // the line goes nowhere and the timeout is immediate.
  void connect(Scheduler& scheduler, GuestClock clock, IrqLine irq);
  uint16_t base() const { return base_; }

  // Register access by offset 0-7 from the base port.
  uint8_t read(unsigned offset);
  void write(unsigned offset, uint8_t value);

  void flush();
  // Output waiting for a newline (a prompt: "$ "), written out now. The run loop calls it at
  // every poll, so a prompt shows within a poll interval, not at the end of a long run slice.
  void flush_pending() {
    if (!pending_output_.empty()) flush();
  }
  // The level of the UART's interrupt line.
  bool interrupt_pending() const { return interrupt_id() != kIirNoInterrupt; }

  // Machine state save, restore and digests (machine/machine_state.cpp): registers, the receive
  // FIFO, interrupt latches. Not the host side (output FILE, buffered output, observer);
  // the timeout timer's deadline is saved with the scheduler's.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(divisor_, ier_, fcr_, lcr_, mcr_, scr_, thr_interrupt_, rx_, rx_head_, rx_count_, overrun_, timeout_, irq_level_);
  }
  // Empty if a restored state is one this UART can run from (its FIFO indices within the
  // FIFO); else what is wrong. Machine::restore_state refuses a state that is not.
  std::string check_state() const {
    return rx_head_ < kFifoSize && rx_count_ <= kFifoSize ? std::string() : std::string("uart: receive FIFO index out of range");
  }

  // Sees every byte the guest transmits, with the instruction count of the OUT that sent it
  // (the recorder hashes them and indexes them for the timeline). Not per instruction.
  // Host-side, not machine state.
  void set_output_observer(std::function<void(uint64_t icount, uint8_t byte)> observer) {
    output_observer_ = std::move(observer);
  }
  // Transmitted bytes still reach the observers but not the output FILE: a live run replaying
  // its own past has shown that output already. Host-side, not machine state.
  void set_output_muted(bool muted) { muted_ = muted; }

  // --- receive ---
  // A byte arrives on the line. With no room for it, it is lost and LSR.OE is set.
  void receive(uint8_t byte);
  // How many bytes can arrive now without an overrun.
  unsigned receive_space() const { return capacity() - rx_count_; }
  // Whether the guest asked for an interrupt when data arrives (IER bit 0).
  bool receive_interrupt_enabled() const { return ier_ & 0x01; }

 private:
  static constexpr uint8_t kIirNoInterrupt = 0x01, kIirThrEmpty = 0x02, kIirReceivedData = 0x04,
                           kIirLineStatus = 0x06, kIirTimeout = 0x0C;
  uint8_t interrupt_id() const;
  bool dlab() const { return lcr_ & 0x80; }
  bool loopback() const { return mcr_ & 0x10; }
  bool fifo_enabled() const { return fcr_ & 0x01; }
  unsigned capacity() const { return fifo_enabled() ? kFifoSize : 1; }
  unsigned trigger_level() const;
  void transmit(uint8_t byte);
  uint8_t modem_status() const;
  uint8_t pop_received();
  void clear_receiver();
  void restart_timeout();
  void update_irq();
  static void on_timeout(void* uart, uint64_t now);

  FILE* out_;
  uint16_t base_ = kCom1Base;
  std::function<void(uint64_t, uint8_t)> output_observer_;
  bool muted_ = false;
  std::string pending_output_;
  uint16_t divisor_ = 12;  // 9600 baud, as after a BIOS
  uint8_t ier_ = 0, fcr_ = 0, lcr_ = 0x03, mcr_ = 0, scr_ = 0;
  bool thr_interrupt_ = false;  // "THR empty" interrupt raised and not yet acknowledged
  uint8_t rx_[kFifoSize] = {};
  unsigned rx_head_ = 0, rx_count_ = 0;
  bool overrun_ = false;  // LSR.OE, until LSR is read
  bool timeout_ = false;  // character timeout indicated
  // Wiring.
  Scheduler* scheduler_ = nullptr;
  GuestClock clock_;
  int timeout_timer_ = -1;
  IrqLine irq_;
  bool irq_level_ = false;
};

}  // namespace rw
