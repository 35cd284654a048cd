// MUL IMUL DIV IDIV.
#include <limits>

#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

template <class T> struct Wide;
template <> struct Wide<u8> { using U = u16; using S = int16_t; };
template <> struct Wide<u16> { using U = u32; using S = int32_t; };
template <> struct Wide<u32> { using U = u64; using S = int64_t; };
template <> struct Wide<u64> { using U = unsigned __int128; using S = __int128; };

// The accumulator pair: AX for bytes, else rDX:rAX.
template <class T>
inline void store_pair(Cpu& c, typename Wide<T>::U v) {
  if constexpr (sizeof(T) == 1) {
    reg_set<u16>(c, RAX, static_cast<u16>(v));
  } else {
    reg_set<T>(c, RAX, static_cast<T>(v));
    reg_set<T>(c, RDX, static_cast<T>(v >> kBits<T>));
  }
}

template <class T>
inline typename Wide<T>::U load_pair(const Cpu& c) {
  using U = typename Wide<T>::U;
  if constexpr (sizeof(T) == 1)
    return static_cast<u16>(c.gpr[RAX]);
  else
    return static_cast<U>(reg_get<T>(c, RAX)) | static_cast<U>(reg_get<T>(c, RDX)) << kBits<T>;
}

template <MulOp Op, class T, bool Mem>
void muldiv(Cpu& c, const Insn& i) {
  using U = typename Wide<T>::U;
  using S = typename Wide<T>::S;
  using ST = Signed<T>;
  T src = rm_read<T, Mem>(c, i);
  T acc = reg_get<T>(c, sizeof(T) == 1 ? 0 : RAX);
  if constexpr (Op == MulOp::Mul) {
    U r = static_cast<U>(acc) * static_cast<U>(src);
    store_pair<T>(c, r);
    bool high = static_cast<T>(r >> kBits<T>) != 0;
    set_result_flags<T>(c, static_cast<T>(r), high, high);
  } else if constexpr (Op == MulOp::Imul) {
    S r = static_cast<S>(static_cast<ST>(acc)) * static_cast<S>(static_cast<ST>(src));
    store_pair<T>(c, static_cast<U>(r));
    bool overflow = r != static_cast<S>(static_cast<ST>(static_cast<T>(r)));
    set_result_flags<T>(c, static_cast<T>(r), overflow, overflow);
  } else if constexpr (Op == MulOp::Div) {
    if (src == 0) raise_fault(vec::DE);
    U n = load_pair<T>(c);
    U q = n / src;
    if (q > static_cast<U>(static_cast<T>(~T{0}))) raise_fault(vec::DE);
    T r = static_cast<T>(n % src);
    if constexpr (sizeof(T) == 1) {
      reg_set<u16>(c, RAX, static_cast<u16>(static_cast<u8>(q) | r << 8));
    } else {
      reg_set<T>(c, RAX, static_cast<T>(q));
      reg_set<T>(c, RDX, r);
    }
  } else {
    if (src == 0) raise_fault(vec::DE);
    S n = static_cast<S>(load_pair<T>(c));
    S d = static_cast<ST>(src);
    // The one quotient that overflows the wide type is caught by the range test.
    if (d == -1 && n == static_cast<S>(static_cast<U>(1) << (2 * kBits<T> - 1))) raise_fault(vec::DE);
    S q = n / d;
    S r = n % d;
    if (q > std::numeric_limits<ST>::max() || q < std::numeric_limits<ST>::min()) raise_fault(vec::DE);
    if constexpr (sizeof(T) == 1) {
      reg_set<u16>(c, RAX, static_cast<u16>(static_cast<u8>(q) | static_cast<u16>(static_cast<u8>(r)) << 8));
    } else {
      reg_set<T>(c, RAX, static_cast<T>(q));
      reg_set<T>(c, RDX, static_cast<T>(r));
    }
  }
}

template <class T>
inline T imul_trunc(Cpu& c, T a, T b) {
  using S = typename Wide<T>::S;
  using ST = Signed<T>;
  S r = static_cast<S>(static_cast<ST>(a)) * static_cast<S>(static_cast<ST>(b));
  T low = static_cast<T>(r);
  bool overflow = r != static_cast<S>(static_cast<ST>(low));
  set_result_flags<T>(c, low, overflow, overflow);
  return low;
}

template <class T, bool Mem>
void imul2(Cpu& c, const Insn& i) {
  reg_set<T>(c, i.reg, imul_trunc<T>(c, reg_get<T>(c, i.reg), rm_read<T, Mem>(c, i)));
}

template <class T, bool Mem>
void imul3(Cpu& c, const Insn& i) {
  reg_set<T>(c, i.reg, imul_trunc<T>(c, rm_read<T, Mem>(c, i), static_cast<T>(i.imm)));
}

}  // namespace

Handler select_muldiv(MulOp op, unsigned size, bool mem) {
  return by_size_mem(size, mem, [&]<class T, bool M>() -> Handler {
    switch (op) {
      case MulOp::Mul: return chain<muldiv<MulOp::Mul, T, M>>;
      case MulOp::Imul: return chain<muldiv<MulOp::Imul, T, M>>;
      case MulOp::Div: return chain<muldiv<MulOp::Div, T, M>>;
      default: return chain<muldiv<MulOp::Idiv, T, M>>;
    }
  });
}

Handler select_imul2(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<imul2<T, M>>; });
}

Handler select_imul3(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<imul3<T, M>>; });
}

}  // namespace rw::cpu
