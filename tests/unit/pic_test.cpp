#include <gtest/gtest.h>

#include "core/io_bus.h"
#include "devices/pic8259.h"

namespace rw {
namespace {

class PicTest : public ::testing::Test {
 protected:
  PicTest() : pic_(intr_) {
    pic_.attach(io_);
    init(0x20, 0x28, 0x01);
  }
  void init(uint8_t master, uint8_t slave, uint8_t icw4) {
    out(0x20, 0x11), out(0x21, master), out(0x21, 0x04), out(0x21, icw4);
    out(0xA0, 0x11), out(0xA1, slave), out(0xA1, 0x02), out(0xA1, icw4);
  }
  void out(uint16_t port, uint8_t v) { io_.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io_.read(port, 1)); }
  void pulse(unsigned irq) {
    pic_.set_irq(irq, true);
    pic_.set_irq(irq, false);
  }
  uint8_t isr(uint16_t cmd) {
    out(cmd, 0x0B);
    uint8_t v = in(cmd);
    out(cmd, 0x0A);
    return v;
  }

  bool intr_ = false;
  IoBus io_;
  Pic8259 pic_;
};

TEST_F(PicTest, InitializationLeavesEverythingUnmaskedAndIdle) {
  EXPECT_EQ(in(0x21), 0x00);
  EXPECT_EQ(in(0xA1), 0x00);
  EXPECT_EQ(in(0x20), 0x00);  // IRR
  EXPECT_FALSE(intr_);
}

TEST_F(PicTest, MaskRegisterReadsBack) {
  out(0x21, 0xA5);
  out(0xA1, 0x5A);
  EXPECT_EQ(in(0x21), 0xA5);
  EXPECT_EQ(in(0xA1), 0x5A);
}

TEST_F(PicTest, EdgeRaisesIntrAndAcknowledgeGivesTheVector) {
  pic_.set_irq(3, true);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(in(0x20), 0x08);  // IRR bit 3
  EXPECT_EQ(pic_.acknowledge(), 0x23);
  EXPECT_FALSE(intr_);
  EXPECT_EQ(isr(0x20), 0x08);
  EXPECT_EQ(in(0x20), 0x00);  // IRR cleared by the acknowledge
  out(0x20, 0x20);            // non-specific EOI
  EXPECT_EQ(isr(0x20), 0x00);
  // The line is still high: no new edge, no new request.
  EXPECT_FALSE(intr_);
  pic_.set_irq(3, false);
  pic_.set_irq(3, true);
  EXPECT_TRUE(intr_);
}

TEST_F(PicTest, MaskedRequestLatchesInIrrWithoutInterrupting) {
  out(0x21, 0x01);
  pic_.set_irq(0, true);
  EXPECT_FALSE(intr_);
  EXPECT_EQ(in(0x20), 0x01);
  out(0x21, 0x00);  // unmasking delivers it
  EXPECT_TRUE(intr_);
  EXPECT_EQ(pic_.acknowledge(), 0x20);
}

TEST_F(PicTest, PriorityAndNesting) {
  pic_.set_irq(5, true);
  pic_.set_irq(1, true);
  EXPECT_EQ(pic_.acknowledge(), 0x21);  // IRQ 1 first
  EXPECT_FALSE(intr_);                  // IRQ 5 is lower priority than IRQ 1 in service
  pic_.set_irq(0, true);
  EXPECT_TRUE(intr_);                   // IRQ 0 nests
  EXPECT_EQ(pic_.acknowledge(), 0x20);
  EXPECT_EQ(isr(0x20), 0x03);
  out(0x20, 0x20);  // EOI for IRQ 0 (highest in service)
  EXPECT_EQ(isr(0x20), 0x02);
  EXPECT_FALSE(intr_);
  out(0x20, 0x20);  // EOI for IRQ 1
  EXPECT_TRUE(intr_);
  EXPECT_EQ(pic_.acknowledge(), 0x25);
}

TEST_F(PicTest, SpecificEoiAndRotation) {
  pic_.set_irq(1, true);
  pic_.set_irq(4, true);
  EXPECT_EQ(pic_.acknowledge(), 0x21);
  out(0x20, 0x61);  // specific EOI for IRQ 1
  EXPECT_EQ(isr(0x20), 0x00);
  EXPECT_EQ(pic_.acknowledge(), 0x24);
  out(0x20, 0xA0);  // rotate on non-specific EOI: IRQ 4 becomes the lowest priority
  pic_.set_irq(3, true);
  pic_.set_irq(5, true);
  EXPECT_EQ(pic_.acknowledge(), 0x25);  // 5 now beats 3
  out(0x20, 0xC7);                      // set priority: IRQ 7 lowest again
  out(0x20, 0x20);
  EXPECT_EQ(pic_.acknowledge(), 0x23);
}

TEST_F(PicTest, CascadeThroughIrq2) {
  pic_.set_irq(10, true);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(in(0x20) & 0x04, 0x04);
  EXPECT_EQ(pic_.acknowledge(), 0x2A);
  EXPECT_EQ(isr(0x20), 0x04);
  EXPECT_EQ(isr(0xA0), 0x04);
  out(0xA0, 0x20);
  out(0x20, 0x20);
  EXPECT_EQ(isr(0x20), 0x00);
  EXPECT_EQ(isr(0xA0), 0x00);
  out(0xA1, 0x04);  // masking on the slave holds the request back
  pic_.set_irq(10, false);
  pic_.set_irq(10, true);
  EXPECT_FALSE(intr_);
  out(0xA1, 0x00);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(pic_.acknowledge(), 0x2A);
}

TEST_F(PicTest, RequestGoneBeforeAcknowledgeIsSpuriousIrq7) {
  pic_.set_irq(5, true);
  EXPECT_TRUE(intr_);
  pic_.set_irq(5, false);
  EXPECT_TRUE(intr_);  // INT stays up until the CPU acknowledges
  EXPECT_EQ(pic_.acknowledge(), 0x27);
  EXPECT_EQ(isr(0x20), 0x00);  // no ISR bit for a spurious interrupt
  EXPECT_FALSE(intr_);
}

TEST_F(PicTest, SpuriousOnTheSlaveIsIrq15WithMasterIr2InService) {
  pic_.set_irq(12, true);
  pic_.set_irq(12, false);
  EXPECT_TRUE(intr_);
  EXPECT_EQ(pic_.acknowledge(), 0x2F);
  EXPECT_EQ(isr(0xA0), 0x00);
  EXPECT_EQ(isr(0x20), 0x04);
}

TEST_F(PicTest, AutoEoiLeavesNothingInService) {
  init(0x20, 0x28, 0x03);
  pic_.set_irq(0, true);
  EXPECT_EQ(pic_.acknowledge(), 0x20);
  EXPECT_EQ(isr(0x20), 0x00);
}

TEST_F(PicTest, PollMode) {
  out(0x20, 0x0C);
  EXPECT_EQ(in(0x20), 0x00);  // nothing pending
  pic_.set_irq(6, true);
  out(0x20, 0x0C);
  EXPECT_EQ(in(0x20), 0x86);
  EXPECT_EQ(isr(0x20), 0x40);
  EXPECT_FALSE(intr_);
}

TEST_F(PicTest, LevelTriggeredThroughElcr) {
  out(0x4D1, 0xFF);
  EXPECT_EQ(in(0x4D1), 0xDE);  // IRQ 8 and 13 are always edge
  out(0x4D0, 0x20);            // IRQ 5 level
  pic_.set_irq(5, true);
  EXPECT_EQ(pic_.acknowledge(), 0x25);
  out(0x20, 0x20);
  EXPECT_TRUE(intr_);  // still high: requested again
  EXPECT_EQ(pic_.acknowledge(), 0x25);
  out(0x20, 0x20);
  EXPECT_TRUE(intr_);
  pic_.set_irq(5, false);  // gone before the acknowledge: spurious
  EXPECT_EQ(pic_.acknowledge(), 0x27);
  EXPECT_FALSE(intr_);
}

TEST_F(PicTest, SpecialMaskModeLetsLowerPrioritiesThrough) {
  pic_.set_irq(1, true);
  EXPECT_EQ(pic_.acknowledge(), 0x21);
  pic_.set_irq(4, true);
  EXPECT_FALSE(intr_);
  out(0x21, 0x02);  // mask IRQ 1 (in service)
  out(0x20, 0x68);  // OCW3: set special mask mode
  EXPECT_TRUE(intr_);
  EXPECT_EQ(pic_.acknowledge(), 0x24);
}

TEST_F(PicTest, BiosSetupAndCanInterrupt) {
  pic_.bios_setup(0xB8, 0x8E);
  EXPECT_EQ(in(0x21), 0xB8);
  EXPECT_EQ(in(0xA1), 0x8E);
  EXPECT_TRUE(pic_.can_interrupt(0));
  EXPECT_FALSE(pic_.can_interrupt(3));
  EXPECT_TRUE(pic_.can_interrupt(8));
  out(0x21, 0xBC);  // cascade masked: no slave IRQ gets through
  EXPECT_FALSE(pic_.can_interrupt(8));
  pic_.set_irq(0, true);
  EXPECT_EQ(pic_.acknowledge(), 0x08);
}

}  // namespace
}  // namespace rw
