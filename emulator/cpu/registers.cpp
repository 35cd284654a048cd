#include "cpu/registers.h"

#include "cpu/segments.h"
#include "cpu/x87.h"

namespace rw::cpu {

uint64_t read_register(const Cpu& c, Reg r) {
  const auto n = static_cast<unsigned>(r);
  if (r <= Reg::kR15) return c.gpr[n];
  if (r >= Reg::kEs && r <= Reg::kGs) return c.seg[n - static_cast<unsigned>(Reg::kEs)].selector;
  if (r >= Reg::kEsBase && r <= Reg::kGsBase) return c.seg[n - static_cast<unsigned>(Reg::kEsBase)].base;
  if (r >= Reg::kXmm0Lo && r <= Reg::kXmm15Hi) {
    const unsigned x = n - static_cast<unsigned>(Reg::kXmm0Lo);
    return c.xmm[x / 2].q[x % 2];
  }
  if (r >= Reg::kFpr0Significand && r <= Reg::kFpr7SignExponent) {
    const unsigned x = n - static_cast<unsigned>(Reg::kFpr0Significand);
    return x % 2 ? c.x87.regs[x / 2].sign_exponent : c.x87.regs[x / 2].significand;
  }
  switch (r) {
    case Reg::kRip: return c.rip;
    case Reg::kRflags: return get_rflags(c);
    case Reg::kCr0: return c.cr0;
    case Reg::kCr2: return c.cr2;
    case Reg::kCr3: return c.cr3;
    case Reg::kCr4: return c.cr4;
    case Reg::kEfer: return c.efer;
    case Reg::kMxcsr: return c.mxcsr;
    case Reg::kFcw: return c.x87.fcw;
    case Reg::kFsw: return c.x87.fsw;
    case Reg::kFtw: return x87_tag_word(c);
    case Reg::kFop: return c.x87.fop;
    case Reg::kFip: return c.x87.fip;
    case Reg::kFcs: return c.x87.fcs;
    case Reg::kFdp: return c.x87.fdp;
    case Reg::kFds: return c.x87.fds;
    default: return 0;
  }
}

bool write_register(Cpu& c, Reg r, uint64_t value) {
  const auto n = static_cast<unsigned>(r);
  if (r <= Reg::kR15) {
    c.gpr[n] = value;
    return true;
  }
  if (r >= Reg::kEsBase && r <= Reg::kGsBase) {
    c.seg[n - static_cast<unsigned>(Reg::kEsBase)].base = value;
    update_mode(c);  // the effective bases used for addressing
    return true;
  }
  if (r >= Reg::kXmm0Lo && r <= Reg::kXmm15Hi) {
    const unsigned x = n - static_cast<unsigned>(Reg::kXmm0Lo);
    c.xmm[x / 2].q[x % 2] = value;
    return true;
  }
  if (r >= Reg::kFpr0Significand && r <= Reg::kFpr7SignExponent) {
    const unsigned x = n - static_cast<unsigned>(Reg::kFpr0Significand);
    if (x % 2)
      c.x87.regs[x / 2].sign_exponent = static_cast<uint16_t>(value);
    else
      c.x87.regs[x / 2].significand = value;
    return true;
  }
  switch (r) {
    case Reg::kFcw: c.x87.fcw = static_cast<uint16_t>(value); x87::update_summary(c); return true;
    case Reg::kFsw: c.x87.fsw = static_cast<uint16_t>(value); x87::update_summary(c); return true;
    case Reg::kFtw: c.x87.ftw = x87_abridged_tags(static_cast<uint16_t>(value)); return true;
    case Reg::kFop: c.x87.fop = value & 0x7FF; return true;
    case Reg::kFip: c.x87.fip = value; return true;
    case Reg::kFcs: c.x87.fcs = static_cast<uint16_t>(value); return true;
    case Reg::kFdp: c.x87.fdp = value; return true;
    case Reg::kFds: c.x87.fds = static_cast<uint16_t>(value); return true;
    default: break;
  }
  switch (r) {
    case Reg::kRip: c.rip = value; return true;
    case Reg::kRflags: set_rflags(c, value); return true;
    case Reg::kMxcsr:
      if (value & ~uint64_t{mxcsr::kWritable}) return false;
      c.mxcsr = static_cast<uint32_t>(value);
      return true;
    default: return false;
  }
}

bool writable_register(Reg r) {
  return r <= Reg::kR15 || r == Reg::kRip || r == Reg::kRflags || (r >= Reg::kEsBase && r <= Reg::kGsBase) ||
         r == Reg::kMxcsr || (r >= Reg::kXmm0Lo && r <= Reg::kXmm15Hi) || (r >= Reg::kFcw && r < Reg::kCount);
}

}  // namespace rw::cpu
