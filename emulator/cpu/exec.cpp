// The CPU loop: find the trace at CS:RIP, run as much of it as the instruction
// budget allows, deliver exceptions. Per instruction: one indirect call, nothing else;
// per trace, a link to the next one.
#include "cpu/exec.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "cpu/code_cache.h"
#include "cpu/debug.h"
#include "cpu/interrupts.h"
#include "cpu/jit.h"
#include "cpu/mmu.h"
#include "cpu/operands.h"
#include "cpu/segments.h"

namespace rw::cpu {

namespace {

void single_step_trap(Cpu& c) {
  c.dr[6] |= 0x4000;  // DR6.BS
  try {
    deliver_event(c, vec::DB, EventKind::kExternal, false, 0, c.rip);
  } catch (const GuestFault& f) {
    deliver_exception(c, f);
  }
}

// With a debugger attached: stop before delivering an exception it wants to see,
// and instead of letting one escalate into a triple fault. Returns true to stop.
bool exception_stops(Cpu& c, const GuestFault& f) {
  DebugState& d = *c.debug;
  auto record = [&] {
    d.stop.vector = f.vector;
    d.stop.has_error = f.has_error;
    d.stop.error = f.error;
    return true;
  };
  if (d.catch_all_exceptions) return record();
  if (!d.stop_on_fatal_exceptions) {
    deliver_exception(c, f);
    return false;
  }
  Cpu before = c;
  deliver_exception(c, f);
  if (c.stop_reason != StopReason::kShutdown) return false;
  c = before;  // the guest cannot handle it: show the debugger the original fault
  c.tlb.flush();
  return record();
}

// With a debugger attached, after an exception or interrupt was delivered at this
// boundary without an instruction retiring: stop if the delivery touched a watchpoint
// (forwards, the stop is after the access: at the handler's first instruction), or if
// the debugger asked to stop after deliveries.
std::optional<StopReason> stop_after_delivery(Cpu& c) {
  DebugState& d = *c.debug;
  if (d.watch_hit) {
    d.watch_hit = false;
    return StopReason::kWatchpoint;
  }
  if (d.stop_after_delivery && c.delivered_at == c.icount) return StopReason::kTarget;
  return std::nullopt;
}

// The trace that followed the last time execution left a trace through `exit` (the
// instruction that ended it), if it starts at the current RIP. Links are trusted within
// one TLB generation, which every change of mode, privilege, translations or cached
// traces ends.
inline TraceEntry* linked_successor(const Insn* exit, const Cpu& c) {
  if (exit->link_generation != static_cast<uint32_t>(c.tlb.generation)) return nullptr;
  TraceEntry* t = exit->link;
  return t && t->rip == c.rip ? t : nullptr;
}

// Handles a fault raised inside a trace. Returns true if a debugger wants to stop.
bool fault_in_trace(Cpu& c, const GuestFault& f) {
  c.trace_begin = c.trace_end = nullptr;
  if (!c.debug) {
    deliver_exception(c, f);
    return false;
  }
  c.debug->watch_hit = false;  // the access did not complete
  return exception_stops(c, f);
}

// Runs the instructions at `begin` (a trace, or a partial copy closed by a sentinel)
// from the current RIP and accounts for them. Returns false after a fault or a
// code-overwrite stop; `stop` is set when a debugger wants to see an exception.
// With `native`, the trace's translation runs instead, `begin` being its copies (jit.h:
// instruction k at 2k, its marker after it; the last marker, like the interpreter's
// sentinel, is outside the trace).
[[gnu::always_inline]] inline bool execute(Cpu& c, Insn* begin, unsigned count, uint64_t bytes, bool& stop,
                                           const void* native = nullptr, const Translator* translator = nullptr) {
  const uint64_t start_rip = c.rip;
  c.next_rip = start_rip + bytes;
  c.trace_begin = begin;
  c.trace_end = native ? begin + 2 * count - 1 : begin + count;
  try {
    if (native)
      translator->run(c, native);
    else
      begin->fn(c, *begin);  // runs on to the sentinel or a taken branch
  } catch (const GuestFault& f) {
    restore_stand_in(c);
    c.rip = (native ? c.rip : start_rip) + c.current->off;
    c.icount += c.current->idx;
    stop = fault_in_trace(c, f);
    return false;
  } catch (const TraceStop&) {
    restore_stand_in(c);
    c.rip = (native ? c.rip : start_rip) + c.current->off;
    c.icount += c.current->idx;
    c.trace_begin = c.trace_end = nullptr;
    return false;
  }
  // A translation accounts for itself (and for the translations it went on to: cpu.rip
  // is the start of the one running).
  if (!native) {
    c.rip = c.next_rip;
    c.icount += c.current->idx + 1u;
  }
  c.trace_begin = c.trace_end = nullptr;
  return true;
}

// The hot path: whole traces back to back, following links, while nothing needs
// attention. Returns the trace that completed last and the instruction it was left
// through (to link them to the next trace), or nulls after a fault; `stop` is set when
// a debugger wants to see an exception.
struct Exit {
  TraceEntry* trace = nullptr;
  Insn* insn = nullptr;
};
Exit run_linked(Cpu& c, CodeCache& cache, TraceEntry* t, uint64_t target, bool& stop) {
  const Translator* translator = cache.translator();
  for (;;) {
    if (translator && !t->native) [[unlikely]]
      cache.warm(c, *t);
    if (!(t->native ? execute(c, t->copies, t->count, t->bytes, stop, t->native, translator)
                    : execute(c, cache.insns(*t), t->count, t->bytes, stop)))
      return {};
    Insn* exit = const_cast<Insn*>(c.current);
    if (c.needs_attention() || (c.rflags_stored & rflags::TF)) [[unlikely]] return {t, exit};
    TraceEntry* next = linked_successor(exit, c);
    if (!next || next->breakpoint || next->count > target - c.icount) return {t, exit};
    t = next;
  }
}

}  // namespace

StopReason run(Cpu& c, uint64_t target) {
  CodeCache& cache = *c.code;
  c.target = target;
  Exit last;  // where the last trace was left, to link it to its successor
  if (c.debug && c.debug->changed) [[unlikely]]
    debug_changed(c);
  // Resuming from a breakpoint executes the instruction under it.
  bool skip_breakpoint = c.debug && std::exchange(c.debug->skip_breakpoint_once, false);
  for (;;) {
    if (c.stop_requested) [[unlikely]] {
      c.stop_requested = false;
      StopReason r = c.stop_reason == StopReason::kNone ? StopReason::kRequested : c.stop_reason;
      c.stop_reason = StopReason::kNone;
      return r;
    }
    if (c.icount >= target) return StopReason::kTarget;
    // An external interrupt is taken at an instruction boundary when IF allows it and
    // no STI/MOV SS shadow covers this boundary; inside a shadow, one instruction runs first.
    bool one_instruction = false;
    if (c.intr && (c.rflags_stored & rflags::IF)) [[unlikely]] {
      if (c.icount >= c.interrupt_shadow_until) {
        last = {};
        uint8_t vector = c.acknowledge_interrupt(c.interrupt_controller);
        try {
          deliver_event(c, vector, EventKind::kExternal, false, 0, c.rip);
        } catch (const GuestFault& f) {
          if (c.debug ? exception_stops(c, f) : (deliver_exception(c, f), false)) return StopReason::kException;
        }
        if (c.debug) [[unlikely]]
          if (auto r = stop_after_delivery(c)) return *r;
        continue;
      }
      one_instruction = true;
    }
    if (c.halted) return StopReason::kHalted;

    TraceEntry* trace = last.insn ? linked_successor(last.insn, c) : nullptr;
    if (!trace) try {
      const uint64_t lin = (c.seg_base[CS] + c.rip) & c.lin_mask;
      const TlbEntry& e = c.tlb.current[kExec][Tlb::index(lin)];
      const uint64_t phys = e.tag == (lin >> 12) ? e.phys | (lin & 4095) : translate(c, lin, kExec, c.cpl == 3);
      TraceEntry& t = cache.slot(phys);
      if (t.phys == phys && t.rip == c.rip && t.mode == static_cast<uint8_t>(c.code_size)) [[likely]]
        trace = &t;
      else
        trace = const_cast<TraceEntry*>(&cache.build(c, phys));
      if (last.insn && trace->phys != ~uint64_t{0} && (trace->phys >> 12) == (last.trace->phys >> 12)) {
        last.insn->link = trace;
        last.insn->link_generation = static_cast<uint32_t>(c.tlb.generation);
      }
    } catch (const GuestFault& f) {
      last = {};
      if (c.debug ? exception_stops(c, f) : (deliver_exception(c, f), false)) return StopReason::kException;
      if (c.debug) [[unlikely]]
        if (auto r = stop_after_delivery(c)) return *r;
      continue;
    }
    if (trace->breakpoint) [[unlikely]] {
      if (c.debug && !skip_breakpoint) {
        c.debug->stop.address = (c.seg_base[CS] + c.rip) & c.lin_mask;
        return StopReason::kBreakpoint;
      }
    }
    skip_breakpoint = false;

    const bool single_step = c.rflags_stored & rflags::TF;
    const bool watching = c.debug && !c.debug->watchpoints.empty();
    if (!single_step && !watching && !one_instruction && trace->count <= target - c.icount) [[likely]] {
      bool stop = false;
      last = run_linked(c, cache, trace, target, stop);
      if (stop) return StopReason::kException;
      continue;
    }

    // The careful path: part of a trace (the budget ends inside it), single-stepping
    // with RFLAGS.TF (one instruction, then #DB), watchpoints (one instruction, then a
    // check) or an interrupt shadow (one instruction, then the interrupt).
    last = {};
    unsigned n = static_cast<unsigned>(std::min<uint64_t>(trace->count, target - c.icount));
    if (single_step || watching || one_instruction) n = 1;
    Insn* partial = cache.prepare_partial(*trace, n);
    bool stop = false;
    const uint64_t bytes = n == trace->count ? trace->bytes : cache.insns(*trace)[n].off;
    // A REP instruction counts each iteration: one instruction is one iteration here, so
    // that a single step, a watchpoint hit or an interrupt lands between two of them.
    c.target = c.icount + n;
    const bool completed = execute(c, partial, n, bytes, stop);
    c.target = target;
    if (stop) return StopReason::kException;
    if (!completed) {
      // A fault was delivered instead (its frame may touch a watchpoint), or the code was
      // overwritten.
      if (c.debug) [[unlikely]]
        if (auto r = stop_after_delivery(c)) return *r;
      continue;
    }
    if (single_step) single_step_trap(c);
    if (watching && c.debug->watch_hit) {
      c.debug->watch_hit = false;
      return StopReason::kWatchpoint;
    }
  }
}

namespace {

// What every entry state shares: no task or LDT (a busy 32-bit TSS at 0, as after reset),
// general registers 0, RFLAGS 0x2 (interrupts off), running from `rip`.
void enter_state(Cpu& c, uint64_t rip) {
  c.tr = Segment{};
  c.tr.attr = 0x8B;
  c.ldtr = Segment{};
  for (auto& r : c.gpr) r = 0;
  set_rflags(c, 0x2);
  c.rip = rip;
  c.halted = false;
  c.tlb.flush();
  update_mode(c);
}

}  // namespace

void enter_multiboot_state(Cpu& c, uint32_t entry, uint32_t multiboot_info) {
  // Flat 4 GiB segments as a boot loader would leave them: selector 0x08 code, 0x10 data.
  constexpr uint64_t kFlatCode = 0x00CF9B000000FFFFull;
  constexpr uint64_t kFlatData = 0x00CF93000000FFFFull;
  c.cr0 = cr0::PE | cr0::ET;
  c.efer = 0;
  c.cr4 = 0;
  c.cr3 = 0;
  for (unsigned s = ES; s <= GS; ++s) c.seg[s] = segment_from_descriptor(0x10, kFlatData);
  c.cpl = 0;
  set_code_segment(c, 0x08, kFlatCode, 0);
  c.gdtr = TableRegister{0, 0};
  c.idtr = TableRegister{0, 0x3FF};
  enter_state(c, entry);
  c.gpr[RAX] = 0x2BADB002;
  c.gpr[RBX] = multiboot_info;
}

void enter_boot_sector_state(Cpu& c, uint16_t ip, uint8_t drive, uint16_t sp) {
  c.cr0 = cr0::ET;
  c.efer = 0;
  c.cr4 = 0;
  c.cr3 = 0;
  for (unsigned s = ES; s <= GS; ++s) {
    c.seg[s] = Segment{};
    c.seg[s].attr = s == CS ? 0x9B : 0x93;  // present, accessed; code readable, data writable
  }
  c.cpl = 0;
  c.gdtr = TableRegister{0, 0xFFFF};
  c.idtr = TableRegister{0, 0x3FF};
  enter_state(c, ip);
  c.gpr[RDX] = drive;
  c.gpr[RSP] = sp;
}

std::string shutdown_description(const Cpu& c) {
  static const char* const kNames[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)",
                                       "#TS", "#NP", "#SS", "#GP", "#PF", "#15",  "#MF", "#AC", "#MC", "#XM"};
  std::string chain;
  for (unsigned k = 0; k < c.fault_chain_len; ++k) {
    uint8_t v = c.fault_chain[k];
    if (k) chain += " -> ";
    chain += v < 20 ? kNames[v] : "vector " + std::to_string(v);
  }
  char addr[64];
  std::snprintf(addr, sizeof addr, "at rip=0x%llx", static_cast<unsigned long long>(c.fault_rip));
  std::string s = std::string(addr) + ", exceptions " + chain;
  for (unsigned k = 0; k < c.fault_chain_len; ++k) {
    if (c.fault_chain[k] == vec::PF) {
      std::snprintf(addr, sizeof addr, " (cr2=0x%llx)", static_cast<unsigned long long>(c.cr2));
      s += addr;
      break;
    }
  }
  return s;
}

}  // namespace rw::cpu
