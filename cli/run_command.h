// `rewind run` and `rewind record`: boot a Multiboot guest, run it to the end (under gdb if
// asked), report how it ended.
#pragma once

#include <cstdint>
#include <string>

#include "cli/disk_options.h"
#include "session/session.h"

namespace rw::cli {

struct RunOptions {
  // What the session is built from; its disks, serial FILE and host time are filled in by
  // run_command from `disks`, `serial` and the clock.
  session::LiveSpec live;
  std::string serial = "stdio";  // "stdio" or a file to write COM1 output to
  bool stats = false;
  std::string screen;            // --screen FILE: the CGA text screen at the end ("" = no)
  std::string gdb;               // --gdb [HOST]:PORT: serve the gdb remote protocol ("" = no)
  bool wait_gdb = false;         // --wait-gdb: stopped before the first instruction until gdb comes
  std::string web;               // --web [HOST]:PORT: serve the web timeline ("" = no)
  bool end_stop = true;          // --end-stop: with gdb, the guest's end is a stop first
  DiskOptions disks;             // --disk, -hda..-hdd, --disk-writeback, --disk-save, --io-faults
};

// Returns the process exit status (see session/exit_codes.h). Prints errors as one
// "rewind: error: ..." line on stderr.
int run_command(const RunOptions& options);

}  // namespace rw::cli
