// What the web timeline needs from the loop that runs the machine (cli/serve.cpp): whether
// the guest is moving, whether a debugger has it, how it ended, and pausing and resuming
// it. The web server reads the machine and its timeline only from that loop's thread,
// between run slices, so it never sees the machine mid-instruction.
#pragma once

#include <optional>
#include <string>

namespace rw::web {

// How the guest ended (live, once it has; replaying, the recorded end).
struct Ending {
  uint64_t icount = 0;
  int exit_status = 0;
  std::string message;
};

class Control {
 public:
  virtual ~Control() = default;
  // The guest is moving now (running, or gdb is moving it).
  virtual bool running() const = 0;
  // A debugger is connected.
  virtual bool debugger_attached() const = 0;
  virtual std::optional<Ending> ending() const = 0;
  // Why the page may not move the machine now (seek), "" when it may: a debugger has it
  // (gdb caches registers and frames and would not know, unless its script follows the page
  // and gdb is stopped), or the guest is running.
  virtual std::string move_refusal() const = 0;
  // The page moved the machine to `icount` (a seek): a debugger that follows the page
  // (stub/gdb/rewind.py) is told.
  virtual void moved(uint64_t icount) = 0;
  // Pause and resume the guest (a run without a debugger); "" when done, else why not.
  virtual std::string pause() = 0;
  virtual std::string resume() = 0;
};

}  // namespace rw::web
