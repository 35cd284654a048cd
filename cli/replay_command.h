// `rewind replay RECORDING`: run a recording again, instruction for instruction.
#pragma once

#include <string>

#include "session/session.h"

namespace rw::cli {

struct ReplayOptions {
  session::ReplaySpec replay;  // its serial FILE is filled in by replay_command from `serial`
  std::string serial = "stdio";  // where the replayed COM1 output goes
  bool stats = false;
  std::string screen;            // --screen FILE: the CGA text screen at the end ("" = no)
  bool progress = true;          // a progress bar when stderr is a terminal
  std::string gdb;               // --gdb [HOST]:PORT: serve gdb over the replay (reverse execution too)
  bool wait_gdb = false;         // with --gdb: stopped at instruction 0 until gdb connects
  std::string web;               // --web [HOST]:PORT: serve the web timeline over the replay ("" = no)
  bool end_stop = true;          // --end-stop: with gdb, the recorded end is a stop first
};

int replay_command(const ReplayOptions& options);

}  // namespace rw::cli
