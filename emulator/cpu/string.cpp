// MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
// A REP instruction counts one instruction per iteration and stops early when the
// loop's instruction budget runs out, leaving RIP on itself to resume later.
#include "core/io_bus.h"
#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {

void check_io_permission(Cpu& c, uint16_t port, unsigned size);  // io.cpp

namespace {

template <unsigned A>
inline uint64_t areg(const Cpu& c, unsigned r) { return c.gpr[r] & kAddrMask[A]; }

template <unsigned A>
inline void areg_set(Cpu& c, unsigned r, uint64_t v) {
  if constexpr (A == kAddr64)
    c.gpr[r] = v;
  else if constexpr (A == kAddr32)
    c.gpr[r] = static_cast<uint32_t>(v);
  else
    c.gpr[r] = (c.gpr[r] & ~uint64_t{0xFFFF}) | (v & 0xFFFF);
}

template <unsigned A>
inline void advance(Cpu& c, unsigned r, int64_t step) {
  areg_set<A>(c, r, areg<A>(c, r) + static_cast<uint64_t>(step));
}

// One iteration. Returns true for compare forms when the loop may continue (ZF result).
template <StrOp Op, class T, unsigned A>
inline void iterate(Cpu& c, const Insn& i, int64_t step) {
  const uint64_t src = (areg<A>(c, RSI) + c.seg_base[i.seg]) & c.lin_mask;
  const uint64_t dst = (areg<A>(c, RDI) + c.seg_base[ES]) & c.lin_mask;
  if constexpr (Op == StrOp::Movs) {
    mem_write<T>(c, dst, mem_read<T>(c, src));
    advance<A>(c, RSI, step);
    advance<A>(c, RDI, step);
  } else if constexpr (Op == StrOp::Cmps) {
    T a = mem_read<T>(c, src);
    T b = mem_read<T>(c, dst);
    set_lazy<T>(c, kFlagsSub, static_cast<T>(a - b), a, b);
    advance<A>(c, RSI, step);
    advance<A>(c, RDI, step);
  } else if constexpr (Op == StrOp::Stos) {
    mem_write<T>(c, dst, static_cast<T>(c.gpr[RAX]));
    advance<A>(c, RDI, step);
  } else if constexpr (Op == StrOp::Lods) {
    reg_set<T>(c, sizeof(T) == 1 ? 0 : RAX, mem_read<T>(c, src));
    advance<A>(c, RSI, step);
  } else if constexpr (Op == StrOp::Scas) {
    T a = static_cast<T>(c.gpr[RAX]);
    T b = mem_read<T>(c, dst);
    set_lazy<T>(c, kFlagsSub, static_cast<T>(a - b), a, b);
    advance<A>(c, RDI, step);
  } else if constexpr (Op == StrOp::Ins) {
    uint16_t port = static_cast<uint16_t>(c.gpr[RDX]);
    probe_write(c, dst, sizeof(T));
    mem_write<T>(c, dst, static_cast<T>(c.io->read(port, sizeof(T))));
    advance<A>(c, RDI, step);
  } else {
    uint16_t port = static_cast<uint16_t>(c.gpr[RDX]);
    c.io->write(port, sizeof(T), mem_read<T>(c, src));
    advance<A>(c, RSI, step);
  }
}

template <StrOp Op, class T, unsigned A, Rep R>
void string_op(Cpu& c, const Insn& i) {
  if constexpr (Op == StrOp::Ins || Op == StrOp::Outs) check_io_permission(c, static_cast<uint16_t>(c.gpr[RDX]), sizeof(T));
  const int64_t step = (c.rflags_stored & rflags::DF) ? -int64_t(sizeof(T)) : int64_t(sizeof(T));
  if constexpr (R == kNoRep) {
    iterate<Op, T, A>(c, i, step);
  } else {
    uint64_t count = areg<A>(c, RCX);
    if (count == 0) return;
    const uint64_t budget = c.target - (c.icount + i.idx);
    uint64_t done = 0;
    bool stopped_by_condition = false;
    try {
      while (count != 0 && done < budget) {
        iterate<Op, T, A>(c, i, step);
        --count;
        areg_set<A>(c, RCX, count);
        ++done;
        if constexpr (Op == StrOp::Cmps || Op == StrOp::Scas) {
          bool zf = c.lf.res == 0;
          if ((R == kRepE && !zf) || (R == kRepNE && zf)) {
            stopped_by_condition = true;
            break;
          }
        }
      }
    } catch (...) {
      c.icount += done;
      throw;
    }
    if (count != 0 && !stopped_by_condition) c.next_rip = c.rip + i.off;  // resume later
    c.icount += done - 1;
  }
}

template <StrOp Op, class T>
Handler pick_asize(unsigned asize, Rep rep) {
  auto with = [&]<unsigned A>() -> Handler {
    switch (rep) {
      case kNoRep: return chain<string_op<Op, T, A, kNoRep>>;
      case kRepE: return chain<string_op<Op, T, A, kRepE>>;
      default: return chain<string_op<Op, T, A, kRepNE>>;
    }
  };
  switch (asize) {
    case kAddr16: return with.template operator()<kAddr16>();
    case kAddr32: return with.template operator()<kAddr32>();
    default: return with.template operator()<kAddr64>();
  }
}

template <StrOp Op>
Handler pick(unsigned size, unsigned asize, Rep rep) {
  return by_size(size, [&]<class T>() -> Handler { return pick_asize<Op, T>(asize, rep); });
}

}  // namespace

Handler select_string(StrOp op, unsigned size, unsigned asize, Rep rep) {
  if (op != StrOp::Cmps && op != StrOp::Scas && rep == kRepNE) rep = kRepE;  // F2 acts as REP here
  switch (op) {
    case StrOp::Movs: return pick<StrOp::Movs>(size, asize, rep);
    case StrOp::Cmps: return pick<StrOp::Cmps>(size, asize, rep);
    case StrOp::Stos: return pick<StrOp::Stos>(size, asize, rep);
    case StrOp::Lods: return pick<StrOp::Lods>(size, asize, rep);
    case StrOp::Scas: return pick<StrOp::Scas>(size, asize, rep);
    case StrOp::Ins: return pick<StrOp::Ins>(size, asize, rep);
    default: return pick<StrOp::Outs>(size, asize, rep);
  }
}

}  // namespace rw::cpu
