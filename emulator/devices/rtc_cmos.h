// MC146818-style CMOS RTC at 0x70 (index; bit 7, the NMI mask, is ignored) and 0x71
// (data), IRQ 8.
//
// The clock's base time is an input (MachineConfig::rtc_base_unix_seconds, read from
// the host clock once when not given, so that a recording can store it); after that it
// advances with guest time only: second k of the run begins at instruction k * 10^9.
// Register C's flags (periodic, alarm, update-ended) are computed from the instruction
// count when read; timers are armed only while their interrupt is enabled.
// The CMOS RAM bytes a PC BIOS fills in (memory sizes, disk types, equipment) are set
// up from the machine's configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/guest_clock.h"
#include "core/irq_line.h"

namespace rw {

class IoBus;
class Scheduler;

class RtcCmos {
 public:
  // Register indexes.
  enum : uint8_t { kSeconds = 0x00, kSecondsAlarm = 0x01, kMinutes = 0x02, kMinutesAlarm = 0x03, kHours = 0x04,
                   kHoursAlarm = 0x05, kWeekday = 0x06, kDay = 0x07, kMonth = 0x08, kYear = 0x09, kStatusA = 0x0A,
                   kStatusB = 0x0B, kStatusC = 0x0C, kStatusD = 0x0D, kCentury = 0x32 };
  // Register bits.
  static constexpr uint8_t kUip = 0x80;                                   // A
  static constexpr uint8_t kSet = 0x80, kPie = 0x40, kAie = 0x20, kUie = 0x10, kBinary = 0x04,
                           k24Hour = 0x02;                                // B
  static constexpr uint8_t kIrqf = 0x80, kPf = 0x40, kAf = 0x20, kUf = 0x10;  // C
  // UIP is set for this long before each update.
  static constexpr uint64_t kUipInstructions = 244'000;

  RtcCmos(Scheduler& scheduler, GuestClock clock, IrqLine irq8, int64_t base_unix_seconds);
  RtcCmos(const RtcCmos&) = delete;
  RtcCmos& operator=(const RtcCmos&) = delete;

  void attach(IoBus& io);

  void write_index(uint8_t value) { index_ = value & 0x7F; }
  uint8_t read_data();
  void write_data(uint8_t value);

  // The BIOS data area of CMOS: memory sizes for `memory_bytes` of RAM.
  void set_memory_size(uint64_t memory_bytes);
  // A byte of CMOS RAM as a BIOS would have set it (e.g. 0x12, disk types); keeps the
  // 0x10-0x2D checksum at 0x2E/0x2F right.
  void set_ram(uint8_t index, uint8_t value);
  uint8_t ram(uint8_t index) const { return ram_[index & 0x7F]; }

  // Machine state save, restore and digests (machine/machine_state.cpp): clock anchors, CMOS RAM,
  // latched flags. The timer's deadline is saved with the scheduler's.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(base_, phase_, frozen_, ram_, index_, flags_, flags_since_, irq_level_);
  }
  // Empty if a restored state is one this clock can run from; else what is wrong.
  std::string check_state() const { return index_ < 128 ? std::string() : std::string("rtc: CMOS index out of range"); }

  // The clock now, in Unix seconds.
  int64_t unix_seconds() const;

 private:
  uint64_t since_second_start() const;  // instructions into the current second
  uint8_t encode(unsigned value) const;
  unsigned decode(uint8_t value) const;
  uint8_t read_time_register(uint8_t index) const;
  void write_time_register(uint8_t index, uint8_t value);
  void set_clock(int64_t unix_seconds);
  uint8_t pending_flags() const;  // C flags raised since C was last read
  void update_irq();
  void reschedule();
  static void on_timer(void* rtc, uint64_t now);
  uint32_t periodic_ticks() const;  // period in 32768 Hz ticks, 0 if off

  Scheduler& scheduler_;
  GuestClock clock_;
  IrqLine irq8_;
  int timer_ = -1;
  int64_t base_;          // Unix seconds at instruction count 0 (adjusted when the guest sets the clock)
  uint64_t phase_ = 0;    // instructions of the first second already gone at count 0
  int64_t frozen_ = 0;    // the clock while B.SET holds updates
  uint8_t ram_[128] = {};
  uint8_t index_ = 0;
  uint8_t flags_ = 0;         // C flags latched so far
  uint64_t flags_since_ = 0;  // instruction count when C was last read
  bool irq_level_ = false;
};

}  // namespace rw
