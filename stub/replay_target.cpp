#include "stub/replay_target.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "cpu/debugger.h"

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

StopEvent ReplayTarget::step_back_once() {
  if (!timeline_.step_back()) return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
  return moved(StopEvent::signalled(gdb_signal::kSigTrap));
}

StopEvent ReplayTarget::search_back() {
  const ReverseStop stop = timeline_.reverse_continue();
  switch (stop.kind) {
    case ReverseStop::Kind::kBreakpoint:
      return moved(StopEvent::signalled(gdb_signal::kSigTrap, forward_.why_for_breakpoint(stop.address)));
    case ReverseStop::Kind::kWatchpoint:
      return moved(StopEvent::signalled(gdb_signal::kSigTrap, why_for_watch(stop.watch_kind), stop.address));
    case ReverseStop::Kind::kHistoryBegin: break;
  }
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
