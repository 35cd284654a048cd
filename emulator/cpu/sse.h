// What the SSE handlers share (sse_fp.cpp, sse_int.cpp, sse4.cpp): the CR0/CR4 checks, XMM
// memory operands, and running a host SSE instruction under the guest's MXCSR.
//
// Results come from the host's own SSE instructions: what they compute (IEEE arithmetic,
// conversions, NaN propagation, integer SIMD) is defined by the architecture and the same
// on every x86-64 processor. Each floating-point instruction runs on the host with the
// guest's rounding, FTZ and DAZ controls and every exception masked, and the host's MXCSR is
// put back before the handler returns; the guest's exception flags and masks are applied
// here (fp_flags), so an unmasked exception raises #XM without the host ever trapping.
// What the vendors compute differently (RCPPS and RSQRTPS) is computed by rewind's own
// rule instead (docs/cpu.md).
#pragma once

#include <emmintrin.h>

#include <cstring>

#include "cpu/operands.h"

namespace rw::cpu {

// An SSE instruction needs CR0.EM clear and CR4.OSFXSR set (else #UD), and CR0.TS clear
// (else #NM: the lazy context switch of an operating system).
[[noreturn]] void sse_unavailable(const Cpu& c);
inline void sse_available(const Cpu& c) {
  if (((c.cr0 & (cr0::EM | cr0::TS)) | (~c.cr4 & cr4::OSFXSR)) != 0) [[unlikely]]
    sse_unavailable(c);
}

// --- XMM memory operands ---

// The width of an instruction's XMM memory operand: 16 bytes that must be aligned (#GP(0)
// otherwise: the packed legacy-SSE forms), 16 bytes anywhere (MOVUPS, MOVDQU), or the low 8,
// 4 or 2 bytes of the register (scalar and half-register forms; PMOVSXBQ's 2).
enum class Width : uint8_t { k16Aligned, k16, k8, k4, k2 };

inline void check_aligned16(uint64_t lin) {
  if (lin & 15) raise_fault(vec::GP, 0);
}

inline Xmm read128(Cpu& c, uint64_t lin) {
  Xmm v;
  v.q[0] = mem_read<u64>(c, lin);
  v.q[1] = mem_read<u64>(c, (lin + 8) & c.lin_mask);
  return v;
}

// Nothing is written unless all 16 bytes can be.
inline void write128(Cpu& c, uint64_t lin, const Xmm& v) {
  if ((lin & 4095) > 4096 - 16) probe_write(c, lin, 16);
  mem_write<u64>(c, lin, v.q[0]);
  mem_write<u64>(c, (lin + 8) & c.lin_mask, v.q[1]);
}

// The source operand: a register, or memory of width W (the bytes above a narrow memory
// operand read as zero; scalar instructions never look at them).
template <Width W, bool Mem>
inline Xmm xmm_source(Cpu& c, const Insn& i) {
  if constexpr (!Mem) {
    return c.xmm[i.rm];
  } else {
    const uint64_t lin = linear_address(c, i);
    Xmm v;
    if constexpr (W == Width::k2) {
      v.q[0] = mem_read<u16>(c, lin);
    } else if constexpr (W == Width::k4) {
      v.q[0] = mem_read<u32>(c, lin);
    } else if constexpr (W == Width::k8) {
      v.q[0] = mem_read<u64>(c, lin);
    } else {
      if constexpr (W == Width::k16Aligned) check_aligned16(lin);
      v = read128(c, lin);
    }
    return v;
  }
}

inline __m128i to_host(const Xmm& x) { return _mm_load_si128(reinterpret_cast<const __m128i*>(x.q)); }
inline Xmm from_host(__m128i v) {
  Xmm x;
  _mm_store_si128(reinterpret_cast<__m128i*>(x.q), v);
  return x;
}

// --- integer operations "INSN xmm/m, xmm": the host instruction, no MXCSR ---

#define RW_INT_OP(NAME, INSN)                                         \
  struct NAME {                                                       \
    static void run(__m128i& d, __m128i s) {                          \
      asm(INSN " %[s], %[d]" : [d] "+x"(d) : [s] "x"(s));             \
    }                                                                 \
  };

template <class Op, Width W, bool Mem>
void int_op(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<W, Mem>(c, i);
  __m128i d = to_host(c.xmm[i.reg]);
  Op::run(d, to_host(s));
  c.xmm[i.reg] = from_host(d);
}

template <class Op, Width W = Width::k16Aligned>
Handler int_form(bool mem) {
  return mem ? chain<int_op<Op, W, true>> : chain<int_op<Op, W, false>>;
}

// --- floating point under the guest's MXCSR ---

// The MXCSR a host instruction runs under: the guest's rounding, FTZ and DAZ, no flags, all
// exceptions masked. FTZ applies only while underflow is masked (SDM vol. 1, 10.2.3.3).
inline uint32_t host_mxcsr(uint32_t guest) {
  const uint32_t m = (guest & ~mxcsr::kFlags) | mxcsr::kMasks;
  static_assert(mxcsr::UM << 4 == mxcsr::FZ);
  return m & ~((~guest & mxcsr::UM) << 4);  // UM clear: FZ off
}

// The lanes of an operation whose result can overflow or underflow (arithmetic and narrowing
// conversions), and the operation: what an unmasked overflow or underflow needs to know.
enum class Tiny : uint8_t { kNone, kPs, kPd, kSs, kSd, kPdToPs };
enum class Kind : uint8_t { kNone, kAdd, kSub, kMul, kDiv, kNarrow };

// How an operation ran on the host (an Op::run), for the slow path to run it again lane by lane.
using HostOp = uint32_t (*)(uint32_t csr, __m128i& d, __m128i s);

// The exception flags an instruction raised (`d` its destination's value before, `s` its
// source, `result` what it computed): with none unmasked, they join MXCSR's sticky flags and
// the result is written. Otherwise #XM (or #UD when CR4.OSXMMEXCPT is clear), the destination
// unchanged (fp_exception).
struct FpOperands {
  __m128i d, s, result;
};
void fp_exception(Cpu& c, uint32_t raised, Tiny tiny, Kind kind, const FpOperands& ops, HostOp run);
template <Tiny T = Tiny::kNone, Kind K = Kind::kNone>
inline void fp_flags(Cpu& c, uint32_t raised, __m128i d, __m128i s, __m128i result, HostOp run = nullptr) {
  const bool unmasked = raised & ~(c.mxcsr >> 7) & mxcsr::kFlags;
  // An exact tiny result raises no flag while underflow is masked, but faults when it is not.
  const bool underflow_unmasked = T != Tiny::kNone && !(c.mxcsr & mxcsr::UM);
  if (unmasked || underflow_unmasked) [[unlikely]]
    fp_exception(c, raised, T, K, FpOperands{d, s, result}, run);
  else
    c.mxcsr |= raised;
}

// Runs the assembly BODY (host SSE instructions) under `csr` and returns the exception flags
// it raised (`csr` has none); the host's MXCSR is put back after. OUTPUTS and INPUTS are its
// operand lists, each wrapped in RW_OPERANDS(...). One asm statement, so the compiler cannot
// move the arithmetic out from between the two LDMXCSRs.
#define RW_OPERANDS(...) __VA_ARGS__
#define RW_UNDER_MXCSR(csr, BODY, OUTPUTS, INPUTS)                                                  \
  ([&] {                                                                                           \
    uint32_t rw_save = 0, rw_out = 0;                                                              \
    const uint32_t rw_csr = (csr);                                                                 \
    asm volatile("stmxcsr %[rw_save]\n\tldmxcsr %[rw_in]\n\t" BODY                                \
                 "\n\tstmxcsr %[rw_out]\n\tldmxcsr %[rw_save]"                                      \
                 : [rw_save] "+m"(rw_save), [rw_out] "=m"(rw_out), OUTPUTS                          \
                 : [rw_in] "m"(rw_csr), INPUTS                                                      \
                 : "cc");                                                                          \
    return rw_out & mxcsr::kFlags;                                                                 \
  }())

// One host instruction "INSN src, dst" on host registers.
#define RW_HOST_FP(INSN, csr, dst, src) \
  RW_UNDER_MXCSR(csr, INSN " %[s], %[d]", RW_OPERANDS([d] "+x"(dst)), RW_OPERANDS([s] "x"(src)))

}  // namespace rw::cpu
