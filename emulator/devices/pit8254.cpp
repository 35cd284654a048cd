#include "devices/pit8254.h"

#include "core/guest_time.h"
#include "core/io_bus.h"
#include "core/scheduler.h"

namespace rw {

namespace {

// Port 0x61 bit 4 toggles with DRAM refresh, every 15.085 us.
constexpr uint64_t kRefreshToggleNs = 15085;

uint32_t pit_read(void* device, uint16_t port, unsigned size) {
  uint32_t v = static_cast<Pit8254*>(device)->read(port & 3);
  for (unsigned i = 1; i < size; ++i) v |= 0xFFu << (8 * i);
  return v;
}
void pit_write(void* device, uint16_t port, unsigned, uint32_t value) {
  static_cast<Pit8254*>(device)->write(port & 3, static_cast<uint8_t>(value));
}
uint32_t port61_read(void* device, uint16_t, unsigned size) {
  uint32_t v = static_cast<Pit8254*>(device)->read_port61();
  for (unsigned i = 1; i < size; ++i) v |= 0xFFu << (8 * i);
  return v;
}
void port61_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<Pit8254*>(device)->write_port61(static_cast<uint8_t>(value));
}

}  // namespace

Pit8254::Pit8254(Scheduler& scheduler, GuestClock clock, IrqLine irq0)
    : scheduler_(scheduler), clock_(clock), irq0_(irq0) {
  timer_ = scheduler_.add_timer(on_timer, this, static_cast<int>(irq0_.irq));
  ch_[2].gate = false;  // port 0x61 bit 0 starts clear
}

void Pit8254::attach(IoBus& io) {
  io.map(0x40, 4, PortHandler{this, pit_read, pit_write});
  io.map(0x61, 1, PortHandler{this, port61_read, port61_write});
}

void Pit8254::bios_setup() {
  write(3, 0x34);  // channel 0, lobyte/hibyte, mode 2
  write(0, 0);
  write(0, 0);
}

uint64_t Pit8254::tick() const { return ticks_at(clock_.now(), kHz); }

uint64_t Pit8254::elapsed(const Channel& c) const {
  const uint64_t t = tick();
  return t > c.start_tick ? t - c.start_tick : 0;
}

// OUT after `d` ticks of counting (8254 datasheet, per mode).
bool Pit8254::out_at(const Channel& c, uint64_t d) {
  const uint64_t n = c.reload;
  switch (c.mode) {
    case 0:  // interrupt on terminal count: low until the count runs out
      return d >= n;
    case 1:  // one-shot: low from the trigger until terminal count
      return d >= n;
    case 2:  // rate generator: low for the one tick in which the count is 1
      return n < 2 || d % n != n - 1;
    case 3:  // square wave: high for the first half (rounded up), low for the rest
      return d % n < (n + 1) / 2;
    default:  // 4, 5: strobe: low for one tick when the count reaches 0
      return d != n;
  }
}

// The first d' > d at which OUT changes, or Scheduler::kNever.
uint64_t Pit8254::next_transition(const Channel& c, uint64_t d) {
  const uint64_t n = c.reload;
  switch (c.mode) {
    case 0:
    case 1:
      return d < n ? n : Scheduler::kNever;
    case 2: {
      if (n < 2) return Scheduler::kNever;
      const uint64_t r = d % n;
      return r < n - 1 ? d + (n - 1 - r) : d + 1;
    }
    case 3: {
      const uint64_t half = (n + 1) / 2, r = d % n;
      if (n < 2) return Scheduler::kNever;
      return r < half ? d + (half - r) : d + (n - r);
    }
    default:
      return d < n ? n : d == n ? n + 1 : Scheduler::kNever;
  }
}

uint16_t Pit8254::count(int n) const {
  const Channel& c = ch_[n];
  if (!c.counting) return static_cast<uint16_t>(c.reload);
  const uint64_t d = elapsed(c), r = c.reload;
  switch (c.mode) {
    case 2:
      return static_cast<uint16_t>(r - d % r);
    case 3:
      // Counts down by two each tick, twice per period (QEMU's approximation).
      return static_cast<uint16_t>(r - (2 * d) % r);
    default:
      return static_cast<uint16_t>(r - d);  // wraps to 0xFFFF after terminal count
  }
}

bool Pit8254::out(int n) const {
  const Channel& c = ch_[n];
  if (!c.counting) return c.mode != 0;  // mode 0: low from the control word until counting ends
  return out_at(c, elapsed(c));
}

void Pit8254::reschedule() {
  Channel& c = ch_[0];
  const bool level = out(0);
  if (level != c.out) {
    c.out = level;
    irq0_.set(level);
  }
  if (!c.counting) {
    scheduler_.disarm(timer_);
    return;
  }
  const uint64_t next = next_transition(c, elapsed(c));
  if (next == Scheduler::kNever)
    scheduler_.disarm(timer_);
  else
    scheduler_.arm(timer_, icount_of_tick(c.start_tick + next, kHz));
}

void Pit8254::on_timer(void* pit, uint64_t) { static_cast<Pit8254*>(pit)->reschedule(); }

void Pit8254::load(int n, uint32_t value) {
  Channel& c = ch_[n];
  c.reload = value == 0 ? 0x10000 : value;
  c.null_count = false;
  // Modes 1 and 5 wait for a gate trigger; the others count from now (modes 2 and 3
  // only while the gate is high).
  c.counting = !(c.mode == 1 || c.mode == 5);
  c.start_tick = tick();
  if (n == 0) reschedule();
}

void Pit8254::set_gate(int n, bool level) {
  Channel& c = ch_[n];
  const bool rising = level && !c.gate;
  c.gate = level;
  // A rising gate (re)starts modes 1, 2, 3 and 5; modes 0 and 4 would pause while it is
  // low, which QEMU does not model either.
  if (rising && !c.null_count && c.mode != 0 && c.mode != 4) {
    c.counting = true;
    c.start_tick = tick();
    if (n == 0) reschedule();
  }
}

void Pit8254::latch_count(Channel& c) {
  if (c.count_latched) return;  // the first latch holds until read
  c.latched_count = count(static_cast<int>(&c - ch_));
  c.count_latched = true;
  c.latched_high_next = false;
}

void Pit8254::latch_status(int n) {
  Channel& c = ch_[n];
  if (c.status_latched) return;
  c.latched_status = static_cast<uint8_t>((out(n) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | (c.access << 4) |
                                          (c.mode << 1) | (c.bcd ? 1 : 0));
  c.status_latched = true;
}

uint8_t Pit8254::read(unsigned offset) {
  if (offset == 3) return 0xFF;  // the control word register cannot be read
  Channel& c = ch_[offset];
  if (c.status_latched) {
    c.status_latched = false;
    return c.latched_status;
  }
  auto byte_of = [&](uint16_t v, bool& high_next) -> uint8_t {
    switch (c.access) {
      case 1: return static_cast<uint8_t>(v);
      case 2: return static_cast<uint8_t>(v >> 8);
      default: {
        const bool high = high_next;
        high_next = !high_next;
        return static_cast<uint8_t>(high ? v >> 8 : v);
      }
    }
  };
  if (c.count_latched) {
    const uint8_t b = byte_of(c.latched_count, c.latched_high_next);
    if (c.access != 3 || !c.latched_high_next) c.count_latched = false;  // fully read
    return b;
  }
  return byte_of(count(static_cast<int>(offset)), c.read_high_next);
}

void Pit8254::write(unsigned offset, uint8_t value) {
  if (offset == 3) {
    const unsigned select = value >> 6;
    if (select == 3) {  // read-back: bit 5 clear latches counts, bit 4 clear latches status
      for (int n = 0; n < 3; ++n) {
        if (!(value & (2u << n))) continue;
        if (!(value & 0x20)) latch_count(ch_[n]);
        if (!(value & 0x10)) latch_status(n);
      }
      return;
    }
    Channel& c = ch_[select];
    const unsigned access = (value >> 4) & 3;
    if (access == 0) {  // counter latch command
      latch_count(c);
      return;
    }
    c.access = static_cast<uint8_t>(access);
    c.mode = static_cast<uint8_t>((value >> 1) & 7);
    if (c.mode > 5) c.mode -= 4;  // 6 and 7 are aliases of 2 and 3
    c.bcd = value & 1;
    c.write_high_next = c.read_high_next = false;
    c.count_latched = c.status_latched = false;
    c.null_count = true;
    c.counting = false;  // a new control word stops the counter until a count is written
    if (select == 0) reschedule();
    return;
  }
  Channel& c = ch_[offset];
  switch (c.access) {
    case 1:
      load(static_cast<int>(offset), value);
      break;
    case 2:
      load(static_cast<int>(offset), static_cast<uint32_t>(value) << 8);
      break;
    default:
      if (!c.write_high_next) {
        c.write_low = value;
        c.write_high_next = true;
      } else {
        c.write_high_next = false;
        load(static_cast<int>(offset), c.write_low | (static_cast<uint32_t>(value) << 8));
      }
      break;
  }
}

uint8_t Pit8254::read_port61() {
  const bool refresh = (clock_.now() / kRefreshToggleNs) & 1;
  return static_cast<uint8_t>((port61_ & 3) | (refresh ? 0x10 : 0) | (out(2) ? 0x20 : 0));
}

void Pit8254::write_port61(uint8_t value) {
  port61_ = value & 3;
  set_gate(2, value & 1);
}

}  // namespace rw
