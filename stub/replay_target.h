// The gdb stub's view of a machine with a history, with reverse execution: a recording
// replayed, or a live run recorded as it goes (its timeline parks the live side to go back,
// and goes on live when forward execution reaches the frontier again).
//
// The timeline owns the history and the movement through it; this adapter only translates.
// Forward execution is MachineTarget's (this adapter delegates to one), run through
// Timeline::run_to so that it takes snapshots, and bounded by the end of the recorded
// history when replaying: there the recorded ending is reported (the guest's exit, or the
// instruction limit / end of a cut-short recording as an exit with the recorded status).
// Backwards:
//   bs: Timeline::step_back(); at instruction 0, a "replaylog:begin" stop.
//   bc: Timeline's reverse search, a slice at a time (^C stops it where it has got to); at
//       instruction 0, "replaylog:begin".
// `monitor catch io on`: every instruction boundary where journaled deliveries happen (disk
// completions, serial input bytes) is a stop too, both ways, at the same place: the boundary
// with its deliveries done and the interrupt they raised taken, if the guest takes it there
// (Machine::take_due_interrupt), no instruction after them run. Forwards, runs stop at the
// next such boundary the journal knows (live, at the frontier, the run stops where the host's
// completion is delivered); backwards, the reverse search goes no further back than the
// previous one. Each stop names the events delivered there, a console line each.
//
// The past must stay what was recorded: register and memory writes are refused (gdb says
// "Could not write register" / "Cannot access memory") in a replay, and in a live run's past;
// at a live run's frontier the timeline makes them and journals them (Timeline::write_memory),
// so that going back over them and replaying the run (or its recording file) makes them again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "stub/machine_target.h"
#include "stub/target.h"
#include "timeline/timeline.h"

namespace rw::stub {

class ReplayTarget final : public Target,
                           public SwBreakpointOps,
                           public HwBreakpointOps,
                           public WatchpointOps,
                           public MonitorOps,
                           public ReverseStepOps,
                           public ReverseContinueOps {
 public:
  // `machine` replays through `timeline`; `end_limit` is the instruction forward execution
  // stops at when the guest does not end by itself first (the recorded end, or 0 for none);
  // `exit_status` maps such an ending to the status gdb is told (the recorded one).
  ReplayTarget(Machine& machine, Timeline& timeline, bool is64, uint64_t end_limit,
               std::function<int(const RunResult&)> exit_status);

  const RunResult& final_result() const { return forward_.final_result(); }
  // Forward execution's adapter (the end stop, and the like).
  MachineTarget& forward() { return forward_; }

  // Instructions a reverse search replays between two looks at the debugger's connection:
  // a few milliseconds.
  static constexpr uint64_t kSearchSliceInstructions = uint64_t{1} << 21;

  // Target
  const std::string& target_xml() const override { return forward_.target_xml(); }
  size_t register_count() const override { return forward_.register_count(); }
  size_t register_size(size_t regno) const override { return forward_.register_size(regno); }
  bool read_register(size_t regno, std::span<uint8_t> out) override { return forward_.read_register(regno, out); }
  // Both go to the timeline (the constructor sets forward_'s writers), which journals them.
  bool write_register(size_t regno, std::span<const uint8_t> in) override {
    return timeline_.at_frontier() && forward_.write_register(regno, in);
  }
  bool read_memory(uint64_t addr, std::span<uint8_t> out) override { return forward_.read_memory(addr, out); }
  bool write_memory(uint64_t addr, std::span<const uint8_t> in) override {
    return timeline_.at_frontier() && forward_.write_memory(addr, in);
  }
  void resume(const ResumeRequest& request) override;
  std::optional<StopEvent> run_slice() override;
  StopEvent interrupt() override;
  StopEvent last_stop() const override { return last_stop_; }
  // A debugger's own settings go with it: `catch io` too.
  void attach() override {
    set_catch_io(false);
    forward_.attach();
  }
  void moved_elsewhere() override { last_stop_ = moved(StopEvent::signalled(gdb_signal::kSigTrap)); }
  void detach() override {
    set_catch_io(false);
    forward_.detach();
  }
  SwBreakpointOps* sw_breakpoints() override { return this; }
  HwBreakpointOps* hw_breakpoints() override { return this; }
  WatchpointOps* watchpoints() override { return this; }
  MonitorOps* monitor() override { return this; }
  ReverseStepOps* reverse_step() override { return this; }
  ReverseContinueOps* reverse_continue() override { return this; }

  bool add_sw_breakpoint(uint64_t addr) override { return forward_.add_sw_breakpoint(addr); }
  bool remove_sw_breakpoint(uint64_t addr) override { return forward_.remove_sw_breakpoint(addr); }
  bool add_hw_breakpoint(uint64_t addr) override { return forward_.add_hw_breakpoint(addr); }
  bool remove_hw_breakpoint(uint64_t addr) override { return forward_.remove_hw_breakpoint(addr); }
  bool add_watchpoint(uint64_t addr, uint64_t len, WatchType type) override {
    return forward_.add_watchpoint(addr, len, type);
  }
  bool remove_watchpoint(uint64_t addr, uint64_t len, WatchType type) override {
    return forward_.remove_watchpoint(addr, len, type);
  }
  std::string monitor(std::string_view command) override;

  void begin_reverse_step() override { mode_ = Mode::kReverseStep; }
  void begin_reverse_continue() override { mode_ = Mode::kReverseContinue; }

 private:
  enum class Mode { kForward, kReverseStep, kReverseContinue };
  // Forward to `target`, or to the next boundary with deliveries if catching I/O.
  RunResult run_forward(uint64_t target);
  // Catching I/O, having moved onto a boundary with deliveries: the stop there (the due
  // interrupt taken, a console line per event), else `stop` as it is.
  std::optional<StopEvent> caught_io(std::optional<StopEvent> stop, uint64_t started_at);
  // The last boundary before now where something was delivered.
  std::optional<uint64_t> previous_io_boundary() const;
  std::string catch_io_command(std::string_view arg);
  void set_catch_io(bool on);
  StopEvent step_back_once();
  StopEvent stop_for(const ReverseStop& stop);
  StopEvent moved(StopEvent stop);

  Machine& machine_;
  Timeline& timeline_;
  MachineTarget forward_;
  Mode mode_ = Mode::kForward;
  bool catch_io_ = false;
  std::optional<uint64_t> search_floor_;  // catching I/O: where the reverse search stops at most
  StopEvent last_stop_ = StopEvent::signalled(gdb_signal::kSigTrap);
};

}  // namespace rw::stub
