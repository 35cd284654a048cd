// What the host cannot check for the x87: CR0.EM/TS/MP (#NM), the pending exception reported
// at the next waiting instruction (#MF with CR0.NE, FERR without), FOP/FIP/FDP as rewind
// records them, the environment's layouts, and the x87 state through FXSAVE.
#include <gtest/gtest.h>

#include <cstring>

#include "cpu/fault.h"
#include "cpu/registers.h"
#include "encoder.h"
#include "harness.h"

namespace rw::cputest {
namespace {

using cpu::RAX;

constexpr uint64_t kArea = 0x100000;

class X87State : public ::testing::Test {
 protected:
  X87State() {
    std::vector<uint8_t> zero(1024, 0);
    emu_.memory().write(kArea, zero.data(), zero.size());
  }

  // Runs `count` instructions; returns the vector raised, or -1.
  int run(const Bytes& bytes, unsigned count = 1) {
    const uint64_t rip = emu_.place(bytes);
    rip_ = rip;
    Regs out;
    in_.gpr[RAX] = kArea;
    const uint64_t end = emu_.run(rip, count, in_, out);
    if (end >= EmuRunner::kHandlerBase && end < EmuRunner::kHandlerBase + 16 * 32)
      return static_cast<int>((end - EmuRunner::kHandlerBase) / 16);
    return -1;
  }
  template <class T>
  T at(uint64_t pa) {
    T v;
    emu_.memory().read(pa, &v, sizeof v);
    return v;
  }
  template <class T>
  void put(uint64_t pa, T v) {
    emu_.memory().write(pa, &v, sizeof v);
  }
  cpu::X87State& x87() { return emu_.cpu().x87; }

  EmuRunner emu_;
  Regs in_;
  uint64_t rip_ = 0;
};

TEST_F(X87State, ArithmeticThroughTheStack) {
  // fld1; fldpi; faddp; fstp qword [rax]
  ASSERT_EQ(run({0xD9, 0xE8, 0xD9, 0xEB, 0xDE, 0xC1, 0xDD, 0x18}, 4), -1);
  double d;
  emu_.memory().read(kArea, &d, 8);
  EXPECT_EQ(d, 1.0 + 3.141592653589793);
  EXPECT_EQ(x87().ftw, 0);  // empty again
  EXPECT_EQ(x87().fsw & 0x3800, 0);
  // fild dword [rax+8] (7); fidiv word [rax+12] (2); fistp dword [rax+16]: 3.5 rounds to 4.
  put<int32_t>(kArea + 8, 7);
  put<int16_t>(kArea + 12, 2);
  ASSERT_EQ(run({0xDB, 0x40, 0x08, 0xDE, 0x70, 0x0C, 0xDB, 0x58, 0x10}, 3), -1);
  EXPECT_EQ(at<int32_t>(kArea + 16), 4);
  EXPECT_EQ(x87().fsw & 0x3F, 0x20);  // PE from the rounding
}

TEST_F(X87State, EmOrTsRaiseDeviceNotAvailable) {
  emu_.cpu().cr0 |= cpu::cr0::TS;
  EXPECT_EQ(run({0xD9, 0xE8}), cpu::vec::NM);  // fld1
  EXPECT_EQ(x87().ftw, 0);
  // WAIT takes #NM only with MP and TS.
  EXPECT_EQ(run({0x9B}), -1);
  emu_.cpu().cr0 |= cpu::cr0::MP;
  EXPECT_EQ(run({0x9B}), cpu::vec::NM);
  emu_.cpu().cr0 = (emu_.cpu().cr0 & ~(cpu::cr0::TS | cpu::cr0::MP)) | cpu::cr0::EM;
  EXPECT_EQ(run({0xDB, 0xE3}), cpu::vec::NM);  // fninit
}

TEST_F(X87State, AnUnmaskedExceptionIsReportedByTheNextWaitingInstruction) {
  // fldcw [rax] with ZM clear; fld1; fldz; fdivp: 1/0 sets ZE, ES and B, stores nothing.
  put<uint16_t>(kArea, 0x37F & ~0x4);
  ASSERT_EQ(run({0xD9, 0x28, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9}, 4), -1);
  EXPECT_EQ(x87().fsw & 0x80FF, 0x8084);  // B, ES, ZE
  EXPECT_EQ(x87().ftw, 0xC0);             // both still there
  const uint64_t fdivp = rip_ + 6;
  EXPECT_EQ(x87().fip, fdivp);
  EXPECT_EQ(x87().fop, 0x6F9);
  // The next waiting instruction: #MF with CR0.NE, before it does anything.
  EXPECT_EQ(run({0xD9, 0xE8}), cpu::vec::MF);
  EXPECT_EQ(x87().ftw, 0xC0);
  EXPECT_EQ(x87().fip, fdivp) << "the pointers still name the instruction that faulted";
  // FNSTSW and FNCLEX do not wait.
  ASSERT_EQ(run({0xDF, 0xE0, 0xDB, 0xE2}, 2), -1);  // fnstsw ax; fnclex
  EXPECT_EQ(emu_.cpu().gpr[RAX] & 0xFFFF, x87().fsw | 0x8084u);
  EXPECT_EQ(x87().fsw & 0x80FF, 0);
  EXPECT_EQ(run({0xD9, 0xE8}), -1);
}

TEST_F(X87State, WithoutNeThePendingExceptionRaisesFerr) {
  int raised = 0;
  emu_.cpu().raise_ferr = [](void* ctx) { ++*static_cast<int*>(ctx); };
  emu_.cpu().ferr_context = &raised;
  emu_.cpu().cr0 &= ~cpu::cr0::NE;
  put<uint16_t>(kArea, 0x37F & ~0x4);
  ASSERT_EQ(run({0xD9, 0x28, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9}, 4), -1);
  EXPECT_EQ(raised, 0);
  EXPECT_EQ(run({0x9B}), -1);  // fwait: FERR, and on
  EXPECT_EQ(raised, 1);
  emu_.cpu().raise_ferr = nullptr;
}

TEST_F(X87State, StackOverflowAndUnderflow) {
  // Eight pushes fill the stack; a ninth overflows: IE SF C1, the indefinite pushed.
  Bytes eight;
  for (int k = 0; k < 8; ++k) eight.insert(eight.end(), {0xD9, 0xE8});
  ASSERT_EQ(run(eight, 8), -1);
  EXPECT_EQ(x87().ftw, 0xFF);
  ASSERT_EQ(run({0xD9, 0xEE}), -1);  // fldz
  EXPECT_EQ(x87().fsw & 0x2FF, 0x241);  // C1, SF, IE
  EXPECT_EQ(x87().regs[(x87().fsw >> 11) & 7].sign_exponent, 0xFFFF);
  // Empty the stack; an FSTP from it underflows: IE SF, C1 clear, the indefinite stored.
  ASSERT_EQ(run({0xDB, 0xE3}), -1);  // fninit
  ASSERT_EQ(run({0xDD, 0x18}), -1);  // fstp qword [rax]
  EXPECT_EQ(at<uint64_t>(kArea), 0xFFF8000000000000ull);
  EXPECT_EQ(x87().fsw & 0x2FF, 0x41);
}

TEST_F(X87State, EnvironmentLayoutsAndTags) {
  // fld1; fldz; fnstenv [rax] (32-bit protected-mode layout in 64-bit mode).
  ASSERT_EQ(run({0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0x30}, 3), -1);
  EXPECT_EQ(at<uint16_t>(kArea + 0), 0x37F);
  EXPECT_EQ(at<uint16_t>(kArea + 4), 6u << 11);  // TOP = 6
  EXPECT_EQ(at<uint16_t>(kArea + 8), 0x1FFF);    // R7 valid (1.0), R6 zero, the rest empty
  EXPECT_EQ(at<uint32_t>(kArea + 12), static_cast<uint32_t>(rip_ + 2));  // fldz's address
  EXPECT_EQ(at<uint32_t>(kArea + 16) >> 16, 0x1EEu);                     // and opcode
  EXPECT_EQ(x87().fcw, 0x37F) << "every exception was already masked";
  // 16-bit layout (66 prefix): fldenv from it puts the same state back.
  ASSERT_EQ(run({0x66, 0xD9, 0x70, 0x40}), -1);  // fnstenv [rax+64], 14 bytes
  EXPECT_EQ(at<uint16_t>(kArea + 64 + 4), 0x1FFF);
  ASSERT_EQ(run({0xDB, 0xE3}), -1);  // fninit
  ASSERT_EQ(run({0x66, 0xD9, 0x60, 0x40}), -1);  // fldenv [rax+64]
  EXPECT_EQ(x87().ftw, 0xC0);
  EXPECT_EQ(cpu::x87_tag_word(emu_.cpu()), 0x1FFF);
  // FNSAVE then FRSTOR: registers in stack order after the environment; FNSAVE initializes.
  ASSERT_EQ(run({0xDD, 0xB0, 0x00, 0x01, 0x00, 0x00}), -1);  // fnsave [rax+256]
  EXPECT_EQ(at<uint64_t>(kArea + 256 + 28), 0u);                     // ST(0) = +0
  EXPECT_EQ(at<uint64_t>(kArea + 256 + 38), 0x8000000000000000ull);  // ST(1) = 1.0
  EXPECT_EQ(at<uint16_t>(kArea + 256 + 46), 0x3FFF);
  EXPECT_EQ(x87().ftw, 0);
  ASSERT_EQ(run({0xDD, 0xA0, 0x00, 0x01, 0x00, 0x00}), -1);  // frstor [rax+256]
  EXPECT_EQ(x87().ftw, 0xC0);
  EXPECT_EQ(x87().regs[7].sign_exponent, 0x3FFF);
}

TEST_F(X87State, FxsaveStoresTheStackInStackOrder) {
  emu_.cpu().cr4 |= cpu::cr4::OSFXSR;
  // fld1; fldz; fxsave [rax]: ST(0) = 0 at 32, ST(1) = 1.0 at 48; the abridged tags 0xC0.
  ASSERT_EQ(run({0xD9, 0xE8, 0xD9, 0xEE, 0x0F, 0xAE, 0x00}, 3), -1);
  EXPECT_EQ(at<uint8_t>(kArea + 4), 0xC0);
  EXPECT_EQ(at<uint64_t>(kArea + 32), 0u);
  EXPECT_EQ(at<uint16_t>(kArea + 48 + 8), 0x3FFF);
}

}  // namespace
}  // namespace rw::cputest
