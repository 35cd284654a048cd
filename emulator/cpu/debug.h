// The CPU's side of debugging (cpu/debugger.h is what a debugger uses): breakpoints
// checked when a trace is entered, watchpoints checked in the slow memory path, and stops
// on exceptions. None of it costs anything while Cpu::debug is null.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/debugger.h"

namespace rw::cpu {

struct DebugState {
  std::set<uint64_t> breakpoints;  // linear addresses of instruction starts
  std::vector<Watchpoint> watchpoints;
  // Linear pages with a watchpoint, as disjoint ranges first page -> last page: a range's
  // cost does not depend on its length.
  std::map<uint64_t, uint64_t> watched_pages;
  bool catch_all_exceptions = false;           // stop before delivering any exception
  bool stop_on_fatal_exceptions = true;        // stop instead of a triple fault
  bool skip_breakpoint_once = false;           // resuming from a breakpoint: step over it
  // Return from cpu::run() right after an exception or interrupt is delivered at an
  // instruction boundary (kTarget), before anything else runs: reverse execution uses
  // it to reach a state between a boundary's deliveries and the next instruction.
  bool stop_after_delivery = false;
  // Breakpoints or watchpoints changed since the code cache and TLB last saw them: the
  // next cpu::run() applies the change once, however many there were (debug_changed).
  bool changed = false;
  bool watch_hit = false;
  DebugStop stop;

  bool page_watched(uint64_t page) const {
    auto it = watched_pages.upper_bound(page);
    return it != watched_pages.begin() && std::prev(it)->second >= page;
  }
};

// Reconfigure after the debugger changed breakpoints or watchpoints: decoded code and
// TLB entries that were made without knowing about them are dropped. cpu::run() calls it
// when DebugState::changed is set.
void debug_changed(Cpu& cpu);

// Called by the slow memory path after an access completed.
void check_watchpoints(Cpu& cpu, uint64_t lin, unsigned size, bool write);

// Translate a linear address for the debugger: no accessed/dirty bits set, no TLB
// fill, no fault. Returns false where nothing is mapped.
bool debug_translate(Cpu& cpu, uint64_t lin, uint64_t& phys);

}  // namespace rw::cpu
