// What a debugger asks of the CPU, and why the CPU stopped for it: the interface the gdb
// stub and the timeline use (Machine::debugger()). The CPU's side of it, checked on its
// paths, is DebugState (cpu/debug.h), private to the emulator.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rw::cpu {

struct DebugState;

enum class WatchKind : uint8_t { kWrite = 1, kRead = 2, kAccess = 3 };

struct Watchpoint {
  uint64_t addr;  // linear
  uint64_t len;   // at least 1; addr + len - 1 does not wrap past 2^64
  WatchKind kind;
  uint64_t last() const { return addr + (len - 1); }
  bool operator==(const Watchpoint&) const = default;
};

// Why the CPU stopped for the debugger.
struct DebugStop {
  uint64_t address = 0;          // breakpoint or watchpoint address
  WatchKind watch_kind = WatchKind::kWrite;
  // Watchpoints: the instruction count at the boundary where the access began (the
  // accessing instruction had not retired; for an exception or interrupt delivery, the
  // boundary it was delivered at). Going backwards, the machine stops there.
  uint64_t access_icount = 0;
  uint8_t vector = 0;            // exception stops
  bool has_error = false;
  uint32_t error = 0;
};

// Limits on what a debugger may set, so that no client can make rewind slow or big:
// every memory access to a watched page checks every watchpoint.
constexpr size_t kMaxWatchpoints = 1024;
constexpr size_t kMaxBreakpoints = size_t{1} << 20;

// A handle on the CPU's debug state (cheap to copy; valid while its machine lives). Changes
// reach the CPU's decoded code and TLB once, when it next runs, however many there were.
class Debugger {
 public:
  explicit Debugger(DebugState& state) : state_(&state) {}

  // Breakpoints at linear addresses of instruction starts: the CPU stops before running
  // one. Adding fails only when kMaxBreakpoints are set; removing one not set is harmless.
  bool add_breakpoint(uint64_t addr);
  void remove_breakpoint(uint64_t addr);
  size_t breakpoint_count() const;
  // Watchpoints stop the CPU after an access to their range. Adding fails when
  // kMaxWatchpoints are set; removing fails when no such watchpoint is set.
  bool add_watchpoint(const Watchpoint& w);
  bool remove_watchpoint(const Watchpoint& w);
  // No breakpoints, no watchpoints, and only exceptions the guest cannot handle stop.
  void clear();

  // Stop before delivering any exception (else only before one that would triple-fault).
  void set_catch_all_exceptions(bool on);
  bool catch_all_exceptions() const;
  // Resuming or stepping from a breakpoint: the next run executes the instruction under a
  // breakpoint at the current address instead of stopping there again (once).
  void set_step_over_breakpoint(bool on);
  // Return from the run right after an exception or interrupt is delivered at an
  // instruction boundary, before anything else runs (reverse execution needs that state).
  void set_stop_after_delivery(bool on);

  // Why the CPU last stopped for the debugger.
  const DebugStop& stop() const;

 private:
  DebugState* state_;
};

}  // namespace rw::cpu
