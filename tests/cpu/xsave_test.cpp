// Differential tests of XSAVE, XRSTOR, XSAVEOPT and XGETBV against the host CPU (Linux sets
// CR4.OSXSAVE, so they run in user mode; EDX:EAX only ever asks for x87 and SSE, bits 0 and
// 1, which every host's XCR0 has). Each case first loads a random x87 and SSE state with
// XRSTOR64 from a random valid image (some components in their initial configuration), then
// runs the instruction under test with a random mask (EAX 0-3, garbage in the upper halves
// of RAX and RDX), some areas misaligned and some XRSTOR headers or MXCSR images invalid
// (#GP). Compared: every GPR, the arithmetic flags, XMM0-15 and MXCSR, the exception and its
// frame, and 3 KiB of memory around the three areas, which cross a page boundary.
//
// Where the host legitimately differs, rewind's documented rule (docs/cpu.md) replaces the
// host's bytes before the comparison, and only where the rule allows it:
// - XSTATE_BV[i] for i in RFBM: rewind writes 1 (XINUSE all ones); the host may write 0 only
//   if component i is in its initial configuration (checked on the emulator's state, which
//   must equal the host's).
// - XSAVEOPT: where the host wrote XSTATE_BV[i] = 0 it may leave component i's bytes as they
//   were (the init optimization); rewind writes them (the initial configuration). After an
//   XRSTOR from the same area the host may also skip components it did not modify (the
//   modified optimization): the images are canonical (what XSAVE would write), so the bytes
//   are the same either way.
// - MXCSR_MASK: rewind's 0xFFFF (sse_reference.h).
// Not compared (docs/cpu.md's vendor table): an x87 image with a reserved FCW bit, a pending
// exception inconsistent with FSW.ES, FCS or FDS not zero, FIP or FDP not canonical, or FOP,
// FIP, FDP not zero without a pending exception (AMD loads neither); XSTATE_BV bits and
// XCOMP_BV[63] the host supports and rewind does not (AVX, the compacted form); XGETBV with
// ECX = 1 (the host may have it).
#include <gtest/gtest.h>

#include <cpuid.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/fault.h"
#include "cpu/save_area.h"
#include "forms.h"
#include "sse_reference.h"

namespace rw::cputest {
namespace {

using cpu::R8;
using cpu::R9;
using cpu::RAX;
using cpu::RBX;
using cpu::RCX;
using cpu::RDI;
using cpu::RDX;
using cpu::RSI;
using cpu::RSP;

constexpr unsigned kIters = 1500;
// The three areas in the data window (64-byte aligned natively and emulated): A at [rbx]
// (the instruction under test), B at [rsi] (where the x87 state XRSTOR loaded is saved to be
// compared), C at [rdi] (the state each case starts from). A crosses the window's page
// boundary (256 bytes in).
constexpr unsigned kA = 0, kB = 1024, kC = 2048, kSpan = 3072;
constexpr unsigned kX87 = 1, kSse = 2;

// The bytes of one instruction.
const Bytes kSetup = {0x48, 0x0F, 0xAE, 0x2F, 0x4C, 0x89, 0xC0, 0x4C, 0x89, 0xCA};  // xrstor64 [rdi]; mov rax, r8; mov rdx, r9
const Bytes kSetupSameArea = {0x48, 0x0F, 0xAE, 0x2B, 0x4C, 0x89, 0xC0, 0x4C, 0x89, 0xCA};  // xrstor64 [rbx]; ...
const Bytes kSaveAllToB = {0xB8, 0x03, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x00, 0x00, 0x00};  // mov eax, 3; mov edx, 0

// One form: a sequence of instructions; the last one saves with XSAVE or XSAVEOPT.
struct Form {
  std::string name;
  Bytes bytes;
  unsigned count;
  bool restore_a = false;   // XRSTOR [rbx] (the image at A may be invalid, the area misaligned)
  bool setup_from_a = false;  // the starting state is loaded from A, not C (then XSAVEOPT to A)
  unsigned save_area = kA;    // where the last instruction saves
  bool save_opt = false;      // ... with XSAVEOPT
  bool save_all = false;      // ... with EDX:EAX = 3 (else the case's mask, R8)
};

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

std::vector<Form> forms() {
  const Bytes xsave = {0x0F, 0xAE, 0x23}, xsave64 = {0x48, 0x0F, 0xAE, 0x23};
  const Bytes xsaveopt = {0x0F, 0xAE, 0x33}, xsaveopt64 = {0x48, 0x0F, 0xAE, 0x33};
  const Bytes xrstor = {0x0F, 0xAE, 0x2B}, xrstor64 = {0x48, 0x0F, 0xAE, 0x2B};
  const Bytes xsave_b = {0x0F, 0xAE, 0x26}, xsave64_b = {0x48, 0x0F, 0xAE, 0x26};
  std::vector<Form> v;
  v.push_back({"XSAVE", cat({kSetup, xsave}), 4});
  v.push_back({"XSAVE64", cat({kSetup, xsave64}), 4});
  v.push_back({"XSAVEOPT", cat({kSetup, xsaveopt}), 4, false, false, kA, true});
  v.push_back({"XSAVEOPT64", cat({kSetup, xsaveopt64}), 4, false, false, kA, true});
  v.push_back({"XRSTOR64 [rbx]; XSAVEOPT64 [rbx]", cat({kSetupSameArea, xsaveopt64}), 4, false, true, kA, true});
  v.push_back({"XRSTOR; XSAVE64 [rsi]", cat({kSetup, xrstor, kSaveAllToB, xsave64_b}), 7, true, false, kB, false, true});
  v.push_back({"XRSTOR64; XSAVE64 [rsi]", cat({kSetup, xrstor64, kSaveAllToB, xsave64_b}), 7, true, false, kB, false, true});
  v.push_back({"XRSTOR; XSAVE [rsi]", cat({kSetup, xrstor, kSaveAllToB, xsave_b}), 7, true, false, kB, false, true});
  v.push_back({"XRSTOR64; XSAVE [rsi]", cat({kSetup, xrstor64, kSaveAllToB, xsave_b}), 7, true, false, kB, false, true});
  return v;
}

template <class T>
void put(uint8_t* p, unsigned at, T v) { std::memcpy(p + at, &v, sizeof v); }
template <class T>
T get(const uint8_t* p, unsigned at) {
  T v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

// A canonical address-like value: bits 63-48 copy bit 47.
uint64_t canonical(uint64_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16); }

// A valid, canonical image (what XSAVE would write for some state) in the format `wide`:
// FCW without reserved bits; FSW's exception flags where FCW masks them, or, in one case in
// four, an unmasked one pending (ES and B set) with FOP FIP FDP random (canonical); else FOP
// FIP FDP zero; FCS FDS zero; random registers and tags, reserved bytes zero; a random MXCSR
// (bit 17 never); XMM0-15 random, all zero now and then (SSE in its initial configuration);
// XSTATE_BV a random subset of x87 and SSE; XCOMP_BV and the rest of the header zero. Bytes
// 416-511 random: nobody's.
void image(uint8_t* p, Rng& r, bool wide) {
  std::memset(p, 0, 576);
  auto fcw = static_cast<uint16_t>((r.next() & 0x1F3F) | 0x40);
  auto fsw = static_cast<uint16_t>((r.next() & 0x7F00) | (r.next() & fcw & 0x3F));
  if (fcw & 1) fsw |= static_cast<uint16_t>(r.next() & 0x40);  // SF, with IE masked
  if (r.chance(4)) {
    const unsigned e = static_cast<unsigned>(r.below(6));
    fcw = static_cast<uint16_t>(fcw & ~(1u << e));
    fsw = static_cast<uint16_t>(fsw | 1u << e | 0x80 | 0x8000);  // pending: ES, B
    put<uint16_t>(p, 6, static_cast<uint16_t>(r.next() & 0x7FF));
    if (wide) {
      put<uint64_t>(p, 8, canonical(r.next()));
      put<uint64_t>(p, 16, canonical(r.next()));
    } else {
      put<uint32_t>(p, 8, static_cast<uint32_t>(r.next()));
      put<uint32_t>(p, 16, static_cast<uint32_t>(r.next()));
    }
  }
  put<uint16_t>(p, 0, fcw);
  put<uint16_t>(p, 2, fsw);
  p[4] = static_cast<uint8_t>(r.next());
  uint32_t mxcsr = random_mxcsr(r);
  put<uint32_t>(p, 24, mxcsr);
  put<uint32_t>(p, 28, static_cast<uint32_t>(r.next()));  // MXCSR_MASK: XRSTOR ignores it
  for (unsigned k = 0; k < 8; ++k) {
    put<uint64_t>(p, 32 + 16 * k, r.next());
    put<uint16_t>(p, 40 + 16 * k, static_cast<uint16_t>(r.next()));
  }
  const bool zero_xmm = r.chance(6);
  for (unsigned k = 0; k < 16 && !zero_xmm; ++k) {
    const cpu::Xmm x = random_xmm(r, static_cast<Lanes>(r.below(4)), 0);
    std::memcpy(p + 160 + 16 * k, x.q, 16);
  }
  for (unsigned b = 416; b < 512; b += 8) put<uint64_t>(p, b, r.next());
  put<uint64_t>(p, 512, r.below(4));
}

// Spoils an XRSTOR image (#GP(0) on both): a header that is not the standard form's, an
// XSTATE_BV bit neither the host nor rewind supports, or a reserved MXCSR bit (which faults
// only when SSE is requested).
void spoil(uint8_t* p, Rng& r, uint64_t host_xcr0) {
  switch (r.below(4)) {
    case 0: put<uint64_t>(p, 520, (r.next() & ~(1ull << 63)) | 1ull << r.below(63)); break;  // XCOMP_BV, bit 63 clear
    case 1: put<uint64_t>(p, 528, 1ull << r.below(64)); break;                             // bytes 16-23
    case 2: {
      unsigned bit;
      do bit = 2 + static_cast<unsigned>(r.below(62));
      while ((host_xcr0 >> bit) & 1);
      put<uint64_t>(p, 512, get<uint64_t>(p, 512) | 1ull << bit);
      break;
    }
    default: {
      unsigned bit;
      do bit = 16 + static_cast<unsigned>(r.below(16));
      while (bit == 17);  // AMD's MM, which its hosts may accept (docs/cpu.md)
      put<uint32_t>(p, 24, get<uint32_t>(p, 24) | 1u << bit);
    }
  }
}

uint64_t host_xcr0() {
  uint32_t a = 0, d = 0;
  asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
  return uint64_t{d} << 32 | a;
}

bool host_has_osxsave() {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  return (c >> 27) & 1;
}

struct Runners {
  NativeRunner native;
  EmuRunner emu;
  Runners() {
    emu.cpu().cr4 |= cpu::cr4::OSXSAVE;
    emu.cpu().xcr0 = cpu::xcr0::X87 | cpu::xcr0::SSE;
  }
};

Runners& runners() {
  static Runners r;
  return r;
}

// Whether component `i` (kX87, kSse) is in its initial configuration in the emulator now.
bool initial(const cpu::Cpu& c, unsigned i) {
  if (i == kSse) {
    for (const cpu::Xmm& x : c.xmm)
      if (x != cpu::Xmm{}) return false;
    return true;
  }
  uint8_t img[2][cpu::kLegacyRegionBytes] = {};
  cpu::save_x87_region(c, img[0], true);
  cpu::save_x87_region(c, img[1], false);
  uint8_t want[cpu::kLegacyRegionBytes] = {};
  put<uint16_t>(want, 0, 0x37F);
  return std::memcmp(img[0], want, 160) == 0 && std::memcmp(img[1], want, 160) == 0;
}

// The bytes of component i in the legacy region (MXCSR and MXCSR_MASK apart).
void copy_component(uint8_t* to, const uint8_t* from, unsigned i) {
  if (i == kX87) {
    std::memcpy(to, from, 24);
    std::memcpy(to + 32, from + 32, 128);
  } else {
    std::memcpy(to + 160, from + 160, 256);
  }
}

std::string first_differences(const uint8_t* n, const uint8_t* e, unsigned bytes) {
  std::string s;
  unsigned shown = 0;
  for (unsigned k = 0; k < bytes && shown < 8; ++k) {
    if (n[k] == e[k]) continue;
    const char* area = k >= kC ? "C" : k >= kB ? "B" : "A";
    char b[80];
    std::snprintf(b, sizeof b, "    %s+%u: native %02x, emulated %02x\n", area, k % 1024, n[k], e[k]);
    s += b;
    ++shown;
  }
  return s;
}

TEST(XsaveDiff, SaveAndRestoreAsTheHostDoes) {
  ASSERT_TRUE(host_has_osxsave()) << "the host's OS does not enable XSAVE: nothing to compare with";
  const uint64_t xcr0 = host_xcr0();
  ASSERT_EQ(xcr0 & 3, 3u) << "the host's XCR0 lacks x87 or SSE";
  Runners& p = runners();
  NativeFaultCatcher catcher;
  Rng rng(group_seed("xsave"));
  unsigned failures = 0, reported = 0, faulted = 0, cases = 0, relaxed_bv = 0;
  for (const Form& f : forms()) {
    p.native.load(f.bytes, true);
    const uint64_t rip = p.emu.place(f.bytes);
    unsigned form_failures = 0;
    for (unsigned it = 0; it < kIters; ++it) {
      Regs in, nin, ein, nout, eout;
      fill_random_regs(in, rng);
      random_simd(in, rng, Lanes::Int, 0);
      in.gpr[RAX] = (rng.next() << 32) | 3;  // the starting state: all of it (upper halves ignored)
      in.gpr[RDX] = rng.next() << 32;
      const uint64_t mask = rng.below(4);
      in.gpr[R8] = (rng.chance(2) ? rng.next() << 32 : 0) | mask;
      in.gpr[R9] = rng.chance(2) ? rng.next() << 32 : 0;
      // Memory: random bytes, the images.
      uint8_t* const nw = p.native.window();
      for (unsigned k = 0; k < kSpan; k += 8) put<uint64_t>(nw, k, rng.next());
      image(nw + kC, rng, true);
      if (f.setup_from_a) image(nw + kA, rng, true);
      if (f.restore_a) {
        image(nw + kA, rng, f.bytes[kSetup.size()] == 0x48);
        if (rng.chance(6)) spoil(nw + kA, rng, xcr0);
      }
      unsigned misaligned = 0;
      if (rng.chance(16)) misaligned = static_cast<unsigned>(rng.chance(2) ? 8 * (1 + rng.below(7)) : 1 + rng.below(63));
      if (f.setup_from_a) misaligned = 0;  // its XRSTOR64 would fault, not the XSAVEOPT
      std::memcpy(p.emu.window(), nw, kSpan);
      const uint64_t old_bv = get<uint64_t>(nw, f.save_area + 512);
      copy_regs(nin, in, true);
      copy_regs(ein, in, true);
      nin.gpr[RBX] = p.native.window_address() + kA + misaligned;
      nin.gpr[RSI] = p.native.window_address() + kB;
      nin.gpr[RDI] = p.native.window_address() + kC;
      ein.gpr[RBX] = EmuRunner::window_address() + kA + misaligned;
      ein.gpr[RSI] = EmuRunner::window_address() + kB;
      ein.gpr[RDI] = EmuRunner::window_address() + kC;

      const int nv = p.native.run(nin, nout);
      const uint64_t end = p.emu.run(rip, f.count, ein, eout, true);
      const int ev = EmuRunner::vector_at(end);
      ++cases;
      std::string why;
      if (nv != ev) why += "  exception: native " + std::to_string(nv) + ", emulated " + std::to_string(ev) + "\n";
      if (nv == kNoFault && ev == kNoFault && end != rip + f.bytes.size()) why += "  the emulator ended elsewhere\n";
      if (nv != kNoFault) {
        ++faulted;
        if (nv == ev) {
          const NativeRunner::Fault n = p.native.last_fault(), e = p.emu.frame(ev, eout, rip);
          if (n.offset != e.offset || n.error != e.error)
            why += "  exception frame: native at byte " + std::to_string(n.offset) + " error " + std::to_string(n.error) +
                   ", emulated at byte " + std::to_string(e.offset) + " error " + std::to_string(e.error) + "\n";
        }
      }
      for (unsigned r = 0; r < 16; ++r) {
        if (r == RSP) continue;
        const bool pointer = r == RBX || r == RSI || r == RDI;
        const bool ok = pointer ? nout.gpr[r] == nin.gpr[r] && eout.gpr[r] == ein.gpr[r] : nout.gpr[r] == eout.gpr[r];
        if (!ok) why += "  " + reg_name(static_cast<int>(r), 8) + " differs\n";
      }
      if ((nout.rflags ^ eout.rflags) & cpu::rflags::kArith) why += "  flags differ\n";
      if (nout.mxcsr != eout.mxcsr) why += "  MXCSR differs\n";
      for (unsigned x = 0; x < 16; ++x)
        if (nout.xmm[x] != eout.xmm[x]) why += "  xmm" + std::to_string(x) + " differs\n";

      // rewind's rules over the host's bytes, where they apply.
      uint8_t* const ew = p.emu.window();
      if (nv == kNoFault && ev == kNoFault) {
        const unsigned at = f.save_area;
        const uint64_t rfbm = f.save_all ? 3 : mask;
        if (rfbm & kSse) put<uint32_t>(nw, at + 28, sse_reference::kMxcsrMask);
        uint64_t nbv = get<uint64_t>(nw, at + 512);
        const uint64_t ebv = get<uint64_t>(ew, at + 512);
        if (ebv != ((old_bv & ~rfbm) | rfbm)) why += "  XSTATE_BV not by rewind's rule (the bits of RFBM set)\n";
        for (unsigned i : {kX87, kSse}) {
          if (!(rfbm & i) || (nbv & i) || !(ebv & i) || !initial(p.emu.cpu(), i)) continue;
          nbv |= i;
          ++relaxed_bv;
          if (f.save_opt) copy_component(nw + at, ew + at, i);
        }
        put<uint64_t>(nw, at + 512, nbv);
      }
      if (std::memcmp(nw, ew, kSpan) != 0) why += "  memory differs:\n" + first_differences(nw, ew, kSpan);
      if (why.empty()) continue;
      ++failures;
      if (form_failures++ < 2 && reported < 10) {
        ++reported;
        ADD_FAILURE() << f.name << " [" << hex_bytes(f.bytes) << "], iteration " << it << ", mask " << mask
                      << ", misaligned by " << misaligned << ":\n"
                      << why;
      }
    }
  }
  std::printf("  %u cases, %u raised an exception natively, %u XSTATE_BV bits the host left clear (initial "
              "configuration), %u mismatches\n",
              cases, faulted, relaxed_bv, failures);
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(faulted, cases / 40);
}

// XGETBV: XCR0 in EDX:EAX (the host's has more components than rewind's: the x87 and SSE bits
// must agree, and bits 63-32 of RAX and RDX are cleared on both); ECX = 2 and up: #GP(0).
TEST(XsaveDiff, Xgetbv) {
  ASSERT_TRUE(host_has_osxsave());
  Runners& p = runners();
  NativeFaultCatcher catcher;
  const Bytes xgetbv = {0x0F, 0x01, 0xD0};
  p.native.load(xgetbv, false);
  const uint64_t rip = p.emu.place(xgetbv);
  Rng rng(group_seed("xgetbv"));
  unsigned faulted = 0;
  for (unsigned it = 0; it < 400; ++it) {
    Regs in, nout, eout;
    fill_random_regs(in, rng);
    const uint64_t ecx = rng.chance(2) ? 0 : 2 + rng.below(rng.chance(2) ? 8 : 0xFFFFFFFD);
    in.gpr[RCX] = (rng.next() << 32) | ecx;
    const int nv = p.native.run(in, nout);
    const int ev = EmuRunner::vector_at(p.emu.run(rip, 1, in, eout));
    ASSERT_EQ(nv, ev) << "ECX " << ecx;
    if (nv != kNoFault) {
      ++faulted;
      EXPECT_EQ(nv, cpu::vec::GP);
      EXPECT_EQ(p.native.last_fault().error, 0u);
      continue;
    }
    EXPECT_EQ(eout.gpr[RAX], 3u);
    EXPECT_EQ(nout.gpr[RAX] & 3, 3u);
    EXPECT_EQ(nout.gpr[RAX] >> 32, 0u);
    EXPECT_EQ(nout.gpr[RDX] >> 32, 0u);
    EXPECT_EQ(eout.gpr[RDX], 0u);
    for (unsigned r = 0; r < 16; ++r) {
      if (r == RAX || r == RDX || r == RSP) continue;
      EXPECT_EQ(nout.gpr[r], eout.gpr[r]) << reg_name(static_cast<int>(r), 8);
    }
    EXPECT_EQ(nout.rflags & cpu::rflags::kArith, eout.rflags & cpu::rflags::kArith);
  }
  EXPECT_GT(faulted, 100u);
}

}  // namespace
}  // namespace rw::cputest
