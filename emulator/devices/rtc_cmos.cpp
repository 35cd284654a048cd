#include "devices/rtc_cmos.h"

#include <algorithm>

#include "core/guest_time.h"
#include "core/io_bus.h"
#include "core/scheduler.h"

namespace rw {

namespace {

constexpr uint64_t kSecond = kInstructionsPerSecond;
constexpr uint64_t kRtcHz = 32768;

// Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second, weekday;  // weekday 1 = Sunday, as the RTC counts
};

Civil civil_from_unix(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  const int64_t secs = t - days * 86400;
  Civil c{};
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7) + 1;  // 1970-01-01 was a Thursday (5)
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<int64_t>(yoe) + era * 400 + (c.month <= 2);
  return c;
}

int64_t unix_from_civil(const Civil& c) {
  return days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
}

uint32_t data_read(void* device, uint16_t port, unsigned size) {
  uint32_t v = (port & 1) ? static_cast<RtcCmos*>(device)->read_data() : 0xFF;
  for (unsigned i = 1; i < size; ++i) v |= 0xFFu << (8 * i);
  return v;
}
void data_write(void* device, uint16_t port, unsigned, uint32_t value) {
  auto* rtc = static_cast<RtcCmos*>(device);
  if (port & 1)
    rtc->write_data(static_cast<uint8_t>(value));
  else
    rtc->write_index(static_cast<uint8_t>(value));
}

}  // namespace

RtcCmos::RtcCmos(Scheduler& scheduler, GuestClock clock, IrqLine irq8, int64_t base_unix_seconds)
    : scheduler_(scheduler), clock_(clock), irq8_(irq8), base_(base_unix_seconds) {
  timer_ = scheduler_.add_timer(on_timer, this, static_cast<int>(irq8_.irq));
  ram_[kStatusA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate (as a BIOS leaves it)
  ram_[kStatusB] = k24Hour;  // BCD, 24-hour
  ram_[kStatusD] = 0x80;  // valid RAM and time
  flags_since_ = clock_.now();
}

void RtcCmos::attach(IoBus& io) { io.map(0x70, 2, PortHandler{this, data_read, data_write}); }

void RtcCmos::set_ram(uint8_t index, uint8_t value) {
  index &= 0x7F;
  ram_[index] = value;
  if (index >= 0x10 && index <= 0x2D) {
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2D; ++i) sum += ram_[i];
    ram_[0x2E] = static_cast<uint8_t>(sum >> 8);
    ram_[0x2F] = static_cast<uint8_t>(sum);
  }
}

void RtcCmos::set_memory_size(uint64_t memory_bytes) {
  constexpr uint64_t kMiB = 1ull << 20, k4GiB = 4096 * kMiB;
  auto set16 = [&](uint8_t index, uint64_t value) {
    value = std::min<uint64_t>(value, 0xFFFF);
    set_ram(index, static_cast<uint8_t>(value));
    set_ram(static_cast<uint8_t>(index + 1), static_cast<uint8_t>(value >> 8));
  };
  const uint64_t below_4g = std::min(memory_bytes, k4GiB);
  set16(0x15, 640);                                                  // base memory, KiB
  const uint64_t extended_kib = below_4g > kMiB ? (below_4g - kMiB) / 1024 : 0;
  set16(0x17, extended_kib);                                         // memory above 1 MiB, KiB
  set16(0x30, extended_kib);                                         // the same, as POST found it
  set16(0x34, below_4g > 16 * kMiB ? (below_4g - 16 * kMiB) >> 16 : 0);  // above 16 MiB, 64 KiB blocks
  const uint64_t above_4g = memory_bytes > k4GiB ? (memory_bytes - k4GiB) >> 16 : 0;  // 64 KiB blocks
  set_ram(0x5B, static_cast<uint8_t>(above_4g));
  set_ram(0x5C, static_cast<uint8_t>(above_4g >> 8));
  set_ram(0x5D, static_cast<uint8_t>(above_4g >> 16));
}

uint64_t RtcCmos::since_second_start() const { return (clock_.now() + phase_) % kSecond; }

int64_t RtcCmos::unix_seconds() const {
  if (ram_[kStatusB] & kSet) return frozen_;
  return base_ + static_cast<int64_t>((clock_.now() + phase_) / kSecond);
}

void RtcCmos::set_clock(int64_t unix_seconds) {
  if (ram_[kStatusB] & kSet)
    frozen_ = unix_seconds;
  else
    base_ = unix_seconds - static_cast<int64_t>((clock_.now() + phase_) / kSecond);
}

uint8_t RtcCmos::encode(unsigned value) const {
  if (ram_[kStatusB] & kBinary) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>(((value / 10) << 4) | (value % 10));
}

unsigned RtcCmos::decode(uint8_t value) const {
  if (ram_[kStatusB] & kBinary) return value;
  return (value >> 4) * 10 + (value & 0x0F);
}

uint8_t RtcCmos::read_time_register(uint8_t index) const {
  const Civil c = civil_from_unix(unix_seconds());
  switch (index) {
    case kSeconds: return encode(c.second);
    case kMinutes: return encode(c.minute);
    case kHours:
      if (ram_[kStatusB] & k24Hour) return encode(c.hour);
      return static_cast<uint8_t>(encode(c.hour % 12 == 0 ? 12 : c.hour % 12) | (c.hour >= 12 ? 0x80 : 0));
    case kWeekday: return encode(c.weekday);
    case kDay: return encode(c.day);
    case kMonth: return encode(c.month);
    case kYear: return encode(static_cast<unsigned>(((c.year % 100) + 100) % 100));
    default: return encode(static_cast<unsigned>(c.year / 100));  // century
  }
}

void RtcCmos::write_time_register(uint8_t index, uint8_t value) {
  Civil c = civil_from_unix(unix_seconds());
  switch (index) {
    case kSeconds: c.second = std::min(decode(value), 59u); break;
    case kMinutes: c.minute = std::min(decode(value), 59u); break;
    case kHours:
      if (ram_[kStatusB] & k24Hour) {
        c.hour = std::min(decode(value), 23u);
      } else {
        const unsigned h = decode(value & 0x7F) % 12;
        c.hour = h + ((value & 0x80) ? 12 : 0);
      }
      break;
    case kWeekday: return;  // derived from the date
    case kDay: c.day = std::clamp(decode(value), 1u, 31u); break;
    case kMonth: c.month = std::clamp(decode(value), 1u, 12u); break;
    case kYear: c.year = c.year / 100 * 100 + std::min(decode(value), 99u); break;
    default: c.year = static_cast<int64_t>(decode(value)) * 100 + c.year % 100; break;  // century
  }
  set_clock(unix_from_civil(c));
}

uint32_t RtcCmos::periodic_ticks() const {
  const unsigned rate = ram_[kStatusA] & 0x0F;
  if (rate == 0) return 0;
  if (rate <= 2) return 1u << (rate + 6);  // rates 1 and 2 are 256 Hz and 128 Hz
  return 1u << (rate - 1);
}

uint8_t RtcCmos::pending_flags() const {
  uint8_t f = flags_;
  const uint64_t from = flags_since_, to = clock_.now();
  if (const uint32_t p = periodic_ticks(); p && ticks_at(to, kRtcHz) / p > ticks_at(from, kRtcHz) / p) f |= kPf;
  if (!(ram_[kStatusB] & kSet) && (to + phase_) / kSecond > (from + phase_) / kSecond) {
    f |= kUf;
    // The alarm matches when every field is equal or "don't care" (two top bits set).
    bool match = true;
    for (uint8_t field : {kSeconds, kMinutes, kHours}) {
      const uint8_t alarm = ram_[field + 1];
      if ((alarm & 0xC0) != 0xC0 && alarm != read_time_register(field)) match = false;
    }
    if (match) f |= kAf;
  }
  return f;
}

void RtcCmos::update_irq() {
  flags_ = pending_flags();
  flags_since_ = clock_.now();
  const bool level = flags_ & ram_[kStatusB] & (kPf | kAf | kUf);
  if (level != irq_level_) {
    irq_level_ = level;
    irq8_.set(level);
  }
}

void RtcCmos::reschedule() {
  uint64_t next = Scheduler::kNever;
  const uint8_t b = ram_[kStatusB];
  if (const uint32_t p = periodic_ticks(); p && (b & kPie))
    next = icount_of_tick((ticks_at(clock_.now(), kRtcHz) / p + 1) * p, kRtcHz);
  if ((b & (kUie | kAie)) && !(b & kSet)) next = std::min(next, clock_.now() + (kSecond - since_second_start()));
  if (next == Scheduler::kNever)
    scheduler_.disarm(timer_);
  else
    scheduler_.arm(timer_, next);
}

void RtcCmos::on_timer(void* device, uint64_t) {
  auto* rtc = static_cast<RtcCmos*>(device);
  rtc->update_irq();
  rtc->reschedule();
}

uint8_t RtcCmos::read_data() {
  switch (index_) {
    case kSeconds: case kMinutes: case kHours: case kWeekday: case kDay: case kMonth: case kYear: case kCentury:
      return read_time_register(index_);
    case kStatusA: {
      const bool uip = !(ram_[kStatusB] & kSet) && since_second_start() >= kSecond - kUipInstructions;
      return static_cast<uint8_t>((ram_[kStatusA] & 0x7F) | (uip ? kUip : 0));
    }
    case kStatusC: {
      // Reading C returns the flags raised since the last read and clears them.
      const uint8_t f = pending_flags();
      const uint8_t value = static_cast<uint8_t>(f | ((f & ram_[kStatusB] & 0x70) ? kIrqf : 0));
      flags_ = 0;
      flags_since_ = clock_.now();
      update_irq();
      return value;
    }
    default:
      return ram_[index_];
  }
}

void RtcCmos::write_data(uint8_t value) {
  switch (index_) {
    case kSeconds: case kMinutes: case kHours: case kWeekday: case kDay: case kMonth: case kYear: case kCentury:
      write_time_register(index_, value);
      return;
    case kStatusA:
      ram_[kStatusA] = value & 0x7F;
      update_irq();
      reschedule();
      return;
    case kStatusB: {
      const uint8_t old = ram_[kStatusB];
      update_irq();  // flags up to now count under the old settings
      if ((value & kSet) && !(old & kSet)) {
        frozen_ = unix_seconds();
        value &= static_cast<uint8_t>(~kUie);  // SET clears UIE
      } else if (!(value & kSet) && (old & kSet)) {
        ram_[kStatusB] = value;
        set_clock(frozen_);
      }
      ram_[kStatusB] = value;
      update_irq();
      reschedule();
      return;
    }
    case kStatusC:
    case kStatusD:
      return;  // read-only
    default:
      set_ram(index_, value);
      return;
  }
}

}  // namespace rw
