#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "core/io_bus.h"
#include "devices/uart16550.h"

namespace rw {
namespace {

constexpr uint16_t kBase = 0x3F8;
enum : uint16_t { THR = kBase, IER = kBase + 1, IIR = kBase + 2, LCR = kBase + 3, MCR = kBase + 4, LSR = kBase + 5,
                  MSR = kBase + 6, SCR = kBase + 7 };

class UartTest : public ::testing::Test {
 protected:
  // The file outlives the UART: members are destroyed in reverse order, and the
  // UART flushes into the file from its destructor.
  UartTest() : file_(std::tmpfile(), &std::fclose), out_(file_.get()), uart_(out_) { uart_.attach(io_); }

  std::string output() {
    uart_.flush();
    std::string s;
    std::fseek(out_, 0, SEEK_SET);
    for (int c; (c = std::fgetc(out_)) != EOF;) s.push_back(static_cast<char>(c));
    return s;
  }
  void send(const std::string& s) {
    for (char c : s) io_.write(THR, 1, static_cast<uint8_t>(c));
  }

  std::unique_ptr<FILE, int (*)(FILE*)> file_;
  FILE* out_;
  IoBus io_;
  Uart16550 uart_;
};

TEST_F(UartTest, TransmitsBytes) {
  send("hello\nworld");
  EXPECT_EQ(output(), "hello\nworld");
}

TEST_F(UartTest, FlushesAtNewlineWithoutBeingAsked) {
  send("line\npartial");
  std::fflush(out_);
  std::fseek(out_, 0, SEEK_SET);
  char buf[16] = {};
  ASSERT_EQ(std::fread(buf, 1, sizeof buf, out_), 5u);
  EXPECT_EQ(std::string(buf), "line\n");
}

TEST_F(UartTest, DestructorFlushes) {
  FILE* f = std::tmpfile();
  {
    Uart16550 uart(f);
    uart.write(0, 'x');
  }
  std::fseek(f, 0, SEEK_SET);
  EXPECT_EQ(std::fgetc(f), 'x');
  std::fclose(f);
}

TEST_F(UartTest, LineStatusSaysTransmitterAlwaysEmptyAndNoData) {
  EXPECT_EQ(io_.read(LSR, 1), 0x60u);
  send("a");
  EXPECT_EQ(io_.read(LSR, 1), 0x60u);
}

TEST_F(UartTest, DivisorLatchIsSeparateFromThrAndIer) {
  io_.write(IER, 1, 0x05);
  io_.write(LCR, 1, 0x83);  // DLAB on, 8N1
  io_.write(THR, 1, 0x01);  // DLL: 115200 baud
  io_.write(IER, 1, 0x00);  // DLM
  EXPECT_EQ(io_.read(THR, 1), 0x01u);
  EXPECT_EQ(io_.read(IER, 1), 0x00u);
  io_.write(LCR, 1, 0x03);
  EXPECT_EQ(io_.read(LCR, 1), 0x03u);
  EXPECT_EQ(io_.read(IER, 1), 0x05u);
  EXPECT_EQ(output(), "");  // divisor writes are not data
}

TEST_F(UartTest, ScratchRegisterHoldsAValue) {
  io_.write(SCR, 1, 0x5A);
  EXPECT_EQ(io_.read(SCR, 1), 0x5Au);
}

TEST_F(UartTest, InterruptIdentification) {
  EXPECT_EQ(io_.read(IIR, 1), 0x01u);  // nothing pending, FIFOs off
  io_.write(IIR, 1, 0xC7);             // FCR: enable and clear FIFOs, 14-byte trigger
  EXPECT_EQ(io_.read(IIR, 1), 0xC1u);
  io_.write(IER, 1, 0x02);  // THR-empty interrupt: THR is empty, so it is pending at once
  EXPECT_TRUE(uart_.interrupt_pending());
  EXPECT_EQ(io_.read(IIR, 1), 0xC2u);
  EXPECT_EQ(io_.read(IIR, 1), 0xC1u);  // reading IIR acknowledged it
  send("x");
  EXPECT_EQ(io_.read(IIR, 1), 0xC2u);  // sent, so THR is empty again
}

TEST_F(UartTest, ModemControlAndStatus) {
  EXPECT_EQ(io_.read(MSR, 1), 0xB0u);
  io_.write(MCR, 1, 0x0B);
  EXPECT_EQ(io_.read(MCR, 1), 0x0Bu);
}

TEST_F(UartTest, LoopbackReturnsSentBytesInsteadOfOutputtingThem) {
  io_.write(MCR, 1, 0x1E);  // loopback, RTS, OUT1, OUT2
  EXPECT_EQ(io_.read(MSR, 1), 0xD0u);  // CTS, RI, DCD
  send("Z");
  EXPECT_EQ(io_.read(LSR, 1) & 1, 1u);
  EXPECT_EQ(io_.read(THR, 1), static_cast<uint32_t>('Z'));
  EXPECT_EQ(io_.read(LSR, 1) & 1, 0u);
  io_.write(MCR, 1, 0x0B);
  EXPECT_EQ(output(), "");
}

TEST_F(UartTest, WideAccessCoversConsecutiveRegisters) {
  io_.write(LCR, 2, 0x0B03);  // LCR = 3, MCR = 0x0B
  EXPECT_EQ(io_.read(LCR, 2), 0x0B03u);
}

}  // namespace
}  // namespace rw
