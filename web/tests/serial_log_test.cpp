// The serial log makes lines out of the output index's bytes, each placed where its newline
// was written, and takes in only what the index gained since it last looked.
#include <gtest/gtest.h>

#include <cstdio>
#include <string_view>

#include "devices/uart16550.h"
#include "machine/machine.h"
#include "web/serial_log.h"

namespace rw::web {
namespace {

void write(journal::OutputIndex& index, uint64_t at, std::string_view text) {
  for (char c : text) index.serial.push_back({at++, static_cast<uint8_t>(c)});
}

TEST(SerialLog, LinesArePlacedWhereTheirNewlineWasWritten) {
  journal::OutputIndex index;
  write(index, 100, "hello\r\nworld\n");
  SerialLog log;
  log.update(index);
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text, "hello");
  EXPECT_EQ(log.lines()[0].start, 100u);
  EXPECT_EQ(log.lines()[0].icount, 106u);
  EXPECT_EQ(log.lines()[1].text, "world");
  EXPECT_EQ(log.lines()[1].start, 107u);
  EXPECT_EQ(log.lines()[1].icount, 112u);
  EXPECT_EQ(log.first_at_or_after(107), 1u);
  EXPECT_EQ(log.first_at_or_after(113), 2u);
  EXPECT_EQ(log.full_from(), journal::kNotFull);
}

TEST(SerialLog, TakesInOnlyWhatTheIndexGained) {
  journal::OutputIndex index;
  write(index, 100, "one\ntw");
  SerialLog log;
  log.update(index);
  ASSERT_EQ(log.lines().size(), 1u);  // "tw" has no newline yet
  write(index, 106, "o\nthree\n");
  index.serial_full_from = 120;
  log.update(index);
  log.update(index);
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[1].text, "two");
  EXPECT_EQ(log.lines()[1].start, 104u);
  EXPECT_EQ(log.lines()[2].text, "three");
  EXPECT_EQ(log.full_from(), 120u);
}

TEST(SerialLog, LongLinesAreCut) {
  journal::OutputIndex index;
  write(index, 1, std::string(kMaxSerialLineBytes + 10, 'x') + "\n");
  SerialLog log;
  log.update(index);
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text.size(), kMaxSerialLineBytes);
  EXPECT_EQ(log.lines()[1].text.size(), 10u);
}

TEST(SerialOutputObserver, TheUartSaysWhereEachByteWasWritten) {
  MachineConfig c;
  c.memory_bytes = 2ull << 20;
  FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  c.serial_out = sink;
  {
    Machine machine(c);
    journal::OutputIndex index;
    machine.uart().set_output_observer([&index](uint64_t icount, uint8_t b) { index.serial.push_back({icount, b}); });
    machine.cpu().icount = 500;
    for (char ch : std::string_view("hi\n")) {  // one OUT each
      machine.uart().write(0, static_cast<uint8_t>(ch));
      ++machine.cpu().icount;
    }
    machine.uart().set_output_observer(nullptr);
    SerialLog log;
    log.update(index);
    ASSERT_EQ(log.lines().size(), 1u);
    EXPECT_EQ(log.lines()[0].text, "hi");
    EXPECT_EQ(log.lines()[0].start, 500u);
    EXPECT_EQ(log.lines()[0].icount, 502u);
  }
  std::fclose(sink);
}

}  // namespace
}  // namespace rw::web
