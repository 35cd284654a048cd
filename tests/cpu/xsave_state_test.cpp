// The XSAVE feature set where the host cannot show it (xsave_test.cpp compares what it can
// with the host): CR4.OSXSAVE (#UD), CR0.TS (#NM), alignment, XRSTOR's header checks with
// nothing changed when they fail, components put in their initial configuration, RFBM
// subsets, both FIP/FDP formats, the 32-bit environment (XMM0-7 only), a fault on the area's
// second page with nothing written, XGETBV and XSETBV (privilege, ECX, XCR0's rules),
// rewind's XSTATE_BV rule, XSAVEOPT as XSAVE, and CPUID (leaves 0, 1 and 0xD).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cpu/fault.h"
#include "cpu/save_area.h"
#include "cpu/segments.h"
#include "encoder.h"
#include "harness.h"

namespace rw::cputest {
namespace {

using cpu::RAX;
using cpu::RBX;
using cpu::RCX;
using cpu::RDX;

constexpr uint64_t kArea = 0x100000;   // 64-byte aligned scratch memory in the guest
constexpr uint64_t kArea2 = 0x100800;  // another
constexpr uint64_t kTss = 0x7000;
constexpr uint8_t kMark = 0xEE;        // what the scratch memory holds before an instruction

// The instructions, with the area at [rbx] (EDX:EAX is their mask).
const Bytes kXsave = {0x0F, 0xAE, 0x23};
const Bytes kXsave64 = {0x48, 0x0F, 0xAE, 0x23};
const Bytes kXrstor = {0x0F, 0xAE, 0x2B};
const Bytes kXrstor64 = {0x48, 0x0F, 0xAE, 0x2B};
const Bytes kXsaveopt = {0x0F, 0xAE, 0x33};
const Bytes kXsaveopt64 = {0x48, 0x0F, 0xAE, 0x33};
const Bytes kXgetbv = {0x0F, 0x01, 0xD0};
const Bytes kXsetbv = {0x0F, 0x01, 0xD1};
const Bytes kCpuid = {0x0F, 0xA2};
const Bytes kMovCr4Rax = {0x0F, 0x22, 0xE0};  // mov cr4, rax

class XsaveState : public ::testing::Test {
 protected:
  XsaveState() {
    cpu::Cpu& c = emu_.cpu();
    c.cr4 |= cpu::cr4::OSXSAVE;
    c.xcr0 = cpu::xcr0::X87 | cpu::xcr0::SSE;
    for (unsigned r = 0; r < 16; ++r) c.xmm[r] = cpu::Xmm{{0x1111111111111111ull * (r + 1), ~0ull - r}};
    c.mxcsr = 0x3F80 | cpu::mxcsr::PE;
    set_x87(c, false);
    mark(kArea, 2048);
    in_.gpr[RBX] = kArea;
    in_.gpr[RAX] = 3;
    in_.gpr[RDX] = 0;
  }

  // The x87 state, through the legacy region's functions only (save_area.h), whatever
  // X87State looks like: FCW 0x027F, FSW 0x3800, abridged tags 0x81, FOP 0x5A5, ST(i) =
  // 1.0 * 2^i with bit i in the significand; the pointers in the format `wide` says (the
  // 32-bit one has the selectors 0x1B and 0x23).
  static void set_x87(cpu::Cpu& c, bool wide) {
    uint8_t img[cpu::kLegacyRegionBytes] = {};
    auto put = [&](unsigned at, uint64_t v, unsigned n) { std::memcpy(img + at, &v, n); };
    put(0, 0x027F, 2);
    put(2, 0x3800, 2);
    put(4, 0x81, 1);
    put(6, 0x5A5, 2);
    if (wide) {
      put(8, 0x1122334455667788ull, 8);
      put(16, 0x99AABBCCDDEEFF00ull, 8);
    } else {
      put(8, 0x55667788, 4);
      put(12, 0x1B, 2);
      put(16, 0xDDEEFF00, 4);
      put(20, 0x23, 2);
    }
    for (unsigned i = 0; i < 8; ++i) {
      put(32 + 16 * i, 0x8000000000000000ull | i, 8);
      put(40 + 16 * i, 0x3FFF + i, 2);
    }
    cpu::load_x87_region(c, img, wide);
  }
  // The x87 part of the legacy region as the state stores it, in both formats (the 64-bit
  // pointers, then the 32-bit ones with the selectors).
  static std::vector<uint8_t> x87_image(const cpu::Cpu& c) {
    std::vector<uint8_t> v(320, 0);
    cpu::save_x87_region(c, v.data(), true);
    cpu::save_x87_region(c, v.data() + 160, false);
    return v;
  }
  // The x87 state's initial configuration, as x87_image shows it.
  static std::vector<uint8_t> x87_initial() {
    std::vector<uint8_t> v(320, 0);
    v[0] = v[160] = 0x7F;
    v[1] = v[161] = 0x03;
    return v;
  }
  static uint16_t fcw(const cpu::Cpu& c) { return static_cast<uint16_t>(x87_image(c)[0] | x87_image(c)[1] << 8); }

  void mark(uint64_t pa, unsigned bytes) {
    std::vector<uint8_t> m(bytes, kMark);
    emu_.memory().write(pa, m.data(), m.size());
  }

  // Runs the bytes once with in_ (EDX:EAX the mask); returns the vector raised, or -1.
  int run(const Bytes& bytes) {
    const uint64_t rip = emu_.place(bytes);
    const uint64_t end = emu_.run(rip, 1, in_, out_);
    const int v = EmuRunner::vector_at(end);
    if (v >= 0) {
      error_ = emu_.frame(v, out_, rip).error;
      return v;
    }
    EXPECT_EQ(end, rip + bytes.size());
    return -1;
  }
  int run_mask(const Bytes& bytes, uint64_t mask) {
    in_.gpr[RAX] = static_cast<uint32_t>(mask);
    in_.gpr[RDX] = mask >> 32;
    return run(bytes);
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
  std::vector<uint8_t> bytes(uint64_t pa, unsigned n) {
    std::vector<uint8_t> v(n);
    emu_.memory().read(pa, v.data(), n);
    return v;
  }
  // Bytes [from, to) of the area all still the mark.
  void expect_untouched(uint64_t area, unsigned from, unsigned to) {
    for (unsigned b = from; b < to; ++b) EXPECT_EQ(at<uint8_t>(area + b), kMark) << "byte " << b;
  }
  // A header an XRSTOR accepts: XSTATE_BV, then zeros (bytes 8-63).
  void header(uint64_t area, uint64_t xstate_bv) {
    put<uint64_t>(area + 512, xstate_bv);
    std::vector<uint8_t> z(56, 0);
    emu_.memory().write(area + 520, z.data(), z.size());
  }

  // The x87, SSE and XCR0 state, to check that a fault changed none of it.
  struct Snapshot {
    std::vector<uint8_t> x87;
    cpu::Xmm xmm[16];
    uint32_t mxcsr;
    uint64_t xcr0;
  };
  static Snapshot snapshot(const cpu::Cpu& c) {
    Snapshot s{x87_image(c), {}, c.mxcsr, c.xcr0};
    std::memcpy(s.xmm, c.xmm, sizeof s.xmm);
    return s;
  }
  Snapshot snapshot() { return snapshot(emu_.cpu()); }
  void expect_unchanged(const Snapshot& s) {
    const cpu::Cpu& c = emu_.cpu();
    EXPECT_EQ(c.mxcsr, s.mxcsr);
    EXPECT_EQ(c.xcr0, s.xcr0);
    for (unsigned r = 0; r < 16; ++r) EXPECT_EQ(c.xmm[r], s.xmm[r]) << "xmm" << r;
    EXPECT_EQ(x87_image(c), s.x87);
  }

  // Ring 3 (a TSS with RSP0 for the exception's stack, user pages, a DPL 3 code segment).
  void enter_ring3() {
    cpu::Cpu& c = emu_.cpu();
    put<uint64_t>(kTss + 4, EmuRunner::kStackTop);
    c.tr.base = kTss;
    c.tr.limit = 0x67;
    put<uint64_t>(0x1000, 0x2000 | 7);  // PML4, PDPT, PD of EmuRunner, with the user bit
    put<uint64_t>(0x2000, 0x3000 | 7);
    put<uint64_t>(0x3000, 0x000000 | 0x87);
    put<uint64_t>(0x3008, 0x200000 | 0x87);
    cpu::set_code_segment(c, 0x08 | 3, 0x00AFFB000000FFFFull, 3);
    c.tlb.flush();
    cpu::update_mode(c);
  }
  // 32-bit code (compatibility mode): no REX, XMM0-7.
  void enter_32bit() {
    cpu::set_code_segment(emu_.cpu(), 0x08, 0x00CF9B000000FFFFull, 0);
    cpu::update_mode(emu_.cpu());
  }

  struct Leaf {
    uint32_t a, b, c, d;
    bool operator==(const Leaf&) const = default;
  };
  Leaf cpuid(uint32_t leaf, uint32_t sub) {
    in_.gpr[RAX] = leaf;
    in_.gpr[RCX] = sub;
    EXPECT_EQ(run(kCpuid), -1);
    return {static_cast<uint32_t>(out_.gpr[RAX]), static_cast<uint32_t>(out_.gpr[RBX]),
            static_cast<uint32_t>(out_.gpr[RCX]), static_cast<uint32_t>(out_.gpr[RDX])};
  }

  EmuRunner emu_;
  Regs in_, out_;
  uint64_t error_ = 0;
};

// --- CPUID, CR4.OSXSAVE ---

TEST_F(XsaveState, CpuidLeafZeroReachesLeafDAndTheLeavesBeforeItAreZero) {
  EXPECT_EQ(cpuid(0, 0).a, 0xDu);
  for (uint32_t leaf = 8; leaf <= 0xC; ++leaf)
    for (uint32_t sub = 0; sub < 4; ++sub) EXPECT_EQ(cpuid(leaf, sub), (Leaf{0, 0, 0, 0})) << leaf << "." << sub;
}

TEST_F(XsaveState, CpuidLeafOneReportsXsaveAndOsxsaveFollowsCr4) {
  emu_.cpu().cr4 &= ~cpu::cr4::OSXSAVE;
  Leaf l = cpuid(1, 0);
  EXPECT_TRUE(l.c & (1u << 26));    // XSAVE
  EXPECT_FALSE(l.c & (1u << 27));   // OSXSAVE
  EXPECT_TRUE(l.c & (1u << 13));    // CMPXCHG16B, as before
  // MOV CR4 sets it (bit 18 is writable), and CPUID says so at once.
  in_.gpr[RAX] = emu_.cpu().cr4 | cpu::cr4::OSXSAVE;
  ASSERT_EQ(run(kMovCr4Rax), -1);
  EXPECT_TRUE(emu_.cpu().cr4 & cpu::cr4::OSXSAVE);
  l = cpuid(1, 0);
  EXPECT_TRUE(l.c & (1u << 26));
  EXPECT_TRUE(l.c & (1u << 27));
  in_.gpr[RAX] = emu_.cpu().cr4 & ~cpu::cr4::OSXSAVE;
  ASSERT_EQ(run(kMovCr4Rax), -1);
  EXPECT_FALSE(cpuid(1, 0).c & (1u << 27));
}

TEST_F(XsaveState, CpuidLeafDDescribesX87AndSseOnly) {
  emu_.cpu().xcr0 = cpu::xcr0::X87;
  EXPECT_EQ(cpuid(0xD, 0), (Leaf{3, 576, 576, 0}));  // supported XCR0 3, size now, size for all
  emu_.cpu().xcr0 = 3;
  EXPECT_EQ(cpuid(0xD, 0), (Leaf{3, 576, 576, 0}));
  EXPECT_EQ(cpuid(0xD, 1), (Leaf{1, 0, 0, 0}));  // XSAVEOPT; no XSAVEC, XGETBV ECX=1, XSAVES
  for (uint32_t sub = 2; sub < 64; ++sub) EXPECT_EQ(cpuid(0xD, sub), (Leaf{0, 0, 0, 0})) << sub;
  EXPECT_EQ(cpuid(0xD, 0xFFFFFFFF), (Leaf{0, 0, 0, 0}));
}

// --- #UD, #NM, #GP(0) for the area ---

TEST_F(XsaveState, WithoutOsxsaveEveryInstructionIsUndefined) {
  emu_.cpu().cr4 &= ~cpu::cr4::OSXSAVE;
  const Snapshot s = snapshot();
  header(kArea, 3);
  for (const Bytes* b : {&kXsave, &kXsave64, &kXrstor, &kXrstor64, &kXsaveopt, &kXsaveopt64, &kXgetbv, &kXsetbv}) {
    in_.gpr[RCX] = 0;
    EXPECT_EQ(run_mask(*b, b == &kXsetbv ? 1 : 3), cpu::vec::UD) << hex_bytes(*b);
  }
  expect_unchanged(s);
  expect_untouched(kArea, 0, 512);
}

TEST_F(XsaveState, LockIsUndefined) {
  for (const Bytes* b : {&kXsave, &kXrstor, &kXsaveopt}) {
    Bytes locked = {0xF0};
    locked.insert(locked.end(), b->begin(), b->end());
    EXPECT_EQ(run(locked), cpu::vec::UD) << hex_bytes(locked);
  }
  in_.gpr[RCX] = 0;
  EXPECT_EQ(run({0xF0, 0x0F, 0x01, 0xD0}), cpu::vec::UD);
  expect_untouched(kArea, 0, 1024);
}

TEST_F(XsaveState, TsRaisesDeviceNotAvailableButEmDoesNot) {
  const Snapshot s = snapshot();
  header(kArea, 3);
  emu_.cpu().cr0 |= cpu::cr0::TS;
  for (const Bytes* b : {&kXsave, &kXrstor, &kXsaveopt64}) EXPECT_EQ(run_mask(*b, 3), cpu::vec::NM) << hex_bytes(*b);
  expect_unchanged(s);
  expect_untouched(kArea, 0, 512);
  // XGETBV and XSETBV are not state instructions: TS does not matter.
  in_.gpr[RCX] = 0;
  EXPECT_EQ(run_mask(kXgetbv, 0), -1);
  EXPECT_EQ(run_mask(kXsetbv, 3), -1);
  // CR0.EM does not matter either (unlike FXSAVE), nor does CR4.OSFXSR: MXCSR and the XMM
  // registers are saved and loaded all the same (FXSAVE leaves them out).
  emu_.cpu().cr0 = (emu_.cpu().cr0 & ~cpu::cr0::TS) | cpu::cr0::EM;
  emu_.cpu().cr4 &= ~cpu::cr4::OSFXSR;
  EXPECT_EQ(run_mask(kXsave, 3), -1);
  EXPECT_EQ(at<uint16_t>(kArea), 0x027F);
  EXPECT_EQ(at<uint32_t>(kArea + 24), 0x3F80u | cpu::mxcsr::PE);
  EXPECT_EQ(at<uint64_t>(kArea + 160 + 16 * 15), emu_.cpu().xmm[15].q[0]);
  put<uint32_t>(kArea + 24, 0x7F80);
  put<uint64_t>(kArea + 160, 0x1234);
  EXPECT_EQ(run_mask(kXrstor, 3), -1);
  EXPECT_EQ(emu_.cpu().mxcsr, 0x7F80u);
  EXPECT_EQ(emu_.cpu().xmm[0].q[0], 0x1234u);
}

TEST_F(XsaveState, AnAreaNotAlignedTo64BytesRaisesGp) {
  const Snapshot s = snapshot();
  header(kArea + 512, 3);
  for (uint64_t off : {1u, 8u, 16u, 32u, 48u}) {
    in_.gpr[RBX] = kArea + off;
    for (const Bytes* b : {&kXsave, &kXrstor, &kXsaveopt, &kXsave64}) {
      EXPECT_EQ(run_mask(*b, 3), cpu::vec::GP) << off << " " << hex_bytes(*b);
      EXPECT_EQ(error_, 0u);
    }
  }
  expect_unchanged(s);
  expect_untouched(kArea, 0, 1024);
  in_.gpr[RBX] = kArea + 64;
  EXPECT_EQ(run_mask(kXsave, 3), -1);
}

// --- XSAVE ---

TEST_F(XsaveState, XsaveWritesTheLegacyRegionAndOnlyXstateBvOfTheHeader) {
  ASSERT_EQ(run_mask(kXsave, 3), -1);
  const cpu::Cpu& c = emu_.cpu();
  EXPECT_EQ(at<uint16_t>(kArea + 0), 0x027F);
  EXPECT_EQ(at<uint16_t>(kArea + 2), 0x3800);
  EXPECT_EQ(at<uint8_t>(kArea + 4), 0x81);
  EXPECT_EQ(at<uint8_t>(kArea + 5), 0);
  EXPECT_EQ(at<uint16_t>(kArea + 6), 0x5A5);
  EXPECT_EQ(at<uint32_t>(kArea + 8), 0x55667788u);  // 32-bit FIP and FCS (no REX.W)
  EXPECT_EQ(at<uint16_t>(kArea + 12), 0x1B);
  EXPECT_EQ(at<uint16_t>(kArea + 14), 0);
  EXPECT_EQ(at<uint32_t>(kArea + 16), 0xDDEEFF00u);
  EXPECT_EQ(at<uint16_t>(kArea + 20), 0x23);
  EXPECT_EQ(at<uint32_t>(kArea + 24), 0x3F80u | cpu::mxcsr::PE);
  EXPECT_EQ(at<uint32_t>(kArea + 28), 0xFFFFu);
  for (unsigned i = 0; i < 8; ++i) {
    EXPECT_EQ(at<uint64_t>(kArea + 32 + 16 * i), 0x8000000000000000ull | i);
    EXPECT_EQ(at<uint16_t>(kArea + 40 + 16 * i), 0x3FFF + i);
    for (unsigned b = 42; b < 48; ++b) EXPECT_EQ(at<uint8_t>(kArea + 16 * i + b), 0);
  }
  for (unsigned r = 0; r < 16; ++r) {
    EXPECT_EQ(at<uint64_t>(kArea + 160 + 16 * r), c.xmm[r].q[0]);
    EXPECT_EQ(at<uint64_t>(kArea + 168 + 16 * r), c.xmm[r].q[1]);
  }
  expect_untouched(kArea, 416, 512);
  // XSTATE_BV: bits 0 and 1 set, the others as they were; XCOMP_BV and the rest unwritten.
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0xEEEEEEEEEEEEEEEFull);
  expect_untouched(kArea, 520, 1024);
  // REX.W: 64-bit FIP and FDP.
  set_x87(emu_.cpu(), true);
  ASSERT_EQ(run_mask(kXsave64, 3), -1);
  EXPECT_EQ(at<uint64_t>(kArea + 8), 0x1122334455667788ull);
  EXPECT_EQ(at<uint64_t>(kArea + 16), 0x99AABBCCDDEEFF00ull);
}

TEST_F(XsaveState, XsaveWritesOnlyTheRequestedComponents) {
  // x87 only: MXCSR and the XMM registers untouched.
  put<uint64_t>(kArea + 512, 0x8000000000000004ull);
  ASSERT_EQ(run_mask(kXsave, 1), -1);
  EXPECT_EQ(at<uint16_t>(kArea), 0x027F);
  expect_untouched(kArea, 24, 32);
  expect_untouched(kArea, 160, 512);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0x8000000000000005ull);
  // SSE only: MXCSR, MXCSR_MASK and XMM, the x87 bytes untouched.
  mark(kArea, 1024);
  put<uint64_t>(kArea + 512, 0);
  ASSERT_EQ(run_mask(kXsave, 2), -1);
  expect_untouched(kArea, 0, 24);
  expect_untouched(kArea, 32, 160);
  EXPECT_EQ(at<uint32_t>(kArea + 24), 0x3F80u | cpu::mxcsr::PE);
  EXPECT_EQ(at<uint64_t>(kArea + 160), emu_.cpu().xmm[0].q[0]);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 2u);
  // Nothing requested: XSTATE_BV written back as it was, nothing else.
  mark(kArea, 1024);
  ASSERT_EQ(run_mask(kXsave, 0), -1);
  expect_untouched(kArea, 0, 1024);
  // EDX:EAX all ones: what XCR0 enables. With XCR0 = 1, SSE is not saved.
  ASSERT_EQ(run_mask(kXsave, ~0ull), -1);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0xEEEEEEEEEEEEEEEFull);
  emu_.cpu().xcr0 = cpu::xcr0::X87;
  mark(kArea, 1024);
  ASSERT_EQ(run_mask(kXsave, ~0ull), -1);
  EXPECT_EQ(at<uint16_t>(kArea), 0x027F);
  expect_untouched(kArea, 24, 32);
  expect_untouched(kArea, 160, 512);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0xEEEEEEEEEEEEEEEFull);
  // The upper halves of RAX and RDX are ignored.
  emu_.cpu().xcr0 = 3;
  mark(kArea, 1024);
  in_.gpr[RAX] = 0xFFFFFFFF00000001ull;
  in_.gpr[RDX] = 0xFFFFFFFF00000000ull;
  ASSERT_EQ(run(kXsave), -1);
  expect_untouched(kArea, 24, 32);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0xEEEEEEEEEEEEEEEFull);
}

TEST_F(XsaveState, XstateBvIsSetForComponentsInTheirInitialConfigurationToo) {
  // rewind's rule (docs/cpu.md): XINUSE is all ones.
  cpu::Cpu& c = emu_.cpu();
  cpu::init_x87(c);
  ASSERT_EQ(x87_image(c), x87_initial());
  for (auto& x : c.xmm) x = cpu::Xmm{};
  c.mxcsr = cpu::mxcsr::kReset;
  put<uint64_t>(kArea + 512, 0);
  ASSERT_EQ(run_mask(kXsave, 3), -1);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 3u);
  EXPECT_EQ(at<uint16_t>(kArea), 0x037F);  // and the components are written
  EXPECT_EQ(at<uint64_t>(kArea + 160), 0u);
}

TEST_F(XsaveState, XsaveoptWritesWhatXsaveWrites) {
  // Even right after an XRSTOR from the same area (no modified optimization) and with
  // components in their initial configuration (no init optimization).
  header(kArea, 0);  // what XSAVE does not write: XRSTOR checks it
  ASSERT_EQ(run_mask(kXsave64, 3), -1);
  ASSERT_EQ(run_mask(kXrstor64, 3), -1);
  for (const Bytes* b : {&kXsaveopt, &kXsaveopt64}) {
    const Bytes& plain = b == &kXsaveopt ? kXsave : kXsave64;
    for (uint64_t mask : {0ull, 1ull, 2ull, 3ull}) {
      mark(kArea2, 1024);
      in_.gpr[RBX] = kArea2;
      ASSERT_EQ(run_mask(plain, mask), -1);
      const std::vector<uint8_t> want = bytes(kArea2, 1024);
      mark(kArea, 1024);
      in_.gpr[RBX] = kArea;
      ASSERT_EQ(run_mask(*b, mask), -1);
      EXPECT_EQ(bytes(kArea, 1024), want) << hex_bytes(*b) << " mask " << mask;
    }
    cpu::init_x87(emu_.cpu());
    for (auto& x : emu_.cpu().xmm) x = cpu::Xmm{};
  }
}

TEST_F(XsaveState, XsaveChecksEveryPageItWritesBeforeWriting) {
  // The header on an unmapped page (4 MiB and up): #PF, for a write, and nothing written on
  // the legacy region's page.
  const uint64_t area = 0x3FFE00;
  mark(area, 512);
  in_.gpr[RBX] = area;
  EXPECT_EQ(run_mask(kXsave, 3), cpu::vec::PF);
  EXPECT_EQ(emu_.cpu().cr2, 0x400000u);
  EXPECT_TRUE(error_ & 2);  // a write
  expect_untouched(area, 0, 512);
  // Nothing requested: only the header is touched, and it faults alike.
  EXPECT_EQ(run_mask(kXsave, 0), cpu::vec::PF);
  // XRSTOR reads the header first: nothing loaded.
  const Snapshot s = snapshot();
  EXPECT_EQ(run_mask(kXrstor, 3), cpu::vec::PF);
  EXPECT_FALSE(error_ & 2);
  expect_unchanged(s);
}

// --- XRSTOR ---

TEST_F(XsaveState, XrstorLoadsWhatXsaveStoredInBothFormats) {
  for (const bool wide : {false, true}) {
    cpu::Cpu& c = emu_.cpu();
    set_x87(c, wide);
    const Snapshot saved = snapshot();
    header(kArea, 0);
    ASSERT_EQ(run_mask(wide ? kXsave64 : kXsave, 3), -1);
    EXPECT_EQ(at<uint64_t>(kArea + 8), wide ? 0x1122334455667788ull : 0x001B55667788ull) << wide;
    cpu::init_x87(c);
    c.mxcsr = cpu::mxcsr::kReset;
    for (auto& x : c.xmm) x = cpu::Xmm{};
    ASSERT_EQ(run_mask(wide ? kXrstor64 : kXrstor, 3), -1);
    expect_unchanged(saved);
  }
}

TEST_F(XsaveState, XrstorPutsComponentsWhoseBitIsClearInTheirInitialConfiguration) {
  set_x87(emu_.cpu(), true);
  ASSERT_EQ(run_mask(kXsave64, 3), -1);  // an image of the current state
  put<uint32_t>(kArea + 24, 0x7F80);      // a MXCSR to load
  cpu::Cpu& c = emu_.cpu();
  const cpu::Cpu before = c;

  // XSTATE_BV 0, RFBM 3: x87 and XMM initialized, MXCSR loaded all the same.
  header(kArea, 0);
  ASSERT_EQ(run_mask(kXrstor64, 3), -1);
  EXPECT_EQ(x87_image(c), x87_initial());
  for (unsigned r = 0; r < 16; ++r) EXPECT_EQ(c.xmm[r], cpu::Xmm{}) << r;
  EXPECT_EQ(c.mxcsr, 0x7F80u);

  // XSTATE_BV 1: the x87 state loaded, XMM zero.
  c = before;
  cpu::init_x87(c);
  header(kArea, 1);
  ASSERT_EQ(run_mask(kXrstor64, 3), -1);
  EXPECT_EQ(x87_image(c), x87_image(before));
  EXPECT_EQ(c.xmm[7], cpu::Xmm{});
  EXPECT_EQ(c.mxcsr, 0x7F80u);

  // XSTATE_BV 2: x87 initialized, XMM loaded.
  c = before;
  for (auto& x : c.xmm) x = cpu::Xmm{};
  header(kArea, 2);
  ASSERT_EQ(run_mask(kXrstor64, 3), -1);
  EXPECT_EQ(x87_image(c), x87_initial());
  EXPECT_EQ(c.xmm[15], before.xmm[15]);
  EXPECT_EQ(c.mxcsr, 0x7F80u);
}

TEST_F(XsaveState, XrstorChangesOnlyTheRequestedComponents) {
  header(kArea, 0);
  ASSERT_EQ(run_mask(kXsave, 3), -1);
  put<uint32_t>(kArea + 24, 0x7F80);
  put<uint16_t>(kArea, 0x0360);
  for (unsigned r = 0; r < 16; ++r) put<uint64_t>(kArea + 160 + 16 * r, 0xABCDull + r);
  cpu::Cpu& c = emu_.cpu();
  const cpu::Cpu before = c;
  // RFBM 1: the x87 state only; MXCSR not loaded (no SSE requested).
  ASSERT_EQ(run_mask(kXrstor, 1), -1);
  EXPECT_EQ(fcw(c), 0x0360);
  EXPECT_EQ(c.mxcsr, before.mxcsr);
  EXPECT_EQ(c.xmm[0], before.xmm[0]);
  // RFBM 2: MXCSR and XMM, not the x87 state.
  c = before;
  ASSERT_EQ(run_mask(kXrstor, 2), -1);
  EXPECT_EQ(x87_image(c), x87_image(before));
  EXPECT_EQ(c.mxcsr, 0x7F80u);
  EXPECT_EQ(c.xmm[3].q[0], 0xABCDull + 3);
  // XCR0 = 1: EDX:EAX = 3 restores the x87 state only, and an XSTATE_BV with SSE is refused.
  c = before;
  c.xcr0 = cpu::xcr0::X87;
  header(kArea, 1);
  ASSERT_EQ(run_mask(kXrstor, 3), -1);
  EXPECT_EQ(fcw(c), 0x0360);
  EXPECT_EQ(c.mxcsr, before.mxcsr);
  EXPECT_EQ(c.xmm[3], before.xmm[3]);
  // Nothing requested: nothing changes, but the header is still checked.
  c = before;
  header(kArea, 3);
  ASSERT_EQ(run_mask(kXrstor, 0), -1);
  expect_unchanged(snapshot(before));
}

TEST_F(XsaveState, XrstorChecksTheHeaderAndMxcsrBeforeChangingAnything) {
  ASSERT_EQ(run_mask(kXsave64, 3), -1);
  cpu::Cpu& c = emu_.cpu();
  cpu::init_x87(c);
  c.mxcsr = cpu::mxcsr::kReset;
  for (auto& x : c.xmm) x = cpu::Xmm{{1, 2}};
  const Snapshot s = snapshot();
  struct Bad {
    const char* what;
    unsigned offset;  // in the header
    uint64_t value;
    uint64_t mask;
  };
  const Bad bad[] = {
      {"XCOMP_BV bit 63 (the compacted form)", 8, 1ull << 63, 3},
      {"XCOMP_BV bit 0", 8, 1, 3},
      {"XCOMP_BV bit 1, nothing requested", 8, 2, 0},
      {"header bytes 16-23", 16, 1ull << 40, 3},
      {"XSTATE_BV bit 2 (AVX: not in XCR0)", 0, 7, 3},
      {"XSTATE_BV bit 63", 0, (1ull << 63) | 3, 1},
  };
  for (const Bad& b : bad) {
    header(kArea, 3);
    put<uint64_t>(kArea + 512 + b.offset, b.value);
    EXPECT_EQ(run_mask(kXrstor64, b.mask), cpu::vec::GP) << b.what;
    EXPECT_EQ(error_, 0u);
    expect_unchanged(s);
  }
  // Bytes 24-63 of the header are not checked.
  header(kArea, 3);
  put<uint64_t>(kArea + 512 + 24, ~0ull);
  put<uint64_t>(kArea + 512 + 56, ~0ull);
  EXPECT_EQ(run_mask(kXrstor64, 3), -1);
  EXPECT_EQ(fcw(c), 0x027F);

  // A reserved MXCSR bit: #GP(0) whenever MXCSR would be loaded (SSE requested), even
  // with XSTATE_BV[1] clear; ignored when only the x87 state is requested.
  ASSERT_EQ(run_mask(kXsave64, 3), -1);
  cpu::init_x87(c);
  c.mxcsr = cpu::mxcsr::kReset;
  for (auto& x : c.xmm) x = cpu::Xmm{{1, 2}};
  const Snapshot s2 = snapshot();
  put<uint32_t>(kArea + 24, 0x10000 | 0x1F80);
  for (uint64_t bv : {3ull, 1ull, 0ull}) {
    header(kArea, bv);
    EXPECT_EQ(run_mask(kXrstor64, 3), cpu::vec::GP) << bv;
    expect_unchanged(s2);
  }
  header(kArea, 3);
  EXPECT_EQ(run_mask(kXrstor64, 2), cpu::vec::GP);
  expect_unchanged(s2);
  EXPECT_EQ(run_mask(kXrstor64, 1), -1);
  EXPECT_EQ(fcw(c), 0x027F);
  EXPECT_EQ(c.mxcsr, cpu::mxcsr::kReset);
  // With XCR0 = 1 an XSTATE_BV with SSE is refused even if only x87 is requested.
  c.xcr0 = cpu::xcr0::X87;
  put<uint32_t>(kArea + 24, 0x1F80);
  header(kArea, 3);
  EXPECT_EQ(run_mask(kXrstor64, 1), cpu::vec::GP);
}

// --- the 32-bit environment ---

TEST_F(XsaveState, OutsideLongModeOnlyXmm0To7AreSavedLoadedAndInitialized) {
  enter_32bit();
  cpu::Cpu& c = emu_.cpu();
  ASSERT_EQ(c.code_size, cpu::CodeSize::k32);
  ASSERT_EQ(run_mask(kXsave, 3), -1);
  EXPECT_EQ(at<uint32_t>(kArea + 8), 0x55667788u);  // the 32-bit format: FIP, FCS
  EXPECT_EQ(at<uint16_t>(kArea + 12), 0x1B);
  for (unsigned r = 0; r < 8; ++r) EXPECT_EQ(at<uint64_t>(kArea + 160 + 16 * r), c.xmm[r].q[0]);
  expect_untouched(kArea, 288, 512);
  EXPECT_EQ(at<uint64_t>(kArea + 512), 0xEEEEEEEEEEEEEEEFull);
  // XRSTOR: XMM8-15 stay as they are, loaded or initialized.
  const cpu::Cpu before = c;
  header(kArea, 3);
  for (unsigned r = 0; r < 16; ++r) put<uint64_t>(kArea + 160 + 16 * r, 0x5000 + r);
  ASSERT_EQ(run_mask(kXrstor, 3), -1);
  for (unsigned r = 0; r < 8; ++r) EXPECT_EQ(c.xmm[r].q[0], 0x5000u + r);
  for (unsigned r = 8; r < 16; ++r) EXPECT_EQ(c.xmm[r], before.xmm[r]);
  header(kArea, 0);
  ASSERT_EQ(run_mask(kXrstor, 3), -1);
  for (unsigned r = 0; r < 8; ++r) EXPECT_EQ(c.xmm[r], cpu::Xmm{});
  for (unsigned r = 8; r < 16; ++r) EXPECT_EQ(c.xmm[r], before.xmm[r]);
  // 48 is DEC EAX here, not REX.W: "xsave64" is DEC EAX, then XSAVE with the mask 2.
  mark(kArea, 1024);
  in_.gpr[RAX] = 3;
  const uint64_t rip = emu_.place(kXsave64);
  ASSERT_EQ(emu_.run(rip, 2, in_, out_), rip + kXsave64.size());
  EXPECT_EQ(out_.gpr[RAX], 2u);
  expect_untouched(kArea, 0, 24);
  EXPECT_EQ(at<uint32_t>(kArea + 24), c.mxcsr);
}

// --- XGETBV, XSETBV ---

TEST_F(XsaveState, XgetbvReadsXcr0) {
  emu_.cpu().xcr0 = cpu::xcr0::kReset;
  in_.gpr[RAX] = ~0ull;
  in_.gpr[RDX] = ~0ull;
  in_.gpr[RCX] = 0xFFFFFFFF00000000ull;  // ECX = 0: the upper half is ignored
  ASSERT_EQ(run(kXgetbv), -1);
  EXPECT_EQ(out_.gpr[RAX], 1u);  // XCR0 after reset: x87 only; upper halves cleared
  EXPECT_EQ(out_.gpr[RDX], 0u);
  emu_.cpu().xcr0 = 3;
  ASSERT_EQ(run(kXgetbv), -1);
  EXPECT_EQ(out_.gpr[RAX], 3u);
  // No XCR but XCR0 (no XGETBV with ECX = 1 either).
  for (uint64_t ecx : {1ull, 2ull, 0x80000000ull, 0xFFFFFFFFull}) {
    in_.gpr[RCX] = ecx;
    EXPECT_EQ(run(kXgetbv), cpu::vec::GP) << ecx;
    EXPECT_EQ(error_, 0u);
  }
  // Any privilege level.
  in_.gpr[RCX] = 0;
  enter_ring3();
  ASSERT_EQ(emu_.cpu().cpl, 3);
  ASSERT_EQ(run(kXgetbv), -1);
  EXPECT_EQ(out_.gpr[RAX], 3u);
}

TEST_F(XsaveState, XsetbvWritesXcr0WithinItsRules) {
  cpu::Cpu& c = emu_.cpu();
  c.xcr0 = cpu::xcr0::kReset;
  in_.gpr[RCX] = 0xFFFFFFFF00000000ull;
  EXPECT_EQ(run_mask(kXsetbv, 3), -1);
  EXPECT_EQ(c.xcr0, 3u);
  EXPECT_EQ(run_mask(kXsetbv, 1), -1);  // SSE may be disabled again
  EXPECT_EQ(c.xcr0, 1u);
  struct Bad {
    const char* what;
    uint64_t value;
    uint64_t ecx;
  };
  const Bad bad[] = {
      {"bit 0 clear", 2, 0},           {"zero", 0, 0},
      {"AVX (not supported)", 7, 0},   {"bit 9 (PKRU)", 0x201, 0},
      {"bit 8 (supervisor PT)", 0x101, 0}, {"EDX bit 0", (1ull << 32) | 3, 0},
      {"ECX = 1", 3, 1},               {"ECX = 0x80000000", 3, 0x80000000},
  };
  for (const Bad& b : bad) {
    in_.gpr[RCX] = b.ecx;
    EXPECT_EQ(run_mask(kXsetbv, b.value), cpu::vec::GP) << b.what;
    EXPECT_EQ(error_, 0u);
    EXPECT_EQ(c.xcr0, 1u) << b.what;
  }
  // Only at CPL 0.
  in_.gpr[RCX] = 0;
  enter_ring3();
  EXPECT_EQ(run_mask(kXsetbv, 3), cpu::vec::GP);
  EXPECT_EQ(c.xcr0, 1u);
}

TEST_F(XsaveState, XsetbvDecidesWhatXsaveManages) {
  // An OS's sequence: XSETBV 3, then XSAVE with all ones saves x87 and SSE.
  emu_.cpu().xcr0 = cpu::xcr0::kReset;
  in_.gpr[RCX] = 0;
  ASSERT_EQ(run_mask(kXsetbv, 3), -1);
  ASSERT_EQ(run_mask(kXsave, ~0ull), -1);
  EXPECT_EQ(at<uint32_t>(kArea + 24), 0x3F80u | cpu::mxcsr::PE);
  EXPECT_EQ(at<uint64_t>(kArea + 512) & 3, 3u);
}

}  // namespace
}  // namespace rw::cputest
