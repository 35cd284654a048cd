// ROL ROR RCL RCR SHL SHR SAR, SHLD SHRD.
#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

template <class T>
inline T msb(T v) { return (v >> (kBits<T> - 1)) & 1; }

// Returns the result; leaves flags alone when the masked count is zero.
template <ShiftOp Op, class T>
T shift(Cpu& c, T dst, unsigned count) {
  constexpr unsigned bits = kBits<T>;
  count &= bits == 64 ? 63 : 31;
  if (count == 0) return dst;
  T res;
  bool cf, of;
  if constexpr (Op == ShiftOp::Shl || Op == ShiftOp::Sal) {
    res = count < bits ? static_cast<T>(dst << count) : T{0};
    set_lazy<T>(c, kFlagsShl, res, dst, static_cast<T>(count));
    return res;
  } else if constexpr (Op == ShiftOp::Shr) {
    res = count < bits ? static_cast<T>(dst >> count) : T{0};
    set_lazy<T>(c, kFlagsShr, res, dst, static_cast<T>(count));
    return res;
  } else if constexpr (Op == ShiftOp::Sar) {
    int64_t s = static_cast<Signed<T>>(dst);
    res = static_cast<T>(s >> (count < bits ? count : bits - 1));
    set_lazy<T>(c, kFlagsSar, res, dst, static_cast<T>(count));
    return res;
  } else if constexpr (Op == ShiftOp::Rol || Op == ShiftOp::Ror) {
    uint64_t f = get_rflags(c);
    unsigned n = count % bits;
    if constexpr (Op == ShiftOp::Rol) {
      res = n ? static_cast<T>((dst << n) | (dst >> (bits - n))) : dst;
      cf = res & 1;
      of = msb(res) ^ cf;
    } else {
      res = n ? static_cast<T>((dst >> n) | (dst << (bits - n))) : dst;
      cf = msb(res);
      of = msb(res) ^ ((res >> (bits - 2)) & 1);
    }
    f = (f & ~(rflags::CF | rflags::OF)) | uint64_t(cf) | uint64_t(of) << 11;
    set_arith_flags(c, f);
    return res;
  } else {
    // RCL / RCR rotate through CF: a (bits+1)-bit rotation. A byte or word rotated by
    // 9 or 17 comes back whole; the flags stay as they were then (QEMU 7.2 does so).
    unsigned n = bits == 8 ? count % 9 : bits == 16 ? count % 17 : count;
    if (n == 0) return dst;
    uint64_t f = get_rflags(c);
    bool carry = f & rflags::CF;
    res = dst;
    for (unsigned k = 0; k < n; ++k) {
      if constexpr (Op == ShiftOp::Rcl) {
        bool out = msb(res);
        res = static_cast<T>((res << 1) | T(carry));
        carry = out;
      } else {
        bool out = res & 1;
        res = static_cast<T>((res >> 1) | (static_cast<T>(carry) << (bits - 1)));
        carry = out;
      }
    }
    // For a count of 1 this is the SDM's OF (for RCL, new CF = old MSB; for RCR, the
    // new MSB = old CF). Other counts leave OF undefined: rewind uses the same formula,
    // as QEMU 7.2 does.
    of = msb(res) ^ msb(dst);
    f = (f & ~(rflags::CF | rflags::OF)) | uint64_t(carry) | uint64_t(of) << 11;
    set_arith_flags(c, f);
    return res;
  }
}

template <ShiftOp Op, Count N, class T, bool Mem>
void shift_op(Cpu& c, const Insn& i) {
  unsigned count = N == Count::One ? 1 : N == Count::Cl ? static_cast<unsigned>(c.gpr[RCX] & 0xFF) : static_cast<unsigned>(i.imm);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T v = mem_read<T>(c, a);
    mem_write<T>(c, a, shift<Op, T>(c, v, count));
  } else {
    reg_set<T>(c, i.rm, shift<Op, T>(c, reg_get<T>(c, i.rm), count));
  }
}

template <bool Right, class T>
T shift_double(Cpu& c, T dst, T src, unsigned count) {
  constexpr unsigned bits = kBits<T>;
  count &= bits == 64 ? 63 : 31;
  if (count == 0) return dst;
  T res;
  bool cf;
  if constexpr (bits == 16) {
    // 16-bit forms with counts above 16 behave as a 32-bit pattern dst:src:dst.
    uint64_t wide = Right ? (uint64_t(dst) | uint64_t(src) << 16 | uint64_t(dst) << 32)
                          : (uint64_t(dst) << 32 | uint64_t(src) << 16 | uint64_t(dst));
    if (Right) {
      res = static_cast<T>(wide >> count);
      cf = (wide >> (count - 1)) & 1;
    } else {
      res = static_cast<T>(wide >> (32 - count));
      cf = (wide >> (48 - count)) & 1;
    }
  } else if (Right) {
    res = static_cast<T>((dst >> count) | (src << (bits - count)));
    cf = (dst >> (count - 1)) & 1;
  } else {
    res = static_cast<T>((dst << count) | (src >> (bits - count)));
    cf = (dst >> (bits - count)) & 1;
  }
  // OF is defined for a count of 1 only (a sign change). For larger counts rewind
  // follows QEMU 7.2, which computes it from the value shifted by count - 1: CF ^ MSB
  // on the left; on the right the top two result bits, except that 64-bit SHRD sees no
  // source bits there and gives the MSB alone (docs/cpu.md).
  bool of;
  if constexpr (!Right)
    of = msb(res) ^ cf;
  else if constexpr (bits == 64)
    of = msb(res) ^ (count == 1 && msb(dst));
  else
    of = msb(res) ^ ((res >> (bits - 2)) & 1);
  set_result_flags<T>(c, res, cf, of);
  return res;
}

template <bool Right, Count N, class T, bool Mem>
void shift_double_op(Cpu& c, const Insn& i) {
  unsigned count = N == Count::Cl ? static_cast<unsigned>(c.gpr[RCX] & 0xFF) : static_cast<unsigned>(i.imm);
  T src = reg_get<T>(c, i.reg);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T v = mem_read<T>(c, a);
    mem_write<T>(c, a, shift_double<Right, T>(c, v, src, count));
  } else {
    reg_set<T>(c, i.rm, shift_double<Right, T>(c, reg_get<T>(c, i.rm), src, count));
  }
}

template <ShiftOp Op>
Handler pick(Count count, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (count) {
      case Count::One: return chain<shift_op<Op, Count::One, T, M>>;
      case Count::Cl: return chain<shift_op<Op, Count::Cl, T, M>>;
      default: return chain<shift_op<Op, Count::Imm, T, M>>;
    }
  });
}

}  // namespace

Handler select_shift(ShiftOp op, Count count, unsigned size, bool mem) {
  switch (op) {
    case ShiftOp::Rol: return pick<ShiftOp::Rol>(count, size, mem);
    case ShiftOp::Ror: return pick<ShiftOp::Ror>(count, size, mem);
    case ShiftOp::Rcl: return pick<ShiftOp::Rcl>(count, size, mem);
    case ShiftOp::Rcr: return pick<ShiftOp::Rcr>(count, size, mem);
    case ShiftOp::Shr: return pick<ShiftOp::Shr>(count, size, mem);
    case ShiftOp::Sar: return pick<ShiftOp::Sar>(count, size, mem);
    default: return pick<ShiftOp::Shl>(count, size, mem);
  }
}

Handler select_shift_double(bool right, Count count, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    if constexpr (sizeof(T) == 1) {
      return nullptr;
    } else {
      if (right) return count == Count::Cl ? chain<shift_double_op<true, Count::Cl, T, M>> : chain<shift_double_op<true, Count::Imm, T, M>>;
      return count == Count::Cl ? chain<shift_double_op<false, Count::Cl, T, M>> : chain<shift_double_op<false, Count::Imm, T, M>>;
    }
  });
}

}  // namespace rw::cpu
