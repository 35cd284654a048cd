#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/io_bus.h"
#include "core/scheduler.h"
#include "devices/serial_input.h"
#include "devices/uart16550.h"

namespace rw {
namespace {

constexpr uint16_t kBase = 0x3F8;
enum : uint16_t { RBR = kBase, IER = kBase + 1, IIR = kBase + 2, FCR = kBase + 2, LCR = kBase + 3, LSR = kBase + 5 };

class UartReceiveTest : public ::testing::Test {
 protected:
  UartReceiveTest() : uart_(nullptr) {
    uart_.attach(io_);
    uart_.connect(scheduler_, GuestClock::of(now_), IrqLine{record, this, 4});
  }
  static void record(void* self, unsigned, bool level) { static_cast<UartReceiveTest*>(self)->irq_ = level; }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io_.read(port, 1)); }
  void out(uint16_t port, uint8_t v) { io_.write(port, 1, v); }
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
  Uart16550 uart_;
};

TEST_F(UartReceiveTest, WithoutFifoOneByteAndThenOverrun) {
  EXPECT_EQ(uart_.receive_space(), 1u);
  uart_.receive('a');
  EXPECT_EQ(in(LSR) & 0x03, 0x01);
  EXPECT_EQ(uart_.receive_space(), 0u);
  uart_.receive('b');  // lost
  EXPECT_EQ(in(LSR) & 0x03, 0x03);
  EXPECT_EQ(in(LSR) & 0x02, 0x00);  // OE clears on read
  EXPECT_EQ(in(RBR), 'a');
  EXPECT_EQ(in(LSR) & 0x01, 0x00);
}

TEST_F(UartReceiveTest, ReceivedDataInterruptOnIrq4) {
  out(IER, 0x01);
  EXPECT_FALSE(irq_);
  EXPECT_EQ(in(IIR), 0x01);
  uart_.receive('x');
  EXPECT_TRUE(irq_);
  EXPECT_EQ(in(IIR), 0x04);
  EXPECT_EQ(in(RBR), 'x');
  EXPECT_FALSE(irq_);
  EXPECT_EQ(in(IIR), 0x01);
}

TEST_F(UartReceiveTest, FifoTriggerLevelAndCharacterTimeout) {
  out(FCR, 0x41);  // FIFO on, trigger level 4
  out(IER, 0x01);
  for (char c : std::string("abc")) uart_.receive(static_cast<uint8_t>(c));
  EXPECT_FALSE(irq_);
  EXPECT_EQ(in(IIR), 0xC1);
  // Four character times at 9600 baud 8N1 (divisor 12): 4 * 10 bits * 104167 ns.
  constexpr uint64_t kCharTime = 10 * 1'000'000'000ull * 12 / 115200;
  advance(4 * kCharTime - 1);
  EXPECT_FALSE(irq_);
  advance(4 * kCharTime);
  EXPECT_TRUE(irq_);
  EXPECT_EQ(in(IIR), 0xCC);
  EXPECT_EQ(in(RBR), 'a');  // reading restarts the timeout
  EXPECT_FALSE(irq_);
  uart_.receive('d');
  uart_.receive('e');
  EXPECT_TRUE(irq_);  // 4 bytes: at the trigger level
  EXPECT_EQ(in(IIR), 0xC4);
}

TEST_F(UartReceiveTest, FifoHoldsSixteenBytes) {
  out(FCR, 0x01);
  for (int i = 0; i < 16; ++i) uart_.receive(static_cast<uint8_t>('A' + i));
  EXPECT_EQ(uart_.receive_space(), 0u);
  uart_.receive('!');
  EXPECT_EQ(in(LSR) & 0x02, 0x02);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(in(RBR), 'A' + i);
  EXPECT_EQ(in(LSR) & 0x01, 0x00);
}

TEST_F(UartReceiveTest, ResetBitEmptiesTheReceiveFifo) {
  out(FCR, 0x01);
  uart_.receive('a');
  out(FCR, 0x03);
  EXPECT_EQ(in(LSR) & 0x01, 0x00);
}

TEST_F(UartReceiveTest, LineStatusHasPriorityOverData) {
  out(IER, 0x07);
  EXPECT_EQ(in(IIR), 0x02);  // THR empty, acknowledged by this read
  uart_.receive('a');
  uart_.receive('b');  // overrun (no FIFO)
  EXPECT_EQ(in(IIR), 0x06);
  in(LSR);
  EXPECT_EQ(in(IIR), 0x04);
}

TEST_F(UartReceiveTest, SerialInputQueuesOnTheHostSideAndFeedsTheFifo) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  HostWakeup wakeup;
  out(FCR, 0x01);
  out(IER, 0x01);
  std::string text(100, '?');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('0' + i % 64);
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  std::string got;
  {
    SerialInput input(fds[0], uart_, wakeup);
    EXPECT_TRUE(input.busy());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.size() < text.size() && std::chrono::steady_clock::now() < deadline) {
      input.poll(now_);
      EXPECT_LE(16u - uart_.receive_space(), 16u);
      while (in(LSR) & 0x01) got.push_back(static_cast<char>(in(RBR)));
      if (got.size() < text.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(input.delivered(), text.size());
    while (input.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // EOF
  }
  EXPECT_EQ(got, text);
  EXPECT_EQ(in(LSR) & 0x02, 0x00);  // never overran
  close(fds[0]);
}

}  // namespace
}  // namespace rw
