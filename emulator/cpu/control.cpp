// JMP Jcc JrCXZ LOOPcc CALL RET, far forms, INT n, INT3, INTO, INT1, IRET.
#include <utility>

#include "cpu/handlers.h"
#include "cpu/interrupts.h"
#include "cpu/operands.h"

namespace rw::cpu {
namespace {

void jmp(Cpu& c, const Insn& i) { c.next_rip = i.imm; }

// Conditional branches are side exits: taken, they leave the trace; not taken, the
// trace goes on with the next instruction.
inline void branch(Cpu& c, const Insn& i, bool taken) {
  if (taken) {
    c.next_rip = i.imm;
    return;
  }
  const Insn& next = (&i)[1];
  return next.fn(c, next);
}

template <unsigned Cc>
void jcc(Cpu& c, const Insn& i) {
  c.current = &i;
  return branch(c, i, condition(c, Cc));
}

template <unsigned A>
void jcxz(Cpu& c, const Insn& i) {
  c.current = &i;
  return branch(c, i, (c.gpr[RCX] & kAddrMask[A]) == 0);
}

template <unsigned Kind, unsigned A>
void loop(Cpu& c, const Insn& i) {
  c.current = &i;
  uint64_t count = (c.gpr[RCX] - 1) & kAddrMask[A];
  if constexpr (A == kAddr64)
    c.gpr[RCX] = count;
  else if constexpr (A == kAddr32)
    c.gpr[RCX] = static_cast<uint32_t>(count);
  else
    c.gpr[RCX] = (c.gpr[RCX] & ~uint64_t{0xFFFF}) | count;
  bool go = count != 0;
  if constexpr (Kind == 0) go = go && !get_zf(c);
  if constexpr (Kind == 1) go = go && get_zf(c);
  return branch(c, i, go);
}

template <class T>
void call(Cpu& c, const Insn& i) {
  push<T>(c, static_cast<T>(c.next_rip));
  c.next_rip = i.imm;
}

template <class T, bool Mem>
void call_indirect(Cpu& c, const Insn& i) {
  T target = rm_read<T, Mem>(c, i);
  push<T>(c, static_cast<T>(c.next_rip));
  c.next_rip = target;
}

template <class T, bool Mem>
void jmp_indirect(Cpu& c, const Insn& i) { c.next_rip = rm_read<T, Mem>(c, i); }

template <class T, bool Imm>
void ret(Cpu& c, const Insn& i) {
  T target = pop<T>(c);
  if constexpr (Imm) set_sp(c, c.gpr[RSP] + i.imm2);
  c.next_rip = target;
}

template <bool Call, unsigned Size>
void far_ptr(Cpu& c, const Insn& i) { far_transfer(c, i.imm2, i.imm, Size, Call); }

template <bool Call, unsigned Size>
void far_mem(Cpu& c, const Insn& i) {
  uint64_t a = linear_address(c, i);
  uint64_t offset = Size == 2 ? mem_read<u16>(c, a) : Size == 4 ? mem_read<u32>(c, a) : mem_read<u64>(c, a);
  uint16_t selector = mem_read<u16>(c, (a + Size) & c.lin_mask);
  far_transfer(c, selector, offset, Size, Call);
}

template <unsigned Size, bool Imm>
void retf(Cpu& c, const Insn& i) { far_return(c, Size, Imm ? i.imm2 : 0); }

template <unsigned Size>
void iret(Cpu& c, const Insn&) { interrupt_return(c, Size); }

void int_n(Cpu& c, const Insn& i) {
  deliver_event(c, static_cast<uint8_t>(i.imm), EventKind::kSoftware, false, 0, c.next_rip);
}
void int3(Cpu& c, const Insn&) { deliver_event(c, vec::BP, EventKind::kSoftware, false, 0, c.next_rip); }
void into(Cpu& c, const Insn&) {
  if (get_of(c)) deliver_event(c, vec::OF, EventKind::kSoftware, false, 0, c.next_rip);
}
// INT1 (ICEBP) delivers #DB like a hardware event: no gate DPL check.
void int1(Cpu& c, const Insn&) { deliver_event(c, vec::DB, EventKind::kExternal, false, 0, c.next_rip); }

}  // namespace

const Handler op_int = chain<int_n>, op_int3 = chain<int3>, op_into = chain<into>, op_int1 = chain<int1>;

Handler select_jmp() { return chain<jmp>; }

namespace {
template <std::size_t... Cc>
Handler jcc_table(unsigned cc, std::index_sequence<Cc...>) {
  static constexpr Handler kFns[] = {jcc<Cc>...};
  return kFns[cc];
}
}  // namespace

Handler select_jcc(unsigned cc) { return jcc_table(cc, std::make_index_sequence<16>{}); }

Handler select_jcxz(unsigned asize) {
  return asize == kAddr16 ? jcxz<kAddr16> : asize == kAddr32 ? jcxz<kAddr32> : jcxz<kAddr64>;
}

Handler select_loop(unsigned kind, unsigned asize) {
  static constexpr Handler kFns[3][3] = {{loop<0, kAddr16>, loop<0, kAddr32>, loop<0, kAddr64>},
                                         {loop<1, kAddr16>, loop<1, kAddr32>, loop<1, kAddr64>},
                                         {loop<2, kAddr16>, loop<2, kAddr32>, loop<2, kAddr64>}};
  return kFns[kind][asize];
}

Handler select_call(unsigned size) {
  return size == 2 ? chain<call<u16>> : size == 4 ? chain<call<u32>> : chain<call<u64>>;
}

Handler select_call_indirect(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<call_indirect<T, M>>; });
}

Handler select_jmp_indirect(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool M>() -> Handler { return chain<jmp_indirect<T, M>>; });
}

Handler select_ret(unsigned size, bool imm) {
  return by_size(size, [&]<class T>() -> Handler { return imm ? chain<ret<T, true>> : chain<ret<T, false>>; });
}

Handler select_far_ptr(bool call, unsigned size) {
  if (call) return size == 2 ? chain<far_ptr<true, 2>> : chain<far_ptr<true, 4>>;
  return size == 2 ? chain<far_ptr<false, 2>> : chain<far_ptr<false, 4>>;
}

Handler select_far_mem(bool call, unsigned size) {
  if (call) return size == 2 ? chain<far_mem<true, 2>> : size == 4 ? chain<far_mem<true, 4>> : chain<far_mem<true, 8>>;
  return size == 2 ? chain<far_mem<false, 2>> : size == 4 ? chain<far_mem<false, 4>> : chain<far_mem<false, 8>>;
}

Handler select_retf(unsigned size, bool imm) {
  if (imm) return size == 2 ? chain<retf<2, true>> : size == 4 ? chain<retf<4, true>> : chain<retf<8, true>>;
  return size == 2 ? chain<retf<2, false>> : size == 4 ? chain<retf<4, false>> : chain<retf<8, false>>;
}

Handler select_iret(unsigned size) { return size == 2 ? chain<iret<2>> : size == 4 ? chain<iret<4>> : chain<iret<8>>; }

}  // namespace rw::cpu
