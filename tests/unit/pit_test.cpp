#include <gtest/gtest.h>

#include <vector>

#include "core/guest_time.h"
#include "core/io_bus.h"
#include "core/scheduler.h"
#include "devices/pit8254.h"

namespace rw {
namespace {

struct Edge {
  uint64_t at;
  bool level;
};

class PitTest : public ::testing::Test {
 protected:
  PitTest() : pit_(scheduler_, GuestClock::of(now_), IrqLine{record, this, 0}) { pit_.attach(io_); }

  static void record(void* self, unsigned, bool level) {
    auto* t = static_cast<PitTest*>(self);
    t->edges_.push_back({t->now_, level});
  }
  void out(uint16_t port, uint8_t v) { io_.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io_.read(port, 1)); }
  void program(int ch, int mode, uint16_t count) {
    out(0x43, static_cast<uint8_t>((ch << 6) | 0x30 | (mode << 1)));
    out(static_cast<uint16_t>(0x40 + ch), static_cast<uint8_t>(count));
    out(static_cast<uint16_t>(0x40 + ch), static_cast<uint8_t>(count >> 8));
  }
  uint16_t latch(int ch) {
    out(0x43, static_cast<uint8_t>(ch << 6));
    const uint8_t lo = in(static_cast<uint16_t>(0x40 + ch));
    return static_cast<uint16_t>(lo | in(static_cast<uint16_t>(0x40 + ch)) << 8);
  }
  // Runs the timers up to `until`, as the machine would.
  void advance(uint64_t until) {
    while (scheduler_.next_deadline() <= until) {
      now_ = scheduler_.next_deadline();
      scheduler_.run_due(now_);
    }
    now_ = until;
  }
  static uint64_t at_tick(uint64_t t) { return icount_of_tick(t, Pit8254::kHz); }

  uint64_t now_ = 0;
  Scheduler scheduler_;
  IoBus io_;
  std::vector<Edge> edges_;
  Pit8254 pit_;
};

TEST_F(PitTest, Mode2CountsDownWithGuestTimeAndReloads) {
  program(0, 2, 1000);
  now_ = at_tick(250);
  EXPECT_EQ(latch(0), 750);
  now_ = at_tick(999);
  EXPECT_EQ(latch(0), 1);
  now_ = at_tick(1000);
  EXPECT_EQ(latch(0), 1000);
  now_ = at_tick(1001);
  EXPECT_EQ(latch(0), 999);
}

TEST_F(PitTest, Mode2RaisesIrq0AtEveryPeriodOnExactInstructionCounts) {
  program(0, 2, 1000);
  advance(at_tick(5000) + 1);
  std::vector<uint64_t> rising;
  for (const Edge& e : edges_)
    if (e.level) rising.push_back(e.at);
  ASSERT_EQ(rising.size(), 5u);
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(rising[k - 1], at_tick(k * 1000ull)) << k;
  // OUT goes low for the one tick before each reload.
  EXPECT_FALSE(edges_[0].level);
  EXPECT_EQ(edges_[0].at, at_tick(999));
}

TEST_F(PitTest, Mode3IsASquareWave) {
  program(0, 3, 100);
  now_ = at_tick(10);
  EXPECT_TRUE(pit_.out(0));
  now_ = at_tick(60);
  EXPECT_FALSE(pit_.out(0));
  now_ = at_tick(110);
  EXPECT_TRUE(pit_.out(0));
  edges_.clear();
  now_ = 0;
  program(0, 3, 100);
  advance(at_tick(1000));
  int rising = 0;
  for (const Edge& e : edges_) rising += e.level;
  EXPECT_EQ(rising, 10);
}

TEST_F(PitTest, Mode0InterruptsOnceAtTerminalCount) {
  program(0, 0, 500);
  EXPECT_FALSE(pit_.out(0));
  advance(at_tick(5000));
  ASSERT_EQ(edges_.size(), 2u);  // low at the control word, high at terminal count
  EXPECT_FALSE(edges_[0].level);
  EXPECT_TRUE(edges_[1].level);
  EXPECT_EQ(edges_[1].at, at_tick(500));
  EXPECT_TRUE(pit_.out(0));
  EXPECT_EQ(latch(0), static_cast<uint16_t>(500 - 5000));  // keeps counting, wrapped
}

TEST_F(PitTest, LatchHoldsTheValueUntilRead) {
  program(0, 2, 10000);
  now_ = at_tick(100);
  out(0x43, 0x00);
  now_ = at_tick(600);
  const uint8_t lo = in(0x40);
  const uint8_t hi = in(0x40);
  EXPECT_EQ(lo | hi << 8, 9900);
  EXPECT_EQ(latch(0), 9400);  // the next read is live again
}

TEST_F(PitTest, ReadBackStatusAndCount) {
  out(0x43, 0xB4);  // channel 2, lobyte/hibyte, mode 2
  out(0x43, 0xE8);  // read-back status of channel 2
  EXPECT_EQ(in(0x42), 0x40 | 0x80 | 0x34);  // OUT high, null count, access 3, mode 2
  out(0x42, 0x00);
  out(0x42, 0x10);  // 0x1000
  now_ = at_tick(16);
  out(0x43, 0xC8);  // read-back count and status of channel 2
  EXPECT_EQ(in(0x42), 0x80 | 0x34);  // status first, count loaded
  EXPECT_EQ(in(0x42), 0xF0);
  EXPECT_EQ(in(0x42), 0x0F);
}

TEST_F(PitTest, LobyteAndHibyteAccess) {
  out(0x43, 0x10);  // channel 0, lobyte only, mode 0
  out(0x40, 0x80);
  now_ = at_tick(0x10);
  EXPECT_EQ(in(0x40), 0x70);
  out(0x43, 0x20);  // hibyte only
  out(0x40, 0x02);  // count 0x200
  now_ = at_tick(0x10 + 0x100);
  EXPECT_EQ(in(0x40), 0x01);
}

TEST_F(PitTest, Port61GatesChannel2AndShowsOut2) {
  EXPECT_EQ(in(0x61) & 0x03, 0x00);
  out(0x61, 0x01);
  out(0x43, 0xB0);  // channel 2, mode 0
  out(0x42, 100);
  out(0x42, 0);
  EXPECT_EQ(in(0x61) & 0x21, 0x01);
  now_ = at_tick(100);
  EXPECT_EQ(in(0x61) & 0x21, 0x21);
  // The refresh bit toggles every 15085 instructions.
  now_ = 15085 * 4;
  const uint8_t a = in(0x61) & 0x10;
  now_ += 15085;
  EXPECT_NE(in(0x61) & 0x10, a);
}

TEST_F(PitTest, Mode1WaitsForTheGate) {
  out(0x43, 0xB2);  // channel 2, mode 1
  out(0x42, 50);
  out(0x42, 0);
  now_ = at_tick(200);
  EXPECT_EQ(pit_.count(2), 50);
  EXPECT_TRUE(pit_.out(2));
  out(0x61, 0x01);  // rising gate triggers
  EXPECT_FALSE(pit_.out(2));
  now_ = at_tick(250);
  EXPECT_TRUE(pit_.out(2));
}

TEST(SchedulerHorizon, ArmingBeforeTheHorizonCallsBack) {
  Scheduler s;
  int calls = 0;
  s.on_early_timer([](void* c) { ++*static_cast<int*>(c); }, &calls);
  const int id = s.add_timer([](void*, uint64_t) {}, nullptr, 0);
  s.arm(id, 500);
  EXPECT_EQ(calls, 0);  // outside a run the horizon is 0
  s.set_horizon(1000);
  s.arm(id, 2000);
  EXPECT_EQ(calls, 0);
  s.arm(id, 999);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.next_wake_deadline([](unsigned) { return false; }), Scheduler::kNever);
  EXPECT_EQ(s.next_wake_deadline([](unsigned irq) { return irq == 0; }), 999u);
}

}  // namespace
}  // namespace rw
