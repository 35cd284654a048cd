// Timeline::reverse_continue: the reverse search. Backwards stretch by stretch: restore the
// newest snapshot before the search point, replay up to it with the debugger's breakpoints
// and watchpoints armed, remembering the last stop; if there is one, seek there; else the
// stretch before. See docs/timeline.md.
#include <optional>

#include "cpu/debugger.h"
#include "timeline/timeline.h"

namespace rw {

// One stretch of a reverse search: replays from now() to `hi` with the debugger's
// breakpoints and watchpoints armed and returns the last stop in it: where to seek to, and
// why it stopped. A breakpoint stops before its instruction, a watchpoint before
// the accessing instruction (or delivery), so both directions agree on where they are.
// With `through_deliveries`, the stretch goes on past hi's own deliveries up to the state
// at `until_rip` (the state the search started from), without running an instruction at hi.
std::optional<Timeline::Hit> Timeline::last_hit_before(uint64_t hi, bool through_deliveries, uint64_t until_rip) {
  std::optional<Hit> last;
  cpu::Debugger d = machine_.debugger();
  d.set_step_over_breakpoint(false);  // a breakpoint where the stretch starts counts
  auto record_break = [&](uint64_t t) {
    last = Hit{t, {ReverseStop::Kind::kBreakpoint, d.stop().address, d.stop().watch_kind}};
    d.set_step_over_breakpoint(true);
  };
  auto record_watch = [&] {
    last = Hit{d.stop().access_icount, {ReverseStop::Kind::kWatchpoint, d.stop().address, d.stop().watch_kind}};
  };
  while (now() < hi) {
    const RunResult r = machine_.run(hi);
    if (r.reason == cpu::StopReason::kBreakpoint) {
      if (now() < hi) record_break(now());
      continue;
    }
    if (r.reason == cpu::StopReason::kWatchpoint) {
      if (d.stop().access_icount < hi) record_watch();
      continue;
    }
    break;  // reached hi, or the guest stopped (only at the end of the history)
  }
  if (through_deliveries && now() == hi) {
    // The instruction at hi may fault, or an interrupt be taken there: run it with a stop
    // after every delivery until the machine is where the search started. Nothing at hi
    // retires on the way (that would be after the starting state).
    d.set_stop_after_delivery(true);
    for (int guard = 0; guard < 8 && !(machine_.past_delivery() && machine_.cpu().rip == until_rip); ++guard) {
      const RunResult r = machine_.run(hi + 1);
      if (now() != hi) break;
      if (r.reason == cpu::StopReason::kBreakpoint) record_break(hi);
      else if (r.reason == cpu::StopReason::kWatchpoint) record_watch();
      else if (r.reason != cpu::StopReason::kTarget) break;
    }
    d.set_stop_after_delivery(false);
  }
  d.set_step_over_breakpoint(false);
  return last;
}

ReverseStop Timeline::reverse_continue() {
  const uint64_t origin = now();
  // Stopped past a delivery at origin (at an interrupt or exception handler's first
  // instruction): what happened at origin before the deliveries is also behind us.
  const bool past_delivery = machine_.past_delivery();
  const uint64_t origin_rip = machine_.cpu().rip;
  uint64_t hi = origin;
  bool first = true;
  while (hi > 0 || (first && past_delivery)) {
    // The stretch [lo, hi): from the snapshot before hi (at hi itself for a first stretch
    // that only has origin's deliveries to look at).
    uint64_t lo = snapshot_icount(snapshot_at_or_before(hi));
    if (lo == hi && hi > 0 && !(first && past_delivery))
      lo = snapshot_icount(snapshot_at_or_before(hi - 1));
    if (seek(lo) != SeekResult::kOk) break;
    std::optional<Hit> last = last_hit_before(hi, first && past_delivery, origin_rip);
    if (last) {
      seek(last->icount);
      return last->stop;
    }
    hi = lo;
    first = false;
  }
  seek(0);
  return {};
}

}  // namespace rw
