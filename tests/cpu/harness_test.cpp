// The harness itself: undefined results are held to rewind's table, and a case with
// undefined results but no table fails rather than passing unchecked.
#include <gtest/gtest.h>

#include "forms.h"
#include "undefined_table.h"

namespace rw::cputest {
namespace {

using namespace fl;

Form mul_rbx() {
  Form f;
  f.name = "MUL rbx";
  f.bytes = {0x48, 0xF7, 0xE3};
  f.check = [](const Regs&) { return Check{OF | CF}; };
  return f;
}

void mul_table(const Regs& in, uint64_t, Regs& e) {
  e.rflags = table::multiply_flags(false, 8, in.gpr[cpu::RAX], in.gpr[cpu::RBX], in.rflags);
}

TEST(CpuHarness, UndefinedFlagsFollowTheTable) {
  Form right = mul_rbx();
  right.table = mul_table;
  const RunStats ok = run_forms({right}, 200, 1, false);
  EXPECT_EQ(ok.failures, 0u);
  EXPECT_EQ(ok.cases, 200u);

  Form wrong = mul_rbx();
  wrong.table = [](const Regs& in, uint64_t m, Regs& e) {
    mul_table(in, m, e);
    e.rflags ^= ZF;  // a table that disagrees with rewind on one undefined flag
  };
  EXPECT_EQ(run_forms({wrong}, 200, 1, false).failures, 200u);

  EXPECT_EQ(run_forms({mul_rbx()}, 50, 1, false).failures, 50u) << "undefined flags without a table";
}

TEST(CpuHarness, UndefinedRegisterBitsFollowTheTable) {
  // REP CMPSW with a 32-bit address size and ECX = 0: RCX's upper half is the table's.
  Form f;
  f.name = "REP CMPSW a32, ECX = 0";
  f.bytes = {0x67, 0x66, 0xF3, 0xA7};
  // ECX = 0 below a nonzero upper half, where Intel's zero-extension would show.
  f.fixup = [](Regs& s, Rng&) { s.gpr[cpu::RCX] = (s.gpr[cpu::RCX] | uint64_t{1} << 63) & 0xFFFFFFFF00000000ull; };
  f.check = [](const Regs&) {
    Check c;
    c.undefined[cpu::RCX] = 0xFFFFFFFF00000000ull;
    return c;
  };
  f.table = [](const Regs& in, uint64_t, Regs& e) { e.gpr[cpu::RCX] = in.gpr[cpu::RCX]; };
  EXPECT_EQ(run_forms({f}, 100, 2, false).failures, 0u);
  f.table = [](const Regs&, uint64_t, Regs& e) { e.gpr[cpu::RCX] = 0; };  // Intel's value, not rewind's
  EXPECT_EQ(run_forms({f}, 100, 2, false).failures, 100u);
}

}  // namespace
}  // namespace rw::cputest
