// The x87 side of the harness: the state goes in and comes out of the host CPU as the
// differential tests assume (FXRSTOR64 before the bytes, FXSAVE64 after them, the signal
// frame at a fault), #MF is caught at the waiting instruction after the one that raised it,
// the test process's own x87 state survives, and the comparison sees every kind of x87
// difference (this last part needs the emulator's x87).
#include <gtest/gtest.h>

#include <cstring>

#include "forms.h"

namespace rw::cputest {
namespace {

using namespace x87b;

X87Regs::Reg reg(uint16_t se, uint64_t m) {
  X87Regs::Reg r;
  r.sign_exponent = se;
  r.significand = m;
  return r;
}

const X87Regs::Reg kOne = reg(0x3FFF, 0x8000000000000000ull), kTwo = reg(0x4000, 0x8000000000000000ull);
const X87Regs::Reg kZero = reg(0, 0), kThree = reg(0x4000, 0xC000000000000000ull);

uint16_t own_control_word() {
  uint16_t cw;
  asm volatile("fnstcw %0" : "=m"(cw));
  return cw;
}

TEST(X87Harness, NativeStateInAndOut) {
  NativeRunner native;
  NativeFaultCatcher catcher;
  // The process's own x87: a control word of its own and a value on its stack.
  const uint16_t own = 0x27F;  // round to nearest, double precision
  asm volatile("fldcw %0" ::"m"(own));
  long double kept = 3.25L;
  asm volatile("fldt %0" ::"m"(kept));
  Regs in, out;
  in.x87.fcw = 0x37F;
  in.x87.fsw = 3 << 11;  // TOP = 3
  in.x87.set_empty(0, false);
  in.x87.set_empty(1, false);
  in.x87.st[0] = kOne;
  in.x87.st[1] = kTwo;
  // fadd st0, st1; fwait: ST(0) = 3, nothing else changes.
  native.load(Bytes{0xD8, 0xC1, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), kNoFault);
  EXPECT_EQ(out.x87.st[0], kThree);
  EXPECT_EQ(out.x87.st[1], kTwo);
  EXPECT_EQ(out.x87.fsw, in.x87.fsw);
  EXPECT_EQ(out.x87.ftw, in.x87.ftw);
  EXPECT_EQ(out.x87.fcw, 0x37F);
  // fld1; fwait: a push, TOP 3 -> 2, ST(0) = 1, the old ST(0) is ST(1) now.
  native.load(Bytes{0xD9, 0xE8, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), kNoFault);
  EXPECT_EQ(out.x87.top(), 2u);
  EXPECT_EQ(out.x87.st[0], kOne);
  EXPECT_EQ(out.x87.st[1], kOne);
  EXPECT_EQ(out.x87.st[2], kTwo);
  EXPECT_FALSE(out.x87.empty(0));
  // fdiv st0, st2 with ST(2) empty: a stack underflow (IE, SF, C1 = 0); with IM clear, ES
  // and B, and #MF at the FWAIT; the instruction's FOP and FIP are kept, ST(0) unchanged.
  in.x87.st[2] = kZero;
  in.x87.fcw = 0x37F & ~IE;
  native.load(Bytes{0xD8, 0xF2, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), 16);
  EXPECT_EQ(native.last_fault().offset, 2u);
  EXPECT_EQ(out.x87.fsw & (IE | SF | ES | B | C1), IE | SF | ES | B);
  EXPECT_EQ(out.x87.st[0], kOne);
  EXPECT_EQ(out.x87.fop, 0x0F2);  // D8 F2: (0xD8 & 7) << 8 | F2
  EXPECT_EQ(out.x87.fip, native.code_address());
  // The same exception pending on input: #MF at the instruction itself, nothing changed.
  in.x87.fsw = static_cast<uint16_t>(in.x87.fsw | IE | ES | B);
  in.x87.fip = 0x5A5A12345670ull;
  in.x87.fop = 0x123;
  native.load(Bytes{0xD8, 0xC1, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), 16);
  EXPECT_EQ(native.last_fault().offset, 0u);
  EXPECT_EQ(out.x87.st[0], kOne);
  EXPECT_EQ(out.x87.fsw, in.x87.fsw);
  EXPECT_EQ(out.x87.fip, in.x87.fip);
  EXPECT_EQ(out.x87.fop, in.x87.fop);
  // A non-waiting instruction runs (fnstsw ax), and the FWAIT after it faults.
  native.load(Bytes{0xDF, 0xE0, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), 16);
  EXPECT_EQ(native.last_fault().offset, 2u);
  EXPECT_EQ(out.gpr[cpu::RAX] & 0xFFFF, in.x87.fsw);
  // fnclex clears it: the FWAIT runs.
  native.load(Bytes{0xDB, 0xE2, 0x9B}, true, true);
  ASSERT_EQ(native.run(in, out), kNoFault);
  EXPECT_EQ(out.x87.fsw & (kFlags | SF | ES | B), 0);
  // The process's own x87 state is its own again.
  EXPECT_EQ(own_control_word(), own);
  long double back;
  asm volatile("fstpt %0" : "=m"(back));
  EXPECT_EQ(back, kept);
  const uint16_t standard = 0x37F;
  asm volatile("fldcw %0" ::"m"(standard));
}

// Every kind of x87 difference is seen: the emulator runs other bytes of the same length.
TEST(X87Harness, DetectsX87Differences) {
  struct Case {
    const char* what;
    Bytes native, emulated;
  };
  const Case cases[] = {
      {"a register", {0xD9, 0xE8}, {0xD9, 0xEE}},              // fld1 vs fldz
      {"TOP and tags", {0xD9, 0xF6}, {0xD9, 0xF7}},            // fdecstp vs fincstp
      {"condition codes", {0xD9, 0xE4}, {0xD9, 0xE5}},         // ftst vs fxam
      {"control word", {0xD9, 0xE0}, {0xDB, 0xE3}},            // fchs vs fninit
      {"an unmasked exception", {0xD8, 0xF1}, {0xD8, 0xC9}},   // fdiv vs fmul st0, st1
  };
  for (const Case& c : cases) {
    Form f;
    f.name = c.what;
    f.bytes = c.native;
    f.bytes.push_back(0x9B);
    f.emu_bytes = c.emulated;
    f.emu_bytes.push_back(0x9B);
    f.count = 2;
    f.x87 = true;
    const RunStats st = run_forms({f}, 200, test_seed(), false);
    EXPECT_GT(st.failures, 40u) << c.what;
  }
}

}  // namespace
}  // namespace rw::cputest
