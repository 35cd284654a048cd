#include <gtest/gtest.h>

#include "core/io_bus.h"
#include "core/scheduler.h"
#include "devices/rtc_cmos.h"

namespace rw {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr int64_t kLeapDayEvening = 1709251198;  // 2024-02-29 23:59:58 UTC, a Thursday

class RtcTest : public ::testing::Test {
 protected:
  RtcTest() : rtc_(scheduler_, GuestClock::of(now_), IrqLine{record, this, 8}, kLeapDayEvening) {
    rtc_.attach(io_);
  }
  static void record(void* self, unsigned, bool level) { static_cast<RtcTest*>(self)->irq_ = level; }
  uint8_t reg(uint8_t index) {
    io_.write(0x70, 1, index);
    return static_cast<uint8_t>(io_.read(0x71, 1));
  }
  void set(uint8_t index, uint8_t value) {
    io_.write(0x70, 1, index);
    io_.write(0x71, 1, value);
  }
  void advance(uint64_t until) {
    while (scheduler_.next_deadline() <= until) {
      now_ = scheduler_.next_deadline();
      scheduler_.run_due(now_);
    }
    now_ = until;
  }

  uint64_t now_ = 0;
  bool irq_ = false;
  Scheduler scheduler_;
  IoBus io_;
  RtcCmos rtc_;
};

TEST_F(RtcTest, DefaultsAreBcdAnd24Hour) {
  EXPECT_EQ(reg(0x0A), 0x26);
  EXPECT_EQ(reg(0x0B), 0x02);
  EXPECT_EQ(reg(0x0D), 0x80);
  EXPECT_EQ(reg(0x00), 0x58);
  EXPECT_EQ(reg(0x02), 0x59);
  EXPECT_EQ(reg(0x04), 0x23);
  EXPECT_EQ(reg(0x06), 0x05);  // Thursday (Sunday = 1)
  EXPECT_EQ(reg(0x07), 0x29);
  EXPECT_EQ(reg(0x08), 0x02);
  EXPECT_EQ(reg(0x09), 0x24);
  EXPECT_EQ(reg(0x32), 0x20);
}

TEST_F(RtcTest, TimeAdvancesWithGuestTimeOnly) {
  now_ = 2 * kSecond - 1;
  EXPECT_EQ(reg(0x00), 0x59);
  now_ = 2 * kSecond;  // into the next day and month
  EXPECT_EQ(reg(0x00), 0x00);
  EXPECT_EQ(reg(0x04), 0x00);
  EXPECT_EQ(reg(0x07), 0x01);
  EXPECT_EQ(reg(0x08), 0x03);
  EXPECT_EQ(reg(0x06), 0x06);
}

TEST_F(RtcTest, BinaryAnd12HourFormats) {
  set(0x0B, 0x06);  // binary, 24-hour
  EXPECT_EQ(reg(0x00), 58);
  EXPECT_EQ(reg(0x04), 23);
  EXPECT_EQ(reg(0x32), 20);
  set(0x0B, 0x00);  // BCD, 12-hour
  EXPECT_EQ(reg(0x04), 0x91);  // 11 PM
  set(0x0B, 0x04);  // binary, 12-hour
  EXPECT_EQ(reg(0x04), 0x80 | 11);
  now_ = 2 * kSecond;
  EXPECT_EQ(reg(0x04), 12);  // midnight is 12 AM
}

TEST_F(RtcTest, UpdateInProgressForTheLast244Microseconds) {
  now_ = kSecond - RtcCmos::kUipInstructions - 1;
  EXPECT_EQ(reg(0x0A) & 0x80, 0);
  now_ = kSecond - RtcCmos::kUipInstructions;
  EXPECT_EQ(reg(0x0A) & 0x80, 0x80);
  now_ = kSecond - 1;
  EXPECT_EQ(reg(0x0A) & 0x80, 0x80);
  now_ = kSecond;
  EXPECT_EQ(reg(0x0A) & 0x80, 0);
}

TEST_F(RtcTest, NmiBitOfTheIndexIsIgnored) {
  io_.write(0x70, 1, 0x8A);
  EXPECT_EQ(io_.read(0x71, 1), 0x26u);
}

TEST_F(RtcTest, RegisterCFlagsAreReadToClear) {
  reg(0x0C);
  now_ = kSecond + 5;
  const uint8_t c = reg(0x0C);
  EXPECT_EQ(c & 0x10, 0x10);  // update ended
  EXPECT_EQ(c & 0x40, 0x40);  // periodic (1024 Hz) too
  EXPECT_EQ(c & 0x80, 0x00);  // no interrupt enabled
  EXPECT_EQ(reg(0x0C), 0x00);
}

TEST_F(RtcTest, PeriodicInterruptOnIrq8) {
  set(0x0B, 0x42);  // PIE
  reg(0x0C);
  EXPECT_FALSE(irq_);
  advance(1'000'000);  // 1 ms: one 1024 Hz period has passed
  EXPECT_TRUE(irq_);
  EXPECT_EQ(reg(0x0C) & 0xC0, 0xC0);
  EXPECT_FALSE(irq_);
  int interrupts = 0;
  const uint64_t start = now_;
  for (uint64_t t = start + 100'000; t <= start + kSecond; t += 100'000) {
    advance(t);
    if (irq_) {
      ++interrupts;
      reg(0x0C);
    }
  }
  EXPECT_EQ(interrupts, 1024);
}

TEST_F(RtcTest, UpdateAndAlarmInterrupts) {
  set(0x01, 0x00);  // alarm at 00:00:00
  set(0x03, 0x00);
  set(0x05, 0x00);
  set(0x0B, 0x32);  // AIE, UIE
  reg(0x0C);
  advance(kSecond + 10);
  EXPECT_TRUE(irq_);
  EXPECT_EQ(reg(0x0C) & 0xB0, 0x90);  // 23:59:59: update, no alarm (PF runs regardless)
  advance(2 * kSecond + 10);
  EXPECT_EQ(reg(0x0C) & 0xB0, 0xB0);  // 00:00:00: update and alarm
}

TEST_F(RtcTest, SetBitHoldsTheClockForWriting) {
  set(0x0B, 0x82);
  set(0x04, 0x12);
  set(0x02, 0x34);
  set(0x00, 0x56);
  now_ = 5 * kSecond;
  EXPECT_EQ(reg(0x00), 0x56);  // frozen
  set(0x0B, 0x02);
  EXPECT_EQ(reg(0x04), 0x12);
  now_ = 6 * kSecond;
  EXPECT_EQ(reg(0x00), 0x57);
  EXPECT_EQ(reg(0x02), 0x34);
}

TEST_F(RtcTest, MemorySizeBytesAsABiosSetsThem) {
  rtc_.set_memory_size(128ull << 20);
  EXPECT_EQ(reg(0x15) | reg(0x16) << 8, 640);
  EXPECT_EQ(reg(0x17) | reg(0x18) << 8, 0xFFFF);  // 127 MiB does not fit: clamped
  EXPECT_EQ(reg(0x30) | reg(0x31) << 8, 0xFFFF);
  EXPECT_EQ(reg(0x34) | reg(0x35) << 8, (128 - 16) * 16);
  rtc_.set_memory_size(8ull << 20);
  EXPECT_EQ(reg(0x17) | reg(0x18) << 8, 7 * 1024);
  EXPECT_EQ(reg(0x34) | reg(0x35) << 8, 0);
  unsigned sum = 0;
  for (uint8_t i = 0x10; i <= 0x2D; ++i) sum += reg(i);
  EXPECT_EQ(reg(0x2E) << 8 | reg(0x2F), sum);
}

TEST_F(RtcTest, RamBytesReadBack) {
  set(0x40, 0xAB);
  EXPECT_EQ(reg(0x40), 0xAB);
  set(0x0C, 0xFF);  // read-only
  set(0x0D, 0x00);
  EXPECT_EQ(reg(0x0D), 0x80);
}

}  // namespace
}  // namespace rw
