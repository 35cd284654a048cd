#include "stub/replay_target.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "cpu/debugger.h"
#include "journal/recording_format.h"

namespace rw::stub {


ReplayTarget::ReplayTarget(Machine& machine, Timeline& timeline, bool is64, uint64_t end_limit,
                           std::function<int(const RunResult&)> exit_status)
    : machine_(machine), timeline_(timeline), forward_(machine, is64, end_limit, std::move(exit_status)) {
  // Forward execution under gdb takes snapshots too, so that going back from wherever it
  // stopped replays at most one snapshot interval.
  forward_.set_runner([this](uint64_t target) { return timeline_.run_to(target); });
  forward_.set_timeline(&timeline_);
  forward_.set_writers({[this](cpu::Reg reg, uint64_t value) { return timeline_.write_register(reg, value); },
                        [this](uint64_t addr, std::span<const uint8_t> bytes) {
                          return timeline_.write_memory(addr, bytes);
                        }});
}

void ReplayTarget::resume(const ResumeRequest& request) {
  mode_ = Mode::kForward;
  forward_.resume(request);
}

std::optional<StopEvent> ReplayTarget::run_slice() {
  switch (mode_) {
    // A reverse step is done in one go (it replays at most about one snapshot interval).
    case Mode::kReverseStep:
      mode_ = Mode::kForward;
      return last_stop_ = step_back_once();
    // A reverse search replays a slice at a time, so that ^C stops it promptly.
    case Mode::kReverseContinue: {
      if (!timeline_.searching()) timeline_.begin_reverse_continue();
      const std::optional<ReverseStop> found = timeline_.reverse_continue_step(kSearchSliceInstructions);
      if (!found) return std::nullopt;
      mode_ = Mode::kForward;
      return last_stop_ = stop_for(*found);
    }
    case Mode::kForward: break;
  }
  std::optional<StopEvent> stop = forward_.run_slice();
  if (stop) last_stop_ = *stop;
  return stop;
}

StopEvent ReplayTarget::interrupt() {
  if (mode_ == Mode::kReverseContinue && timeline_.searching()) {
    // Where the search has got to: an instruction boundary like any other.
    timeline_.cancel_reverse_continue();
    mode_ = Mode::kForward;
    return last_stop_ = moved(StopEvent::signalled(gdb_signal::kSigInt));
  }
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

StopEvent ReplayTarget::stop_for(const ReverseStop& stop) {
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
  while (!cmd.empty() && (cmd.front() == ' ' || cmd.front() == '\t')) cmd.remove_prefix(1);
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\t' || cmd.back() == '\n')) cmd.remove_suffix(1);
  if (cmd != "seek" && !cmd.starts_with("seek ")) return forward_.monitor(command);
  std::string_view arg = cmd.substr(4);
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  uint64_t target = 0;
  if (arg.starts_with("event ")) {
    // Numbered as `monitor events` numbers them: the deliveries, state digests left out.
    uint64_t n = 0;
    std::string_view number = arg.substr(6);
    while (!number.empty() && number.front() == ' ') number.remove_prefix(1);
    if (!parse_monitor_number(number, n) || n == 0) return "usage: monitor seek ICOUNT | monitor seek event N\n";
    const journal::EventIndex& index = timeline_.event_index();
    if (n > index.size()) return fmt::format("there is no event {}: {} journaled\n", n, index.size());
    target = index.event(n - 1).icount;
  } else if (!parse_monitor_number(arg, target)) {
    return "usage: monitor seek ICOUNT | monitor seek event N\n";
  }
  // Only into the history there is: a live run goes past its frontier with `continue`, which
  // ^C can stop (a number from the client must not buy it unbounded run time).
  if (target < timeline_.begin())
    return fmt::format("icount {} is before the start of the recorded history ({}: a trimmed window)\n", target,
                       timeline_.begin());
  if (target > timeline_.end())
    return fmt::format("icount {} is past the end of the recorded history ({}){}\n", target, timeline_.end(),
                       timeline_.live() ? ": `continue` runs the guest on" : "");
  const Timeline::SeekResult result = timeline_.seek(target);
  last_stop_ = moved(StopEvent::signalled(gdb_signal::kSigTrap));
  switch (result) {
    case Timeline::SeekResult::kOk:
      return fmt::format("now at icount {}; gdb shows the old registers and frames until `maintenance flush "
                         "register-cache` or a step\n",
                         timeline_.now());
    case Timeline::SeekResult::kBeyondEnd:
      return fmt::format("icount {} is past the end of the recorded history ({})\n", target, timeline_.end());
    case Timeline::SeekResult::kDiverged: return "the replay diverged from the recording on the way\n";
    case Timeline::SeekResult::kStopped:
      return fmt::format("the guest stopped at icount {}, before {}\n", timeline_.now(), target);
  }
  return {};
}

}  // namespace rw::stub
