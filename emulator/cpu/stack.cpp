// PUSH POP PUSHF POPF PUSHA POPA ENTER LEAVE.
#include "cpu/handlers.h"
#include "cpu/operands.h"
#include "cpu/segments.h"

namespace rw::cpu {
namespace {

template <class T>
void push_reg(Cpu& c, const Insn& i) { push<T>(c, static_cast<T>(c.gpr[i.reg])); }

template <class T>
void pop_reg(Cpu& c, const Insn& i) {
  T v = pop<T>(c);
  reg_set<T>(c, i.reg, v);
}

template <class T>
void push_mem(Cpu& c, const Insn& i) { push<T>(c, mem_read<T>(c, linear_address(c, i))); }

// The address of POP m is computed with the stack pointer already incremented.
template <class T>
void pop_mem(Cpu& c, const Insn& i) {
  uint64_t saved = c.gpr[RSP];
  T v = pop<T>(c);
  try {
    mem_write<T>(c, linear_address(c, i), v);
  } catch (...) {
    c.gpr[RSP] = saved;
    throw;
  }
}

template <class T>
void push_imm(Cpu& c, const Insn& i) { push<T>(c, static_cast<T>(i.imm)); }

template <class T>
void push_seg(Cpu& c, const Insn& i) { push<T>(c, c.seg[i.ext].selector); }

template <class T>
void pop_seg(Cpu& c, const Insn& i) {
  T v = stack_peek<T>(c, 0);
  load_data_segment(c, static_cast<SegReg>(i.ext), static_cast<uint16_t>(v));
  pop<T>(c);
  if (i.ext == SS) c.interrupt_shadow_until = c.icount + i.idx + 2;
}

template <class T>
void pushf(Cpu& c, const Insn&) {
  push<T>(c, static_cast<T>(get_rflags(c) & ~(rflags::VM | rflags::RF)));
}

template <class T>
void popf(Cpu& c, const Insn&) {
  uint64_t v = pop<T>(c);
  uint64_t old = get_rflags(c);
  uint64_t mutable_bits = 0x247FD5;  // CF PF AF ZF SF TF IF DF OF IOPL NT AC ID
  unsigned iopl = (old >> 12) & 3;
  if (c.cpl > 0) mutable_bits &= ~rflags::IOPL;
  if (c.cpl > iopl) mutable_bits &= ~rflags::IF;
  if constexpr (sizeof(T) == 2) mutable_bits &= 0xFFFF;
  set_rflags(c, (old & ~mutable_bits) | (v & mutable_bits));
}

template <class T>
void pusha(Cpu& c, const Insn&) {
  T sp = static_cast<T>(c.gpr[RSP]);
  uint64_t saved = c.gpr[RSP];
  try {
    for (unsigned r = RAX; r <= RDI; ++r) push<T>(c, r == RSP ? sp : static_cast<T>(c.gpr[r]));
  } catch (...) {
    c.gpr[RSP] = saved;
    throw;
  }
}

template <class T>
void popa(Cpu& c, const Insn&) {
  T v[8];
  for (unsigned k = 0; k < 8; ++k) v[k] = stack_peek<T>(c, k * sizeof(T));
  for (unsigned k = 0; k < 8; ++k) {
    unsigned r = RDI - k;
    if (r != RSP) reg_set<T>(c, r, v[k]);
  }
  set_sp(c, (c.gpr[RSP] + 8 * sizeof(T)));
}

template <class T>
void enter(Cpu& c, const Insn& i) {
  uint64_t saved_sp = c.gpr[RSP], saved_bp = c.gpr[RBP];
  unsigned level = i.imm2 & 31;
  uint64_t m = stack_mask(c);
  try {
    push<T>(c, static_cast<T>(c.gpr[RBP]));
    uint64_t frame = c.gpr[RSP] & m;
    if (level > 0) {
      uint64_t bp = c.gpr[RBP] & m;
      for (unsigned k = 1; k < level; ++k) {
        bp = (bp - sizeof(T)) & m;
        push<T>(c, mem_read<T>(c, (bp + c.seg_base[SS]) & c.lin_mask));
      }
      push<T>(c, static_cast<T>(frame));
    }
    uint64_t new_sp = (c.gpr[RSP] - (i.imm & 0xFFFF)) & m;
    probe_write(c, (new_sp + c.seg_base[SS]) & c.lin_mask, 1);
    reg_set<T>(c, RBP, static_cast<T>(frame));
    set_sp(c, new_sp);
  } catch (...) {
    c.gpr[RSP] = saved_sp;
    c.gpr[RBP] = saved_bp;
    throw;
  }
}

template <class T>
void leave(Cpu& c, const Insn&) {
  uint64_t m = stack_mask(c);
  uint64_t bp = c.gpr[RBP] & m;
  T v = mem_read<T>(c, (bp + c.seg_base[SS]) & c.lin_mask);
  set_sp(c, bp + sizeof(T));
  reg_set<T>(c, RBP, v);
}

}  // namespace

#define REWIND_SELECT_BY_SIZE(name, fn) \
  Handler name(unsigned size) { return by_size(size, []<class T>() -> Handler { return chain<fn<T>>; }); }

REWIND_SELECT_BY_SIZE(select_push_reg, push_reg)
REWIND_SELECT_BY_SIZE(select_pop_reg, pop_reg)
REWIND_SELECT_BY_SIZE(select_push_mem, push_mem)
REWIND_SELECT_BY_SIZE(select_pop_mem, pop_mem)
REWIND_SELECT_BY_SIZE(select_push_imm, push_imm)
REWIND_SELECT_BY_SIZE(select_push_seg, push_seg)
REWIND_SELECT_BY_SIZE(select_pop_seg, pop_seg)
REWIND_SELECT_BY_SIZE(select_pushf, pushf)
REWIND_SELECT_BY_SIZE(select_popf, popf)
REWIND_SELECT_BY_SIZE(select_pusha, pusha)
REWIND_SELECT_BY_SIZE(select_popa, popa)
REWIND_SELECT_BY_SIZE(select_enter, enter)
REWIND_SELECT_BY_SIZE(select_leave, leave)

}  // namespace rw::cpu
