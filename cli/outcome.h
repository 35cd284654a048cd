// What the run and replay commands share: the exit status of a run, and where COM1
// output goes.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "machine/machine.h"
#include "stub/server.h"

namespace rw::cli {

// The process exit status for how a run ended (cli/exit_codes.h).
int exit_status_for(const RunResult& result);

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using OwnedFile = std::unique_ptr<FILE, FileCloser>;

// "stdio" is stdout; anything else is a file created for writing. Returns null after
// printing one "rewind: error:" line.
FILE* open_serial_output(const std::string& spec, OwnedFile& owned);

// Serves gdb on `address` ([HOST]:PORT, already checked) until it is done with `target`.
// False after printing one "rewind: error:" line if it cannot listen.
bool serve_gdb(stub::Target& target, const std::string& address, bool wait_for_client, stub::ServeResult& served);

}  // namespace rw::cli
