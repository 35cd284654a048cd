// MOV MOVZX MOVSX(D) LEA XCHG CMOVcc SETcc BSWAP CBW/CWD families XLAT, flag bits.
#include <utility>

#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

template <class T, bool Mem>
void mov_eg(Cpu& c, const Insn& i) { rm_write<T, Mem>(c, i, reg_get<T>(c, i.reg)); }

template <class T, bool Mem>
void mov_ge(Cpu& c, const Insn& i) { reg_set<T>(c, i.reg, rm_read<T, Mem>(c, i)); }

template <class T, bool Mem>
void mov_ei(Cpu& c, const Insn& i) { rm_write<T, Mem>(c, i, static_cast<T>(i.imm)); }

template <class D, class S, bool Sign, bool Mem>
void movx(Cpu& c, const Insn& i) {
  S v = rm_read<S, Mem>(c, i);
  if constexpr (Sign)
    reg_set<D>(c, i.reg, static_cast<D>(static_cast<std::make_signed_t<D>>(static_cast<Signed<S>>(v))));
  else
    reg_set<D>(c, i.reg, static_cast<D>(v));
}

template <class T>
void lea(Cpu& c, const Insn& i) { reg_set<T>(c, i.reg, static_cast<T>(effective_address(c, i))); }

template <class T, bool Mem>
void xchg(Cpu& c, const Insn& i) {
  T r = reg_get<T>(c, i.reg);
  if constexpr (Mem) {
    uint64_t a = linear_address(c, i);
    T m = mem_read<T>(c, a);
    mem_write<T>(c, a, r);
    reg_set<T>(c, i.reg, m);
  } else {
    T m = reg_get<T>(c, i.rm);
    reg_set<T>(c, i.rm, r);
    reg_set<T>(c, i.reg, m);
  }
}

template <unsigned Cc, class T, bool Mem>
void cmov(Cpu& c, const Insn& i) {
  T v = rm_read<T, Mem>(c, i);  // the source is read (and may fault) either way
  if (condition(c, Cc))
    reg_set<T>(c, i.reg, v);
  else if constexpr (sizeof(T) == 4)
    c.gpr[i.reg] = static_cast<uint32_t>(c.gpr[i.reg]);  // 32-bit CMOV zero-extends even when false
}

template <unsigned Cc, bool Mem>
void setcc(Cpu& c, const Insn& i) { rm_write<u8, Mem>(c, i, condition(c, Cc) ? 1 : 0); }

template <class T>
void bswap(Cpu& c, const Insn& i) {
  if constexpr (sizeof(T) == 8)
    c.gpr[i.rm] = __builtin_bswap64(c.gpr[i.rm]);
  else if constexpr (sizeof(T) == 4)
    c.gpr[i.rm] = __builtin_bswap32(static_cast<uint32_t>(c.gpr[i.rm]));
  else
    reg_set<u16>(c, i.rm, 0);  // BSWAP r16 is undefined; real CPUs give zero
}

template <class T>
void sign_extend_acc(Cpu& c, const Insn&) {
  using H = std::conditional_t<sizeof(T) == 2, u8, std::conditional_t<sizeof(T) == 4, u16, u32>>;
  H low = static_cast<H>(c.gpr[RAX]);
  reg_set<T>(c, RAX, static_cast<T>(static_cast<Signed<T>>(static_cast<Signed<H>>(low))));
}

template <class T>
void sign_split_acc(Cpu& c, const Insn&) {
  T a = reg_get<T>(c, RAX);
  reg_set<T>(c, RDX, static_cast<Signed<T>>(a) < 0 ? static_cast<T>(~T{0}) : T{0});
}

template <unsigned ASize>
void xlat(Cpu& c, const Insn& i) {
  uint64_t ea = (c.gpr[RBX] + (c.gpr[RAX] & 0xFF)) & kAddrMask[ASize];
  reg_set<u8>(c, 0, mem_read<u8>(c, (ea + c.seg_base[i.seg]) & c.lin_mask));
}

void nop(Cpu&, const Insn&) {}

void lahf(Cpu& c, const Insn&) { reg_set<u8>(c, 1, static_cast<u8>(get_rflags(c) | 2)); }

void sahf(Cpu& c, const Insn&) {
  uint64_t f = get_rflags(c);
  uint64_t ah = (c.gpr[RAX] >> 8) & 0xD5;
  set_arith_flags(c, (f & ~uint64_t{0xD5}) | ah);
}

void cmc(Cpu& c, const Insn&) { set_arith_flags(c, get_rflags(c) ^ rflags::CF); }
void clc(Cpu& c, const Insn&) { set_arith_flags(c, get_rflags(c) & ~rflags::CF); }
void stc(Cpu& c, const Insn&) { set_arith_flags(c, get_rflags(c) | rflags::CF); }
void cld(Cpu& c, const Insn&) { c.rflags_stored &= ~rflags::DF; }
void std_(Cpu& c, const Insn&) { c.rflags_stored |= rflags::DF; }


}  // namespace

const Handler op_nop = chain<nop>, op_lahf = chain<lahf>, op_sahf = chain<sahf>, op_cmc = chain<cmc>, op_clc = chain<clc>, op_stc = chain<stc>, op_cld = chain<cld>,
              op_std = chain<std_>;

Handler select_mov(Form form, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (form) {
      case Form::EG: return chain<mov_eg<T, M>>;
      case Form::GE: return chain<mov_ge<T, M>>;
      default: return chain<mov_ei<T, M>>;
    }
  });
}

Handler select_movx(bool sign, unsigned dst_size, unsigned src_size, bool mem) {
  auto from = [&]<class S>() -> Handler {
    return by_size(dst_size, [&]<class D>() -> Handler {
      if constexpr (sizeof(D) <= sizeof(S)) {
        return mem ? chain<mov_ge<D, true>> : chain<mov_ge<D, false>>;  // MOVZX r16, r/m16 is a plain move
      } else {
        if (sign) return mem ? chain<movx<D, S, true, true>> : chain<movx<D, S, true, false>>;
        return mem ? chain<movx<D, S, false, true>> : chain<movx<D, S, false, false>>;
      }
    });
  };
  switch (src_size) {
    case 1: return from.template operator()<u8>();
    case 2: return from.template operator()<u16>();
    default: return from.template operator()<u32>();
  }
}

Handler select_lea(unsigned size) {
  return by_size(size, []<class T>() -> Handler { return chain<lea<T>>; });
}

Handler select_xchg(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<xchg<T, M>>; });
}

namespace {
template <unsigned Cc>
Handler cmov_for(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<cmov<Cc, T, M>>; });
}
template <std::size_t... Cc>
Handler cmov_table(unsigned cc, unsigned size, bool mem, std::index_sequence<Cc...>) {
  static constexpr Handler (*kFns[])(unsigned, bool) = {cmov_for<Cc>...};
  return kFns[cc](size, mem);
}
template <std::size_t... Cc>
Handler setcc_table(unsigned cc, bool mem, std::index_sequence<Cc...>) {
  static constexpr Handler kReg[] = {chain<setcc<Cc, false>>...};
  static constexpr Handler kMem[] = {chain<setcc<Cc, true>>...};
  return mem ? kMem[cc] : kReg[cc];
}
}  // namespace

Handler select_cmov(unsigned cc, unsigned size, bool mem) {
  return cmov_table(cc, size, mem, std::make_index_sequence<16>{});
}

Handler select_setcc(unsigned cc, bool mem) { return setcc_table(cc, mem, std::make_index_sequence<16>{}); }

Handler select_bswap(unsigned size) {
  return by_size(size, []<class T>() -> Handler { return chain<bswap<T>>; });
}

Handler select_sign_extend_acc(unsigned size) {
  return by_size(size, []<class T>() -> Handler {
    if constexpr (sizeof(T) == 1) return nullptr;
    else return chain<sign_extend_acc<T>>;
  });
}

Handler select_sign_split_acc(unsigned size) {
  return by_size(size, []<class T>() -> Handler { return chain<sign_split_acc<T>>; });
}

Handler select_xlat(unsigned asize) {
  return asize == kAddr16 ? chain<xlat<kAddr16>> : asize == kAddr32 ? chain<xlat<kAddr32>> : chain<xlat<kAddr64>>;
}

}  // namespace rw::cpu
