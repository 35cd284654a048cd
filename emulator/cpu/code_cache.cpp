#include "cpu/code_cache.h"

#include <cstdlib>

#include "cpu/debug.h"
#include "cpu/decoder.h"
#include "cpu/exec.h"
#include "cpu/engine.h"
#include "cpu/fault.h"
#include "cpu/jit.h"
#include "cpu/mmu.h"
#include "memory/physical_memory.h"

namespace rw::cpu {

namespace {
// Stands in for the rest of a trace whose code was overwritten: leaves the trace
// before the next instruction runs, so the new bytes get decoded.
void stop_trace(Cpu& c, const Insn& i) {
  c.current = &i;
  throw TraceStop{};
}

// The sentinel after a trace's last instruction: back to the loop.
void trace_exit(Cpu& c, const Insn& i) { c.current = &i; }

TraceEntry make_entry(uint64_t phys, uint64_t rip, uint32_t first, unsigned count, uint64_t bytes, CodeSize mode,
                      bool breakpoint) {
  TraceEntry t;
  t.phys = phys;
  t.rip = rip;
  t.first = first;
  t.count = static_cast<uint16_t>(count);
  t.bytes = static_cast<uint16_t>(bytes);
  t.mode = static_cast<uint8_t>(mode);
  t.breakpoint = breakpoint;
  return t;
}

// The sentinel counts as the last instruction for the "executed = idx + 1" rule.
void end_trace(Insn* insns, unsigned n) {
  insns[n] = Insn{};
  insns[n].fn = trace_exit;
  insns[n].idx = static_cast<uint8_t>(n - 1);
  insns[n].off = insns[n - 1].off;
}
}  // namespace

Insn* CodeCache::prepare_partial(const TraceEntry& t, unsigned n) {
  const Insn* src = insns(t);
  for (unsigned k = 0; k < n; ++k) scratch_[k] = src[k];
  end_trace(scratch_, n);
  return scratch_;
}

std::unique_ptr<CodeCache> make_code_cache(Engine engine) {
  return std::make_unique<CodeCache>(engine == Engine::kTranslator);
}

CodeCache::CodeCache(bool translate) : table_(1u << kTableBits), arena_(kArenaSize + kMaxTrace + 2) {
  // Without executable memory (a system that refuses it), the interpreter runs everything.
  if (translate) {
    try {
      translator_ = std::make_unique<Translator>();
    } catch (const std::exception&) {
      translator_.reset();
    }
  }
  // Tests translate every trace the first time it runs whole (REWIND_JIT_HOT=1), so that the
  // translator meets all of a guest's code, not only its loops.
  if (const char* hot = std::getenv("REWIND_JIT_HOT")) {
    const long runs = std::strtol(hot, nullptr, 10);
    if (runs >= 1 && runs <= 65535) hot_ = static_cast<uint16_t>(runs);
  }
}

CodeCache::~CodeCache() = default;

void CodeCache::warm(Cpu& cpu, TraceEntry& t) {
  if (t.phys == ~uint64_t{0} || ++t.heat < hot_) return;
  if (t.heat > hot_) return;  // translation failed once: interpreted from now on
  if (translator_->translate(t, insns(t), cpu.code_size)) return;
  if (!translator_->full()) return;
  // Out of room for host code: start again (the traces stay decoded).
  translator_->reset();
  for (uint32_t index : filled_) {
    TraceEntry& e = table_[index];
    e.native = nullptr;
    e.copies = nullptr;
    e.heat = 0;
  }
}

void CodeCache::flush(Cpu& cpu) {
  for (uint32_t index : filled_) table_[index] = TraceEntry{};
  filled_.clear();
  if (translator_) translator_->reset();
  ++cpu.tlb.generation;
  used_ = 0;
  ++flushes_;
  cpu.mem->clear_code_marks();
  for (Insn* p = cpu.trace_begin; p && p < cpu.trace_end; ++p) p->fn = stop_trace;
}

const TraceEntry& CodeCache::build(Cpu& cpu, uint64_t phys) {
  // Decoding walks page tables, and setting an accessed bit is a write that could land
  // on a chunk holding code and flush the cache under our feet: decode again then.
  for (;;) {
    const uint64_t flushes = flushes_;
    const TraceEntry& t = build_once(cpu, phys);
    if (flushes_ == flushes) return t;
  }
}

const TraceEntry& CodeCache::build_once(Cpu& cpu, uint64_t phys) {
  if (used_ + kMaxTrace + 1 > kArenaSize) flush(cpu);
  const uint64_t start_rip = cpu.rip;
  const uint64_t start_lin = (cpu.seg_base[CS] + start_rip) & cpu.lin_mask;
  Insn* out = &arena_[used_];
  unsigned n = 0;
  uint64_t rip = start_rip;
  uint64_t bytes = 0;
  // A breakpoint always starts a trace: the loop checks it there and nowhere else.
  const std::set<uint64_t>* breakpoints = cpu.debug && !cpu.debug->breakpoints.empty() ? &cpu.debug->breakpoints : nullptr;
  // With watchpoints the loop checks after every instruction: one-instruction traces,
  // so that it never re-decodes from the middle of a longer one.
  const unsigned max_insns = cpu.debug && !cpu.debug->watchpoints.empty() ? 1 : kMaxTrace;
  for (;;) {
    if (breakpoints && n > 0 && breakpoints->count((start_lin + bytes) & cpu.lin_mask)) break;
    DecodeInfo info;
    try {
      info = decode(cpu, rip, out[n]);
    } catch (const GuestFault&) {
      if (n == 0) throw;
      break;  // the instruction will fault when it starts a trace of its own
    }
    if (info.crosses_page) {
      if (n > 0) break;
      // Decoded afresh each time: its second page may be remapped at any moment.
      out[0].idx = 0;
      out[0].off = 0;
      end_trace(out, 1);
      // phys stays unset, so lookups never find it.
      uncached_ = make_entry(~uint64_t{0}, start_rip, used_, 1, out[0].len, cpu.code_size,
                             breakpoints && breakpoints->count(start_lin));
      return uncached_;
    }
    out[n].idx = static_cast<uint8_t>(n);
    out[n].off = static_cast<uint8_t>(bytes);
    bytes += out[n].len;
    rip += out[n].len;
    ++n;
    if (info.ends_trace || n == max_insns || bytes > kMaxTraceBytes) break;
    if (((start_lin + bytes) >> 12) != (start_lin >> 12)) break;
  }
  const uint64_t page = phys >> 12;
  const bool first_code_on_page = cpu.mem->contains(phys, bytes) && cpu.mem->code_chunks(page) == 0;
  if (cpu.mem->contains(phys, bytes)) cpu.mem->mark_code(phys, bytes);
  // Fast write entries for this page must now take the slow path that checks for code.
  if (first_code_on_page) cpu.tlb.flush_writes();
  end_trace(out, n);
  TraceEntry& t = slot(phys);
  if (t.phys != ~uint64_t{0})
    ++cpu.tlb.generation;  // links to the trace it replaces are stale
  else
    filled_.push_back(static_cast<uint32_t>(&t - table_.data()));
  t = make_entry(phys, start_rip, used_, n, bytes, cpu.code_size, breakpoints && breakpoints->count(start_lin));
  used_ += n + 1;
  ++traces_built_;
  return t;
}

void invalidate_code(Cpu& cpu, uint64_t, unsigned) { cpu.code->flush(cpu); }

void put_back_stand_in(Cpu& cpu) {
  cpu.stand_in->fn = cpu.stand_in_saved;
  cpu.stand_in = nullptr;
}

void stop_trace_after_current(Cpu& cpu) {
  if (!cpu.trace_begin || !cpu.current || cpu.stand_in) return;
  Insn* next = const_cast<Insn*>(cpu.current) + 1;
  if (next <= cpu.trace_begin || next >= cpu.trace_end) return;
  cpu.stand_in = next;
  cpu.stand_in_saved = next->fn;
  next->fn = stop_trace;
}

}  // namespace rw::cpu
