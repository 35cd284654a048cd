// ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NOT NEG, XADD, CMPXCHG.
#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

// Computes op(dst, src), records the flags, returns the result.
template <AluOp Op, class T>
inline T alu(Cpu& c, T dst, T src) {
  T res;
  if constexpr (Op == AluOp::Add) {
    res = dst + src;
    set_lazy<T>(c, kFlagsAdd, res, dst, src);
  } else if constexpr (Op == AluOp::Sub || Op == AluOp::Cmp) {
    res = dst - src;
    set_lazy<T>(c, kFlagsSub, res, dst, src);
  } else if constexpr (Op == AluOp::And || Op == AluOp::Test) {
    res = dst & src;
    set_lazy<T>(c, kFlagsLogic, res, 0, 0);
  } else if constexpr (Op == AluOp::Or) {
    res = dst | src;
    set_lazy<T>(c, kFlagsLogic, res, 0, 0);
  } else if constexpr (Op == AluOp::Xor) {
    res = dst ^ src;
    set_lazy<T>(c, kFlagsLogic, res, 0, 0);
  } else {
    // ADC / SBB: carry in; flags computed now.
    const T cin = get_cf(c);
    constexpr unsigned top = kBits<T> - 1;
    uint64_t cf, of, af;
    if constexpr (Op == AluOp::Adc) {
      res = dst + src + cin;
      cf = cin ? res <= dst : res < dst;
      of = ((dst ^ res) & (src ^ res)) >> top & 1;
    } else {
      res = dst - src - cin;
      cf = cin ? dst <= src : dst < src;
      of = ((dst ^ src) & (dst ^ res)) >> top & 1;
    }
    af = ((res ^ dst ^ src) >> 4) & 1;
    uint64_t zf = res == 0, sf = (res >> top) & 1;
    uint64_t pf = !__builtin_parity(static_cast<unsigned>(res & 0xFF));
    set_arith_flags(c, cf | pf << 2 | af << 4 | zf << 6 | sf << 7 | of << 11);
  }
  return res;
}

template <AluOp Op>
constexpr bool kWrites = Op != AluOp::Cmp && Op != AluOp::Test;

template <AluOp Op, class T, bool Mem>
void alu_eg(Cpu& c, const Insn& i) {
  T src = reg_get<T>(c, i.reg);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T res = alu<Op, T>(c, mem_read<T>(c, a), src);
    if constexpr (kWrites<Op>) mem_write<T>(c, a, res);
  } else {
    T res = alu<Op, T>(c, reg_get<T>(c, i.rm), src);
    if constexpr (kWrites<Op>) reg_set<T>(c, i.rm, res);
  }
}

template <AluOp Op, class T, bool Mem>
void alu_ge(Cpu& c, const Insn& i) {
  T res = alu<Op, T>(c, reg_get<T>(c, i.reg), rm_read<T, Mem>(c, i));
  if constexpr (kWrites<Op>) reg_set<T>(c, i.reg, res);
}

template <AluOp Op, class T, bool Mem>
void alu_ei(Cpu& c, const Insn& i) {
  T src = static_cast<T>(i.imm);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T res = alu<Op, T>(c, mem_read<T>(c, a), src);
    if constexpr (kWrites<Op>) mem_write<T>(c, a, res);
  } else {
    T res = alu<Op, T>(c, reg_get<T>(c, i.rm), src);
    if constexpr (kWrites<Op>) reg_set<T>(c, i.rm, res);
  }
}

// XOR r, r is the common zeroing idiom; it still sets flags.
template <AluOp Op>
Handler pick(Form form, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (form) {
      case Form::EG: return chain<alu_eg<Op, T, M>>;
      case Form::GE: return chain<alu_ge<Op, T, M>>;
      default: return chain<alu_ei<Op, T, M>>;
    }
  });
}

template <UnaryOp Op, class T, bool Mem>
void unary(Cpu& c, const Insn& i) {
  uint64_t a = 0;
  T v;
  if constexpr (Mem) {
    a = linear_address(c, i);
    v = mem_read<T>(c, a);
  } else {
    v = reg_get<T>(c, i.rm);
  }
  T res;
  if constexpr (Op == UnaryOp::Inc) {
    T cf = get_cf(c);
    res = v + 1;
    set_lazy<T>(c, kFlagsInc, res, v, cf);
  } else if constexpr (Op == UnaryOp::Dec) {
    T cf = get_cf(c);
    res = v - 1;
    set_lazy<T>(c, kFlagsDec, res, v, cf);
  } else if constexpr (Op == UnaryOp::Not) {
    res = ~v;
  } else {
    res = T(0) - v;
    set_lazy<T>(c, kFlagsSub, res, T(0), v);
  }
  if constexpr (Mem)
    mem_write<T>(c, a, res);
  else
    reg_set<T>(c, i.rm, res);
}

template <class T, bool Mem>
void xadd(Cpu& c, const Insn& i) {
  T src = reg_get<T>(c, i.reg);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T dst = mem_read<T>(c, a);
    T res = alu<AluOp::Add, T>(c, dst, src);
    mem_write<T>(c, a, res);
    reg_set<T>(c, i.reg, dst);
  } else {
    T dst = reg_get<T>(c, i.rm);
    T res = alu<AluOp::Add, T>(c, dst, src);
    reg_set<T>(c, i.reg, dst);
    reg_set<T>(c, i.rm, res);
  }
}

template <class T, bool Mem>
void cmpxchg(Cpu& c, const Insn& i) {
  uint64_t a = Mem ? linear_address(c, i) : 0;
  T dst = Mem ? mem_read<T>(c, a) : reg_get<T>(c, i.rm);
  T acc = reg_get<T>(c, RAX);
  alu<AluOp::Cmp, T>(c, acc, dst);
  if (acc == dst) {
    if constexpr (Mem)
      mem_write<T>(c, a, reg_get<T>(c, i.reg));
    else
      reg_set<T>(c, i.rm, reg_get<T>(c, i.reg));
  } else {
    // The processor always writes the destination: a locked compare-and-swap
    // looks like a write even when it fails.
    if constexpr (Mem) mem_write<T>(c, a, dst);
    if constexpr (sizeof(T) == 1)
      reg_set<T>(c, RAX * 8, dst);
    else
      reg_set<T>(c, RAX, dst);
  }
}

template <unsigned Size>
void cmpxchg_double(Cpu& c, const Insn& i) {
  constexpr unsigned half = Size / 2;
  using H = std::conditional_t<half == 8, uint64_t, uint32_t>;
  uint64_t a = linear_address(c, i);
  if (Size == 16 && (a & 15)) raise_fault(vec::GP, 0);
  probe_write(c, a, Size);
  H lo = mem_read<H>(c, a);
  H hi = mem_read<H>(c, a + half);
  uint64_t f = get_rflags(c);
  if (lo == H(c.gpr[RAX]) && hi == H(c.gpr[RDX])) {
    mem_write<H>(c, a, H(c.gpr[RBX]));
    mem_write<H>(c, a + half, H(c.gpr[RCX]));
    set_arith_flags(c, f | rflags::ZF);
  } else {
    mem_write<H>(c, a, lo);
    mem_write<H>(c, a + half, hi);
    c.gpr[RAX] = lo;
    c.gpr[RDX] = hi;
    set_arith_flags(c, f & ~rflags::ZF);
  }
}

}  // namespace

Handler select_alu(AluOp op, Form form, unsigned size, bool mem) {
  switch (op) {
    case AluOp::Add: return pick<AluOp::Add>(form, size, mem);
    case AluOp::Or: return pick<AluOp::Or>(form, size, mem);
    case AluOp::Adc: return pick<AluOp::Adc>(form, size, mem);
    case AluOp::Sbb: return pick<AluOp::Sbb>(form, size, mem);
    case AluOp::And: return pick<AluOp::And>(form, size, mem);
    case AluOp::Sub: return pick<AluOp::Sub>(form, size, mem);
    case AluOp::Xor: return pick<AluOp::Xor>(form, size, mem);
    case AluOp::Cmp: return pick<AluOp::Cmp>(form, size, mem);
    default: return pick<AluOp::Test>(form, size, mem);
  }
}

Handler select_unary(UnaryOp op, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (op) {
      case UnaryOp::Inc: return chain<unary<UnaryOp::Inc, T, M>>;
      case UnaryOp::Dec: return chain<unary<UnaryOp::Dec, T, M>>;
      case UnaryOp::Not: return chain<unary<UnaryOp::Not, T, M>>;
      default: return chain<unary<UnaryOp::Neg, T, M>>;
    }
  });
}

Handler select_xadd(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<xadd<T, M>>; });
}

Handler select_cmpxchg(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<cmpxchg<T, M>>; });
}

Handler select_cmpxchg_double(unsigned size) { return size == 16 ? chain<cmpxchg_double<16>> : chain<cmpxchg_double<8>>; }

}  // namespace rw::cpu
