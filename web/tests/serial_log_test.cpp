// The serial log keeps each line once, where it was first written, however often the
// machine goes back and passes there again.
#include <gtest/gtest.h>

#include <cstdio>
#include <string_view>

#include "cpu/cpu.h"
#include "devices/uart16550.h"

#include "machine/machine.h"
#include "web/serial_log.h"

namespace rw::web {
namespace {

class SerialLogTest : public ::testing::Test {
 protected:
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = 2ull << 20;
    c.serial_out = nullptr;
    return c;
  }
  void write(SerialLog& log, uint64_t at, std::string_view text) {
    for (char c : text) log.take(at++, static_cast<uint8_t>(c));
  }
  Machine machine{config()};
};

TEST_F(SerialLogTest, LinesArePlacedWhereTheirNewlineWasWritten) {
  SerialLog log(machine);
  write(log, 100, "hello\r\nworld\n");
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text, "hello");
  EXPECT_EQ(log.lines()[0].start, 100u);
  EXPECT_EQ(log.lines()[0].icount, 106u);
  EXPECT_EQ(log.lines()[1].text, "world");
  EXPECT_EQ(log.lines()[1].start, 107u);
  EXPECT_EQ(log.lines()[1].icount, 112u);
  EXPECT_EQ(log.first_at_or_after(107), 1u);
  EXPECT_EQ(log.first_at_or_after(113), 2u);
}

TEST_F(SerialLogTest, PassingAgainAddsNothing) {
  SerialLog log(machine);
  write(log, 100, "one\ntw");
  // Back to before it all, and through it again: the same bytes at the same counts.
  write(log, 100, "one\ntwo\nthree\n");
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[1].text, "two");
  EXPECT_EQ(log.lines()[2].text, "three");
  EXPECT_EQ(log.seen_to(), 113u);
}

TEST_F(SerialLogTest, LongLinesAreCutAndTheLogIsBounded) {
  SerialLog log(machine);
  write(log, 1, std::string(kMaxSerialLineBytes + 10, 'x') + "\n");
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text.size(), kMaxSerialLineBytes);
  uint64_t at = 1'000'000;
  const std::string line(1000, 'y');
  for (size_t i = 0; i < kMaxSerialLogBytes / 1000 + 10; ++i, at += 2000) write(log, at, line + "\n");
  EXPECT_TRUE(log.truncated());
  EXPECT_LT(log.lines().size(), kMaxSerialLogBytes / 1000 + 10);
}

TEST(SerialLogUart, TheUartSaysWhereEachByteWasWritten) {
  MachineConfig c;
  c.memory_bytes = 2ull << 20;
  FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  c.serial_out = sink;
  {
    Machine machine(c);
    SerialLog log(machine);
    machine.cpu().icount = 500;
    for (char ch : std::string_view("hi\n")) {  // one OUT each
      machine.uart().write(0, static_cast<uint8_t>(ch));
      ++machine.cpu().icount;
    }
    ASSERT_EQ(log.lines().size(), 1u);
    EXPECT_EQ(log.lines()[0].text, "hi");
    EXPECT_EQ(log.lines()[0].start, 500u);
    EXPECT_EQ(log.lines()[0].icount, 502u);
  }
  std::fclose(sink);
}

}  // namespace
}  // namespace rw::web
