// Devices that stop the machine: isa-debug-exit and the two reset ports.
#include <gtest/gtest.h>

#include <cstdio>

#include "devices/kbc8042.h"
#include "machine/machine.h"

namespace rw {
namespace {

MachineConfig small_config() {
  MachineConfig config;
  config.memory_bytes = 4ull << 20;
  config.serial_out = nullptr;
  return config;
}

TEST(DebugExit, WriteRequestsExitWithQemuStatus) {
  for (unsigned size : {1u, 2u, 4u}) {
    Machine machine(small_config());
    machine.io().write(0xF4, size, 0x10);
    EXPECT_TRUE(machine.cpu().stop_requested);
    EXPECT_EQ(machine.cpu().stop_reason, cpu::StopReason::kExit);
    EXPECT_EQ(machine.pending_stop().reason, cpu::StopReason::kExit);
    EXPECT_EQ(machine.pending_stop().exit_code, 0x21);
  }
}

TEST(DebugExit, FirstRequestWins) {
  Machine machine(small_config());
  machine.io().write(0xF4, 1, 0);
  machine.io().write(0xF4, 1, 5);
  EXPECT_EQ(machine.pending_stop().exit_code, 1);
}

TEST(DebugExit, ReadsAsNothingThere) {
  Machine machine(small_config());
  EXPECT_EQ(machine.io().read(0xF4, 1), 0xFFu);
}

TEST(Reset, KeyboardControllerPulse) {
  Machine machine(small_config());
  EXPECT_EQ(machine.io().read(0x64, 1) & 0x03, 0u);  // buffers empty: a guest may send its command
  machine.io().write(0x64, 1, 0xD1);                 // another command: nothing happens
  EXPECT_FALSE(machine.cpu().stop_requested);
  machine.io().write(0x64, 1, 0xFE);
  EXPECT_TRUE(machine.cpu().stop_requested);
  EXPECT_EQ(machine.pending_stop().reason, cpu::StopReason::kReset);
  EXPECT_NE(machine.pending_stop().message.find("port 0x64"), std::string::npos);
}

TEST(Reset, ResetControlRegister) {
  for (uint32_t value : {0x06u, 0x0Eu, 0x04u}) {
    Machine machine(small_config());
    machine.io().write(0xCF9, 1, 0x02);  // selects a hard reset, does not reset
    EXPECT_FALSE(machine.cpu().stop_requested);
    EXPECT_EQ(machine.io().read(0xCF9, 1), 0x02u);
    machine.io().write(0xCF9, 1, value);
    EXPECT_TRUE(machine.cpu().stop_requested) << value;
    EXPECT_EQ(machine.pending_stop().reason, cpu::StopReason::kReset);
    EXPECT_NE(machine.pending_stop().message.find("0xCF9"), std::string::npos);
  }
}

TEST(PostPort, WritesAreIgnored) {
  Machine machine(small_config());
  machine.io().write(0x80, 1, 0x42);
  EXPECT_FALSE(machine.cpu().stop_requested);
  EXPECT_EQ(machine.io().read(0x80, 1), 0xFFu);
}

TEST(Machine, UnclaimedPortsReadAllOnes) {
  Machine machine(small_config());
  EXPECT_EQ(machine.io().read(0x2F8, 1), 0xFFu);
  EXPECT_EQ(machine.io().read(0x2F8, 2), 0xFFFFu);
  EXPECT_EQ(machine.io().read(0x2F8, 4), 0xFFFFFFFFu);
}

TEST(Machine, SerialOutputReachesTheConfiguredFile) {
  FILE* f = std::tmpfile();
  {
    MachineConfig config = small_config();
    config.serial_out = f;
    Machine machine(config);
    machine.io().write(0x3F8, 1, 'o');
    machine.io().write(0x3F8, 1, 'k');
  }  // no newline: the destructor must flush
  std::fseek(f, 0, SEEK_SET);
  char buf[3] = {};
  EXPECT_EQ(std::fread(buf, 1, 2, f), 2u);
  EXPECT_STREQ(buf, "ok");
  std::fclose(f);
}

}  // namespace
}  // namespace rw

namespace rw {
namespace {

// Runs `mov eax, [0x160000]; out 0xF4, al` from 0x7000 with RAM at 0x60000 and 0x160000
// telling them apart; returns EAX.
uint32_t read_above_1m(Machine& machine) {
  const uint8_t code[] = {0xA1, 0x00, 0x00, 0x16, 0x00, 0xE6, 0xF4};
  const uint32_t low = 0xAABBCCDD, high = 0x11223344;
  machine.memory().write(0x7000, code, sizeof code);
  machine.memory().write(0x60000, &low, 4);
  machine.memory().write(0x160000, &high, 4);
  machine.enter_multiboot(0x7000, 0x9500);
  const RunResult r = machine.run(1000);
  EXPECT_EQ(r.reason, cpu::StopReason::kExit);
  return static_cast<uint32_t>(machine.cpu().gpr[0]);
}

TEST(A20, OnAfterTheBios) {
  Machine machine(small_config());
  EXPECT_EQ(read_above_1m(machine), 0x11223344u);
}

TEST(A20, OffWrapsAtOneMegabyteThroughEachWay) {
  for (int way = 0; way < 3; ++way) {
    Machine machine(small_config());
    if (way == 0) machine.io().write(0x92, 1, 0x00);
    if (way == 1) machine.io().write(0x64, 1, 0xDD);
    if (way == 2) machine.io().write(0x64, 1, 0xD1), machine.io().write(0x60, 1, 0xCD);
    EXPECT_EQ(read_above_1m(machine), 0xAABBCCDDu) << way;
  }
}

TEST(A20, TheGateIsRestoredWithTheState) {
  Machine machine(small_config());
  machine.io().write(0x92, 1, 0x00);
  const MachineState off = machine.save_state();
  machine.io().write(0x92, 1, 0x02);
  machine.restore_state(off);
  EXPECT_FALSE(machine.kbc().a20());
  EXPECT_EQ(read_above_1m(machine), 0xAABBCCDDu);
}

}  // namespace
}  // namespace rw
