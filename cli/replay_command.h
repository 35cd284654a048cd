// `rewind replay RECORDING`: run a recording again, instruction for instruction.
#pragma once

#include <string>

namespace rw::cli {

struct ReplayOptions {
  std::string recording;
  std::string serial = "stdio";  // where the replayed COM1 output goes
  bool force = false;            // replay even if the guest or disk images differ from the recorded ones
  bool stats = false;
  bool progress = true;          // a progress bar when stderr is a terminal
  std::string gdb;               // --gdb [HOST]:PORT: serve gdb over the replay (reverse execution too)
  bool wait_gdb = false;         // with --gdb: stopped at instruction 0 until gdb connects
  uint64_t snapshot_interval = 50'000'000;  // with --gdb: instructions between snapshots (0: only at 0)
  uint64_t snapshot_memory = uint64_t{1} << 30;  // with --gdb: host memory for snapshots
};

int replay_command(const ReplayOptions& options);

}  // namespace rw::cli
