// The SIMD side of the harness: faults of the bytes under test are caught natively and
// leave the process as it was, and the comparison sees every kind of SIMD difference.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <cstring>

#include "forms.h"

namespace rw::cputest {
namespace {

using namespace cpu::mxcsr;

struct sigaction current_action(int signal) {
  struct sigaction sa {};
  sigaction(signal, nullptr, &sa);
  return sa;
}

void set_lanes(cpu::Xmm& x, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  x.q[0] = uint64_t{b} << 32 | a;
  x.q[1] = uint64_t{d} << 32 | c;
}

TEST(SseHarness, NativeFaultsAreCaughtAndTheProcessRecovers) {
  const struct sigaction fpe_before = current_action(SIGFPE), segv_before = current_action(SIGSEGV);
  const uint32_t own_mxcsr = _mm_getcsr();
  NativeRunner native;
  {
    NativeFaultCatcher catcher;
    Regs in, out;
    set_lanes(in.xmm[0], 0x3F800000, 0x7F800001, 0x3F800000, 0x3F800000);  // an SNaN in lane 1
    set_lanes(in.xmm[1], 0x3F800000, 0x3F800000, 0x3F800000, 0x3F800000);
    in.xmm[7] = cpu::Xmm{{0x0123456789ABCDEFull, 0xFEDCBA9876543210ull}};
    in.gpr[cpu::R11] = 0x1111;
    // addps xmm0, xmm1 with invalid-operation unmasked: #XM, nothing written, IE set.
    native.load(Bytes{0x0F, 0x58, 0xC1}, true);
    in.mxcsr = kMasks & ~IM;
    EXPECT_EQ(native.run(in, out), 19);
    EXPECT_EQ(native.last_fault().offset, 0u);
    EXPECT_EQ(out.mxcsr, in.mxcsr | IE);
    EXPECT_EQ(out.xmm[0], in.xmm[0]);
    EXPECT_EQ(out.xmm[7], in.xmm[7]);
    EXPECT_EQ(out.gpr[cpu::R11], 0x1111u);
    EXPECT_EQ(_mm_getcsr(), own_mxcsr);
    // Masked, the same runs through: a QNaN, IE set.
    in.mxcsr = kMasks;
    EXPECT_EQ(native.run(in, out), kNoFault);
    EXPECT_EQ(out.xmm[0].q[0] >> 32, 0x7FC00001u);
    EXPECT_EQ(out.mxcsr, kMasks | IE);
    EXPECT_EQ(_mm_getcsr(), own_mxcsr);
    // movaps xmm0, [rbx] misaligned: #GP(0).
    native.load(Bytes{0x0F, 0x28, 0x03}, true);
    in.gpr[cpu::RBX] = native.window_address() + 8;
    EXPECT_EQ(native.run(in, out), 13);
    EXPECT_EQ(native.last_fault().error, 0u);
    // The second of two instructions faults: its offset.
    native.load(Bytes{0x90, 0x0F, 0x0B}, true);  // nop; ud2
    EXPECT_EQ(native.run(in, out), 6);
    EXPECT_EQ(native.last_fault().offset, 1u);
    // An integer stub: divide by zero is SIGFPE too, vector 0; MXCSR is kept there too
    // (a sticky flag of the process's own included).
    _mm_setcsr(own_mxcsr | PE);
    native.load(Bytes{0xF7, 0xF1});  // div ecx
    in.gpr[cpu::RCX] = 0;
    EXPECT_EQ(native.run(in, out), 0);
    EXPECT_EQ(_mm_getcsr(), own_mxcsr | PE);
    _mm_setcsr(own_mxcsr);
  }
  EXPECT_EQ(current_action(SIGFPE).sa_sigaction, fpe_before.sa_sigaction);
  EXPECT_EQ(current_action(SIGSEGV).sa_sigaction, segv_before.sa_sigaction);
  // Without a catcher, runs are as before.
  Regs in, out;
  native.load(Bytes{0x0F, 0x58, 0xC1}, true);
  EXPECT_EQ(native.run(in, out), kNoFault);
  EXPECT_EQ(_mm_getcsr(), own_mxcsr);
}

// A fault outside the bytes under test goes to the handler that was there before the
// catcher (here one that exits with 42; also what keeps a sanitizer's own handler out of it).
TEST(SseHarnessDeathTest, AFaultElsewhereGoesToThePreviousHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        struct sigaction exit42 {};
        exit42.sa_handler = [](int) { _exit(42); };
        sigemptyset(&exit42.sa_mask);
        sigaction(SIGSEGV, &exit42, nullptr);
        NativeFaultCatcher catcher;
        volatile uintptr_t unmapped = 16;  // not in the bytes under test
        *reinterpret_cast<volatile int*>(unmapped) = 1;
      },
      ::testing::ExitedWithCode(42), "");
}

// The emulator runs other bytes of the same length: each kind of difference is seen.
TEST(SseHarness, DetectsSimdDifferences) {
  struct Case {
    const char* what;
    Bytes native, emulated;
    bool mem;
    unsigned align;  // > 1: aligned forms, misaligned in one case in two
  };
  const Case cases[] = {
      {"result", {0x0F, 0x58, 0xC1}, {0x0F, 0x5C, 0xC1}, false, 1},                   // addps vs subps
      {"another register", {0x0F, 0x28, 0xD1}, {0x0F, 0x28, 0xD9}, false, 1},         // movaps xmm2 vs xmm3
      {"upper lanes", {0xF3, 0x0F, 0x10, 0xC1}, {0xF2, 0x0F, 0x10, 0xC1}, false, 1},  // movss vs movsd
      {"mxcsr", {0xF3, 0x0F, 0x58, 0xC0}, {0xF3, 0x0F, 0x5F, 0xC0}, false, 1},        // addss vs maxss xmm0, xmm0
      {"exception", {0x0F, 0x28, 0x03}, {0x0F, 0x10, 0x03}, true, 16},                // movaps vs movups [rbx]
      {"memory", {0x0F, 0x11, 0x03}, {0x0F, 0x11, 0x0B}, true, 1},                    // movups [rbx], xmm0 vs xmm1
  };
  for (const Case& c : cases) {
    Form f = simd_form(c.what, c.native, Lanes::F32);
    f.emu_bytes = c.emulated;
    if (c.mem) simd_operand_at(f, cpu::RBX, c.align, c.align > 1 ? 2 : 0);
    const RunStats st = run_forms({f}, 200, test_seed(), false);
    EXPECT_GT(st.failures, 40u) << c.what;
  }
}

}  // namespace
}  // namespace rw::cputest
