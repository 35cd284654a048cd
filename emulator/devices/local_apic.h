// The local APIC of the one CPU (Intel SDM vol. 3, chapter 10, xAPIC mode) at 0xFEE00000,
// and the CPU's interrupt inputs around it: the IMCR at ports 0x22/0x23 and the 8259's INT
// output, which reaches INTR through LINT0 programmed as ExtINT (virtual wire: APIC mode, as
// the BIOS leaves it and the MP table says, so guests that only know the 8259s work
// unchanged) or directly in PIC mode. The LAPIC's own interrupts (I/O APIC messages, its timer, its error LVT,
// self IPIs) go through IRR/ISR/TMR with the TPR's priority classes.
//
// Its timer counts the instruction clock (one bus clock per instruction, as QEMU's 1 GHz bus
// clock is one per nanosecond) through the divide configuration; one-shot and periodic modes.
// Modelled for a single CPU: IPIs are delivered to this CPU when they address it (self,
// all-including-self, its physical ID, broadcast, a logical destination matching its LDR);
// INIT and STARTUP addressed to other processors are accepted and go nowhere (there are
// none), so the ICR's delivery status always reads idle. Not modelled: NMI, SMI and INIT
// delivered to this CPU (ignored), the thermal and performance counter LVTs (registers
// only), TSC-deadline mode (not in CPUID), x2APIC, relocating the APIC (the base MSR keeps
// its value; the registers stay at 0xFEE00000).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/guest_clock.h"
#include "core/mmio_bus.h"
#include "core/scheduler.h"

namespace rw {

class IoBus;

class LocalApic {
 public:
  static constexpr uint64_t kBase = 0xFEE00000, kSize = 0x1000;
  static constexpr uint32_t kVersion = 0x00050014;  // version 0x14, 6 LVT entries (as QEMU's)

  // `intr` is the CPU's INTR pin; `apic_base` the IA32_APIC_BASE MSR (its global enable bit).
  LocalApic(bool& intr, const uint64_t& apic_base, Scheduler& scheduler, GuestClock clock);
  LocalApic(const LocalApic&) = delete;
  LocalApic& operator=(const LocalApic&) = delete;

  void attach(IoBus& io, MmioBus& mmio);
  // The 8259 pair: its INT output (the bool the PIC drives; call pic_changed() after it
  // changes) and its interrupt acknowledge.
  bool& pic_output() { return pic_int_; }
  void pic_changed() { update(); }
  void connect_pic(uint8_t (*acknowledge)(void*), void* pic) {
    pic_ack_ = acknowledge;
    pic_ = pic;
  }
  // Told of an EOI for a level-triggered vector (the I/O APIC clears its remote IRR).
  void connect_eoi(void (*eoi)(void*, uint8_t vector), void* ioapic) {
    eoi_ = eoi;
    eoi_target_ = ioapic;
  }

  // An interrupt message from the I/O APIC (fixed or lowest priority): physical or
  // logical destination, level or edge. Messages for other APIC IDs are dropped.
  void deliver(uint8_t vector, bool level, bool logical, uint8_t destination);
  // The CPU's interrupt acknowledge: the vector to take now.
  uint8_t acknowledge();
  static uint8_t acknowledge_thunk(void* apic) { return static_cast<LocalApic*>(apic)->acknowledge(); }

  // Register access (offset within the 4 KiB page).
  uint32_t read(uint32_t offset) const;
  void write(uint32_t offset, uint32_t value);

  // As SeaBIOS leaves it: software-enabled (spurious vector 0xFF), LINT0 ExtINT, LINT1 NMI
  // (both level-triggered).
  void bios_setup();
  // Whether the 8259's output reaches INTR now (PIC mode, APIC globally disabled, or
  // LINT0 unmasked ExtINT).
  bool pic_reaches_cpu() const;
  // Whether an interrupt of the LAPIC's own could be taken now or later (for a CPU idle in
  // HLT: the timer wakes it whatever happens).
  bool software_enabled() const { return svr_ & 0x100; }
  uint32_t timer_current(uint64_t now) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(id_, tpr_, ldr_, dfr_, svr_, esr_, esr_pending_, icr_lo_, icr_hi_, irr_, isr_, tmr_, lvt_, initial_count_,
       divide_, timer_start_, imcr_select_, imcr_, pic_int_);
  }
  std::string check_state() const;

 private:
  enum Lvt { kTimer, kThermal, kPerf, kLint0, kLint1, kError, kLvtCount };
  // Divide configuration bits 0, 1 and 3: 0b000 divides by 2 ... 0b110 by 128, 0b111 by 1.
  uint64_t divisor() const { return uint64_t{1} << ((((divide_ & 3) | ((divide_ >> 1) & 4)) + 1) & 7); }
  static int highest(const std::array<uint32_t, 8>& bits);
  unsigned ppr() const;
  int deliverable() const;  // the IRR vector to take now, or -1
  void accept(uint8_t vector, bool level);
  void update();
  void eoi();
  void send_ipi();
  void error(uint32_t bit);
  void arm_timer(uint64_t now);
  void timer_fired(uint64_t now);
  static void timer_thunk(void* apic, uint64_t now) { static_cast<LocalApic*>(apic)->timer_fired(now); }

  uint32_t id_ = 0, tpr_ = 0, ldr_ = 0, dfr_ = 0xFFFFFFFF, svr_ = 0xFF, esr_ = 0, esr_pending_ = 0;
  uint32_t icr_lo_ = 0, icr_hi_ = 0;
  std::array<uint32_t, 8> irr_{}, isr_{}, tmr_{};
  std::array<uint32_t, kLvtCount> lvt_;
  uint32_t initial_count_ = 0, divide_ = 0;
  uint64_t timer_start_ = 0;  // the instruction count the current period started at
  uint8_t imcr_select_ = 0, imcr_ = 0;  // IMCR bit 0: 1 = APIC mode (the 8259 goes to LINT0)
  bool pic_int_ = false;

  bool& intr_;
  const uint64_t& apic_base_;
  Scheduler& scheduler_;
  GuestClock clock_;
  int timer_ = -1;
  uint8_t (*pic_ack_)(void*) = nullptr;
  void* pic_ = nullptr;
  void (*eoi_)(void*, uint8_t) = nullptr;
  void* eoi_target_ = nullptr;
};

}  // namespace rw
