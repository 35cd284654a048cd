// The XSAVE feature set for the x87 and SSE state components (SDM vol. 1 ch. 13, vol. 2
// XSAVE, XRSTOR, XSAVEOPT, XGETBV, XSETBV): XCR0, the standard-format XSAVE area (the legacy
// region of save_area.h and the header), and CPUID leaf 0xD.
//
// rewind's choices where the SDM leaves one (docs/cpu.md, the vendor table):
// - XINUSE is all ones: XSAVE and XSAVEOPT set XSTATE_BV[i] for every i in RFBM, whether or
//   not component i is in its initial configuration (as QEMU). A processor with the init
//   optimization may write 0 there for a component in its initial configuration.
// - XSAVEOPT is XSAVE: neither the init nor the modified optimization, so it always writes
//   every component of RFBM.
// - XSAVE writes only XSTATE_BV in the header (as the SDM says): XCOMP_BV and the reserved
//   bytes 528-575 are left as they are, and so are bytes 416-511 of the legacy region.
#include "cpu/xsave.h"

#include <cstring>

#include "cpu/handlers.h"
#include "cpu/operands.h"
#include "cpu/save_area.h"

namespace rw::cpu {
namespace {

template <class T>
void put(uint8_t* p, unsigned at, T v) { std::memcpy(p + at, &v, sizeof v); }
template <class T>
T get(const uint8_t* p, unsigned at) {
  T v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

constexpr unsigned kXstateBv = kXsaveHeader, kXcompBv = kXsaveHeader + 8, kHeaderChecked = kXsaveHeader + 24;

// The area's size for the components of `mask`: x87 and SSE both live in the legacy region,
// so it is the legacy region and the header whichever are enabled.
constexpr uint32_t area_size(uint64_t mask) { return mask & xcr0::kSupported ? kXsaveAreaBytes : 0; }

// XSAVE, XRSTOR and XSAVEOPT: #UD while CR4.OSXSAVE is clear, #NM while CR0.TS is set
// (CR0.EM does not matter), #GP(0) for an area not 64-byte aligned. Returns its address.
uint64_t area(Cpu& c, const Insn& i) {
  if (!(c.cr4 & cr4::OSXSAVE)) raise_fault(vec::UD);
  if (c.cr0 & cr0::TS) raise_fault(vec::NM);
  const uint64_t lin = linear_address(c, i);
  if (lin & 63) raise_fault(vec::GP, 0);
  return lin;
}

// The requested-feature bitmap: XCR0 AND EDX:EAX (the upper halves of RDX and RAX ignored).
uint64_t requested(const Cpu& c) {
  const uint64_t mask = (c.gpr[RDX] << 32) | static_cast<uint32_t>(c.gpr[RAX]);
  return c.xcr0 & mask & xcr0::kSupported;
}

// A part of the area, [from, to) (multiples of 8).
struct Part {
  unsigned from, to;
};

// The parts of the legacy region that hold the components of `mask`; `mxcsr`: MXCSR and
// MXCSR_MASK too. At most four.
unsigned legacy_parts(const Cpu& c, uint64_t mask, bool mxcsr, Part* out) {
  unsigned n = 0;
  if (mask & xcr0::X87) {
    out[n++] = {0, 24};
    out[n++] = {32, 160};
  }
  if (mxcsr) out[n++] = {24, 32};
  if (mask & xcr0::SSE) out[n++] = {160, xmm_region_end(c)};
  return n;
}

// XSAVE and XSAVEOPT (rewind's XSAVEOPT is XSAVE). `Wide`: REX.W, the 64-bit FIP/FDP format.
// Every byte it writes is checked first: nothing is written unless all can be.
template <bool Wide>
void xsave(Cpu& c, const Insn& i) {
  const uint64_t lin = area(c, i);
  const uint64_t rfbm = requested(c);
  Part parts[5];
  unsigned n = legacy_parts(c, rfbm, rfbm & xcr0::SSE, parts);
  parts[n++] = {kXstateBv, kXstateBv + 8};
  for (unsigned k = 0; k < n; ++k) probe_write(c, (lin + parts[k].from) & c.lin_mask, parts[k].to - parts[k].from);
  uint8_t img[kXsaveAreaBytes] = {};
  if (rfbm & xcr0::X87) save_x87_region(c, img, Wide);
  if (rfbm & xcr0::SSE) {
    save_mxcsr(c, img);
    save_xmm_region(c, img);
  }
  // XSTATE_BV: its bits outside RFBM as they were, those in RFBM set (XINUSE all ones).
  const uint64_t old_bv = mem_read<u64>(c, (lin + kXstateBv) & c.lin_mask);
  put<u64>(img, kXstateBv, (old_bv & ~rfbm) | rfbm);
  for (unsigned k = 0; k < n; ++k) write_image(c, lin, img, parts[k].from, parts[k].to);
}

// XRSTOR, standard form. The header is read and checked first (#GP(0) for XCOMP_BV or
// bytes 16-23 of the header not zero: the compacted form is not supported; for an
// XSTATE_BV bit outside XCR0), then the parts to load, then MXCSR (#GP(0) for a reserved
// bit): only then is any state changed. For each component of RFBM: loaded from the area
// when its XSTATE_BV bit is set, else put in its initial configuration. MXCSR is loaded
// whenever RFBM has SSE, whatever XSTATE_BV says.
template <bool Wide>
void xrstor(Cpu& c, const Insn& i) {
  const uint64_t lin = area(c, i);
  const uint64_t rfbm = requested(c);
  uint8_t img[kXsaveAreaBytes] = {};
  read_image(c, lin, img, kXstateBv, kHeaderChecked);
  const uint64_t xstate_bv = get<u64>(img, kXstateBv);
  if (get<u64>(img, kXcompBv) != 0 || get<u64>(img, kXcompBv + 8) != 0) raise_fault(vec::GP, 0);
  if (xstate_bv & ~c.xcr0) raise_fault(vec::GP, 0);
  const uint64_t load = rfbm & xstate_bv, init = rfbm & ~xstate_bv;
  const bool mxcsr = rfbm & xcr0::SSE;
  Part parts[4];
  const unsigned n = legacy_parts(c, load, mxcsr, parts);
  for (unsigned k = 0; k < n; ++k) read_image(c, lin, img, parts[k].from, parts[k].to);
  if (mxcsr && !mxcsr_loadable(img)) raise_fault(vec::GP, 0);
  if (load & xcr0::X87) load_x87_region(c, img, Wide);
  if (init & xcr0::X87) init_x87(c);
  if (mxcsr) load_mxcsr(c, img);
  if (load & xcr0::SSE) load_xmm_region(c, img);
  if (init & xcr0::SSE)  // outside 64-bit mode XMM8-15 are left alone, as by a load
    for (unsigned r = 0; r < (xmm_region_end(c) - 160) / 16; ++r) c.xmm[r] = Xmm{};
}

// XGETBV: XCR0 in EDX:EAX for ECX = 0 (at any privilege level); #GP(0) for any other ECX
// (there is no XCR1: CPUID.(0xD,1):EAX[2] is clear).
void xgetbv(Cpu& c, const Insn&) {
  if (!(c.cr4 & cr4::OSXSAVE)) raise_fault(vec::UD);
  if (static_cast<uint32_t>(c.gpr[RCX]) != 0) raise_fault(vec::GP, 0);
  c.gpr[RAX] = static_cast<uint32_t>(c.xcr0);
  c.gpr[RDX] = c.xcr0 >> 32;
}

// XSETBV: XCR0 from EDX:EAX. #GP(0) above ring 0, for ECX other than 0, with bit 0 (x87)
// clear or any bit set but x87 and SSE.
void xsetbv(Cpu& c, const Insn&) {
  if (!(c.cr4 & cr4::OSXSAVE)) raise_fault(vec::UD);
  if (c.cpl != 0) raise_fault(vec::GP, 0);
  if (static_cast<uint32_t>(c.gpr[RCX]) != 0) raise_fault(vec::GP, 0);
  const uint64_t v = (c.gpr[RDX] << 32) | static_cast<uint32_t>(c.gpr[RAX]);
  if (!(v & xcr0::X87) || (v & ~xcr0::kSupported)) raise_fault(vec::GP, 0);
  c.xcr0 = v;
}

}  // namespace

void init_x87(Cpu& c) {
  uint8_t img[kLegacyRegionBytes] = {};
  put<u16>(img, 0, 0x37F);  // FCW; FSW, the abridged tag word (all empty), pointers, registers 0
  load_x87_region(c, img, /*wide=*/true);
}

uint32_t xsave_cpuid_ecx(const Cpu& c) { return (1u << 26) | (c.cr4 & cr4::OSXSAVE ? 1u << 27 : 0); }

XsaveLeaf xsave_cpuid_leaf(const Cpu& c, uint32_t sub) {
  XsaveLeaf x;
  if (sub == 0) {
    x.eax = static_cast<uint32_t>(xcr0::kSupported);
    x.edx = static_cast<uint32_t>(xcr0::kSupported >> 32);
    x.ebx = area_size(c.xcr0);
    x.ecx = area_size(xcr0::kSupported);
  } else if (sub == 1) {
    x.eax = 1;  // XSAVEOPT
  }
  return x;
}

const Handler op_xgetbv = chain<xgetbv>, op_xsetbv = chain<xsetbv>;

Handler select_xsave(unsigned digit, bool wide) {
  if (digit == 5) return wide ? chain<xrstor<true>> : chain<xrstor<false>>;
  return wide ? chain<xsave<true>> : chain<xsave<false>>;  // /4 XSAVE, /6 XSAVEOPT
}

}  // namespace rw::cpu
