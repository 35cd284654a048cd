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
  forward_.set_runner([this](uint64_t target) { return run_forward(target); });
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
      if (!timeline_.searching()) {
        search_floor_ = catch_io_ ? previous_io_boundary() : std::nullopt;
        timeline_.begin_reverse_continue(search_floor_.value_or(0));
      }
      const std::optional<ReverseStop> found = timeline_.reverse_continue_step(kSearchSliceInstructions);
      if (!found) return std::nullopt;
      mode_ = Mode::kForward;
      const bool at_floor = search_floor_ && timeline_.now() == *search_floor_ &&
                            (found->kind == ReverseStop::Kind::kFloor || found->kind == ReverseStop::Kind::kHistoryBegin);
      if (at_floor) {
        if (std::optional<StopEvent> caught = caught_io(std::nullopt, ~uint64_t{0})) return last_stop_ = *caught;
      }
      return last_stop_ = stop_for(*found);
    }
    case Mode::kForward: break;
  }
  const uint64_t started_at = timeline_.now();
  std::optional<StopEvent> stop = forward_.run_slice();
  if (catch_io_) stop = caught_io(stop, started_at);
  if (stop) last_stop_ = *stop;
  return stop;
}

RunResult ReplayTarget::run_forward(uint64_t target) {
  if (catch_io_) {
    // Up to the next boundary with deliveries that the journal knows of (beyond a live
    // run's frontier, the run itself stops at them: Timeline::set_stop_at_live_deliveries).
    const journal::EventIndex& index = timeline_.event_index();
    for (size_t k = index.first_after(timeline_.now()); k < index.size(); ++k) {
      if (index.event(k).icount >= target) break;
      if (index.is_delivery(k)) {
        target = index.event(k).icount;
        break;
      }
    }
  }
  return timeline_.run_to(target);
}

std::optional<StopEvent> ReplayTarget::caught_io(std::optional<StopEvent> stop, uint64_t started_at) {
  const uint64_t now = timeline_.now();
  // Only on arriving at a boundary (a run that starts at one goes on from it).
  if (now == started_at) return stop;
  // A stop of its own there (the guest's end, a breakpoint, a watchpoint, an exception)
  // stays what it is; a run that reached the boundary, or was stopped at it (live), is caught.
  if (stop && !(stop->why == StopEvent::Why::kNone && stop->console.empty() &&
                (stop->signal == gdb_signal::kSigTrap || stop->signal == gdb_signal::kSigInt) && !stop->ended()))
    return stop;
  const journal::EventIndex& index = timeline_.event_index();
  std::string lines;
  for (size_t k = index.first_at_or_after(now); k < index.size() && index.event(k).icount == now; ++k)
    if (index.is_delivery(k)) lines += "rewind: " + index.sentence(k, timeline_.live()) + "\n";
  if (lines.empty()) return stop;
  machine_.take_due_interrupt();
  StopEvent e = StopEvent::signalled(gdb_signal::kSigTrap);
  e.console = std::move(lines);
  return moved(std::move(e));
}

std::optional<uint64_t> ReplayTarget::previous_io_boundary() const {
  const journal::EventIndex& index = timeline_.event_index();
  for (size_t k = index.first_at_or_after(timeline_.now()); k-- > 0;)
    if (index.is_delivery(k)) return index.event(k).icount;
  return std::nullopt;
}

void ReplayTarget::set_catch_io(bool on) {
  catch_io_ = on;
  timeline_.set_stop_at_live_deliveries(on);
}

std::string ReplayTarget::catch_io_command(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg == "on" || arg == "off") {
    set_catch_io(arg == "on");
  } else if (!arg.empty()) {
    return "usage: monitor catch io on|off\n";
  }
  return fmt::format("catch io: {}\n", catch_io_ ? "on (every boundary with disk completions or serial input "
                                                   "delivered stops, forwards and backwards)"
                                                 : "off");
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
    case ReverseStop::Kind::kFloor: return moved(StopEvent::signalled(gdb_signal::kSigTrap));
    case ReverseStop::Kind::kHistoryBegin: break;
  }
  return moved(StopEvent::signalled(gdb_signal::kSigTrap, StopEvent::Why::kHistoryBegin));
}

std::string ReplayTarget::monitor(std::string_view command) {
  std::string_view cmd = command;
  while (!cmd.empty() && (cmd.front() == ' ' || cmd.front() == '\t')) cmd.remove_prefix(1);
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\t' || cmd.back() == '\n')) cmd.remove_suffix(1);
  if (cmd.starts_with("catch io") && (cmd.size() == 8 || cmd[8] == ' ')) return catch_io_command(cmd.substr(8));
  if (cmd == "help" || cmd.empty())
    return forward_.monitor(command) +
           "  catch io on|off           stop at every boundary where disk completions or serial\n"
           "                            input are delivered, forwards and backwards\n";
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
