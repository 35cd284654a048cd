// The system instructions a kernel uses: control and debug registers, descriptor
// tables, MSRs, CPUID, TSC, SYSCALL/SYSRET, SYSENTER/SYSEXIT, HLT, CLI/STI.
#include <cstring>
#include <utility>

#include "cpu/cpuid.h"
#include "cpu/handlers.h"
#include "cpu/interrupts.h"
#include "cpu/operands.h"
#include "cpu/segments.h"
#include "cpu/xsave.h"

namespace rw::cpu {
namespace {

void require_cpl0(const Cpu& c) {
  if (c.cpl != 0) raise_fault(vec::GP, 0);
}

unsigned iopl(const Cpu& c) { return (c.rflags_stored >> 12) & 3; }

// The instruction count of the instruction being executed.
uint64_t current_icount(const Cpu& c, const Insn& i) { return c.icount + i.idx; }

void invalid(Cpu&, const Insn&) { raise_fault(vec::UD); }

void unimplemented(Cpu& c, const Insn&) {
  ++c.unimplemented_count;
  raise_fault(vec::UD);
}

void gp0(Cpu&, const Insn&) { raise_fault(vec::GP, 0); }

void hlt(Cpu& c, const Insn&) {
  require_cpl0(c);
  c.halted = true;
}

void cli(Cpu& c, const Insn&) {
  if ((c.cr0 & cr0::PE) && c.cpl > iopl(c)) raise_fault(vec::GP, 0);
  c.rflags_stored &= ~rflags::IF;
}

void sti(Cpu& c, const Insn& i) {
  if ((c.cr0 & cr0::PE) && c.cpl > iopl(c)) raise_fault(vec::GP, 0);
  if (!(c.rflags_stored & rflags::IF)) c.interrupt_shadow_until = current_icount(c, i) + 2;
  c.rflags_stored |= rflags::IF;
}

void set_abcd(Cpu& c, uint32_t a, uint32_t b, uint32_t cc, uint32_t d) {
  c.gpr[RAX] = a;
  c.gpr[RBX] = b;
  c.gpr[RCX] = cc;
  c.gpr[RDX] = d;
}

// What CPUID says is exactly what we implement: the x87 FPU, SSE to SSE4.2 with FXSAVE, XSAVE
// for the x87 and SSE state (leaf 0xD, xsave.cpp), no MMX yet; the local APIC (xAPIC). Leaves
// 2-0xC but 0xD are all zero.
void cpuid(Cpu& c, const Insn&) {
  uint32_t leaf = static_cast<uint32_t>(c.gpr[RAX]);
  uint32_t sub = static_cast<uint32_t>(c.gpr[RCX]);
  static const char kVendor[] = "RewindX86CPU";
  static const char kBrand[48] = "rewind deterministic x86-64";
  uint32_t v[3];
  std::memcpy(v, kVendor, 12);
  switch (leaf) {
    case 0: return set_abcd(c, 0xD, v[0], v[2], v[1]);
    case 1: {
      // SSE3 (0), SSSE3 (9), CMPXCHG16B (13), SSE4.1 (19), SSE4.2 (20), POPCNT (23), hypervisor (31);
      // XSAVE and OSXSAVE from xsave.cpp.
      constexpr uint32_t ecx = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23) | (1u << 31);
      return set_abcd(c, kCpuidSignature, (1u << 16) | (8u << 8), ecx | xsave_cpuid_ecx(c), kCpuidFeaturesEdx);
    }
    case 0xD: {
      const XsaveLeaf x = xsave_cpuid_leaf(c, sub);
      return set_abcd(c, x.eax, x.ebx, x.ecx, x.edx);
    }
    case 0x80000000: return set_abcd(c, 0x80000008, 0, 0, 0);
    case 0x80000001: {
      constexpr uint32_t edx = (1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29);
      constexpr uint32_t ecx = (1u << 0) | (1u << 5);
      return set_abcd(c, 0, 0, ecx, edx);
    }
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      uint32_t b[4];
      std::memcpy(b, kBrand + (leaf - 0x80000002) * 16, 16);
      return set_abcd(c, b[0], b[1], b[2], b[3]);
    }
    case 0x80000008: return set_abcd(c, 0x3028, 0, 0, 0);
    default: return set_abcd(c, 0, 0, 0, 0);
  }
}

uint64_t read_tsc(const Cpu& c, const Insn& i) {
  if ((c.cr4 & 4) && c.cpl > 0) raise_fault(vec::GP, 0);  // CR4.TSD
  return current_icount(c, i) + static_cast<uint64_t>(c.tsc_offset);
}

void rdtsc(Cpu& c, const Insn& i) {
  uint64_t t = read_tsc(c, i);
  c.gpr[RAX] = static_cast<uint32_t>(t);
  c.gpr[RDX] = t >> 32;
}

void rdtscp(Cpu& c, const Insn& i) {
  rdtsc(c, i);
  c.gpr[RCX] = static_cast<uint32_t>(c.tsc_aux);
}

void set_efer(Cpu& c, uint64_t v) {
  constexpr uint64_t kWritable = efer::SCE | efer::LME | efer::NXE;
  if (v & ~(kWritable | efer::LMA)) raise_fault(vec::GP, 0);
  if (c.paging() && ((v ^ c.efer) & efer::LME)) raise_fault(vec::GP, 0);
  c.efer = (c.efer & efer::LMA) | (v & kWritable);
  c.tlb.flush();
  update_mode(c);
}

void rdmsr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  uint64_t v;
  switch (static_cast<uint32_t>(c.gpr[RCX])) {
    case msr::kTsc: v = current_icount(c, i) + static_cast<uint64_t>(c.tsc_offset); break;
    case msr::kApicBase: v = c.apic_base; break;
    case msr::kMtrrCap: v = 0; break;
    case msr::kSysenterCs: v = c.sysenter_cs; break;
    case msr::kSysenterEsp: v = c.sysenter_esp; break;
    case msr::kSysenterEip: v = c.sysenter_eip; break;
    case msr::kMiscEnable: v = 1; break;
    case msr::kPat: v = c.pat; break;
    case msr::kEfer: v = c.efer; break;
    case msr::kStar: v = c.star; break;
    case msr::kLstar: v = c.lstar; break;
    case msr::kCstar: v = c.cstar; break;
    case msr::kSfmask: v = c.sfmask; break;
    case msr::kFsBase: v = c.seg[FS].base; break;
    case msr::kGsBase: v = c.seg[GS].base; break;
    case msr::kKernelGsBase: v = c.kernel_gs_base; break;
    case msr::kTscAux: v = c.tsc_aux; break;
    default: raise_fault(vec::GP, 0);
  }
  c.gpr[RAX] = static_cast<uint32_t>(v);
  c.gpr[RDX] = v >> 32;
}

bool canonical(uint64_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16) == v; }

void wrmsr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  uint64_t v = static_cast<uint32_t>(c.gpr[RAX]) | (c.gpr[RDX] << 32);
  switch (static_cast<uint32_t>(c.gpr[RCX])) {
    case msr::kTsc: c.tsc_offset = static_cast<int64_t>(v - current_icount(c, i)); break;
    case msr::kApicBase: c.apic_base = v; break;
    case msr::kSysenterCs: c.sysenter_cs = v & 0xFFFF; break;
    case msr::kSysenterEsp: c.sysenter_esp = v; break;
    case msr::kSysenterEip: c.sysenter_eip = v; break;
    case msr::kMiscEnable: break;
    case msr::kPat: c.pat = v; break;
    case msr::kEfer: set_efer(c, v); break;
    case msr::kStar: c.star = v; break;
    case msr::kLstar:
    case msr::kCstar:
    case msr::kFsBase:
    case msr::kGsBase:
    case msr::kKernelGsBase: {
      if (!canonical(v)) raise_fault(vec::GP, 0);
      uint32_t n = static_cast<uint32_t>(c.gpr[RCX]);
      if (n == msr::kLstar) c.lstar = v;
      else if (n == msr::kCstar) c.cstar = v;
      else if (n == msr::kFsBase) c.seg[FS].base = v;
      else if (n == msr::kGsBase) c.seg[GS].base = v;
      else c.kernel_gs_base = v;
      update_mode(c);
      break;
    }
    case msr::kSfmask: c.sfmask = v & 0xFFFFFFFF; break;
    case msr::kTscAux: c.tsc_aux = v & 0xFFFFFFFF; break;
    default: raise_fault(vec::GP, 0);
  }
}

void swapgs(Cpu& c, const Insn&) {
  require_cpl0(c);
  std::swap(c.seg[GS].base, c.kernel_gs_base);
  update_mode(c);
}

Segment flat_segment(uint16_t selector, uint16_t attr) {
  Segment s;
  s.selector = selector;
  s.base = 0;
  s.limit = 0xFFFFFFFF;
  s.attr = attr;
  return s;
}

constexpr uint16_t kCode64 = 0xA09B, kCode32 = 0xC09B, kData = 0xC093;

uint16_t with_dpl(uint16_t attr, unsigned dpl) { return static_cast<uint16_t>((attr & ~0x60u) | (dpl << 5)); }

void syscall(Cpu& c, const Insn&) {
  if (!(c.efer & efer::SCE)) raise_fault(vec::UD);
  uint16_t cs = static_cast<uint16_t>((c.star >> 32) & 0xFFFC);
  c.gpr[RCX] = c.next_rip;
  uint64_t flags = get_rflags(c);
  c.gpr[R11] = flags & ~rflags::RF;
  c.seg[CS] = flat_segment(cs, kCode64);
  c.seg[SS] = flat_segment(static_cast<uint16_t>(cs + 8), kData);
  c.cpl = 0;
  set_rflags(c, flags & ~c.sfmask & ~rflags::RF);
  update_mode(c);
  c.next_rip = c.lstar;
}

template <unsigned Size>
void sysret(Cpu& c, const Insn&) {
  if (!(c.efer & efer::SCE)) raise_fault(vec::UD);
  require_cpl0(c);
  uint16_t base = static_cast<uint16_t>((c.star >> 48) & 0xFFFF);
  uint64_t target = Size == 8 ? c.gpr[RCX] : static_cast<uint32_t>(c.gpr[RCX]);
  if (!canonical(target)) raise_fault(vec::GP, 0);
  if constexpr (Size == 8)
    c.seg[CS] = flat_segment(static_cast<uint16_t>((base + 16) | 3), with_dpl(kCode64, 3));
  else
    c.seg[CS] = flat_segment(static_cast<uint16_t>(base | 3), with_dpl(kCode32, 3));
  c.seg[SS] = flat_segment(static_cast<uint16_t>((base + 8) | 3), with_dpl(kData, 3));
  c.cpl = 3;
  set_rflags(c, (c.gpr[R11] & 0x3C7FD7) | 2);
  update_mode(c);
  c.next_rip = target;
}

void sysenter(Cpu& c, const Insn&) {
  if (!(c.cr0 & cr0::PE) || (c.sysenter_cs & 0xFFFC) == 0) raise_fault(vec::GP, 0);
  uint16_t cs = static_cast<uint16_t>(c.sysenter_cs & 0xFFFC);
  const bool lm = c.long_mode();
  c.seg[CS] = flat_segment(cs, lm ? kCode64 : kCode32);
  c.seg[SS] = flat_segment(static_cast<uint16_t>(cs + 8), kData);
  c.cpl = 0;
  set_rflags(c, get_rflags(c) & ~(rflags::IF | rflags::VM | rflags::RF));
  update_mode(c);
  c.gpr[RSP] = lm ? c.sysenter_esp : static_cast<uint32_t>(c.sysenter_esp);
  c.next_rip = lm ? c.sysenter_eip : static_cast<uint32_t>(c.sysenter_eip);
}

template <unsigned Size>
void sysexit(Cpu& c, const Insn&) {
  if (!(c.cr0 & cr0::PE) || (c.sysenter_cs & 0xFFFC) == 0) raise_fault(vec::GP, 0);
  require_cpl0(c);
  uint16_t cs = static_cast<uint16_t>(c.sysenter_cs);
  if constexpr (Size == 8) {
    c.seg[CS] = flat_segment(static_cast<uint16_t>((cs + 32) | 3), with_dpl(kCode64, 3));
    c.seg[SS] = flat_segment(static_cast<uint16_t>((cs + 40) | 3), with_dpl(kData, 3));
  } else {
    c.seg[CS] = flat_segment(static_cast<uint16_t>((cs + 16) | 3), with_dpl(kCode32, 3));
    c.seg[SS] = flat_segment(static_cast<uint16_t>((cs + 24) | 3), with_dpl(kData, 3));
  }
  c.cpl = 3;
  update_mode(c);
  c.gpr[RSP] = Size == 8 ? c.gpr[RCX] : static_cast<uint32_t>(c.gpr[RCX]);
  c.next_rip = Size == 8 ? c.gpr[RDX] : static_cast<uint32_t>(c.gpr[RDX]);
}

void clts(Cpu& c, const Insn&) {
  require_cpl0(c);
  c.cr0 &= ~cr0::TS;
}

void wbinvd(Cpu& c, const Insn&) { require_cpl0(c); }

void invlpg(Cpu& c, const Insn& i) {
  require_cpl0(c);
  c.tlb.flush_page(linear_address(c, i));
}

template <bool Mem>
uint16_t read_selector(Cpu& c, const Insn& i) {
  if constexpr (Mem)
    return mem_read<u16>(c, linear_address(c, i));
  else
    return static_cast<u16>(c.gpr[i.rm]);
}

// LTR and LLDT: the memory form is told apart by the decoder through `ext`.
template <bool Ltr, bool Mem>
void load_system_segment(Cpu& c, const Insn& i) {
  if (!(c.cr0 & cr0::PE)) raise_fault(vec::UD);
  require_cpl0(c);
  uint16_t sel = read_selector<Mem>(c, i);
  if ((sel & ~3u) == 0) {
    if (Ltr) raise_fault(vec::GP, 0);
    c.ldtr = Segment{};
    return;
  }
  if (sel & 4) raise_fault(vec::GP, sel & ~3u);
  uint64_t d = read_descriptor(c, sel);
  Segment s = segment_from_descriptor(sel, d);
  unsigned type = s.attr & 0x1F;
  bool ok = Ltr ? (type == 0x09 || (type == 0x01 && !c.long_mode())) : type == 0x02;
  if (!ok) raise_fault(vec::GP, sel & ~3u);
  if (!s.present()) raise_fault(vec::NP, sel & ~3u);
  if (c.long_mode()) s.base |= (read_descriptor_high(c, sel) & 0xFFFFFFFF) << 32;
  if (Ltr) {
    uint64_t table = c.gdtr.base + (sel & ~7u);
    sys_write<uint8_t>(c, (table + 5) & c.lin_mask, static_cast<uint8_t>((d >> 40) | 2));  // busy
    s.attr |= 2;
    c.tr = s;
  } else {
    c.ldtr = s;
  }
}

template <bool Store, bool Idt>
void descriptor_table(Cpu& c, const Insn& i) {
  TableRegister& t = Idt ? c.idtr : c.gdtr;
  uint64_t a = linear_address(c, i);
  const bool m64 = c.code_size == CodeSize::k64;
  if constexpr (Store) {
    mem_write<u16>(c, a, static_cast<u16>(t.limit));
    if (m64)
      mem_write<u64>(c, (a + 2) & c.lin_mask, t.base);
    else
      mem_write<u32>(c, (a + 2) & c.lin_mask, static_cast<u32>(t.base));
  } else {
    require_cpl0(c);
    u16 limit = mem_read<u16>(c, a);
    uint64_t base = m64 ? mem_read<u64>(c, (a + 2) & c.lin_mask) : mem_read<u32>(c, (a + 2) & c.lin_mask);
    if (!m64 && i.osize == 2) base &= 0xFFFFFF;
    t.limit = limit;
    t.base = base;
  }
}

template <unsigned Which, class T, bool Mem>
void store_selector(Cpu& c, const Insn& i) {
  uint64_t v = Which == 0 ? c.ldtr.selector : Which == 1 ? c.tr.selector : c.cr0;
  if constexpr (Which == 2 && Mem) v &= 0xFFFF;
  if constexpr (Which != 2) {
    if (c.cpl > 0 && (c.cr4 & (1u << 11))) raise_fault(vec::GP, 0);  // CR4.UMIP
  }
  rm_write<T, Mem>(c, i, static_cast<T>(v));
}

void lmsw(Cpu& c, const Insn& i) {
  require_cpl0(c);
  uint16_t v = i.ext ? mem_read<u16>(c, linear_address(c, i)) : static_cast<u16>(c.gpr[i.rm]);
  uint64_t keep_pe = c.cr0 & cr0::PE;
  c.cr0 = (c.cr0 & ~uint64_t{0xE}) | (v & 0xF) | keep_pe;
  update_mode(c);
}

void set_cr0(Cpu& c, uint64_t v) {
  if (v >> 32) raise_fault(vec::GP, 0);
  v |= cr0::ET;
  if ((v & cr0::PG) && !(v & cr0::PE)) raise_fault(vec::GP, 0);
  if ((v & cr0::NW) && !(v & cr0::CD)) raise_fault(vec::GP, 0);
  bool enabling_paging = (v & cr0::PG) && !(c.cr0 & cr0::PG);
  if (enabling_paging && (c.efer & efer::LME)) {
    if (!(c.cr4 & cr4::PAE)) raise_fault(vec::GP, 0);
    c.efer |= efer::LMA;
  }
  if (!(v & cr0::PG) && (c.cr0 & cr0::PG)) {
    if (c.code_size == CodeSize::k64) raise_fault(vec::GP, 0);
    c.efer &= ~efer::LMA;
  }
  c.cr0 = v;
  c.tlb.flush();
  update_mode(c);
}

void set_cr4(Cpu& c, uint64_t v) {
  constexpr uint64_t kSupported = 0x1 | 0x2 | 0x4 | 0x8 | cr4::PSE | cr4::PAE | 0x40 | cr4::PGE | 0x100 |
                                  cr4::OSFXSR | 0x400 | 0x800 | cr4::FSGSBASE | cr4::OSXSAVE;
  if (v & ~kSupported) raise_fault(vec::GP, 0);
  if (c.long_mode() && !(v & cr4::PAE)) raise_fault(vec::GP, 0);
  c.cr4 = v;
  c.tlb.flush();
}

template <bool ToCr>
void mov_cr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  const bool m64 = c.code_size == CodeSize::k64;
  if constexpr (ToCr) {
    uint64_t v = m64 ? c.gpr[i.rm] : static_cast<uint32_t>(c.gpr[i.rm]);
    switch (i.ext) {
      case 0: set_cr0(c, v); break;
      case 2: c.cr2 = v; break;
      case 3:
        c.cr3 = v;
        c.tlb.flush();
        break;
      case 4: set_cr4(c, v); break;
      default: c.cr8 = v & 15; break;
    }
  } else {
    uint64_t v = i.ext == 0 ? c.cr0 : i.ext == 2 ? c.cr2 : i.ext == 3 ? c.cr3 : i.ext == 4 ? c.cr4 : c.cr8;
    c.gpr[i.rm] = m64 ? v : static_cast<uint32_t>(v);
  }
}

template <bool ToDr>
void mov_dr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  unsigned n = i.ext;
  if (n == 4 || n == 5) {
    if (c.cr4 & 0x8) raise_fault(vec::UD);  // CR4.DE
    n += 2;
  }
  const bool m64 = c.code_size == CodeSize::k64;
  if constexpr (ToDr) {
    uint64_t v = m64 ? c.gpr[i.rm] : static_cast<uint32_t>(c.gpr[i.rm]);
    if (n == 6) v = (v & 0x1E00F) | 0xFFFF0FF0;
    if (n == 7) v = (v & 0xFFFF2BFF) | 0x400;
    c.dr[n] = v;
  } else {
    c.gpr[i.rm] = m64 ? c.dr[n] : static_cast<uint32_t>(c.dr[n]);
  }
}

template <bool Mem>
void mov_to_seg(Cpu& c, const Insn& i) {
  uint16_t sel = read_selector<Mem>(c, i);
  load_data_segment(c, static_cast<SegReg>(i.reg), sel);
  if (i.reg == SS) c.interrupt_shadow_until = current_icount(c, i) + 2;
}

template <class T, bool Mem>
void mov_from_seg(Cpu& c, const Insn& i) { rm_write<T, Mem>(c, i, static_cast<T>(c.seg[i.reg].selector)); }

template <class T>
void load_far_pointer(Cpu& c, const Insn& i) {
  uint64_t a = linear_address(c, i);
  T offset = mem_read<T>(c, a);
  uint16_t sel = mem_read<u16>(c, (a + sizeof(T)) & c.lin_mask);
  load_data_segment(c, static_cast<SegReg>(i.ext), sel);
  reg_set<T>(c, i.reg, offset);
}

// LAR / LSL: ZF says whether the selector names a descriptor visible at this CPL.
template <bool Lsl, class T, bool Mem>
void lar_lsl(Cpu& c, const Insn& i) {
  if (!(c.cr0 & cr0::PE)) raise_fault(vec::UD);
  uint16_t sel = read_selector<Mem>(c, i);
  uint64_t f = get_rflags(c) & ~rflags::ZF;
  uint64_t d = 0;
  bool ok = (sel & ~3u) != 0;
  if (ok) {
    try {
      d = read_descriptor(c, sel);
    } catch (const GuestFault&) {
      ok = false;
    }
  }
  if (ok) {
    Segment s = segment_from_descriptor(sel, d);
    bool system = !(s.attr & 0x10);
    unsigned type = s.attr & 0xF;
    if (system) {
      static constexpr uint16_t kLarTypes = 0x1A3E, kLslTypes = 0x0A0E;  // bit per system type
      ok = ((Lsl ? kLslTypes : kLarTypes) >> type) & 1;
      if (c.long_mode()) ok = ok && (type == 2 || type == 9 || type == 0xB || (!Lsl && type == 0xC));
    }
    bool conforming_code = !system && (type & 0xC) == 0xC;
    if (ok && !conforming_code && (s.dpl() < c.cpl || s.dpl() < (sel & 3u))) ok = false;
    if (ok) reg_set<T>(c, i.reg, static_cast<T>(Lsl ? s.limit : (d >> 32) & 0x00F0FF00));
  }
  set_arith_flags(c, f | (ok ? rflags::ZF : 0));
}

template <bool Write>
void verify(Cpu& c, const Insn& i) {
  if (!(c.cr0 & cr0::PE)) raise_fault(vec::UD);
  uint16_t sel = i.ext ? mem_read<u16>(c, linear_address(c, i)) : static_cast<u16>(c.gpr[i.rm]);
  bool ok = (sel & ~3u) != 0;
  Segment s;
  if (ok) {
    try {
      s = segment_from_descriptor(sel, read_descriptor(c, sel));
    } catch (const GuestFault&) {
      ok = false;
    }
  }
  if (ok) {
    bool code = s.attr & 0x08;
    bool conforming_code = code && (s.attr & 0x04);
    ok = (s.attr & 0x10) && (Write ? (!code && (s.attr & 2)) : (!code || (s.attr & 2)));
    if (ok && !conforming_code && (s.dpl() < c.cpl || s.dpl() < (sel & 3u))) ok = false;
  }
  set_arith_flags(c, (get_rflags(c) & ~rflags::ZF) | (ok ? rflags::ZF : 0));
}

void ltr_dispatch(Cpu& c, const Insn& i) {
  if (i.ext)
    load_system_segment<true, true>(c, i);
  else
    load_system_segment<true, false>(c, i);
}

void lldt_dispatch(Cpu& c, const Insn& i) {
  if (i.ext)
    load_system_segment<false, true>(c, i);
  else
    load_system_segment<false, false>(c, i);
}

}  // namespace

const Handler op_hlt = chain<hlt>, op_cli = chain<cli>, op_sti = chain<sti>, op_cpuid = chain<cpuid>, op_rdtsc = chain<rdtsc>, op_rdtscp = chain<rdtscp>,
              op_rdmsr = chain<rdmsr>, op_wrmsr = chain<wrmsr>, op_swapgs = chain<swapgs>, op_syscall = chain<syscall>, op_sysenter = chain<sysenter>,
              op_clts = chain<clts>, op_wbinvd = chain<wbinvd>, op_invlpg = chain<invlpg>, op_ltr = chain<ltr_dispatch>, op_lldt = chain<lldt_dispatch>,
              op_lmsw = chain<lmsw>, op_invalid = chain<invalid>, op_unimplemented = chain<unimplemented>, op_verr = chain<verify<false>>,
              op_verw = chain<verify<true>>, op_gp0 = chain<gp0>;

Handler select_sysret(unsigned size) { return size == 8 ? chain<sysret<8>> : chain<sysret<4>>; }
Handler select_sysexit(unsigned size) { return size == 8 ? chain<sysexit<8>> : chain<sysexit<4>>; }

Handler select_descriptor_table(bool store, bool idt) {
  if (store) return idt ? chain<descriptor_table<true, true>> : chain<descriptor_table<true, false>>;
  return idt ? chain<descriptor_table<false, true>> : chain<descriptor_table<false, false>>;
}

Handler select_store_selector(unsigned which, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (which) {
      case 0: return chain<store_selector<0, T, M>>;
      case 1: return chain<store_selector<1, T, M>>;
      default: return chain<store_selector<2, T, M>>;
    }
  });
}

Handler select_mov_cr(bool to_cr) { return to_cr ? chain<mov_cr<true>> : chain<mov_cr<false>>; }
Handler select_mov_dr(bool to_dr) { return to_dr ? chain<mov_dr<true>> : chain<mov_dr<false>>; }
Handler select_mov_to_seg(bool mem) { return mem ? chain<mov_to_seg<true>> : chain<mov_to_seg<false>>; }

Handler select_mov_from_seg(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<mov_from_seg<T, M>>; });
}

Handler select_load_far_pointer(unsigned size) {
  return size == 2 ? chain<load_far_pointer<u16>> : size == 4 ? chain<load_far_pointer<u32>> : chain<load_far_pointer<u64>>;
}

Handler select_lar_lsl(bool lsl, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    return lsl ? chain<lar_lsl<true, T, M>> : chain<lar_lsl<false, T, M>>;
  });
}

}  // namespace rw::cpu
