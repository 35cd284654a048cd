// `rewind run`: boot a Multiboot guest, run it to the end, report how it ended.
#pragma once

#include <cstdint>
#include <string>

#include "cli/disk_options.h"

namespace rw::cli {

struct RunOptions {
  std::string guest;                 // path of the kernel image
  std::string append;                // --append: kernel command line after the path
  uint64_t memory_bytes = 128ull << 20;
  std::string serial = "stdio";      // "stdio" or a file to write COM1 output to
  std::string serial_in = "stdin";   // --serial-in: "stdin", "none" or a file COM1 receives from
  uint64_t max_instructions = 0;     // 0: no limit
  bool stats = false;
  std::string gdb;                   // --gdb [HOST]:PORT: serve the gdb remote protocol ("" = no)
  bool wait_gdb = false;             // --wait-gdb: stopped before the first instruction until gdb comes
  DiskOptions disks;                 // --disk, -hda..-hdd, --disk-writeback, --disk-save, --io-faults
  bool record = true;                // journal the run's external events (in memory unless record_path)
  std::string record_path;           // `rewind record -o FILE`: the recording file
};

// Returns the process exit status (see cli/exit_codes.h). Prints errors as one
// "rewind: error: ..." line on stderr.
int run_command(const RunOptions& options);

}  // namespace rw::cli
