// The disassembly at the cursor: known bytes in a test machine's memory, decoded in the
// CPU's mode at CS:RIP through the guest's page tables, as gdb would print them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "machine/machine.h"
#include "web/disassembly.h"

namespace rw::web {
namespace {

constexpr uint32_t kEntry = 0x100000;

// "0x100000 b8 01 00 00 00  mov $0x1, %eax": one line per instruction, easy to compare.
std::vector<std::string> lines(const Disassembly& d) {
  std::vector<std::string> out;
  for (const DisassembledInstruction& i : d.instructions) {
    std::string s = fmt::format("0x{:x}", i.address);
    for (uint8_t b : i.bytes) s += fmt::format(" {:02x}", b);
    out.push_back(s + "  " + i.text);
  }
  return out;
}

class DisassemblyTest : public ::testing::Test {
 protected:
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = 4 << 20;
    c.serial_out = nullptr;
    return c;
  }
  void put(uint64_t phys, const std::vector<uint8_t>& bytes) { machine.memory().write(phys, bytes.data(), bytes.size()); }
  template <class T>
  T read(uint64_t phys) {
    T v;
    machine.memory().read(phys, &v, sizeof v);
    return v;
  }
  // Long mode with 4 KiB pages: virtual kCode -> physical 0x200000 and kCode + 0x1000 ->
  // 0x280000 (not next to it); kCode + 0x2000 is not mapped. Tables at 0x10000-0x13FFF.
  static constexpr uint64_t kCode = 0x7F0000000000ull;
  void enter_long_mode(uint64_t rip) {
    machine.enter_multiboot(kEntry, 0x9500);
    const uint64_t pml4e = 0x11000 | 3, pdpte = 0x12000 | 3, pde = 0x13000 | 3, pte0 = 0x200000 | 3,
                   pte1 = 0x280000 | 3;
    machine.memory().write(0x10000 + ((kCode >> 39) & 511) * 8, &pml4e, 8);
    machine.memory().write(0x11000 + ((kCode >> 30) & 511) * 8, &pdpte, 8);
    machine.memory().write(0x12000 + ((kCode >> 21) & 511) * 8, &pde, 8);
    machine.memory().write(0x13000 + ((kCode >> 12) & 511) * 8, &pte0, 8);
    machine.memory().write(0x13000 + ((kCode >> 12) & 511) * 8 + 8, &pte1, 8);
    cpu::Cpu& c = machine.cpu();
    c.cr4 |= cpu::cr4::PAE;
    c.cr3 = 0x10000;
    c.efer = cpu::efer::LME | cpu::efer::LMA;
    c.cr0 |= cpu::cr0::PG;
    // A 64-bit code segment, and what the CPU derives from it (cpu/segments.cpp's
    // update_mode, internal to the CPU).
    c.seg[cpu::CS].attr = 0xA09B;
    c.code_size = cpu::CodeSize::k64;
    c.lin_mask = ~uint64_t{0};
    c.rip = rip;
  }
  Machine machine{config()};
};

TEST_F(DisassemblyTest, ProtectedMode32BitInATTSyntaxAsGdbPrintsIt) {
  put(kEntry, {0xB8, 0x01, 0x00, 0x00, 0x00,                 // mov $1, %eax
               0xA3, 0x00, 0x00, 0x20, 0x00,                 // mov %eax, 0x200000
               0x40,                                         // inc %eax
               0xEB, 0xF8,                                   // jmp back to the second
               0xFF, 0xD0,                                   // call *%eax
               0xFF, 0x24, 0x85, 0x00, 0x10, 0x00, 0x00,     // jmp *0x1000(,%eax,4)
               0x6A, 0xFF,                                   // push $-1
               0x8B, 0x45, 0xF8,                             // mov -8(%ebp), %eax
               0x0F, 0x04,                                   // not an instruction
               0xFB, 0xF4,                                   // sti; hlt
               0x75, 0x00,                                   // jnz, as gdb names it: jne
               0x0F, 0x97, 0xC0,                             // setnbe %al: seta
               0x0F, 0x4D, 0xC1});                           // cmovnl %ecx, %eax: cmovge
  machine.enter_multiboot(kEntry, 0x9500);
  const Disassembly d = disassemble_at_pc(machine, 14);
  EXPECT_EQ(d.note, "");
  const std::vector<std::string> expected = {
      "0x100000 b8 01 00 00 00  mov $0x1, %eax",
      "0x100005 a3 00 00 20 00  mov %eax, 0x200000",
      "0x10000a 40  inc %eax",
      "0x10000b eb f8  jmp 0x100005",
      "0x10000d ff d0  call *%eax",
      "0x10000f ff 24 85 00 10 00 00  jmp *0x1000(,%eax,4)",
      "0x100016 6a ff  push $0xffffffff",
      "0x100018 8b 45 f8  mov -0x8(%ebp), %eax",
      "0x10001b 0f  (bad)",
      "0x10001c 04 fb  add $0xfb, %al",  // decoding goes on at the next byte, as objdump's
      "0x10001e f4  hlt",
      "0x10001f 75 00  jne 0x100021",
      "0x100021 0f 97 c0  seta %al",
      "0x100024 0f 4d c1  cmovge %ecx, %eax",
  };
  EXPECT_EQ(lines(d), expected);
}

TEST_F(DisassemblyTest, LongModeThroughThePageTablesWithoutSettingAccessedBits) {
  // Starts 4 bytes before the end of the first page: the lea is in both pages.
  put(0x200FFC, {0x48, 0x8D, 0x05, 0x0E});
  put(0x280000, {0x2F, 0x00, 0x00,                             // lea 0x2f0e(%rip), %rax
                 0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF,     // mov $-1, %rax
                 0x06,                                         // push %es: not in 64-bit mode
                 0xFF, 0x15, 0x10, 0x00, 0x00, 0x00,           // call *0x10(%rip)
                 0x0F, 0x05});                                 // syscall
  enter_long_mode(kCode + 0xFFC);
  const Disassembly d = disassemble_at_pc(machine, 5);
  EXPECT_EQ(d.note, "");
  const std::vector<std::string> expected = {
      "0x7f0000000ffc 48 8d 05 0e 2f 00 00  lea 0x2f0e(%rip), %rax",
      "0x7f0000001003 48 c7 c0 ff ff ff ff  mov $0xffffffffffffffff, %rax",
      "0x7f000000100a 06  (bad)",
      "0x7f000000100b ff 15 10 00 00 00  call *0x10(%rip)",
      "0x7f0000001011 0f 05  syscall",
  };
  EXPECT_EQ(lines(d), expected);
  // Neither the tables nor the pages were marked accessed.
  EXPECT_EQ(read<uint64_t>(0x10000 + ((kCode >> 39) & 511) * 8) & 0x60, 0u);
  EXPECT_EQ(read<uint64_t>(0x13000 + ((kCode >> 12) & 511) * 8) & 0x60, 0u);
  EXPECT_EQ(read<uint64_t>(0x13000 + ((kCode >> 12) & 511) * 8 + 8) & 0x60, 0u);
}

TEST_F(DisassemblyTest, EndsWhereMemoryCannotBeRead) {
  // nop, then a mov whose 8-byte immediate runs into the page that is not mapped.
  put(0x280FF8, {0x90, 0x90, 0x48, 0xB8, 0x11, 0x22, 0x33, 0x44});
  enter_long_mode(kCode + 0x1FF8);
  const Disassembly d = disassemble_at_pc(machine);
  EXPECT_EQ(lines(d), (std::vector<std::string>{"0x7f0000001ff8 90  nop", "0x7f0000001ff9 90  nop"}));
  EXPECT_EQ(d.note, "cannot access memory at 0x7f0000002000");

  machine.cpu().rip = kCode + 0x2000;  // nothing readable at all
  const Disassembly none = disassemble_at_pc(machine);
  EXPECT_TRUE(none.instructions.empty());
  EXPECT_EQ(none.note, "cannot access memory at 0x7f0000002000");

  machine.cpu().rip = 0x0000800000000000ull;  // not canonical
  EXPECT_EQ(disassemble_at_pc(machine).note, "cannot access memory at 0x800000000000");
}

TEST_F(DisassemblyTest, RealModeReadsFromCSBase) {
  machine.enter_multiboot(kEntry, 0x9500);
  cpu::Cpu& c = machine.cpu();
  c.cr0 &= ~cpu::cr0::PE;
  c.seg[cpu::CS] = {.selector = 0x1000, .base = 0x10000, .limit = 0xFFFF, .attr = 0x9B};
  c.seg[cpu::SS] = {.selector = 0, .base = 0, .limit = 0xFFFF, .attr = 0x93};  // a 16-bit stack
  c.seg_base[cpu::CS] = 0x10000;
  c.code_size = cpu::CodeSize::k16;
  c.rip = 0x100;
  put(0x10100, {0xB8, 0x34, 0x12, 0xCD, 0x10, 0x66, 0x50});  // mov $0x1234, %ax; int $0x10; push %eax
  const Disassembly d = disassemble_at_pc(machine, 3);
  EXPECT_EQ(lines(d), (std::vector<std::string>{"0x100 b8 34 12  mov $0x1234, %ax", "0x103 cd 10  int $0x10",
                                                "0x105 66 50  push %eax"}));
}

}  // namespace
}  // namespace rw::web
