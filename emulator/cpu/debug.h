// What a debugger asks of the CPU: breakpoints checked when a trace is entered,
// watchpoints checked in the slow memory path, and stops on exceptions. None of it
// costs anything while Cpu::debug is null.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_set>
#include <vector>

#include "cpu/cpu.h"

namespace rw::cpu {

enum class WatchKind : uint8_t { kWrite = 1, kRead = 2, kAccess = 3 };

struct Watchpoint {
  uint64_t addr;  // linear
  uint64_t len;
  WatchKind kind;
};

// Why the CPU stopped for the debugger.
struct DebugStop {
  uint64_t address = 0;          // breakpoint or watchpoint address
  WatchKind watch_kind = WatchKind::kWrite;
  uint8_t vector = 0;            // exception stops
  bool has_error = false;
  uint32_t error = 0;
};

struct DebugState {
  std::set<uint64_t> breakpoints;  // linear addresses of instruction starts
  std::vector<Watchpoint> watchpoints;
  std::unordered_set<uint64_t> watched_pages;  // linear page numbers with a watchpoint
  bool catch_all_exceptions = false;           // stop before delivering any exception
  bool stop_on_fatal_exceptions = true;        // stop instead of a triple fault
  bool skip_breakpoint_once = false;           // resuming from a breakpoint: step over it
  bool watch_hit = false;
  DebugStop stop;
};

// Reconfigure after the debugger changed breakpoints or watchpoints: decoded code and
// TLB entries that were made without knowing about them are dropped.
void debug_changed(Cpu& cpu);

// Called by the slow memory path after an access completed.
void check_watchpoints(Cpu& cpu, uint64_t lin, unsigned size, bool write);

// Translate a linear address for the debugger: no accessed/dirty bits set, no TLB
// fill, no fault. Returns false where nothing is mapped.
bool debug_translate(Cpu& cpu, uint64_t lin, uint64_t& phys);

}  // namespace rw::cpu
