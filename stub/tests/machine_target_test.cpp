// MachineTarget against a real machine: what a hostile or careless gdb client can ask for
// (breakpoints by the ten thousand, watch ranges of any length, ranges that wrap past 2^64)
// costs neither time nor memory in proportion to the numbers it carries.
#include <gtest/gtest.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include "cpu/debug.h"
#include "machine/machine.h"
#include "stub/machine_target.h"
#include "stub/x86_registers.h"

namespace rw::stub {
namespace {

constexpr uint32_t kEntry = 0x100000;

// 100000: mov eax, 1
// 100005: mov [0x200000], eax
// 10000a: inc eax
// 10000b: jmp 100005
const std::vector<uint8_t> kLoop = {0xB8, 1, 0, 0, 0, 0xA3, 0, 0, 0x20, 0, 0x40, 0xEB, 0xF8};

class MachineTargetTest : public ::testing::Test {
 protected:
  MachineTargetTest() : machine_(config()), target_(machine_, /*is64=*/false, 0, [](const RunResult&) { return 0; }) {
    machine_.memory().write(kEntry, kLoop.data(), kLoop.size());
    machine_.enter_multiboot(kEntry, 0x9500);
    target_.attach();
  }
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = 4 << 20;
    c.serial_out = stdout;
    return c;
  }
  uint64_t flushes() { return machine_.code_cache_flushes(); }
  // Continues for one slice (the loop never ends by itself).
  std::optional<StopEvent> continue_once() {
    target_.resume({ResumeKind::kContinue, 0});
    return target_.run_slice();
  }

  Machine machine_;
  MachineTarget target_;
};

TEST_F(MachineTargetTest, ManyBreakpointChangesFlushTheCodeCacheOnceWhenTheGuestResumes) {
  ASSERT_FALSE(continue_once());  // traces built, one flush for the attach
  const uint64_t before = flushes();
  for (uint64_t i = 0; i < 10'000; ++i) ASSERT_TRUE(target_.add_sw_breakpoint(0x300000 + 16 * i));
  for (uint64_t i = 0; i < 10'000; i += 2) ASSERT_TRUE(target_.add_hw_breakpoint(0x300000 + 16 * i));
  EXPECT_EQ(flushes(), before) << "setting a breakpoint must not flush the code cache";
  EXPECT_EQ(machine_.debug().breakpoints.size(), 10'000u);
  ASSERT_FALSE(continue_once());
  EXPECT_EQ(flushes(), before + 1);
  ASSERT_FALSE(continue_once());
  EXPECT_EQ(flushes(), before + 1) << "nothing changed: no flush";

  // A software and a hardware breakpoint at one address: removing one keeps the other.
  for (uint64_t i = 0; i < 10'000; ++i) ASSERT_TRUE(target_.remove_sw_breakpoint(0x300000 + 16 * i));
  EXPECT_EQ(machine_.debug().breakpoints.size(), 5'000u);
  EXPECT_EQ(flushes(), before + 1);
  ASSERT_FALSE(continue_once());
  EXPECT_EQ(flushes(), before + 2);

  ASSERT_TRUE(target_.add_sw_breakpoint(0x10000a));
  std::optional<StopEvent> stop = continue_once();
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->why, StopEvent::Why::kSwBreak);
  EXPECT_EQ(machine_.cpu().rip, 0x10000au);
  EXPECT_EQ(flushes(), before + 3);
}

size_t regno_of(bool is64, const char* name) {
  const auto& regs = x86_registers(is64);
  for (size_t i = 0; i < regs.size(); ++i)
    if (std::string_view(regs[i].name) == name) return i;
  return regs.size();
}

TEST_F(MachineTargetTest, XmmRegistersAndMxcsrReadAndWriteTheMachine) {
  cpu::Cpu& c = machine_.cpu();
  c.xmm[1] = cpu::Xmm{{0x0706050403020100ull, 0x0F0E0D0C0B0A0908ull}};
  const size_t xmm1 = regno_of(false, "xmm1"), mxcsr = regno_of(false, "mxcsr");
  ASSERT_EQ(target_.register_size(xmm1), 16u);
  std::vector<uint8_t> bytes(16);
  ASSERT_TRUE(target_.read_register(xmm1, bytes));
  for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(bytes[i], i);
  for (auto& b : bytes) b ^= 0xA5;
  ASSERT_TRUE(target_.write_register(xmm1, bytes));
  EXPECT_EQ(c.xmm[1].q[0], 0x0706050403020100ull ^ 0xA5A5A5A5A5A5A5A5ull);
  EXPECT_EQ(c.xmm[1].q[1], 0x0F0E0D0C0B0A0908ull ^ 0xA5A5A5A5A5A5A5A5ull);

  std::vector<uint8_t> word(4);
  ASSERT_TRUE(target_.read_register(mxcsr, word));
  EXPECT_EQ(word, (std::vector<uint8_t>{0x80, 0x1F, 0, 0}));
  word = {0x80, 0x7F, 0, 0};  // round toward zero
  ASSERT_TRUE(target_.write_register(mxcsr, word));
  EXPECT_EQ(c.mxcsr, 0x7F80u);
  word = {0x80, 0x1F, 1, 0};  // bit 16 is reserved: LDMXCSR would raise #GP
  EXPECT_FALSE(target_.write_register(mxcsr, word));
  EXPECT_EQ(c.mxcsr, 0x7F80u);

  // A 32-bit target has xmm0-7; a 64-bit one xmm0-15.
  EXPECT_EQ(regno_of(false, "xmm8"), x86_registers(false).size());
  EXPECT_LT(regno_of(true, "xmm15"), x86_registers(true).size());
}

TEST_F(MachineTargetTest, BreakpointsAreLimited) {
  auto& d = machine_.debug();
  for (uint64_t a = 0; d.breakpoints.size() < cpu::kMaxBreakpoints; ++a) ASSERT_TRUE(target_.add_sw_breakpoint(a));
  EXPECT_FALSE(target_.add_sw_breakpoint(~uint64_t{0}));
  EXPECT_TRUE(target_.add_sw_breakpoint(0)) << "one already there can be set again";
  EXPECT_TRUE(target_.add_hw_breakpoint(0));
}

TEST_F(MachineTargetTest, WatchRangesCostTheSameWhateverTheirLength) {
  // i386: addresses are 32 bits; a range must not wrap and must touch the first 4 GiB.
  EXPECT_FALSE(target_.add_watchpoint(0xFFFFFFFFFFFFFF00ull, 0x200, WatchType::kWrite));
  EXPECT_FALSE(target_.add_watchpoint(~uint64_t{0}, 2, WatchType::kAccess));
  EXPECT_FALSE(target_.add_watchpoint(0x100000000ull, 16, WatchType::kWrite));
  EXPECT_FALSE(target_.add_watchpoint(0x1000, 0, WatchType::kWrite));
  EXPECT_TRUE(target_.add_watchpoint(0x1000, 0xFFFFFFFFFFFFull, WatchType::kWrite));
  EXPECT_TRUE(target_.add_watchpoint(0x1000, 0x1000000000ull, WatchType::kRead));
  EXPECT_TRUE(target_.add_watchpoint(0, ~uint64_t{0}, WatchType::kAccess));
  // Applied when the guest runs: the watched pages are ranges, not one entry per page.
  std::optional<StopEvent> stop = continue_once();
  ASSERT_TRUE(stop);
  EXPECT_EQ(machine_.debug().watched_pages.size(), 1u);
  EXPECT_TRUE(machine_.debug().page_watched(0));
  EXPECT_TRUE(machine_.debug().page_watched(0xFFFFFFFFFFFFFull));
  // The first access the loop makes is its write of [0x200000]: the access watchpoint
  // (the only one that sees writes to it... and the write watchpoint too: the first set wins).
  EXPECT_EQ(stop->why, StopEvent::Why::kWatch);
  EXPECT_EQ(stop->address, 0x1000u);
  EXPECT_EQ(machine_.cpu().icount, 2u);
}

TEST_F(MachineTargetTest, WatchpointsAreLimited) {
  for (size_t i = 0; i < cpu::kMaxWatchpoints; ++i) ASSERT_TRUE(target_.add_watchpoint(0x1000 + 4 * i, 4, WatchType::kWrite));
  EXPECT_FALSE(target_.add_watchpoint(0x8000, 4, WatchType::kWrite));
  EXPECT_TRUE(target_.remove_watchpoint(0x1000, 4, WatchType::kWrite));
  EXPECT_TRUE(target_.add_watchpoint(0x8000, 4, WatchType::kWrite));
}

TEST(MachineTarget64, WatchRangesMustTouchCanonicalAddresses) {
  MachineConfig c;
  c.memory_bytes = 4 << 20;
  c.serial_out = stdout;
  Machine m(c);
  MachineTarget t(m, /*is64=*/true, 0, [](const RunResult&) { return 0; });
  t.attach();
  EXPECT_FALSE(t.add_watchpoint(0x0000800000000000ull, 0x1000, WatchType::kWrite));  // in the hole
  EXPECT_TRUE(t.add_watchpoint(0x00007FFFFFFFF000ull, 0x2000, WatchType::kWrite));    // ends in it
  EXPECT_TRUE(t.add_watchpoint(0xFFFF7FFFFFFFF000ull, 0x2000, WatchType::kWrite));    // ends past it
  EXPECT_TRUE(t.add_watchpoint(0xFFFFFFFFFFFFF000ull, 0x1000, WatchType::kWrite));    // up to 2^64 exactly
  EXPECT_FALSE(t.add_watchpoint(0xFFFFFFFFFFFFF000ull, 0x1001, WatchType::kWrite));   // past it
}

TEST_F(MachineTargetTest, MemoryRangesThatWrapOrLeaveTheAddressSpaceAreRefusedWholly) {
  std::vector<uint8_t> bytes(0x2000, 0x41);
  EXPECT_FALSE(target_.write_memory(0xFFFFFFFFFFFFFF00ull, std::span<const uint8_t>(bytes.data(), 0x100)));
  EXPECT_FALSE(target_.write_memory(~uint64_t{0}, std::span<const uint8_t>(bytes.data(), 1)));
  EXPECT_FALSE(target_.write_memory(0xFFFFFFFFFFFFF000ull, std::span<const uint8_t>(bytes.data(), 0x1000)));
  // Outside 64-bit mode linear addresses are 32 bits: no wrapping to 0 at 4 GiB either.
  EXPECT_FALSE(target_.write_memory(0xFFFFF000ull, std::span<const uint8_t>(bytes.data(), 0x2000)));
  EXPECT_FALSE(target_.write_memory(0x100000000ull, std::span<const uint8_t>(bytes.data(), 4)));
  std::vector<uint8_t> out(0x200);
  EXPECT_FALSE(target_.read_memory(0xFFFFFFFFFFFFFF00ull, out));
  EXPECT_FALSE(target_.read_memory(0xFFFFFF00ull, out));
  // Nothing was written anywhere: low memory (where a wrapped write would land) is intact.
  std::vector<uint8_t> low(0x100);
  ASSERT_TRUE(target_.read_memory(0, low));
  EXPECT_EQ(low, std::vector<uint8_t>(0x100, 0));
  ASSERT_TRUE(target_.write_memory(0x3FFF00, std::span<const uint8_t>(bytes.data(), 0x100)));  // the last bytes
  EXPECT_FALSE(target_.write_memory(0x3FFF00, std::span<const uint8_t>(bytes.data(), 0x101)));
}

}  // namespace
}  // namespace rw::stub
