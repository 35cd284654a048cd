#include "sse_forms.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "cpu/fault.h"

namespace rw::cputest {

void expect_unavailable_sse_state_faults_first(const std::vector<Form>& forms, const char* group) {
  struct Setting {
    const char* what;
    uint64_t cr0_set, cr4_clear;
    int vector, fx_vector;  // for the SSE forms, for FXSAVE/FXRSTOR (kNoFault: not tried)
  };
  const Setting settings[] = {
      {"CR0.TS", cpu::cr0::TS, 0, cpu::vec::NM, cpu::vec::NM},
      {"CR0.EM", cpu::cr0::EM, 0, cpu::vec::UD, cpu::vec::NM},
      {"CR0.EM and CR0.TS", cpu::cr0::EM | cpu::cr0::TS, 0, cpu::vec::UD, cpu::vec::NM},
      {"CR4.OSFXSR clear", 0, cpu::cr4::OSFXSR, cpu::vec::UD, kNoFault},
  };
  EmuRunner emu;
  const uint64_t cr0 = emu.cpu().cr0, cr4 = emu.cpu().cr4;
  Rng r(group_seed(group));
  unsigned tried = 0, failed = 0;
  for (const Setting& s : settings)
    for (const Form& f : forms) {
      const bool fx = f.name.rfind("FX", 0) == 0;
      const int want = fx ? s.fx_vector : s.vector;
      if (want == kNoFault) continue;
      emu.cpu().cr0 = cr0 | s.cr0_set;
      emu.cpu().cr4 = cr4 & ~s.cr4_clear;
      Regs in = random_regs(r), out;
      random_simd(in, r, f.lanes, 0xFFFF);
      const uint64_t rip = emu.place(f.bytes);
      const int got = EmuRunner::vector_at(emu.run(rip, f.count, in, out, true));
      bool same = out.mxcsr == in.mxcsr && ((out.rflags ^ in.rflags) & cpu::rflags::kArith) == 0;
      for (unsigned k = 0; k < 16; ++k) same &= (k == cpu::RSP || out.gpr[k] == in.gpr[k]) && out.xmm[k] == in.xmm[k];
      ++tried;
      if (got == want && same) continue;
      if (++failed <= 10)
        ADD_FAILURE() << s.what << ": " << f.name << " [" << hex_bytes(f.bytes) << "]: vector " << got << ", expected " << want
                      << (same ? "" : "; the state changed");
    }
  emu.cpu().cr0 = cr0;
  emu.cpu().cr4 = cr4;
  std::printf("  %u cases, %u wrong\n", tried, failed);
  EXPECT_EQ(failed, 0u);
}

}  // namespace rw::cputest
