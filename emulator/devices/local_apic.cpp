#include "devices/local_apic.h"

#include "core/io_bus.h"

namespace rw {

namespace {

constexpr uint32_t kMasked = 1u << 16;
constexpr uint32_t kSvrEnable = 1u << 8;
constexpr uint64_t kGlobalEnable = 1u << 11;
// Delivery modes (LVT and ICR bits 8-10).
constexpr uint32_t kFixed = 0, kLowest = 1, kNmi = 4, kInit = 5, kStartup = 6, kExtInt = 7;
// ESR bits.
constexpr uint32_t kSendIllegalVector = 1u << 5, kReceiveIllegalVector = 1u << 6, kIllegalRegister = 1u << 7;
// The LVT registers' writable bits: vector, delivery mode (not for the timer and error),
// polarity, trigger mode (LINT0/1 only), mask, timer mode.
constexpr uint32_t kLvtWritable[] = {0x000700FF, 0x000107FF, 0x000107FF, 0x0001A7FF, 0x0001A7FF, 0x000100FF};

}  // namespace

LocalApic::LocalApic(bool& intr, const uint64_t& apic_base, Scheduler& scheduler, GuestClock clock)
    : intr_(intr), apic_base_(apic_base), scheduler_(scheduler), clock_(clock) {
  lvt_.fill(kMasked);
}

void LocalApic::attach(IoBus& io, MmioBus& mmio) {
  timer_ = scheduler_.add_timer(timer_thunk, this);
  io.map(0x22, 2,
         {this,
          [](void* d, uint16_t port, unsigned) -> uint32_t {
            auto* a = static_cast<LocalApic*>(d);
            if (port == 0x22) return a->imcr_select_;
            return a->imcr_select_ == 0x70 ? a->imcr_ : 0xFF;
          },
          [](void* d, uint16_t port, unsigned, uint32_t value) {
            auto* a = static_cast<LocalApic*>(d);
            if (port == 0x22) {
              a->imcr_select_ = static_cast<uint8_t>(value);
            } else if (a->imcr_select_ == 0x70) {
              a->imcr_ = value & 1;
              a->update();
            }
          }});
  mmio.map(kBase, kSize,
           {this,
            [](void* d, uint64_t offset, unsigned size) -> uint64_t {
              // 32-bit registers on 16-byte boundaries; narrower reads see their bytes.
              const uint32_t reg = static_cast<LocalApic*>(d)->read(static_cast<uint32_t>(offset & ~uint64_t{15}));
              const unsigned byte = offset & 15;
              const uint64_t v = byte < 4 ? uint64_t{reg} >> (byte * 8) : 0;
              return size == 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
            },
            [](void* d, uint64_t offset, unsigned size, uint64_t value) {
              // Only aligned 32-bit (or wider) writes reach a register (the SDM leaves others undefined).
              if ((offset & 15) == 0 && size >= 4) static_cast<LocalApic*>(d)->write(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
            },
            [](void* d, uint64_t offset, unsigned size, uint64_t& value) {
              // Reads have no side effects: the debugger may read the registers.
              const uint32_t reg = static_cast<LocalApic*>(d)->read(static_cast<uint32_t>(offset & ~uint64_t{15}));
              const unsigned byte = offset & 15;
              value = byte < 4 ? uint64_t{reg} >> (byte * 8) : 0;
              if (size < 8) value &= (uint64_t{1} << (size * 8)) - 1;
              return true;
            }});
}

void LocalApic::bios_setup() {
  svr_ = 0xFF | kSvrEnable;
  // SeaBIOS writes them with the level trigger bit (0x8700, 0x8400), as QEMU reads back.
  lvt_[kLint0] = 0x8000 | kExtInt << 8;
  lvt_[kLint1] = 0x8000 | kNmi << 8;
  // The MP table says virtual wire (no IMCR, as SeaBIOS's): the 8259 reaches the CPU through
  // LINT0 only, so a guest that masks LINT0 (xv6, Linux) cuts it off, as on QEMU. In PIC mode
  // an 8259 request raised before the guest masked the 8259s (during a disk boot, say) would
  // still reach INTR and arrive as a spurious IRQ 7.
  imcr_ = 1;
  update();
}

int LocalApic::highest(const std::array<uint32_t, 8>& bits) {
  for (int w = 7; w >= 0; --w)
    if (bits[w]) return w * 32 + 31 - __builtin_clz(bits[w]);
  return -1;
}

unsigned LocalApic::ppr() const {
  const int isrv = highest(isr_);
  const unsigned isr_class = isrv < 0 ? 0 : static_cast<unsigned>(isrv) & 0xF0;
  return (tpr_ & 0xF0) >= isr_class ? tpr_ & 0xFF : isr_class;
}

int LocalApic::deliverable() const {
  if (!(apic_base_ & kGlobalEnable) || !software_enabled()) return -1;
  const int irrv = highest(irr_);
  if (irrv < 0 || static_cast<unsigned>(irrv & 0xF0) <= (ppr() & 0xF0)) return -1;
  return irrv;
}

bool LocalApic::pic_reaches_cpu() const {
  if (!(imcr_ & 1) || !(apic_base_ & kGlobalEnable)) return true;
  const uint32_t lint0 = lvt_[kLint0];
  return !(lint0 & kMasked) && ((lint0 >> 8) & 7) == kExtInt;
}

void LocalApic::update() { intr_ = deliverable() >= 0 || (pic_int_ && pic_reaches_cpu()); }

uint8_t LocalApic::acknowledge() {
  // As QEMU: the LAPIC's own interrupt first, then the 8259's (ExtINT, not prioritised).
  if (const int v = deliverable(); v >= 0) {
    irr_[v / 32] &= ~(1u << (v % 32));
    isr_[v / 32] |= 1u << (v % 32);
    update();
    return static_cast<uint8_t>(v);
  }
  if (pic_int_ && pic_reaches_cpu() && pic_ack_) return pic_ack_(pic_);  // the PIC calls pic_changed()
  // INTR went away between the request and the acknowledge (the TPR was raised): the
  // spurious vector, nothing put in service.
  update();
  return static_cast<uint8_t>(svr_ & 0xFF);
}

void LocalApic::accept(uint8_t vector, bool level) {
  if (vector < 16) {
    error(kReceiveIllegalVector);
    return;
  }
  irr_[vector / 32] |= 1u << (vector % 32);
  if (level)
    tmr_[vector / 32] |= 1u << (vector % 32);
  else
    tmr_[vector / 32] &= ~(1u << (vector % 32));
  update();
}

void LocalApic::deliver(uint8_t vector, bool level, bool logical, uint8_t destination) {
  const uint8_t id = static_cast<uint8_t>(id_ >> 24);
  const bool ours = logical ? (destination & (ldr_ >> 24)) != 0 || destination == 0xFF
                            : destination == id || destination == 0xFF;
  if (ours) accept(vector, level);
}

void LocalApic::error(uint32_t bit) {
  esr_pending_ |= bit;
  const uint32_t lvt = lvt_[kError];
  // An illegal error vector would raise another error: the SDM leaves it at one.
  if (!(lvt & kMasked) && (lvt & 0xFF) >= 16) accept(static_cast<uint8_t>(lvt & 0xFF), false);
}

void LocalApic::eoi() {
  const int v = highest(isr_);
  if (v < 0) return;
  isr_[v / 32] &= ~(1u << (v % 32));
  if (tmr_[v / 32] & (1u << (v % 32))) {
    tmr_[v / 32] &= ~(1u << (v % 32));
    if (eoi_) eoi_(eoi_target_, static_cast<uint8_t>(v));
  }
  update();
}

void LocalApic::send_ipi() {
  const uint32_t mode = (icr_lo_ >> 8) & 7;
  const uint8_t vector = icr_lo_ & 0xFF;
  const unsigned shorthand = (icr_lo_ >> 18) & 3;
  bool to_self;
  switch (shorthand) {
    case 1: to_self = true; break;   // self
    case 2: to_self = true; break;   // all including self
    case 3: to_self = false; break;  // all excluding self: there is nobody else
    default: {
      const uint8_t dest = static_cast<uint8_t>(icr_hi_ >> 24);
      to_self = (icr_lo_ & (1u << 11)) ? (dest & (ldr_ >> 24)) != 0 || dest == 0xFF
                                       : dest == static_cast<uint8_t>(id_ >> 24) || dest == 0xFF;
    }
  }
  if (mode == kFixed || mode == kLowest) {
    if (vector < 16) {
      error(kSendIllegalVector);
      return;
    }
    if (to_self) accept(vector, false);
  }
  // INIT, STARTUP, NMI, SMI: no other processor to receive them, and this one's are not
  // modelled. The message is sent at once either way: delivery status stays idle.
}

uint32_t LocalApic::timer_current(uint64_t now) const {
  if (initial_count_ == 0) return 0;
  const uint64_t ticks = (now - timer_start_) / divisor();
  const bool periodic = (lvt_[kTimer] >> 17) & 1;
  if (periodic) return initial_count_ - static_cast<uint32_t>(ticks % initial_count_);
  return ticks >= initial_count_ ? 0 : initial_count_ - static_cast<uint32_t>(ticks);
}

void LocalApic::arm_timer(uint64_t now) {
  if (initial_count_ == 0) {
    scheduler_.disarm(timer_);
    return;
  }
  const uint64_t end = timer_start_ + uint64_t{initial_count_} * divisor();
  if (end <= now) {
    scheduler_.disarm(timer_);  // a one-shot count that ran out
    return;
  }
  scheduler_.arm(timer_, end);
}

void LocalApic::timer_fired(uint64_t now) {
  const uint32_t lvt = lvt_[kTimer];
  if ((lvt >> 17) & 1) {
    timer_start_ += uint64_t{initial_count_} * divisor();
    arm_timer(now);
  }
  if (!(lvt & kMasked)) accept(static_cast<uint8_t>(lvt & 0xFF), false);
}

uint32_t LocalApic::read(uint32_t offset) const {
  switch (offset) {
    case 0x20: return id_;
    case 0x30: return kVersion;
    case 0x80: return tpr_;
    case 0x90: return 0;  // arbitration priority: not meaningful on one CPU
    case 0xA0: return ppr();
    case 0xD0: return ldr_;
    case 0xE0: return dfr_;
    case 0xF0: return svr_;
    case 0x280: return esr_;
    case 0x300: return icr_lo_;
    case 0x310: return icr_hi_;
    case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370:
      return lvt_[(offset - 0x320) / 16];
    case 0x380: return initial_count_;
    case 0x390: return timer_current(clock_.now());
    case 0x3E0: return divide_;
    default: break;
  }
  if (offset >= 0x100 && offset < 0x180) return isr_[(offset - 0x100) / 16];
  if (offset >= 0x180 && offset < 0x200) return tmr_[(offset - 0x180) / 16];
  if (offset >= 0x200 && offset < 0x280) return irr_[(offset - 0x200) / 16];
  return 0;  // reserved and write-only registers (EOI) read as zero
}

void LocalApic::write(uint32_t offset, uint32_t value) {
  switch (offset) {
    case 0x20: id_ = value & 0xFF000000; return;
    case 0x80:
      tpr_ = value & 0xFF;
      update();
      return;
    case 0xB0: eoi(); return;
    case 0xD0: ldr_ = value & 0xFF000000; return;
    case 0xE0: dfr_ = value | 0x0FFFFFFF; return;
    case 0xF0:
      svr_ = value & 0x1FF;
      // Software-disabled: every LVT entry masked (SDM 10.4.7.2).
      if (!software_enabled())
        for (uint32_t& l : lvt_) l |= kMasked;
      update();
      return;
    case 0x280:
      // A write latches the errors found since the last one.
      esr_ = esr_pending_;
      esr_pending_ = 0;
      return;
    case 0x300:
      icr_lo_ = value & ~(1u << 12);
      send_ipi();
      return;
    case 0x310: icr_hi_ = value & 0xFF000000; return;
    case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370: {
      const int n = static_cast<int>((offset - 0x320) / 16);
      const uint32_t old = lvt_[n];
      lvt_[n] = (old & ~kLvtWritable[n]) | (value & kLvtWritable[n]);
      if (!software_enabled()) lvt_[n] |= kMasked;
      if (n == kTimer && ((old ^ lvt_[n]) >> 17) & 1) {
        // A mode change restarts nothing; the count goes on in the new mode.
        arm_timer(clock_.now());
      }
      update();
      return;
    }
    case 0x380: {
      const uint64_t now = clock_.now();
      initial_count_ = value;
      timer_start_ = now;
      arm_timer(now);
      return;
    }
    case 0x3E0: {
      // The count goes on from where it is, at the new rate.
      const uint64_t now = clock_.now();
      const uint32_t current = timer_current(now);
      divide_ = value & 0xB;
      if (initial_count_ && current) {
        timer_start_ = now - uint64_t{initial_count_ - current} * divisor();
        arm_timer(now);
      }
      return;
    }
    case 0x30: case 0x90: case 0xA0: case 0xC0: case 0x390:
      return;  // read-only
    default:
      if (offset >= 0x100 && offset < 0x280) return;  // ISR, TMR, IRR: read-only
      error(kIllegalRegister);
      return;
  }
}

std::string LocalApic::check_state() const {
  if (imcr_ > 1) return "local apic: IMCR value out of range";
  return {};
}

}  // namespace rw
