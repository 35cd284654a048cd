// The local APIC and the I/O APIC as devices, on their own: registers through the MMIO bus,
// priorities, EOI, the timer on a hand-driven instruction clock, routing and remote IRR.
#include <gtest/gtest.h>

#include "core/io_bus.h"
#include "core/mmio_bus.h"
#include "core/scheduler.h"
#include "devices/io_apic.h"
#include "devices/local_apic.h"
#include "devices/pic8259.h"

namespace rw {
namespace {

constexpr uint64_t kLapic = LocalApic::kBase, kIoApic = IoApic::kBase;

class ApicTest : public ::testing::Test {
 protected:
  ApicTest() : lapic_(intr_, apic_base_, scheduler_, GuestClock::of(now_)), ioapic_(lapic_), pic_(lapic_.pic_output()) {
    lapic_.attach(io_, mmio_);
    ioapic_.attach(mmio_);
    lapic_.connect_eoi(IoApic::eoi_thunk, &ioapic_);
    pic_.set_output_listener([](void* a) { static_cast<LocalApic*>(a)->pic_changed(); }, &lapic_);
    pic_.attach(io_);
    lapic_.connect_pic(Pic8259::acknowledge_thunk, &pic_);
    lapic_.bios_setup();
    pic_.bios_setup(0xFF, 0xFF);
  }
  uint32_t lapic(uint32_t reg) { return static_cast<uint32_t>(mmio_.read(kLapic + reg, 4)); }
  void lapic(uint32_t reg, uint32_t v) { mmio_.write(kLapic + reg, 4, v); }
  uint32_t ioapic(uint8_t reg) {
    mmio_.write(kIoApic, 4, reg);
    return static_cast<uint32_t>(mmio_.read(kIoApic + 0x10, 4));
  }
  void ioapic(uint8_t reg, uint32_t v) {
    mmio_.write(kIoApic, 4, reg);
    mmio_.write(kIoApic + 0x10, 4, v);
  }
  void self_ipi(uint8_t vector) { lapic(0x300, 0x40000 | vector); }
  // Advance the instruction clock to `t`, firing timers on the way.
  void run_to(uint64_t t) {
    for (uint64_t d; (d = scheduler_.next_deadline()) <= t;) {
      now_ = d;
      scheduler_.run_due(d);
    }
    now_ = t;
  }
  bool bit(uint32_t base, uint8_t v) { return (lapic(base + (v / 32) * 16) >> (v % 32)) & 1; }

  bool intr_ = false;
  uint64_t apic_base_ = 0xFEE00900;
  uint64_t now_ = 0;
  Scheduler scheduler_;
  IoBus io_;
  MmioBus mmio_;
  LocalApic lapic_;
  IoApic ioapic_;
  Pic8259 pic_;
};

TEST_F(ApicTest, RegistersAfterTheBios) {
  EXPECT_EQ(lapic(0x30), 0x00050014u);
  EXPECT_EQ(lapic(0xF0), 0x1FFu);
  EXPECT_EQ(lapic(0x350), 0x8700u);
  EXPECT_EQ(lapic(0x360), 0x8400u);
  EXPECT_EQ(lapic(0x320), 0x10000u);
  EXPECT_EQ(ioapic(1), 0x00170020u);
  for (uint8_t r = 0x10; r < 0x10 + 48; r += 2) EXPECT_EQ(ioapic(r), 0x10000u);
  uint64_t v = 0;
  EXPECT_TRUE(mmio_.peek(kLapic + 0x30, 4, v));
  EXPECT_EQ(v, 0x00050014u);
  EXPECT_EQ(mmio_.read(0xFED00000, 4), 0xFFFFFFFFu);  // nothing there
  EXPECT_FALSE(mmio_.write(0xFED00000, 4, 1));
}

TEST_F(ApicTest, SelfIpisComeHighestClassFirstAndEoiClearsTheHighestInService) {
  self_ipi(0x45);
  self_ipi(0x75);
  self_ipi(0x55);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x75);
  EXPECT_EQ(lapic(0xA0), 0x70u);  // PPR
  EXPECT_FALSE(intr_);            // 0x55 and 0x45 are of lower classes
  lapic(0xB0, 0);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x55);
  lapic(0xB0, 0);
  EXPECT_EQ(lapic_.acknowledge(), 0x45);
  lapic(0xB0, 0);
  EXPECT_FALSE(intr_);
  EXPECT_EQ(lapic(0x100 + 0x40 / 32 * 16), 0u);
}

TEST_F(ApicTest, TprHoldsBackItsClassAndBelow) {
  lapic(0x80, 0x50);
  self_ipi(0x55);
  EXPECT_FALSE(intr_);
  EXPECT_TRUE(bit(0x200, 0x55));
  self_ipi(0x65);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x65);
  lapic(0xB0, 0);
  lapic(0x80, 0);
  EXPECT_EQ(lapic_.acknowledge(), 0x55);
}

TEST_F(ApicTest, AcknowledgeWithNothingDeliverableGivesTheSpuriousVector) {
  lapic(0xF0, 0x1EF);
  EXPECT_EQ(lapic_.acknowledge(), 0xEF);
  EXPECT_EQ(lapic(0x100 + 0xE0 / 32 * 16), 0u);
}

TEST_F(ApicTest, OneShotTimerCountsTheInstructionClockThroughTheDivider) {
  lapic(0x3E0, 0x1);  // divide by 4
  lapic(0x320, 0x40);
  lapic(0x380, 100);
  run_to(40);
  EXPECT_EQ(lapic(0x390), 90u);
  run_to(399);
  EXPECT_FALSE(intr_);
  run_to(400);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic(0x390), 0u);
  EXPECT_EQ(lapic_.acknowledge(), 0x40);
  lapic(0xB0, 0);
  run_to(10000);
  EXPECT_FALSE(intr_);  // once only
}

TEST_F(ApicTest, PeriodicTimerReloadsAndMaskedTimerStillCounts) {
  lapic(0x3E0, 0xB);  // divide by 1
  lapic(0x320, 0x20040);
  lapic(0x380, 50);
  int interrupts = 0;
  for (uint64_t t = 1; t <= 500; ++t) {
    run_to(t);
    if (intr_) {
      EXPECT_EQ(t % 50, 0u);
      lapic_.acknowledge();
      lapic(0xB0, 0);
      ++interrupts;
    }
  }
  EXPECT_EQ(interrupts, 10);
  lapic(0x320, 0x30040);
  run_to(1000);
  EXPECT_FALSE(intr_);
  EXPECT_NE(lapic(0x390), 0u);
}

TEST_F(ApicTest, ChangingTheDividerKeepsTheCurrentCount) {
  lapic(0x3E0, 0xB);
  lapic(0x320, 0x10040);
  lapic(0x380, 1000);
  run_to(100);
  lapic(0x3E0, 0xA);  // by 128
  EXPECT_EQ(lapic(0x390), 900u);
  run_to(100 + 128);
  EXPECT_EQ(lapic(0x390), 899u);
}

TEST_F(ApicTest, IoApicRoutesEdgeInterruptsAndLosesEdgesWhileMasked) {
  const unsigned pin = IoApic::pin_of_isa_irq(4);
  ioapic(0x10 + 2 * pin, 0x10034);  // masked, edge, vector 0x34
  ioapic_.set_pin(pin, true);
  ioapic_.set_pin(pin, false);
  EXPECT_FALSE(intr_);
  ioapic(0x10 + 2 * pin, 0x34);
  EXPECT_FALSE(intr_);  // the edge was lost
  ioapic_.set_pin(pin, true);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x34);
  EXPECT_FALSE(bit(0x180, 0x34));  // edge: TMR clear
  lapic(0xB0, 0);
  EXPECT_EQ(IoApic::pin_of_isa_irq(0), 2u);
}

TEST_F(ApicTest, LevelInterruptsHoldRemoteIrrUntilTheEoiAndComeAgainIfStillAsserted) {
  ioapic(0x10 + 2 * 14, 0x8000 | 0x3E);  // level, active high
  ioapic_.set_pin(14, true);
  EXPECT_TRUE(intr_);
  EXPECT_TRUE(ioapic(0x10 + 2 * 14) & 0x4000);  // remote IRR
  EXPECT_EQ(lapic_.acknowledge(), 0x3E);
  EXPECT_TRUE(bit(0x180, 0x3E));  // TMR: level
  lapic(0xB0, 0);                 // still asserted: sent again
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x3E);
  ioapic_.set_pin(14, false);
  lapic(0xB0, 0);
  EXPECT_FALSE(intr_);
  EXPECT_FALSE(ioapic(0x10 + 2 * 14) & 0x4000);
}

TEST_F(ApicTest, PhysicalDestinationOfAnotherApicIsDropped) {
  ioapic(0x11 + 2 * 3, 0x01000000);  // APIC ID 1
  ioapic(0x10 + 2 * 3, 0x33);
  ioapic_.set_pin(3, true);
  EXPECT_FALSE(intr_);
}

TEST_F(ApicTest, ThePicReachesIntrInPicModeOrThroughLint0ExtInt) {
  pic_.bios_setup(0xFE, 0xFF);  // IRQ 0 open
  pic_.set_irq(0, true);
  EXPECT_TRUE(intr_);  // PIC mode (IMCR 0)
  io_.write(0x22, 1, 0x70);
  io_.write(0x23, 1, 1);  // APIC mode: through LINT0, which the BIOS left ExtINT
  EXPECT_TRUE(intr_);
  lapic(0x350, 0x10700);  // LINT0 masked
  EXPECT_FALSE(intr_);
  lapic(0x350, 0x700);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(lapic_.acknowledge(), 0x08);  // the PIC's vector for IRQ 0
}

TEST_F(ApicTest, ErrorsAreLatchedByAnEsrWriteAndRaiseTheErrorLvt) {
  lapic(0x370, 0x4E);
  self_ipi(3);  // an illegal vector
  EXPECT_EQ(lapic(0x280), 0u);
  lapic(0x280, 0);
  EXPECT_EQ(lapic(0x280), 0x20u);
  EXPECT_EQ(lapic_.acknowledge(), 0x4E);
  lapic(0x280, 0);
  EXPECT_EQ(lapic(0x280), 0u);
}

TEST_F(ApicTest, InitAndStartupGoNowhereAndDeliveryStatusStaysIdle) {
  lapic(0x310, 0x01000000);
  lapic(0x300, 0x4500);  // INIT, assert
  lapic(0x300, 0x4608);  // STARTUP, page 8
  EXPECT_EQ(lapic(0x300) & 0x1000, 0u);
  EXPECT_FALSE(intr_);
}

}  // namespace
}  // namespace rw
