// BT BTS BTR BTC, BSF BSR LZCNT POPCNT.
#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

template <BitOp Op, class T>
inline T apply(Cpu& c, T v, unsigned bit) {
  T mask = static_cast<T>(T{1} << bit);
  bool old = v & mask;
  set_arith_flags(c, (get_rflags(c) & ~rflags::CF) | uint64_t(old));
  if constexpr (Op == BitOp::Bts) return v | mask;
  if constexpr (Op == BitOp::Btr) return v & static_cast<T>(~mask);
  if constexpr (Op == BitOp::Btc) return v ^ mask;
  return v;
}

template <BitOp Op, bool Imm, class T, bool Mem>
void bit_test(Cpu& c, const Insn& i) {
  constexpr unsigned bits = kBits<T>;
  if constexpr (!Mem) {
    unsigned bit = static_cast<unsigned>(Imm ? i.imm : reg_get<T>(c, i.reg)) & (bits - 1);
    T r = apply<Op, T>(c, reg_get<T>(c, i.rm), bit);
    if constexpr (Op != BitOp::Bt) reg_set<T>(c, i.rm, r);
  } else {
    uint64_t ea = effective_address(c, i);
    unsigned bit;
    if constexpr (Imm) {
      bit = static_cast<unsigned>(i.imm) & (bits - 1);
    } else {
      // A register bit offset is signed and may reach outside the addressed operand.
      int64_t offset = static_cast<Signed<T>>(reg_get<T>(c, i.reg));
      ea += static_cast<uint64_t>((offset >> __builtin_ctz(bits)) * static_cast<int64_t>(sizeof(T)));
      ea &= kAddrMask[i.asize];
      bit = static_cast<unsigned>(offset) & (bits - 1);
    }
    uint64_t a = (ea + c.seg_base[i.seg]) & c.lin_mask;
    T r = apply<Op, T>(c, mem_read<T>(c, a), bit);
    if constexpr (Op != BitOp::Bt) mem_write<T>(c, a, r);
  }
}

template <ScanOp Op, class T, bool Mem>
void scan(Cpu& c, const Insn& i) {
  T v = rm_read<T, Mem>(c, i);
  uint64_t f = get_rflags(c) & ~rflags::kArith;
  constexpr unsigned bits = kBits<T>;
  if constexpr (Op == ScanOp::Bsf || Op == ScanOp::Bsr) {
    // Only ZF is defined. Like QEMU 7.2, rewind sets the others as a logic operation
    // on the source would (SF, PF from it; CF, OF, AF clear). A zero source leaves the
    // destination as it was, but a 32-bit destination is still zero-extended, again as
    // in QEMU 7.2; AMD keeps the upper half (docs/cpu.md).
    set_arith_flags(c, f | kParity.pf[v & 0xFF] | uint64_t(v == 0) << 6 | uint64_t(v >> (bits - 1)) << 7);
    if (v == 0) {
      if constexpr (sizeof(T) == 4) c.gpr[i.reg] = static_cast<uint32_t>(c.gpr[i.reg]);
      return;
    }
    unsigned r = Op == ScanOp::Bsf ? __builtin_ctzll(v) : 63 - __builtin_clzll(v);
    reg_set<T>(c, i.reg, static_cast<T>(r));
  } else if constexpr (Op == ScanOp::Lzcnt) {
    unsigned r = v == 0 ? bits : __builtin_clzll(v) - (64 - bits);
    reg_set<T>(c, i.reg, static_cast<T>(r));
    set_arith_flags(c, f | (v == 0 ? rflags::CF : 0) | (r == 0 ? rflags::ZF : 0));
  } else {
    unsigned r = __builtin_popcountll(v);
    reg_set<T>(c, i.reg, static_cast<T>(r));
    set_arith_flags(c, f | (v == 0 ? rflags::ZF : 0));
  }
}

template <BitOp Op>
Handler pick_bt(bool imm, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    return imm ? chain<bit_test<Op, true, T, M>> : chain<bit_test<Op, false, T, M>>;
  });
}

}  // namespace

Handler select_bit_test(BitOp op, bool imm, unsigned size, bool mem) {
  switch (op) {
    case BitOp::Bt: return pick_bt<BitOp::Bt>(imm, size, mem);
    case BitOp::Bts: return pick_bt<BitOp::Bts>(imm, size, mem);
    case BitOp::Btr: return pick_bt<BitOp::Btr>(imm, size, mem);
    default: return pick_bt<BitOp::Btc>(imm, size, mem);
  }
}

// We do not claim BMI1, so F3 0F BC (TZCNT) runs as BSF, as on CPUs without it.
Handler select_scan(ScanOp op, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (op) {
      case ScanOp::Bsf:
      case ScanOp::Tzcnt: return chain<scan<ScanOp::Bsf, T, M>>;
      case ScanOp::Bsr: return chain<scan<ScanOp::Bsr, T, M>>;
      case ScanOp::Lzcnt: return chain<scan<ScanOp::Lzcnt, T, M>>;
      default: return chain<scan<ScanOp::Popcnt, T, M>>;
    }
  });
}

}  // namespace rw::cpu
