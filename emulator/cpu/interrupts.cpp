// Interrupt and exception delivery (SDM vol. 3, chapter 6), far transfers and
// returns (vol. 2, JMP/CALL/RET/IRET). Task gates, call gates and virtual-8086
// mode are not modelled: they raise #GP.
#include "cpu/interrupts.h"

#include <initializer_list>

#include "cpu/mmu.h"
#include "cpu/operands.h"
#include "cpu/segments.h"

namespace rw::cpu {
namespace {

bool protected_mode(const Cpu& c) { return c.cr0 & cr0::PE; }

// A stack being built for a transfer: pushes go to memory at once, registers
// change only when the whole transfer has succeeded.
struct StackWriter {
  Cpu& c;
  uint64_t sp;
  uint64_t sp_mask;
  uint64_t base;
  bool user;
  template <class T>
  void push(T v) {
    sp = (sp - sizeof(T)) & sp_mask;
    write_slow<T>(c, (base + sp) & c.lin_mask, v, user);
  }
  void push_sized(unsigned size, uint64_t v) {
    if (size == 2) push<uint16_t>(static_cast<uint16_t>(v));
    else if (size == 4) push<uint32_t>(static_cast<uint32_t>(v));
    else push<uint64_t>(v);
  }
};

struct StackReader {
  Cpu& c;
  uint64_t sp;
  uint64_t sp_mask;
  uint64_t base;
  bool user;
  uint64_t pop_sized(unsigned size) {
    uint64_t lin = (base + sp) & c.lin_mask;
    uint64_t v = size == 2 ? read_slow<uint16_t>(c, lin, user)
                 : size == 4 ? read_slow<uint32_t>(c, lin, user)
                             : read_slow<uint64_t>(c, lin, user);
    sp = (sp + size) & sp_mask;
    return v;
  }
};

void deliver_real_mode(Cpu& c, uint8_t vector, uint64_t return_rip) {
  uint32_t entry = vector * 4;
  if (entry + 3 > c.idtr.limit) raise_fault(vec::GP, 0);
  uint32_t ivt = read_slow<uint32_t>(c, c.idtr.base + entry, false);
  StackWriter st{c, c.gpr[RSP] & 0xFFFF, 0xFFFF, c.seg[SS].base, false};
  st.push<uint16_t>(static_cast<uint16_t>(get_rflags(c)));
  st.push<uint16_t>(c.seg[CS].selector);
  st.push<uint16_t>(static_cast<uint16_t>(return_rip));
  c.gpr[RSP] = (c.gpr[RSP] & ~uint64_t{0xFFFF}) | st.sp;
  c.rflags_stored &= ~(rflags::IF | rflags::TF | rflags::AC);
  c.seg[CS].selector = static_cast<uint16_t>(ivt >> 16);
  c.seg[CS].base = (ivt >> 16) << 4;
  update_mode(c);
  c.rip = c.next_rip = ivt & 0xFFFF;
}

// Stack for an inner-privilege transfer, from the TSS.
void tss_stack(Cpu& c, unsigned dpl, unsigned ist, uint64_t& rsp, uint16_t& ss) {
  if (c.long_mode()) {
    uint64_t offset = ist ? 0x24 + (ist - 1) * 8 : 4 + dpl * 8;
    if (offset + 7 > c.tr.limit) raise_fault(vec::TS, c.tr.selector & ~3u);
    rsp = read_slow<uint64_t>(c, c.tr.base + offset, false);
    ss = static_cast<uint16_t>(dpl);  // a null selector with RPL = new CPL
  } else {
    uint64_t offset = 4 + dpl * 8;
    if (offset + 5 > c.tr.limit) raise_fault(vec::TS, c.tr.selector & ~3u);
    rsp = read_slow<uint32_t>(c, (c.tr.base + offset) & 0xFFFFFFFF, false);
    ss = read_slow<uint16_t>(c, (c.tr.base + offset + 4) & 0xFFFFFFFF, false);
  }
}

// Checks a new SS for an inner-privilege transfer and returns its hidden part.
Segment checked_stack_segment(Cpu& c, uint16_t ss, unsigned cpl) {
  if ((ss & ~3u) == 0) raise_fault(vec::TS, ss & ~3u);
  uint64_t d = read_descriptor(c, ss, vec::TS);
  Segment s = segment_from_descriptor(ss, d);
  bool writable_data = (s.attr & 0x10) && !(s.attr & 0x08) && (s.attr & 0x02);
  if ((ss & 3) != cpl || s.dpl() != cpl || !writable_data) raise_fault(vec::TS, ss & ~3u);
  if (!s.present()) raise_fault(vec::SS, ss & ~3u);
  return s;
}

}  // namespace

namespace {

void deliver_through_idt(Cpu& c, uint8_t vector, EventKind kind, bool has_error, uint32_t error, uint64_t return_rip) {

  const bool long_mode = c.long_mode();
  const uint32_t ext = kind == EventKind::kSoftware ? 0 : 1;
  const uint32_t idt_error = vector * 8 + 2 + ext;
  const unsigned entry_size = long_mode ? 16 : 8;
  if (vector * entry_size + entry_size - 1 > c.idtr.limit) raise_fault(vec::GP, idt_error);
  uint64_t gate = read_slow<uint64_t>(c, (c.idtr.base + vector * entry_size) & c.lin_mask, false);
  uint64_t gate_high = long_mode ? read_slow<uint64_t>(c, c.idtr.base + vector * 16 + 8, false) : 0;

  const unsigned type = (gate >> 40) & 0x1F;
  const unsigned gate_dpl = (gate >> 45) & 3;
  const bool present = gate & (uint64_t{1} << 47);
  bool gate32;
  if (long_mode) {
    if (type != 0x0E && type != 0x0F) raise_fault(vec::GP, idt_error);
    gate32 = true;
  } else {
    if (type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F) raise_fault(vec::GP, idt_error);
    gate32 = type & 0x08;
  }
  const bool interrupt_gate = (type & 1) == 0;
  if (kind == EventKind::kSoftware && gate_dpl < c.cpl) raise_fault(vec::GP, vector * 8 + 2);
  if (!present) raise_fault(vec::NP, idt_error);

  const uint16_t selector = static_cast<uint16_t>(gate >> 16);
  uint64_t offset = (gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000);
  if (long_mode) offset |= (gate_high & 0xFFFFFFFF) << 32;
  if (!gate32) offset &= 0xFFFF;
  const unsigned ist = long_mode ? (gate >> 32) & 7 : 0;

  if ((selector & ~3u) == 0) raise_fault(vec::GP, ext);
  uint64_t code_desc = read_descriptor(c, selector);
  Segment code = segment_from_descriptor(selector, code_desc);
  const bool is_code = (code.attr & 0x18) == 0x18;
  if (!is_code || code.dpl() > c.cpl) raise_fault(vec::GP, (selector & ~3u) + ext);
  if (!code.present()) raise_fault(vec::NP, (selector & ~3u) + ext);
  if (long_mode && !(code.long_mode() && !code.default_big())) raise_fault(vec::GP, (selector & ~3u) + ext);
  const bool conforming = code.attr & 0x04;
  const unsigned new_cpl = conforming ? c.cpl : code.dpl();
  const uint64_t flags = get_rflags(c);

  const unsigned push_size = long_mode ? 8 : gate32 ? 4 : 2;
  const bool inner = new_cpl < c.cpl;
  uint64_t new_sp;
  uint16_t new_ss = c.seg[SS].selector;
  Segment ss_seg = c.seg[SS];
  uint64_t sp_mask;
  if (inner || ist) {
    tss_stack(c, new_cpl, ist, new_sp, new_ss);
    if (!long_mode) {
      ss_seg = checked_stack_segment(c, new_ss, new_cpl);
    } else if (inner) {
      ss_seg = Segment{};
      ss_seg.selector = new_ss;
      ss_seg.attr = 0;
    }
  } else {
    new_sp = c.gpr[RSP];
  }
  if (long_mode) {
    new_sp &= ~uint64_t{15};
    sp_mask = ~uint64_t{0};
  } else {
    sp_mask = ss_seg.default_big() ? 0xFFFFFFFF : 0xFFFF;
  }

  StackWriter st{c, new_sp & sp_mask, sp_mask, long_mode ? 0 : ss_seg.base, new_cpl == 3};
  if (inner || long_mode) {
    st.push_sized(push_size, c.seg[SS].selector);
    st.push_sized(push_size, c.gpr[RSP]);
  }
  st.push_sized(push_size, flags);
  st.push_sized(push_size, c.seg[CS].selector);
  st.push_sized(push_size, return_rip);
  if (has_error) st.push_sized(push_size, error);

  // Commit.
  if (inner) c.seg[SS] = ss_seg;
  if (long_mode || inner)
    c.gpr[RSP] = st.sp;
  else
    c.gpr[RSP] = (c.gpr[RSP] & ~sp_mask) | st.sp;
  uint64_t new_flags = flags & ~(rflags::TF | rflags::NT | rflags::RF | rflags::VM);
  if (interrupt_gate) new_flags &= ~rflags::IF;
  set_rflags(c, new_flags);
  mark_descriptor_accessed(c, selector, code_desc);
  set_code_segment(c, selector, code_desc | (uint64_t{1} << 40), new_cpl);
  c.rip = c.next_rip = offset;
}

}  // namespace

void deliver_event(Cpu& c, uint8_t vector, EventKind kind, bool has_error, uint32_t error, uint64_t return_rip) {
  c.halted = false;
  c.delivered_at = c.icount;
  if (protected_mode(c))
    deliver_through_idt(c, vector, kind, has_error, error, return_rip);
  else
    deliver_real_mode(c, vector, return_rip);
  if (c.event_taken) c.event_taken(c.event_taken_context, TakenEvent{c.icount, return_rip, error, vector, kind, has_error});
}

namespace {

enum class FaultClass { kBenign, kContributory, kPageFault };

FaultClass classify(uint8_t v) {
  switch (v) {
    case vec::DE: case vec::TS: case vec::NP: case vec::SS: case vec::GP: return FaultClass::kContributory;
    case vec::PF: return FaultClass::kPageFault;
    default: return FaultClass::kBenign;
  }
}

bool makes_double_fault(uint8_t first, uint8_t second) {
  FaultClass a = classify(first), b = classify(second);
  if (a == FaultClass::kContributory && b == FaultClass::kContributory) return true;
  if (a == FaultClass::kPageFault && b != FaultClass::kBenign) return true;
  return false;
}

void note_chain(Cpu& c, uint8_t v) {
  if (c.fault_chain_len < sizeof(c.fault_chain)) c.fault_chain[c.fault_chain_len++] = v;
}

}  // namespace

void deliver_exception(Cpu& c, const GuestFault& fault) {
  c.fault_chain_len = 0;
  c.fault_rip = c.rip;
  note_chain(c, fault.vector);
  GuestFault current = fault;
  for (int attempts = 0; attempts < 8; ++attempts) {
    try {
      deliver_event(c, current.vector, EventKind::kException, current.has_error, current.error, c.rip);
      return;
    } catch (const GuestFault& next) {
      if (current.vector == vec::DF) {
        note_chain(c, next.vector);
        break;
      }
      if (makes_double_fault(current.vector, next.vector))
        current = GuestFault{vec::DF, true, 0};
      else
        current = next;
      note_chain(c, current.vector);
    }
  }
  c.stop_reason = StopReason::kShutdown;
  c.stop_requested = true;
}

void far_transfer(Cpu& c, uint16_t selector, uint64_t offset, unsigned osize, bool call) {
  if (osize == 2) offset &= 0xFFFF;
  else if (osize == 4) offset &= 0xFFFFFFFF;
  if (!protected_mode(c)) {
    if (call) {
      push<uint16_t>(c, c.seg[CS].selector);
      push<uint16_t>(c, static_cast<uint16_t>(c.next_rip));
    }
    c.seg[CS].selector = selector;
    c.seg[CS].base = uint64_t{selector} << 4;
    update_mode(c);
    c.next_rip = offset;
    return;
  }
  if ((selector & ~3u) == 0) raise_fault(vec::GP, 0);
  uint64_t d = read_descriptor(c, selector);
  Segment s = segment_from_descriptor(selector, d);
  if ((s.attr & 0x18) != 0x18) raise_fault(vec::GP, selector & ~3u);  // call gates, TSS, task gates
  const bool conforming = s.attr & 0x04;
  const unsigned rpl = selector & 3;
  if (conforming ? s.dpl() > c.cpl : (rpl > c.cpl || s.dpl() != c.cpl)) raise_fault(vec::GP, selector & ~3u);
  if (!s.present()) raise_fault(vec::NP, selector & ~3u);
  if (call) {
    uint64_t m = stack_mask(c);
    StackWriter st{c, c.gpr[RSP] & m, m, c.seg_base[SS], c.cpl == 3};
    st.push_sized(osize, c.seg[CS].selector);
    st.push_sized(osize, c.next_rip);
    c.gpr[RSP] = (c.gpr[RSP] & ~m) | st.sp;
  }
  mark_descriptor_accessed(c, selector, d);
  set_code_segment(c, selector, d | (uint64_t{1} << 40), c.cpl);
  c.next_rip = offset;
}

namespace {

// After a return to an outer level, data segments the new level may not use become null.
void drop_inaccessible_segments(Cpu& c) {
  for (SegReg r : {ES, DS, FS, GS}) {
    Segment& s = c.seg[r];
    bool conforming_code = (s.attr & 0x0C) == 0x0C;
    if ((s.selector & ~3u) != 0 && !conforming_code && s.dpl() < c.cpl) {
      s.selector = 0;
      s.attr = 0;
      if (!(c.long_mode() && (r == FS || r == GS))) s.base = 0;
    }
  }
  update_mode(c);
}

// Common tail of RETF and IRET: validates and installs CS, and SS on an outer return.
void return_to(Cpu& c, uint16_t cs, uint64_t rip, bool has_stack, uint16_t ss, uint64_t sp) {
  if ((cs & ~3u) == 0) raise_fault(vec::GP, 0);
  const unsigned rpl = cs & 3;
  if (rpl < c.cpl) raise_fault(vec::GP, cs & ~3u);
  uint64_t d = read_descriptor(c, cs);
  Segment s = segment_from_descriptor(cs, d);
  if ((s.attr & 0x18) != 0x18) raise_fault(vec::GP, cs & ~3u);
  const bool conforming = s.attr & 0x04;
  if (conforming ? s.dpl() > rpl : s.dpl() != rpl) raise_fault(vec::GP, cs & ~3u);
  if (!s.present()) raise_fault(vec::NP, cs & ~3u);
  const bool outer = rpl > c.cpl;
  Segment new_ss = c.seg[SS];
  if (outer || (c.long_mode() && has_stack)) {
    bool target64 = c.long_mode() && s.long_mode();
    if ((ss & ~3u) == 0) {
      if (!(target64 && rpl < 3)) raise_fault(vec::GP, 0);
      new_ss = Segment{};
      new_ss.selector = ss;
      new_ss.attr = 0;
    } else {
      new_ss = checked_stack_segment(c, ss, rpl);
      if ((new_ss.attr & 0x10) == 0) raise_fault(vec::GP, ss & ~3u);
    }
  }
  set_code_segment(c, cs, d | (uint64_t{1} << 40), rpl);
  if (outer || (c.long_mode() && has_stack)) {
    c.seg[SS] = new_ss;
    update_mode(c);
    uint64_t m = c.code_size == CodeSize::k64 ? ~uint64_t{0} : (new_ss.default_big() ? 0xFFFFFFFF : 0xFFFF);
    c.gpr[RSP] = (c.gpr[RSP] & ~m) | (sp & m);
  }
  c.next_rip = c.code_size == CodeSize::k64 ? rip : rip & 0xFFFFFFFF;
  if (outer) drop_inaccessible_segments(c);
}

// The rest of RETF/IRET once RIP and CS are popped: an outer return (and IRET in 64-bit
// mode) pops SS:RSP too and switches stacks; otherwise the popped RSP is committed first
// and put back if the new CS faults. `release` is RETF imm16 for the outer stack.
void finish_return(Cpu& c, StackReader& st, uint16_t cs, uint64_t rip, unsigned osize, bool pops_stack,
                   uint64_t release) {
  if (pops_stack) {
    uint64_t sp = st.pop_sized(osize);
    uint16_t ss = static_cast<uint16_t>(st.pop_sized(osize));
    return_to(c, cs, rip, true, ss, sp + release);
    return;
  }
  uint64_t saved = c.gpr[RSP];
  c.gpr[RSP] = (c.gpr[RSP] & ~st.sp_mask) | st.sp;
  try {
    return_to(c, cs, rip, false, 0, 0);
  } catch (...) {
    c.gpr[RSP] = saved;
    throw;
  }
}

}  // namespace

void far_return(Cpu& c, unsigned osize, uint16_t release) {
  uint64_t m = stack_mask(c);
  StackReader st{c, c.gpr[RSP] & m, m, c.seg_base[SS], c.cpl == 3};
  uint64_t rip = st.pop_sized(osize);
  uint16_t cs = static_cast<uint16_t>(st.pop_sized(osize));
  st.sp = (st.sp + release) & m;
  if (!protected_mode(c)) {
    c.gpr[RSP] = (c.gpr[RSP] & ~m) | st.sp;
    c.seg[CS].selector = cs;
    c.seg[CS].base = uint64_t{cs} << 4;
    update_mode(c);
    c.next_rip = rip & 0xFFFF;
    return;
  }
  finish_return(c, st, cs, rip, osize, (cs & 3) > c.cpl, release);
}

void interrupt_return(Cpu& c, unsigned osize) {
  uint64_t m = stack_mask(c);
  StackReader st{c, c.gpr[RSP] & m, m, c.seg_base[SS], c.cpl == 3};
  uint64_t rip = st.pop_sized(osize);
  uint16_t cs = static_cast<uint16_t>(st.pop_sized(osize));
  uint64_t flags = st.pop_sized(osize);
  const uint64_t old_flags = get_rflags(c);

  if (!protected_mode(c)) {
    c.gpr[RSP] = (c.gpr[RSP] & ~m) | st.sp;
    c.seg[CS].selector = cs;
    c.seg[CS].base = uint64_t{cs} << 4;
    update_mode(c);
    set_rflags(c, (old_flags & ~uint64_t{0xFFFF}) | (flags & 0xFFFF));
    c.next_rip = rip & 0xFFFF;
    return;
  }
  if (!c.long_mode() && (old_flags & rflags::NT)) raise_fault(vec::GP, 0);  // task return: no tasks here
  if (c.cpl == 0 && !c.long_mode() && osize == 4 && (flags & rflags::VM)) raise_fault(vec::GP, 0);

  uint64_t mutable_bits = 0x257FD5;  // CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID
  mutable_bits |= rflags::VIF | rflags::VIP;
  const unsigned iopl = (old_flags >> 12) & 3;
  if (c.cpl > 0) mutable_bits &= ~(rflags::IOPL | rflags::VIF | rflags::VIP);
  if (c.cpl > iopl) mutable_bits &= ~rflags::IF;
  if (osize == 2) mutable_bits &= 0xFFFF;
  const uint64_t new_flags = (old_flags & ~mutable_bits) | (flags & mutable_bits);

  const bool outer = (cs & 3) > c.cpl;
  finish_return(c, st, cs, rip, osize, outer || c.code_size == CodeSize::k64, 0);
  set_rflags(c, new_flags);
}

}  // namespace rw::cpu
