// A guest may do anything at all: random bytes as code, in 32-bit mode with random
// descriptor tables and in 64-bit mode with identity paging, must end in a clean stop
// (triple fault, hang, instruction limit, exit, reset) and never crash or hang the host.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cpu/segments.h"
#include "machine/machine.h"

namespace rw {
namespace {

constexpr uint32_t kEntry = 0x100000;
constexpr uint64_t kLimit = 200000;

MachineConfig small() {
  MachineConfig c;
  c.memory_bytes = 4 << 20;
  c.serial_out = nullptr;
  return c;
}

void fill_random(Machine& m, std::mt19937_64& rng, uint64_t at, size_t len) {
  std::vector<uint8_t> bytes(len);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  m.memory().write(at, bytes.data(), bytes.size());
}

bool clean_stop(cpu::StopReason r) {
  return r == cpu::StopReason::kTarget || r == cpu::StopReason::kShutdown || r == cpu::StopReason::kHalted ||
         r == cpu::StopReason::kExit || r == cpu::StopReason::kReset;
}

TEST(RandomCode, ProtectedModeWithRandomTables) {
  std::mt19937_64 rng(0x5EED);
  int shutdowns = 0;
  for (int round = 0; round < 600; ++round) {
    Machine m(small());
    fill_random(m, rng, kEntry, 64 * 1024);
    fill_random(m, rng, 0x1000, 8 * 1024);  // where the tables point
    m.enter_multiboot(kEntry, 0x9500);
    cpu::Cpu& c = m.cpu();
    c.gdtr = {0x1000, 0x3FF};
    c.idtr = {0x1800, 0x7FF};
    for (auto& r : c.gpr) r = rng() & 0x3FFFFF;
    RunResult r = m.run(kLimit);
    EXPECT_TRUE(clean_stop(r.reason)) << "round " << round << ": " << r.message;
    shutdowns += r.reason == cpu::StopReason::kShutdown;
  }
  EXPECT_GT(shutdowns, 0);
}

TEST(RandomCode, LongModeWithIdentityPaging) {
  std::mt19937_64 rng(0x64B17);
  for (int round = 0; round < 600; ++round) {
    Machine m(small());
    // PML4 at 0x10000 -> PDPT at 0x11000 -> PD at 0x12000 with 2 MiB pages over 4 MiB.
    uint64_t pml4 = 0x11000 | 7, pdpt = 0x12000 | 7, pd0 = 0x0 | 0x87, pd1 = 0x200000 | 0x87;
    m.memory().write(0x10000, &pml4, 8);
    m.memory().write(0x11000, &pdpt, 8);
    m.memory().write(0x12000, &pd0, 8);
    m.memory().write(0x12008, &pd1, 8);
    fill_random(m, rng, kEntry, 64 * 1024);
    fill_random(m, rng, 0x1000, 8 * 1024);
    m.enter_multiboot(kEntry, 0x9500);
    cpu::Cpu& c = m.cpu();
    c.cr4 = cpu::cr4::PAE;
    c.cr3 = 0x10000;
    c.efer = cpu::efer::LME | cpu::efer::LMA | cpu::efer::NXE | cpu::efer::SCE;
    c.cr0 |= cpu::cr0::PG;
    c.gdtr = {0x1000, 0xFFF};
    c.idtr = {0x1800, 0xFFF};
    cpu::set_code_segment(c, 0x08, 0x00AF9B000000FFFFull, 0);
    for (auto& r : c.gpr) r = rng() & 0x3FFFFF;
    c.gpr[cpu::RSP] = 0x300000;
    RunResult r = m.run(kLimit);
    EXPECT_TRUE(clean_stop(r.reason)) << "round " << round << ": " << r.message;
  }
}

}  // namespace
}  // namespace rw
