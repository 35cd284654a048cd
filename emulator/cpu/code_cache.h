// Decoded-instruction cache: traces of straight-line instructions keyed by the
// physical address and RIP of their first instruction and the decode mode.
// A trace never crosses a page; writes to a 128-byte chunk holding decoded code
// flush the cache (see PhysicalMemory::code_chunks).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/insn.h"

namespace rw::cpu {

struct TraceEntry {
  uint64_t phys = ~uint64_t{0};
  uint64_t rip = ~uint64_t{0};
  uint32_t first = 0;
  uint16_t count = 0;
  uint16_t bytes = 0;  // total length: the fall-through RIP is rip + bytes
  uint8_t mode = 0;
  bool breakpoint = false;  // a debugger breakpoint sits on the first instruction
  // The translator's (jit.h): how often the trace ran before it was translated, and the
  // translation (host code, and the instructions' copies it runs them from), if any.
  uint16_t heat = 0;
  const void* native = nullptr;
  Insn* copies = nullptr;
};

class Translator;

class CodeCache {
 public:
  static constexpr unsigned kTableBits = 16;
  static constexpr unsigned kMaxTrace = 64;
  static constexpr unsigned kMaxTraceBytes = 240;  // Insn::off is a byte
  static constexpr unsigned kArenaSize = 1u << 18;

  explicit CodeCache(bool translate);
  ~CodeCache();

  TraceEntry& slot(uint64_t phys) { return table_[(phys ^ (phys >> kTableBits)) & ((1u << kTableBits) - 1)]; }
  Insn* insns(const TraceEntry& t) { return &arena_[t.first]; }

  // Decode a trace starting at cpu.rip (physical address `phys`). Raises the
  // fault of the first instruction if its bytes cannot be fetched. Returns the
  // entry to execute; page-crossing instructions come back uncached.
  const TraceEntry& build(Cpu& cpu, uint64_t phys);

  // The first n instructions of `t`, copied and closed with a sentinel: for running
  // part of a trace (the instruction budget ends inside it, single steps).
  Insn* prepare_partial(const TraceEntry& t, unsigned n);

  // Forget every trace (self-modifying code, or the arena is full).
  void flush(Cpu& cpu);

  // The translator, when this cache's traces are translated (Engine::kTranslator).
  const Translator* translator() const { return translator_.get(); }
  // Counts a run of `t` and translates it once it is hot (a no-op for uncached traces).
  void warm(Cpu& cpu, TraceEntry& t);
  // Runs before a trace is translated (default 16; 1 translates every trace the first time
  // it runs whole, as the CPU tests do to run each instruction translated).
  void set_hot_threshold(uint16_t runs) { hot_ = runs; }

  uint64_t traces_built() const { return traces_built_; }
  uint64_t flushes() const { return flushes_; }

 private:
  const TraceEntry& build_once(Cpu& cpu, uint64_t phys);
  std::vector<TraceEntry> table_;
  std::vector<uint32_t> filled_;  // the slots of table_ in use, so that a flush costs what was built
  std::vector<Insn> arena_;
  uint32_t used_ = 0;
  TraceEntry uncached_;
  Insn scratch_[kMaxTrace + 1];
  uint64_t traces_built_ = 0;
  uint64_t flushes_ = 0;
  std::unique_ptr<Translator> translator_;
  uint16_t hot_ = 16;
};

}  // namespace rw::cpu
