// What the host cannot check for the SSE state: CR0.EM/TS and CR4.OSFXSR/OSXMMEXCPT (#UD,
// #NM, #XM), the FXSAVE image byte by byte in each format, FXRSTOR's checks, and
// RIP-relative XMM operands with an immediate after them (the host's RIP differs from the guest's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cpu/fault.h"
#include "encoder.h"
#include "harness.h"

namespace rw::cputest {
namespace {

using cpu::RAX;

constexpr uint64_t kArea = 0x100000;  // 16-byte aligned scratch memory in the guest

class SseState : public ::testing::Test {
 protected:
  SseState() {
    emu_.cpu().cr4 |= cpu::cr4::OSFXSR | cpu::cr4::OSXMMEXCPT;
    for (unsigned r = 0; r < 16; ++r) emu_.cpu().xmm[r] = cpu::Xmm{{0x1111111111111111ull * r, ~0ull - r}};
    std::vector<uint8_t> zero(1024, 0);
    emu_.memory().write(kArea, zero.data(), zero.size());
  }

  // Runs the bytes once; returns the vector raised, or -1.
  int run(const Bytes& bytes) {
    const uint64_t rip = emu_.place(bytes);
    Regs out;
    in_.gpr[RAX] = kArea;
    const uint64_t end = emu_.run(rip, 1, in_, out);
    out_ = out;
    if (end >= EmuRunner::kHandlerBase && end < EmuRunner::kHandlerBase + 16 * 32)
      return static_cast<int>((end - EmuRunner::kHandlerBase) / 16);
    EXPECT_EQ(end, rip + bytes.size());
    return -1;
  }

  float lane(unsigned r, unsigned k) {
    float f;
    std::memcpy(&f, reinterpret_cast<const uint8_t*>(emu_.cpu().xmm[r].q) + 4 * k, 4);
    return f;
  }
  void set_lanes(unsigned r, float a, float b, float c, float d) {
    const float v[4] = {a, b, c, d};
    std::memcpy(emu_.cpu().xmm[r].q, v, 16);
  }
  template <class T>
  T at(uint64_t pa) {
    T v;
    emu_.memory().read(pa, &v, sizeof v);
    return v;
  }

  EmuRunner emu_;
  Regs in_, out_;
};

const Bytes kAddps = {0x0F, 0x58, 0xC1};               // addps xmm0, xmm1
const Bytes kLdmxcsr = {0x0F, 0xAE, 0x10};             // ldmxcsr [rax]
const Bytes kFxsave = {0x0F, 0xAE, 0x00};              // fxsave [rax]
const Bytes kFxsave64 = {0x48, 0x0F, 0xAE, 0x00};      // fxsave64 [rax]
const Bytes kFxrstor = {0x0F, 0xAE, 0x08};             // fxrstor [rax]

TEST_F(SseState, AddpsComputesWithEverythingEnabled) {
  set_lanes(0, 1.5f, -2.0f, 1e30f, 0.0f);
  set_lanes(1, 2.25f, 2.0f, 1.0f, -0.0f);
  EXPECT_EQ(run(kAddps), -1);
  EXPECT_EQ(lane(0, 0), 3.75f);
  EXPECT_EQ(lane(0, 1), 0.0f);
  EXPECT_EQ(lane(0, 2), 1e30f);
  EXPECT_EQ(emu_.cpu().mxcsr, cpu::mxcsr::kReset | cpu::mxcsr::PE);  // 1e30 + 1 is inexact
}

TEST_F(SseState, WithoutOsfxsrOrWithEmAnSseInstructionIsUndefined) {
  const cpu::Xmm before = emu_.cpu().xmm[0];
  emu_.cpu().cr4 &= ~cpu::cr4::OSFXSR;
  EXPECT_EQ(run(kAddps), cpu::vec::UD);
  EXPECT_EQ(run(kLdmxcsr), cpu::vec::UD);
  emu_.cpu().cr4 |= cpu::cr4::OSFXSR;
  emu_.cpu().cr0 |= cpu::cr0::EM | cpu::cr0::TS;  // EM wins over TS
  EXPECT_EQ(run(kAddps), cpu::vec::UD);
  EXPECT_EQ(emu_.cpu().xmm[0], before);
}

TEST_F(SseState, TsRaisesDeviceNotAvailableForLazySwitching) {
  const cpu::Xmm before = emu_.cpu().xmm[0];
  emu_.cpu().cr0 |= cpu::cr0::TS;
  EXPECT_EQ(run(kAddps), cpu::vec::NM);
  EXPECT_EQ(run(kLdmxcsr), cpu::vec::NM);
  EXPECT_EQ(run(kFxsave), cpu::vec::NM);
  EXPECT_EQ(emu_.cpu().xmm[0], before);
  // FXSAVE and FXRSTOR take #NM for EM too (they have no #UD for it).
  emu_.cpu().cr0 = (emu_.cpu().cr0 & ~cpu::cr0::TS) | cpu::cr0::EM;
  EXPECT_EQ(run(kFxrstor), cpu::vec::NM);
  // MOVNTI stores a general register: not an SSE state instruction.
  emu_.cpu().cr0 |= cpu::cr0::TS;
  in_.gpr[cpu::RCX] = 0xABCD1234;
  EXPECT_EQ(run({0x0F, 0xC3, 0x08}), -1);  // movnti [rax], ecx
  EXPECT_EQ(at<uint32_t>(kArea), 0xABCD1234u);
  // CLTS lets the next one run.
  emu_.cpu().cr0 &= ~(cpu::cr0::TS | cpu::cr0::EM);
  EXPECT_EQ(run(kAddps), -1);
}

TEST_F(SseState, AnUnmaskedExceptionRaisesXmOrUdWithoutOsxmmexcpt) {
  set_lanes(0, 1.0f, 1.0f, 1.0f, 1.0f);
  set_lanes(1, 0.0f, 1.0f, 1.0f, 1.0f);
  const cpu::Xmm before = emu_.cpu().xmm[0];
  emu_.cpu().mxcsr = cpu::mxcsr::kReset & ~cpu::mxcsr::ZM;
  EXPECT_EQ(run({0x0F, 0x5E, 0xC1}), cpu::vec::XM);  // divps xmm0, xmm1: 1/0
  EXPECT_EQ(emu_.cpu().xmm[0], before);
  EXPECT_EQ(emu_.cpu().mxcsr, (cpu::mxcsr::kReset & ~cpu::mxcsr::ZM) | cpu::mxcsr::ZE);
  emu_.cpu().cr4 &= ~cpu::cr4::OSXMMEXCPT;
  EXPECT_EQ(run({0x0F, 0x5E, 0xC1}), cpu::vec::UD);
  // Masked: the result is infinity and only the flag is set.
  emu_.cpu().mxcsr = cpu::mxcsr::kReset;
  EXPECT_EQ(run({0x0F, 0x5E, 0xC1}), -1);
  EXPECT_TRUE(std::isinf(lane(0, 0)));
  EXPECT_EQ(emu_.cpu().mxcsr, cpu::mxcsr::kReset | cpu::mxcsr::ZE);
}

TEST_F(SseState, UnmaskedUnderflowFaultsOnAnExactTinyResult) {
  // 2^-126 * 2^-1 = 2^-127: a denormal, exactly. Masked: no flag. Unmasked: #XM with UE.
  set_lanes(0, 0x1p-126f, 1.0f, 1.0f, 1.0f);
  set_lanes(1, 0.5f, 1.0f, 1.0f, 1.0f);
  EXPECT_EQ(run({0xF3, 0x0F, 0x59, 0xC1}), -1);  // mulss xmm0, xmm1
  EXPECT_EQ(lane(0, 0), 0x1p-127f);
  EXPECT_EQ(emu_.cpu().mxcsr, cpu::mxcsr::kReset);
  set_lanes(0, 0x1p-126f, 1.0f, 1.0f, 1.0f);
  emu_.cpu().mxcsr = cpu::mxcsr::kReset & ~cpu::mxcsr::UM;
  EXPECT_EQ(run({0xF3, 0x0F, 0x59, 0xC1}), cpu::vec::XM);
  EXPECT_EQ(lane(0, 0), 0x1p-126f);
  EXPECT_EQ(emu_.cpu().mxcsr & cpu::mxcsr::kFlags, cpu::mxcsr::UE);
}

TEST_F(SseState, LdmxcsrRefusesReservedBits) {
  const uint32_t bad = 0x10000 | cpu::mxcsr::kReset;
  emu_.memory().write(kArea, &bad, 4);
  EXPECT_EQ(run(kLdmxcsr), cpu::vec::GP);
  EXPECT_EQ(emu_.cpu().mxcsr, cpu::mxcsr::kReset);
  const uint32_t good = 0xFFFF;
  emu_.memory().write(kArea, &good, 4);
  EXPECT_EQ(run(kLdmxcsr), -1);
  EXPECT_EQ(emu_.cpu().mxcsr, 0xFFFFu);
  EXPECT_EQ(run({0x0F, 0xAE, 0x58, 0x10}), -1);  // stmxcsr [rax+16]
  EXPECT_EQ(at<uint32_t>(kArea + 16), 0xFFFFu);
}

void fill_x87(cpu::X87State& x) {
  x.fcw = 0x027F;
  x.fsw = 0x3800;
  x.ftw = 0x81;
  x.fop = 0x5A5;
  x.fip = 0x1122334455667788ull;
  x.fcs = 0x1B;
  x.fdp = 0x99AABBCCDDEEFF00ull;
  x.fds = 0x23;
  // TOP = 7 (FSW 0x3800): ST(i) is physical register (7 + i) & 7.
  for (unsigned i = 0; i < 8; ++i)
    x.regs[(7 + i) & 7] = cpu::F80{0x8000000000000000ull | i, static_cast<uint16_t>(0x3FFF + i)};
}

TEST_F(SseState, FxsaveWritesTheImageInBothPointerFormats) {
  fill_x87(emu_.cpu().x87);
  emu_.cpu().mxcsr = 0x3F80 | cpu::mxcsr::PE;
  std::vector<uint8_t> marks(512, 0xEE);
  emu_.memory().write(kArea, marks.data(), marks.size());
  ASSERT_EQ(run(kFxsave), -1);
  EXPECT_EQ(at<uint16_t>(kArea + 0), 0x027F);
  EXPECT_EQ(at<uint16_t>(kArea + 2), 0x3800);
  EXPECT_EQ(at<uint8_t>(kArea + 4), 0x81);
  EXPECT_EQ(at<uint8_t>(kArea + 5), 0);
  EXPECT_EQ(at<uint16_t>(kArea + 6), 0x5A5);
  EXPECT_EQ(at<uint32_t>(kArea + 8), 0x55667788u);  // 32-bit pointers and their selectors
  EXPECT_EQ(at<uint16_t>(kArea + 12), 0x1B);
  EXPECT_EQ(at<uint32_t>(kArea + 16), 0xDDEEFF00u);
  EXPECT_EQ(at<uint16_t>(kArea + 20), 0x23);
  EXPECT_EQ(at<uint32_t>(kArea + 24), 0x3F80u | cpu::mxcsr::PE);
  EXPECT_EQ(at<uint32_t>(kArea + 28), 0xFFFFu);  // MXCSR_MASK: DAZ supported
  for (unsigned i = 0; i < 8; ++i) {
    EXPECT_EQ(at<uint64_t>(kArea + 32 + 16 * i), 0x8000000000000000ull | i);
    EXPECT_EQ(at<uint16_t>(kArea + 40 + 16 * i), 0x3FFF + i);
  }
  for (unsigned r = 0; r < 16; ++r) {  // 64-bit mode: all sixteen
    EXPECT_EQ(at<uint64_t>(kArea + 160 + 16 * r), emu_.cpu().xmm[r].q[0]);
    EXPECT_EQ(at<uint64_t>(kArea + 168 + 16 * r), emu_.cpu().xmm[r].q[1]);
  }
  for (unsigned b = 416; b < 512; ++b) EXPECT_EQ(at<uint8_t>(kArea + b), 0xEE) << b;  // not written
  ASSERT_EQ(run(kFxsave64), -1);
  EXPECT_EQ(at<uint64_t>(kArea + 8), 0x1122334455667788ull);
  EXPECT_EQ(at<uint64_t>(kArea + 16), 0x99AABBCCDDEEFF00ull);
}

TEST_F(SseState, WithoutOsfxsrFxsaveLeavesMxcsrAndXmmOut) {
  emu_.cpu().cr4 &= ~cpu::cr4::OSFXSR;
  std::vector<uint8_t> marks(512, 0xEE);
  emu_.memory().write(kArea, marks.data(), marks.size());
  ASSERT_EQ(run(kFxsave), -1);
  EXPECT_EQ(at<uint16_t>(kArea + 0), 0x037F);
  for (unsigned b = 24; b < 32; ++b) EXPECT_EQ(at<uint8_t>(kArea + b), 0xEE) << b;
  for (unsigned b = 160; b < 512; ++b) EXPECT_EQ(at<uint8_t>(kArea + b), 0xEE) << b;
}

TEST_F(SseState, FxrstorLoadsWhatFxsaveStoredAndChecksItsOperand) {
  fill_x87(emu_.cpu().x87);
  emu_.cpu().mxcsr = 0x5F80;
  ASSERT_EQ(run(kFxsave64), -1);
  const cpu::Cpu saved = emu_.cpu();
  emu_.cpu().x87 = cpu::X87State{};
  emu_.cpu().mxcsr = cpu::mxcsr::kReset;
  for (auto& x : emu_.cpu().xmm) x = cpu::Xmm{};
  ASSERT_EQ(run({0x48, 0x0F, 0xAE, 0x08}), -1);  // fxrstor64 [rax]
  for (unsigned r = 0; r < 16; ++r) EXPECT_EQ(emu_.cpu().xmm[r], saved.xmm[r]) << r;
  EXPECT_EQ(emu_.cpu().mxcsr, 0x5F80u);
  EXPECT_EQ(emu_.cpu().x87.fip, saved.x87.fip);
  EXPECT_EQ(emu_.cpu().x87.fdp, saved.x87.fdp);
  for (unsigned r = 0; r < 8; ++r) EXPECT_EQ(emu_.cpu().x87.regs[r].sign_exponent, saved.x87.regs[r].sign_exponent);
  // A reserved MXCSR bit in the image: #GP(0), nothing loaded.
  const uint32_t bad = 0x20000 | cpu::mxcsr::kReset;
  emu_.memory().write(kArea + 24, &bad, 4);
  emu_.cpu().xmm[3] = cpu::Xmm{};
  EXPECT_EQ(run(kFxrstor), cpu::vec::GP);
  EXPECT_EQ(emu_.cpu().xmm[3], cpu::Xmm{});
  // A misaligned operand: #GP(0).
  in_.gpr[cpu::RCX] = 8;
  EXPECT_EQ(run({0x0F, 0xAE, 0x04, 0x08}), cpu::vec::GP);  // fxsave [rax+rcx]
}

TEST_F(SseState, RipRelativeOperandsCountTheImmediate) {
  // cmpps xmm0, [rip+disp32], 0 (equal): the operand follows the 8-byte instruction.
  Bytes code = {0x0F, 0xC2, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00};
  const uint64_t rip = emu_.place(code);
  const float v[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  set_lanes(0, 1.0f, 5.0f, 3.0f, 0.0f);
  // The slot holds the bytes, then a HLT; put the operand at an aligned address after it.
  const uint64_t operand = (rip + code.size() + 1 + 15) & ~uint64_t{15};
  const int32_t disp = static_cast<int32_t>(operand - (rip + code.size()));
  std::memcpy(&code[3], &disp, 4);
  emu_.memory().write(rip, code.data(), code.size());
  emu_.memory().write(operand, v, 16);
  Regs out;
  EXPECT_EQ(emu_.run(rip, 1, in_, out), rip + code.size());
  EXPECT_EQ(emu_.cpu().xmm[0].q[0], 0x00000000FFFFFFFFull);
  EXPECT_EQ(emu_.cpu().xmm[0].q[1], 0x00000000FFFFFFFFull);
}

TEST_F(SseState, RipRelativeOperandsOfThe0F3AMapCountTheImmediate) {
  // blendps xmm0, [rip+disp32], 5: lanes 0 and 2 from the operand after the 10-byte instruction.
  Bytes code = {0x66, 0x0F, 0x3A, 0x0C, 0x05, 0x00, 0x00, 0x00, 0x00, 0x05};
  const uint64_t rip = emu_.place(code);
  const float v[4] = {10.0f, 20.0f, 30.0f, 40.0f};
  set_lanes(0, 1.0f, 2.0f, 3.0f, 4.0f);
  const uint64_t operand = (rip + code.size() + 1 + 15) & ~uint64_t{15};
  const int32_t disp = static_cast<int32_t>(operand - (rip + code.size()));
  std::memcpy(&code[5], &disp, 4);
  emu_.memory().write(rip, code.data(), code.size());
  emu_.memory().write(operand, v, 16);
  Regs out;
  EXPECT_EQ(emu_.run(rip, 1, in_, out), rip + code.size());
  EXPECT_EQ(lane(0, 0), 10.0f);
  EXPECT_EQ(lane(0, 1), 2.0f);
  EXPECT_EQ(lane(0, 2), 30.0f);
  EXPECT_EQ(lane(0, 3), 4.0f);
}

}  // namespace
}  // namespace rw::cputest
