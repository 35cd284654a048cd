// 8254 programmable interval timer at 0x40-0x43, and the channel-2 bits of port 0x61
// (gate, speaker enable, OUT2; guests use them for calibrated delays).
//
// The input clock runs at 1193182 Hz of guest time: a counter's value is computed from
// the instruction count when it is read, never from host time. Channel 0's OUT drives
// IRQ 0; its transitions are Scheduler timers at exact instruction counts. Counting
// starts on the clock tick at which the count was written (no extra load cycle, as in
// QEMU), and BCD counting is accepted but counts in binary (as QEMU).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/guest_clock.h"
#include "core/irq_line.h"

namespace rw {

class IoBus;
class Scheduler;

class Pit8254 {
 public:
  static constexpr uint64_t kHz = 1193182;

  struct Channel {
    uint32_t reload = 0x10000;  // the count written (0 means 65536)
    uint8_t mode = 0;           // 0-5
    uint8_t access = 3;         // 1 lobyte, 2 hibyte, 3 lobyte then hibyte
    bool bcd = false;
    bool gate = true;
    bool counting = false;      // a count has been loaded (and, in modes 1 and 5, triggered)
    bool null_count = true;     // written but not yet loaded into the counter
    uint64_t start_tick = 0;    // clock tick at which the counter held `reload`
    bool write_high_next = false;  // lobyte/hibyte: the next write is the high byte
    uint8_t write_low = 0;
    bool read_high_next = false;
    bool count_latched = false;
    uint16_t latched_count = 0;
    bool latched_high_next = false;
    bool status_latched = false;
    uint8_t latched_status = 0;
    bool out = true;            // OUT level last driven (channel 0: IRQ 0)
    template <class Archive>
    void serialize(Archive& ar) {
      ar(reload, mode, access, bcd, gate, counting, null_count, start_tick, write_high_next, write_low, read_high_next,
         count_latched, latched_count, latched_high_next, status_latched, latched_status, out);
    }
  };

  Pit8254(Scheduler& scheduler, GuestClock clock, IrqLine irq0);
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  void attach(IoBus& io);

  // Registers: offset 0-2 counters, 3 control word.
  uint8_t read(unsigned offset);
  void write(unsigned offset, uint8_t value);
  // Port 0x61 (bits 0, 1, 4, 5).
  uint8_t read_port61();
  void write_port61(uint8_t value);

  // The counter's current value and OUT level, as the guest would see them now.
  uint16_t count(int channel) const;
  bool out(int channel) const;
  const Channel& channel(int n) const { return ch_[n]; }

  // Machine state save, restore and digests (machine/machine_state.cpp): channels with their timing
  // anchors, port 0x61. The timer's deadline is saved with the scheduler's.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(ch_[0], ch_[1], ch_[2], port61_);
  }
  // Empty if a restored state is one this timer can run from (counts it can divide by,
  // modes and access modes it knows); else what is wrong.
  std::string check_state() const {
    for (const Channel& c : ch_)
      if (c.reload == 0 || c.reload > 0x10000 || c.mode > 5 || c.access > 3) return "pit: a channel's count or mode out of range";
    return {};
  }
  // As SeaBIOS leaves it: channel 0 in mode 2 with count 65536 (18.2 Hz).
  void bios_setup();

 private:
  uint64_t tick() const;
  uint64_t elapsed(const Channel& c) const;
  static bool out_at(const Channel& c, uint64_t d);
  static uint64_t next_transition(const Channel& c, uint64_t d);
  void load(int n, uint32_t value);
  void set_gate(int n, bool level);
  void latch_count(Channel& c);
  void latch_status(int n);
  void reschedule();  // channel 0's OUT: drive IRQ 0 and arm the next transition
  static void on_timer(void* pit, uint64_t now);

  Scheduler& scheduler_;
  GuestClock clock_;
  IrqLine irq0_;
  int timer_ = -1;
  Channel ch_[3];
  uint8_t port61_ = 0;  // bits 0 (gate 2) and 1 (speaker data enable)
};

}  // namespace rw
