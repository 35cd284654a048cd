// The gdb stub's view of an rw::Machine running forwards: registers, memory, breakpoints,
// watchpoints, exception stops and monitor commands. Reverse execution over a recording
// (stub/replay_target.h) builds on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cpu/registers.h"
#include "machine/machine.h"
#include "stub/target.h"

namespace rw {
class Timeline;
}

namespace rw::stub {

// A decimal or 0x-prefixed number from a monitor command; false if it is neither (or over
// 64 bits).
bool parse_monitor_number(std::string_view text, uint64_t& out);

// The stop reason gdb expects for a watchpoint of this kind.
StopEvent::Why why_for_watch(cpu::WatchKind kind);

class MachineTarget final : public Target,
                            public SwBreakpointOps,
                            public HwBreakpointOps,
                            public WatchpointOps,
                            public MonitorOps {
 public:
  // `is64`: the guest image is ELF64 (x86-64 register layout), else i386.
  // `max_instructions`: 0 for no limit. `exit_status` maps how the machine ended (hang,
  // reset, instruction limit) to the status reported to gdb: the caller's own exit status.
  MachineTarget(Machine& machine, bool is64, uint64_t max_instructions,
                std::function<int(const RunResult&)> exit_status);

  // Instructions per slice while continuing: a few milliseconds of guest time.
  static constexpr uint64_t kSliceInstructions = uint64_t{1} << 21;

  // How the guest runs forward to an instruction count: Machine::run by default; a replay
  // runs through its Timeline, which takes snapshots on the way.
  void set_runner(std::function<RunResult(uint64_t target)> runner) { runner_ = std::move(runner); }
  // How the debugger's writes reach the machine, once this adapter has turned a register
  // number into the CPU's register: straight in by default; a live run's timeline journals
  // them (and refuses them in the past).
  struct Writers {
    std::function<bool(cpu::Reg reg, uint64_t value)> reg;
    std::function<bool(uint64_t addr, std::span<const uint8_t> bytes)> memory;
  };
  void set_writers(Writers writers) { writers_ = std::move(writers); }
  // The history the machine's forward runs go into: `monitor when` describes it.
  void set_timeline(const Timeline* timeline) { timeline_ = timeline; }
  // While a debugger is attached, the guest's end (its exit, a reset request, a triple fault,
  // the instruction limit) is first a stop (SIGTRAP, with a console line saying so); the
  // next resume ends it. `can_go_back`: the console line offers reverse execution too.
  void set_end_stop(bool on, bool can_go_back) {
    end_stop_ = on;
    can_go_back_ = can_go_back;
  }
  // Stopped at the guest's end (final_result() says how it ends).
  bool at_end() const { return end_.has_value(); }
  // Why reverse execution is impossible (Target::reverse_refusal), for a run that could
  // have had it.
  void set_reverse_refusal(std::string why) { reverse_refusal_ = std::move(why); }
  std::string reverse_refusal() const override { return reverse_refusal_; }

  // The machine was moved in time behind this adapter's back (a replay's seek): forget a
  // pending exception, and `stop` is why it is stopped now.
  void moved_in_time(const StopEvent& stop);

  // How the machine ended (valid once a stop with ended() was reported).
  const RunResult& final_result() const { return final_result_; }

  // Target
  const std::string& target_xml() const override { return xml_; }
  size_t register_count() const override;
  size_t register_size(size_t regno) const override;
  bool read_register(size_t regno, std::span<uint8_t> out) override;
  bool write_register(size_t regno, std::span<const uint8_t> in) override;
  bool read_memory(uint64_t addr, std::span<uint8_t> out) override;
  bool write_memory(uint64_t addr, std::span<const uint8_t> in) override;
  void resume(const ResumeRequest& request) override;
  std::optional<StopEvent> run_slice() override;
  StopEvent interrupt() override;
  StopEvent last_stop() const override { return last_stop_; }
  void attach() override;
  void detach() override;
  SwBreakpointOps* sw_breakpoints() override { return this; }
  HwBreakpointOps* hw_breakpoints() override { return this; }
  WatchpointOps* watchpoints() override { return this; }
  MonitorOps* monitor() override { return this; }

  // SwBreakpointOps, HwBreakpointOps
  bool add_sw_breakpoint(uint64_t addr) override;
  bool remove_sw_breakpoint(uint64_t addr) override;
  bool add_hw_breakpoint(uint64_t addr) override;
  bool remove_hw_breakpoint(uint64_t addr) override;
  // Why gdb is told a breakpoint at `addr` stopped the guest (a software one wins).
  StopEvent::Why why_for_breakpoint(uint64_t addr) const {
    return sw_.count(addr) ? StopEvent::Why::kSwBreak : StopEvent::Why::kHwBreak;
  }
  // WatchpointOps
  bool add_watchpoint(uint64_t addr, uint64_t len, WatchType type) override;
  bool remove_watchpoint(uint64_t addr, uint64_t len, WatchType type) override;
  // MonitorOps
  std::string monitor(std::string_view command) override;

  // The signal gdb sees for an exception vector (SIGSEGV, SIGILL, SIGFPE, SIGTRAP).
  static int signal_for_vector(uint8_t vector);

 private:
  RunResult run_until(uint64_t target);
  StopEvent stop_for(const RunResult& result, bool stepping);
  std::string ending_text(const StopEvent& end, const RunResult& result) const;
  bool add_breakpoint(std::set<uint64_t>& mine, uint64_t addr);
  bool remove_breakpoint(std::set<uint64_t>& mine, const std::set<uint64_t>& other, uint64_t addr);
  // A watch range gdb may set: not empty, not wrapping past 2^64, and covering some memory
  // the guest can address (below 4 GiB for i386, canonical for x86-64).
  bool watchable(uint64_t addr, uint64_t len) const;
  std::string info_registers();

  Machine& machine_;
  bool is64_;
  uint64_t limit_;
  std::string xml_;
  bool attached_ = false;
  ResumeRequest request_;
  bool first_slice_ = false;
  std::set<uint64_t> sw_, hw_;
  // Set while stopped before delivering an exception; resuming delivers it.
  bool at_exception_ = false;
  bool exception_was_caught_ = false;  // stopped by `catch exceptions on`, not as fatal
  int delivered_signal_ = 0;           // the signal of a fatal exception being delivered
  StopEvent last_stop_ = StopEvent::signalled(gdb_signal::kSigTrap);
  RunResult final_result_;
  std::chrono::steady_clock::duration run_time_{};
  std::function<int(const RunResult&)> exit_status_;
  std::function<RunResult(uint64_t target)> runner_;
  Writers writers_;
  const Timeline* timeline_ = nullptr;
  bool end_stop_ = false, can_go_back_ = false;
  std::optional<StopEvent> end_;  // the ending a stop at the end holds back
  std::string reverse_refusal_;
};

}  // namespace rw::stub
