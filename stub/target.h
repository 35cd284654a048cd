// What the gdb stub needs from the thing it debugs. The protocol layer (stub/session)
// talks only to these interfaces; the machine adapter lives in machine_target.h.
//
// Target is the base every target implements: registers, memory, resuming, stopping.
// Everything else is an optional capability: a target returns a pointer to its
// implementation, or nullptr when it does not have the feature. qSupported and vCont?
// replies are derived from what the target returns here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rw::stub {

// GDB's signal numbers (the protocol's, which match Linux for these).
namespace gdb_signal {
constexpr int kSigInt = 2, kSigIll = 4, kSigTrap = 5, kSigFpe = 8, kSigKill = 9, kSigSegv = 11;
}

// Why the target stopped (or that it is gone), as a stop reply says it.
struct StopEvent {
  enum class Kind { kSignal, kExited, kTerminated };
  // kHistoryBegin / kHistoryEnd: a reverse movement reached the start (or a forward one the
  // end) of a replay's history ("replaylog:begin" / "replaylog:end").
  enum class Why { kNone, kSwBreak, kHwBreak, kWatch, kReadWatch, kAccessWatch, kHistoryBegin, kHistoryEnd };
  Kind kind = Kind::kSignal;
  int signal = gdb_signal::kSigTrap;  // kSignal, kTerminated
  int exit_status = 0;                // kExited
  Why why = Why::kNone;
  uint64_t address = 0;               // watchpoint address
  std::string console;                // shown to the user before the stop is reported ("O" packets)

  static StopEvent signalled(int sig, Why why = Why::kNone, uint64_t address = 0) {
    return {Kind::kSignal, sig, 0, why, address, {}};
  }
  static StopEvent exited(int status) { return {Kind::kExited, 0, status, Why::kNone, 0, {}}; }
  static StopEvent terminated(int sig) { return {Kind::kTerminated, sig, 0, Why::kNone, 0, {}}; }
  bool ended() const { return kind != Kind::kSignal; }
};

enum class ResumeKind { kContinue, kStep };

struct ResumeRequest {
  ResumeKind kind = ResumeKind::kContinue;
  int signal = 0;  // the signal gdb passes back (vCont;C/S), 0 for none
};

// --- optional capabilities ---

class SwBreakpointOps {
 public:
  virtual ~SwBreakpointOps() = default;
  virtual bool add_sw_breakpoint(uint64_t addr) = 0;
  virtual bool remove_sw_breakpoint(uint64_t addr) = 0;
};

class HwBreakpointOps {
 public:
  virtual ~HwBreakpointOps() = default;
  virtual bool add_hw_breakpoint(uint64_t addr) = 0;
  virtual bool remove_hw_breakpoint(uint64_t addr) = 0;
};

enum class WatchType { kWrite, kRead, kAccess };

class WatchpointOps {
 public:
  virtual ~WatchpointOps() = default;
  virtual bool add_watchpoint(uint64_t addr, uint64_t len, WatchType type) = 0;
  virtual bool remove_watchpoint(uint64_t addr, uint64_t len, WatchType type) = 0;
};

class MonitorOps {
 public:
  virtual ~MonitorOps() = default;
  // Runs a `monitor` command; returns the text to show the user (ends with a newline).
  virtual std::string monitor(std::string_view command) = 0;
};

// Reverse execution (stub/replay_target.h implements them): begin_* starts the movement, which the server then
// drives through Target::run_slice() exactly like a forward resume.
class ReverseStepOps {
 public:
  virtual ~ReverseStepOps() = default;
  virtual void begin_reverse_step() = 0;
};

class ReverseContinueOps {
 public:
  virtual ~ReverseContinueOps() = default;
  virtual void begin_reverse_continue() = 0;
};

// --- the base interface ---

class Target {
 public:
  virtual ~Target() = default;

  // The target description (qXfer:features:read:target.xml) and the registers it lists,
  // numbered in its order; the 'g' packet is all of them concatenated.
  virtual const std::string& target_xml() const = 0;
  virtual size_t register_count() const = 0;
  virtual size_t register_size(size_t regno) const = 0;
  // Target byte order (little endian for x86). False if regno does not exist.
  virtual bool read_register(size_t regno, std::span<uint8_t> out) = 0;
  virtual bool write_register(size_t regno, std::span<const uint8_t> in) = 0;

  // Guest-virtual memory; false (and nothing changed) if any byte is inaccessible.
  virtual bool read_memory(uint64_t addr, std::span<uint8_t> out) = 0;
  virtual bool write_memory(uint64_t addr, std::span<const uint8_t> in) = 0;

  // Starts moving; the server then calls run_slice() until it returns a stop, polling
  // for an interrupt in between. A slice is short (milliseconds).
  virtual void resume(const ResumeRequest& request) = 0;
  virtual std::optional<StopEvent> run_slice() = 0;
  // Stops a resumed target between slices (Ctrl-C, or a debugger that appears or leaves).
  virtual StopEvent interrupt() = 0;
  // Why the target is stopped now (the '?' packet).
  virtual StopEvent last_stop() const = 0;

  // A debugger attached (the target stops and is at its disposal) or detached (every
  // breakpoint and watchpoint is removed, the target keeps going on its own).
  virtual void attach() = 0;
  virtual void detach() = 0;
  // The machine was moved in time by someone else while stopped (the web timeline's seek,
  // which a debugger running stub/gdb/rewind.py follows): the stop is now a plain trap there.
  virtual void moved_elsewhere() {}

  // Capabilities: nullptr when not supported.
  virtual SwBreakpointOps* sw_breakpoints() { return nullptr; }
  virtual HwBreakpointOps* hw_breakpoints() { return nullptr; }
  virtual WatchpointOps* watchpoints() { return nullptr; }
  virtual MonitorOps* monitor() { return nullptr; }
  virtual ReverseStepOps* reverse_step() { return nullptr; }
  virtual ReverseContinueOps* reverse_continue() { return nullptr; }
  // Why this target cannot go back, when the user could expect it to (a live run started
  // without its recording); empty otherwise. gdb refuses reverse commands on its own, with
  // "Target remote does not support this command", when they are not advertised: so they
  // are, and each is answered with this line on the console and an error.
  virtual std::string reverse_refusal() const { return {}; }
};

}  // namespace rw::stub
