// The reverse search (Timeline::reverse_continue). Backwards stretch by stretch: restore the
// newest snapshot before the search point, replay up to it with the debugger's breakpoints
// and watchpoints armed, remembering the last stop; if there is one, seek there; else the
// stretch before. It runs in steps of a bounded number of instructions, so that a debugger
// can interrupt it between two (the machine is then at an instruction boundary of the
// replay, a position like any other). See docs/timeline.md.
#include <algorithm>
#include <optional>
#include <stdexcept>

#include "cpu/debugger.h"
#include "timeline/timeline.h"

namespace rw {

void Timeline::begin_reverse_continue(uint64_t floor) {
  Search& s = search_.emplace();
  s.origin = now();
  s.floor = std::min(std::max(floor, begin()), s.origin);
  // Stopped past a delivery at origin (at an interrupt or exception handler's first
  // instruction): what happened at origin before the deliveries is also behind us.
  s.past_delivery = machine_.past_delivery();
  s.origin_rip = machine_.cpu().rip;
  s.hi = s.origin;
}

void Timeline::cancel_reverse_continue() {
  if (!search_) return;
  cpu::Debugger d = machine_.debugger();
  d.set_step_over_breakpoint(false);
  d.set_stop_after_delivery(false);
  search_.reset();
}

ReverseStop Timeline::reverse_continue() {
  begin_reverse_continue();
  for (;;)
    if (std::optional<ReverseStop> stop = reverse_continue_step(~uint64_t{0})) return *stop;
}

std::optional<ReverseStop> Timeline::reverse_continue_step(uint64_t budget) {
  if (!search_) throw std::logic_error("Timeline::reverse_continue_step: no search begun");
  Search& s = *search_;
  cpu::Debugger d = machine_.debugger();
  for (;;) {
    if (!s.in_stretch) {
      if (!(s.hi > s.floor || (s.first && s.past_delivery))) break;  // nothing before the floor
      // The stretch [lo, hi): from the snapshot before hi (at hi itself for a first stretch
      // that only has origin's deliveries to look at), not before the floor.
      s.lo = snapshot_icount(snapshot_at_or_before(s.hi));
      if (s.lo == s.hi && s.hi > begin() && !(s.first && s.past_delivery)) s.lo = snapshot_icount(snapshot_at_or_before(s.hi - 1));
      s.lo = std::max(s.lo, std::min(s.floor, s.hi));
      if (seek(s.lo) != SeekResult::kOk) break;
      s.in_stretch = true;
      s.last.reset();
      d.set_step_over_breakpoint(false);  // a breakpoint where the stretch starts counts
    }
    const uint64_t from = now();
    if (!replay_stretch(now() + std::min(budget, ~uint64_t{0} - now()))) return std::nullopt;  // more next time
    budget -= std::min(budget, now() - from);
    s.in_stretch = false;
    if (s.last) {
      const Hit hit = *s.last;
      search_.reset();
      seek(hit.icount);
      return hit.stop;
    }
    s.hi = s.lo;
    s.first = false;
    if (budget == 0) return std::nullopt;
  }
  const uint64_t floor = s.floor;
  search_.reset();
  seek(floor);
  return ReverseStop{floor > begin() ? ReverseStop::Kind::kFloor : ReverseStop::Kind::kHistoryBegin};
}

// Replays the current stretch from now() towards its end with the debugger's breakpoints and
// watchpoints armed, remembering the last stop in it: where to seek to, and why it stopped. A
// breakpoint stops before its instruction, a watchpoint before the accessing instruction (or
// delivery), so both directions agree on where they are. The search's first stretch, when it
// began past a delivery, goes on past hi's own deliveries up to the state the search started
// from, without running an instruction at hi. False when it stopped at `stop_by` first.
bool Timeline::replay_stretch(uint64_t stop_by) {
  Search& s = *search_;
  cpu::Debugger d = machine_.debugger();
  auto record_break = [&](uint64_t t) {
    s.last = Hit{t, {ReverseStop::Kind::kBreakpoint, d.stop().address, d.stop().watch_kind}};
    d.set_step_over_breakpoint(true);
  };
  auto record_watch = [&] {
    s.last = Hit{d.stop().access_icount, {ReverseStop::Kind::kWatchpoint, d.stop().address, d.stop().watch_kind}};
  };
  while (now() < s.hi) {
    if (now() >= stop_by) return false;
    const RunResult r = machine_.run(std::min(s.hi, stop_by));
    if (r.reason == cpu::StopReason::kBreakpoint) {
      if (now() < s.hi) record_break(now());
      continue;
    }
    if (r.reason == cpu::StopReason::kWatchpoint) {
      if (d.stop().access_icount < s.hi) record_watch();
      continue;
    }
    if (r.reason == cpu::StopReason::kTarget && now() < s.hi) continue;  // a step's end
    break;  // reached hi, or the guest stopped (only at the end of the history)
  }
  if (s.first && s.past_delivery && now() == s.hi) {
    // The instruction at hi may fault, or an interrupt be taken there: run it with a stop
    // after every delivery until the machine is where the search started. Nothing at hi
    // retires on the way (that would be after the starting state).
    d.set_stop_after_delivery(true);
    for (int guard = 0; guard < 8 && !(machine_.past_delivery() && machine_.cpu().rip == s.origin_rip); ++guard) {
      const RunResult r = machine_.run(s.hi + 1);
      if (now() != s.hi) break;
      if (r.reason == cpu::StopReason::kBreakpoint) record_break(s.hi);
      else if (r.reason == cpu::StopReason::kWatchpoint) record_watch();
      else if (r.reason != cpu::StopReason::kTarget) break;
    }
    d.set_stop_after_delivery(false);
  }
  d.set_step_over_breakpoint(false);
  return true;
}

}  // namespace rw
