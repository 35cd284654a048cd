// FXSAVE and FXRSTOR, and the legacy region of the save image they share with XSAVE.
#include "cpu/save_area.h"

#include "cpu/handlers.h"
#include "cpu/registers.h"
#include "cpu/sse.h"

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

}  // namespace

void save_x87_region(const Cpu& c, uint8_t* img, bool wide) {
  const X87State& x = c.x87;
  std::memset(img, 0, 24);
  std::memset(img + 32, 0, 128);
  put<u16>(img, 0, x.fcw);
  put<u16>(img, 2, x.fsw);
  put<u8>(img, 4, x.ftw);
  put<u16>(img, 6, x.fop);
  if (wide) {
    put<u64>(img, 8, x.fip);
    put<u64>(img, 16, x.fdp);
  } else {
    put<u32>(img, 8, static_cast<u32>(x.fip));
    put<u16>(img, 12, x.fcs);
    put<u32>(img, 16, static_cast<u32>(x.fdp));
    put<u16>(img, 20, x.fds);
  }
  for (unsigned i = 0; i < 8; ++i) {  // in stack order: ST(i)
    put<u64>(img, 32 + 16 * i, x.regs[x87_physical(c, i)].significand);
    put<u16>(img, 40 + 16 * i, x.regs[x87_physical(c, i)].sign_exponent);
  }
}

void load_x87_region(Cpu& c, const uint8_t* img, bool wide) {
  X87State& x = c.x87;
  x.fcw = get<u16>(img, 0);
  x.fsw = get<u16>(img, 2);
  x.ftw = get<u8>(img, 4);
  x.fop = get<u16>(img, 6) & 0x7FF;
  if (wide) {
    x.fip = get<u64>(img, 8);
    x.fdp = get<u64>(img, 16);
    x.fcs = x.fds = 0;
  } else {
    x.fip = get<u32>(img, 8);
    x.fcs = get<u16>(img, 12);
    x.fdp = get<u32>(img, 16);
    x.fds = get<u16>(img, 20);
  }
  for (unsigned i = 0; i < 8; ++i) {  // TOP from the FSW just loaded
    x.regs[x87_physical(c, i)].significand = get<u64>(img, 32 + 16 * i);
    x.regs[x87_physical(c, i)].sign_exponent = get<u16>(img, 40 + 16 * i);
  }
}

unsigned xmm_region_end(const Cpu& c) { return 160 + 16 * (c.code_size == CodeSize::k64 ? 16 : 8); }

void save_mxcsr(const Cpu& c, uint8_t* img) {
  put<u32>(img, 24, c.mxcsr);
  put<u32>(img, 28, mxcsr::kWritable);
}

void save_xmm_region(const Cpu& c, uint8_t* img) {
  for (unsigned at = 160; at < xmm_region_end(c); at += 16) std::memcpy(img + at, c.xmm[(at - 160) / 16].q, 16);
}

bool mxcsr_loadable(const uint8_t* img) { return (get<u32>(img, 24) & ~mxcsr::kWritable) == 0; }

void load_mxcsr(Cpu& c, const uint8_t* img) { c.mxcsr = get<u32>(img, 24); }

void load_xmm_region(Cpu& c, const uint8_t* img) {
  for (unsigned at = 160; at < xmm_region_end(c); at += 16) std::memcpy(c.xmm[(at - 160) / 16].q, img + at, 16);
}

void read_image(Cpu& c, uint64_t lin, uint8_t* img, unsigned from, unsigned to) {
  for (unsigned at = from; at < to; at += 8) put<u64>(img, at, mem_read<u64>(c, (lin + at) & c.lin_mask));
}

void write_image(Cpu& c, uint64_t lin, const uint8_t* img, unsigned from, unsigned to) {
  probe_write(c, (lin + from) & c.lin_mask, to - from);
  for (unsigned at = from; at < to; at += 8) mem_write<u64>(c, (lin + at) & c.lin_mask, get<u64>(img, at));
}

namespace {

// FXSAVE, FXRSTOR. #NM for CR0.EM or TS, #GP(0) for a misaligned image. Without CR4.OSFXSR,
// MXCSR and the XMM registers are neither saved nor restored (implementation-dependent; as
// QEMU): their bytes are left as they are.
uint64_t fx_image(Cpu& c, const Insn& i) {
  if (c.cr0 & (cr0::EM | cr0::TS)) raise_fault(vec::NM);
  const uint64_t lin = linear_address(c, i);
  check_aligned16(lin);
  return lin;
}

template <bool Wide>
void fxsave(Cpu& c, const Insn& i) {
  const uint64_t lin = fx_image(c, i);
  uint8_t img[kLegacyRegionBytes];
  save_x87_region(c, img, Wide);
  if (!(c.cr4 & cr4::OSFXSR)) {
    probe_write(c, lin, 160);
    write_image(c, lin, img, 0, 24);
    write_image(c, lin, img, 32, 160);
    return;
  }
  save_mxcsr(c, img);
  save_xmm_region(c, img);
  write_image(c, lin, img, 0, xmm_region_end(c));
}

template <bool Wide>
void fxrstor(Cpu& c, const Insn& i) {
  const uint64_t lin = fx_image(c, i);
  const bool sse = c.cr4 & cr4::OSFXSR;
  uint8_t img[kLegacyRegionBytes];
  read_image(c, lin, img, 0, sse ? xmm_region_end(c) : 160);
  if (sse && !mxcsr_loadable(img)) raise_fault(vec::GP, 0);
  load_x87_region(c, img, Wide);
  if (!sse) return;
  load_mxcsr(c, img);
  load_xmm_region(c, img);
}

}  // namespace

Handler select_fxsave(bool restore, bool wide) {
  if (restore) return wide ? chain<fxrstor<true>> : chain<fxrstor<false>>;
  return wide ? chain<fxsave<true>> : chain<fxsave<false>>;
}

}  // namespace rw::cpu
