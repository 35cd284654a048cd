// Debugger support in the machine: breakpoints, watchpoints, exception stops and
// side-effect-free guest memory access, on hand-assembled 32-bit code.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "cpu/debug.h"
#include "machine/machine.h"

namespace rw {
namespace {

constexpr uint32_t kEntry = 0x100000;

class DebugTest : public ::testing::Test {
 protected:
  DebugTest() : machine_(config()) {}
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = 4 << 20;
    c.serial_out = stdout;
    return c;
  }
  void load(const std::vector<uint8_t>& code) {
    machine_.memory().write(kEntry, code.data(), code.size());
    machine_.enter_multiboot(kEntry, 0x9500);
  }
  Machine machine_;
};

// 100000: mov eax, 1
// 100005: mov [0x200000], eax
// 10000a: inc eax
// 10000b: jmp 100005
const std::vector<uint8_t> kLoop = {0xB8, 1, 0, 0, 0, 0xA3, 0, 0, 0x20, 0, 0x40, 0xEB, 0xF8};

TEST_F(DebugTest, BreakpointStopsBeforeTheInstructionAndStepsOverOnResume) {
  load(kLoop);
  machine_.debug().breakpoints.insert(0x10000a);
  machine_.debug_changed();
  RunResult r = machine_.run(1000);
  ASSERT_EQ(r.reason, cpu::StopReason::kBreakpoint);
  EXPECT_EQ(machine_.cpu().rip, 0x10000au);
  EXPECT_EQ(machine_.cpu().icount, 2u);
  EXPECT_EQ(machine_.cpu().gpr[0], 1u);

  machine_.debug().skip_breakpoint_once = true;
  r = machine_.run(1000);
  ASSERT_EQ(r.reason, cpu::StopReason::kBreakpoint);
  EXPECT_EQ(machine_.cpu().icount, 5u);  // inc, jmp, mov
  EXPECT_EQ(machine_.cpu().gpr[0], 2u);

  machine_.debug().breakpoints.clear();
  machine_.debug_changed();
  machine_.debug().skip_breakpoint_once = true;
  r = machine_.run(100);
  EXPECT_EQ(r.reason, cpu::StopReason::kTarget);
  EXPECT_EQ(machine_.cpu().icount, 100u);
}

TEST_F(DebugTest, BreakpointInTheMiddleOfStraightLineCode) {
  load(kLoop);
  machine_.debug().breakpoints.insert(0x100005);
  machine_.debug_changed();
  RunResult r = machine_.run(1000);
  ASSERT_EQ(r.reason, cpu::StopReason::kBreakpoint);
  EXPECT_EQ(machine_.cpu().rip, 0x100005u);
  EXPECT_EQ(machine_.cpu().icount, 1u);
}

TEST_F(DebugTest, WriteWatchpointStopsAfterTheWritingInstruction) {
  load(kLoop);
  machine_.debug().watchpoints.push_back({0x200002, 1, cpu::WatchKind::kWrite});
  machine_.debug_changed();
  RunResult r = machine_.run(1000);
  ASSERT_EQ(r.reason, cpu::StopReason::kWatchpoint);
  EXPECT_EQ(machine_.cpu().rip, 0x10000au);
  EXPECT_EQ(machine_.cpu().icount, 2u);
  EXPECT_EQ(machine_.debug().stop.address, 0x200002u);
  uint32_t v = 0;
  ASSERT_TRUE(machine_.read_virtual(0x200000, &v, 4));
  EXPECT_EQ(v, 1u);

  r = machine_.run(1000);  // next iteration writes 2
  ASSERT_EQ(r.reason, cpu::StopReason::kWatchpoint);
  EXPECT_EQ(machine_.cpu().icount, 5u);
}

TEST_F(DebugTest, ReadWatchpointIgnoresWrites) {
  load(kLoop);
  machine_.debug().watchpoints.push_back({0x200000, 4, cpu::WatchKind::kRead});
  machine_.debug_changed();
  RunResult r = machine_.run(1000);
  EXPECT_EQ(r.reason, cpu::StopReason::kTarget);
}

TEST_F(DebugTest, FatalExceptionStopsBeforeTheTripleFault) {
  load({0x31, 0xC0, 0x0F, 0x0B});  // xor eax, eax; ud2 (there is no IDT)
  machine_.debug();
  RunResult r = machine_.run(1000);
  ASSERT_EQ(r.reason, cpu::StopReason::kException);
  EXPECT_EQ(machine_.debug().stop.vector, 6);
  EXPECT_EQ(machine_.cpu().rip, kEntry + 2);
  EXPECT_EQ(machine_.cpu().icount, 1u);
}

TEST_F(DebugTest, WithoutDebuggerTheSameFaultIsATripleFault) {
  load({0x31, 0xC0, 0x0F, 0x0B});
  RunResult r = machine_.run(1000);
  EXPECT_EQ(r.reason, cpu::StopReason::kShutdown);
}

TEST_F(DebugTest, VirtualMemoryAccessThroughPageTablesLeavesAccessedBitsAlone) {
  load({0xF4});
  // 32-bit paging: PD at 0x10000 maps 0xC0000000 (PDE 768) to a PT at 0x11000,
  // whose entry 5 maps 0xC0005000 to physical 0x300000.
  uint32_t pde = 0x11000 | 3, pte = 0x300000 | 3;
  machine_.memory().write(0x10000 + 768 * 4, &pde, 4);
  machine_.memory().write(0x11000 + 5 * 4, &pte, 4);
  auto& c = machine_.cpu();
  c.cr3 = 0x10000;
  c.cr0 |= cpu::cr0::PG;
  uint32_t value = 0xDEADBEEF;
  ASSERT_TRUE(machine_.write_virtual(0xC0005FFE, &value, 4) == false);  // crosses into an unmapped page
  ASSERT_TRUE(machine_.write_virtual(0xC0005010, &value, 4));
  uint32_t back = 0;
  machine_.memory().read(0x300010, &back, 4);
  EXPECT_EQ(back, 0xDEADBEEFu);
  ASSERT_TRUE(machine_.read_virtual(0xC0005010, &back, 4));
  EXPECT_EQ(back, 0xDEADBEEFu);
  EXPECT_FALSE(machine_.read_virtual(0xC0006000, &back, 4));
  machine_.memory().read(0x11000 + 5 * 4, &pte, 4);
  EXPECT_EQ(pte & 0x60, 0u);  // neither accessed nor dirty
}

}  // namespace
}  // namespace rw
