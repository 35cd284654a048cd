#include "stub/replay_target.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "cpu/debug.h"

namespace rw::stub {


ReplayTarget::ReplayTarget(Machine& machine, Timeline& timeline, bool is64, uint64_t end_limit,
                           std::function<int(const RunResult&)> exit_status)
    : machine_(machine), timeline_(timeline), forward_(machine, is64, end_limit, std::move(exit_status)) {}

bool ReplayTarget::add_sw_breakpoint(uint64_t addr) {
  sw_.insert(addr);
  return forward_.add_sw_breakpoint(addr);
}

bool ReplayTarget::remove_sw_breakpoint(uint64_t addr) {
  sw_.erase(addr);
  return forward_.remove_sw_breakpoint(addr);
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
  cpu::DebugState* armed = std::exchange(c.debug, nullptr);
  machine_.debug_changed();
  const bool ok = timeline_.seek(icount) == Timeline::SeekResult::kOk;
  c.debug = armed;
  machine_.debug_changed();
  return ok;
}

StopEvent ReplayTarget::step_back_once() {
  if (timeline_.now() == 0) return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
  seek_quietly(timeline_.now() - 1);
  return moved(StopEvent::signalled(gdb_signal::kSigTrap));
}

StopEvent ReplayTarget::search_back() {
  const uint64_t origin = timeline_.now();
  uint64_t hi = origin;
  while (hi > 0) {
    // The interval [lo, hi): from the snapshot before hi.
    uint64_t lo = 0;
    for (const Timeline::Snapshot& s : timeline_.snapshots())
      if (s.icount() < hi) lo = s.icount();
    if (!seek_quietly(lo)) break;
    // Replay it with the debugger's breakpoints and watchpoints armed; the last stop wins.
    struct Hit {
      uint64_t icount;
      StopEvent event;
    };
    std::optional<Hit> last;
    cpu::DebugState& d = machine_.debug();
    d.skip_breakpoint_once = false;  // a breakpoint at lo itself counts
    while (timeline_.now() < hi) {
      const RunResult r = machine_.run(hi);
      const uint64_t t = timeline_.now();
      if (r.reason == cpu::StopReason::kBreakpoint) {
        if (t < hi) {
          const uint64_t addr = d.stop.address;
          last = Hit{t, StopEvent::signalled(gdb_signal::kSigTrap, sw_.count(addr) ? StopEvent::Why::kSwBreak
                                                                                       : StopEvent::Why::kHwBreak)};
        }
        d.skip_breakpoint_once = true;
        continue;
      }
      if (r.reason == cpu::StopReason::kWatchpoint) {
        if (t < hi || (t == hi && hi < origin))
          last = Hit{t, StopEvent::signalled(gdb_signal::kSigTrap, why_for_watch(d.stop.watch_kind), d.stop.address)};
        continue;
      }
      break;  // reached hi, or the guest stopped (only at the end of the history)
    }
    d.skip_breakpoint_once = false;
    if (last) {
      seek_quietly(last->icount);
      return moved(last->event);
    }
    hi = lo;
  }
  seek_quietly(0);
  return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
}

std::string ReplayTarget::monitor(std::string_view command) {
  std::string_view cmd = command;
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\n')) cmd.remove_suffix(1);
  while (!cmd.empty() && cmd.front() == ' ') cmd.remove_prefix(1);
  if (cmd == "when")
    return fmt::format("icount {} of {} recorded; {} snapshots\n", timeline_.now(), timeline_.end(),
                       timeline_.snapshots().size());
  std::string text = forward_.monitor(command);
  if (cmd == "help" || cmd.empty()) text += "  when                      where the replay is in its recorded history\n";
  return text;
}

}  // namespace rw::stub
