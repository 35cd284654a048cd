// Sequences where the translator keeps state between instructions (the host's flags, the
// lazy flags it leaves out), checked on the result the architecture gives: the same under
// each engine (these tests run with the translator and, as interp.*, the interpreter).
#include <gtest/gtest.h>

#include "cpu/fault.h"
#include "encoder.h"
#include "forms.h"
#include "harness.h"

namespace rw::cputest {
namespace {

using cpu::RAX;
using cpu::RBX;
using cpu::RCX;
using cpu::RSI;
using cpu::RSP;

// INC leaves CF alone, so a JC after it asks for the stored CF; a JZ after that must still
// see INC's ZF (not what testing JC's condition left in the host's flags).
TEST(CpuSequence, ConditionsAfterIncDependOnIncOnly) {
  const Bytes code = {0xFF, 0xC0,         // inc eax
                      0x72, 0x05,         // jc end
                      0x74, 0x03,         // jz end
                      0x83, 0xC1, 0x01};  // add ecx, 1
  EmuRunner emu;
  for (int round = 0; round < 3; ++round) {  // translated the first time, then reused
    for (uint64_t eax : {5ull, 0xFFFFFFFFull}) {
      for (uint64_t cf : {0ull, 1ull}) {
        const uint64_t rip = emu.place(code);
        Regs in, out;
        in.gpr[RAX] = eax;
        in.gpr[RCX] = 10;
        in.rflags = cf ? cpu::rflags::CF : 0;
        const bool zero = eax == 0xFFFFFFFF;
        const bool add_runs = !cf && !zero;
        emu.run(rip, cf ? 2 : zero ? 3 : 4, in, out);
        EXPECT_EQ(out.gpr[RCX], add_runs ? 11u : 10u) << "eax " << eax << " cf " << cf;
        EXPECT_EQ(out.gpr[RAX], zero ? 0u : 6u);
        // CF: INC's (the one before it) unless the ADD ran (no carry).
        EXPECT_EQ(out.rflags & cpu::rflags::CF, cf ? cpu::rflags::CF : 0);
      }
    }
  }
}

// A rotate right after an ADD takes SF ZF AF PF from the host's flags (LAHF, SETO) and
// sets CF and OF itself: 0x80000000 + 0x80000000 = 0 (CF ZF PF OF), then ROL 0 by 20.
TEST(CpuSequence, RotateAfterAddKeepsTheAddsFlags) {
  const Bytes code = {0x01, 0xC8,         // add eax, ecx
                      0xC1, 0xC0, 0x14};  // rol eax, 20
  EmuRunner emu;
  for (int round = 0; round < 3; ++round) {
    const uint64_t rip = emu.place(code);
    Regs in, out;
    in.gpr[RAX] = 0x80000000;
    in.gpr[RCX] = 0x80000000;
    in.rflags = cpu::rflags::SF | cpu::rflags::AF;  // both cleared by the ADD
    emu.run(rip, 2, in, out);
    EXPECT_EQ(out.gpr[RAX], 0u);
    EXPECT_EQ(out.rflags & cpu::rflags::kArith, cpu::rflags::ZF | cpu::rflags::PF) << std::hex << out.rflags;
  }
}

// An ADD's flags, overwritten two instructions later by XOR, are what a fault in between
// pushes: the translator may leave a flag store out only where no fault can see it.
TEST(CpuSequence, FlagsBeforeAFaultAreInItsFrame) {
  const Bytes code = {0x01, 0xD8,   // add eax, ebx
                      0x8B, 0x0E,   // mov ecx, [rsi]: non-canonical, #GP(0)
                      0x31, 0xD2};  // xor edx, edx
  EmuRunner emu;
  for (int round = 0; round < 3; ++round) {
    const uint64_t rip = emu.place(code);
    Regs in, out;
    in.gpr[RAX] = 0xFFFFFFFF;
    in.gpr[RBX] = 1;
    in.gpr[RSI] = 0x8000000000000000ull;
    in.rflags = 0;
    const uint64_t end = emu.run(rip, 3, in, out);
    ASSERT_EQ(EmuRunner::vector_at(end), cpu::vec::GP) << std::hex << end;
    const uint64_t frame = out.gpr[RSP];  // error code, RIP, CS, RFLAGS, RSP, SS
    uint64_t error = 1, frame_rip = 0, flags = 0;
    emu.memory().read(frame, &error, 8);
    emu.memory().read(frame + 8, &frame_rip, 8);
    emu.memory().read(frame + 24, &flags, 8);
    EXPECT_EQ(error, 0u);
    EXPECT_EQ(frame_rip, rip + 2) << "the MOV faulted";
    EXPECT_EQ(out.gpr[RAX], 0u) << "the ADD ran";
    // 0xFFFFFFFF + 1 = 0: CF, PF, AF, ZF.
    EXPECT_EQ(flags & cpu::rflags::kArith,
              cpu::rflags::CF | cpu::rflags::PF | cpu::rflags::AF | cpu::rflags::ZF) << std::hex << flags;
  }
}

}  // namespace
}  // namespace rw::cputest
