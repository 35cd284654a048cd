// Devices that stop the machine: isa-debug-exit and the two reset ports.
#include <gtest/gtest.h>

#include <cstdio>

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
