#include "stub/replay_target.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "cpu/debug.h"

namespace rw::stub {


ReplayTarget::ReplayTarget(Machine& machine, Timeline& timeline, bool is64, uint64_t end_limit,
                           std::function<int(const RunResult&)> exit_status)
    : machine_(machine), timeline_(timeline), forward_(machine, is64, end_limit, std::move(exit_status)) {
  // Forward execution under gdb takes snapshots too, so that going back from wherever it
  // stopped replays at most one snapshot interval.
  forward_.set_runner([this](uint64_t target) { return timeline_.run_to(target); });
}

void ReplayTarget::resume(const ResumeRequest& request) {
  mode_ = Mode::kForward;
  forward_.resume(request);
}

std::optional<StopEvent> ReplayTarget::run_slice() {
  // A reverse movement is done in one go (it replays at full speed from a snapshot).
  switch (std::exchange(mode_, Mode::kForward)) {
    case Mode::kReverseStep: return last_stop_ = step_back_once();
    case Mode::kReverseContinue: return last_stop_ = search_back();
    case Mode::kForward: break;
  }
  std::optional<StopEvent> stop = forward_.run_slice();
  if (stop) last_stop_ = *stop;
  return stop;
}

StopEvent ReplayTarget::interrupt() {
  mode_ = Mode::kForward;
  return last_stop_ = forward_.interrupt();
}

StopEvent ReplayTarget::moved(StopEvent stop) {
  forward_.moved_in_time(stop);
  return stop;
}

bool ReplayTarget::seek_quietly(uint64_t icount) {
  cpu::Cpu& c = machine_.cpu();
  // Traces and TLB entries made while disarmed know nothing of breakpoints and watched
  // pages: the next run with the debugger armed rebuilds them (DebugState::changed).
  cpu::DebugState* armed = std::exchange(c.debug, nullptr);
  const bool ok = timeline_.seek(icount) == Timeline::SeekResult::kOk;
  c.debug = armed;
  if (armed) armed->changed = true;
  return ok;
}

StopEvent ReplayTarget::step_back_once() {
  if (!machine_.past_delivery() && timeline_.now() == 0)
    return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
  seek_quietly(machine_.past_delivery() ? timeline_.now() : timeline_.now() - 1);
  return moved(StopEvent::signalled(gdb_signal::kSigTrap));
}

// One stretch of a reverse search: replays from now() to `hi` with the debugger's
// breakpoints and watchpoints armed and returns the last stop in it, as the place to seek
// to and what to tell gdb. A breakpoint stops before its instruction, a watchpoint before
// the accessing instruction (or delivery), so both directions agree on where they are.
// With `through_deliveries`, the stretch goes on past hi's own deliveries up to the state
// at `until_rip` (the state the search started from), without running an instruction at hi.
std::optional<ReplayTarget::Hit> ReplayTarget::last_stop_before(uint64_t hi, bool through_deliveries,
                                                                 uint64_t until_rip) {
  std::optional<Hit> last;
  cpu::DebugState& d = machine_.debug();
  d.skip_breakpoint_once = false;  // a breakpoint where the stretch starts counts
  auto record_break = [&](uint64_t t) {
    const uint64_t addr = d.stop.address;
    last = Hit{t, StopEvent::signalled(gdb_signal::kSigTrap,
                                        forward_.is_sw_breakpoint(addr) ? StopEvent::Why::kSwBreak : StopEvent::Why::kHwBreak)};
    d.skip_breakpoint_once = true;
  };
  auto record_watch = [&] {
    last = Hit{d.stop.access_icount,
               StopEvent::signalled(gdb_signal::kSigTrap, why_for_watch(d.stop.watch_kind), d.stop.address)};
  };
  while (timeline_.now() < hi) {
    const RunResult r = machine_.run(hi);
    if (r.reason == cpu::StopReason::kBreakpoint) {
      if (timeline_.now() < hi) record_break(timeline_.now());
      continue;
    }
    if (r.reason == cpu::StopReason::kWatchpoint) {
      if (d.stop.access_icount < hi) record_watch();
      continue;
    }
    break;  // reached hi, or the guest stopped (only at the end of the history)
  }
  if (through_deliveries && timeline_.now() == hi) {
    // The instruction at hi may fault, or an interrupt be taken there: run it with a stop
    // after every delivery until the machine is where the search started. Nothing at hi
    // retires on the way (that would be after the starting state).
    d.stop_after_delivery = true;
    for (int guard = 0; guard < 8 && !(machine_.past_delivery() && machine_.cpu().rip == until_rip); ++guard) {
      const RunResult r = machine_.run(hi + 1);
      if (timeline_.now() != hi) break;
      if (r.reason == cpu::StopReason::kBreakpoint) record_break(hi);
      else if (r.reason == cpu::StopReason::kWatchpoint) record_watch();
      else if (r.reason != cpu::StopReason::kTarget) break;
    }
    d.stop_after_delivery = false;
  }
  d.skip_breakpoint_once = false;
  return last;
}

StopEvent ReplayTarget::search_back() {
  const uint64_t origin = timeline_.now();
  // Stopped past a delivery at origin (at an interrupt or exception handler's first
  // instruction): what happened at origin before the deliveries is also behind us.
  const bool past_delivery = machine_.past_delivery();
  const uint64_t origin_rip = machine_.cpu().rip;
  uint64_t hi = origin;
  bool first = true;
  while (hi > 0 || (first && past_delivery)) {
    // The stretch [lo, hi): from the snapshot before hi (at hi itself for a first stretch
    // that only has origin's deliveries to look at).
    uint64_t lo = timeline_.snapshot_icount(timeline_.snapshot_at_or_before(hi));
    if (lo == hi && hi > 0 && !(first && past_delivery))
      lo = timeline_.snapshot_icount(timeline_.snapshot_at_or_before(hi - 1));
    if (!seek_quietly(lo)) break;
    std::optional<Hit> last = last_stop_before(hi, first && past_delivery, origin_rip);
    if (last) {
      seek_quietly(last->icount);
      return moved(last->event);
    }
    hi = lo;
    first = false;
  }
  seek_quietly(0);
  return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
}

std::string ReplayTarget::monitor(std::string_view command) {
  std::string_view cmd = command;
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\n')) cmd.remove_suffix(1);
  while (!cmd.empty() && cmd.front() == ' ') cmd.remove_prefix(1);
  if (cmd == "when") {
    const uint64_t nearest = timeline_.snapshot_icount(timeline_.snapshot_at_or_before(timeline_.now()));
    return fmt::format("icount {} of {} recorded; {} snapshots ({:.1f} MiB), the nearest at or before now at {} "
                       "({} instructions back)\n",
                       timeline_.now(), timeline_.end(), timeline_.snapshot_count(),
                       static_cast<double>(timeline_.snapshot_bytes()) / 1048576.0, nearest, timeline_.now() - nearest);
  }
  std::string text = forward_.monitor(command);
  if (cmd == "help" || cmd.empty()) text += "  when                      where the replay is in its recorded history\n";
  return text;
}

}  // namespace rw::stub
