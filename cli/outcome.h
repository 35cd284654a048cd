// What the run and replay commands share: where COM1 output goes (serving gdb and the web
// timeline: cli/serve.h).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace rw {
class Machine;
}

namespace rw::cli {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using OwnedFile = std::unique_ptr<FILE, FileCloser>;

// "stdio" is stdout; anything else is a file created for writing. Returns null after
// printing one "rewind: error:" line.
FILE* open_serial_output(const std::string& spec, OwnedFile& owned);

// --screen FILE: the CGA's text screen now (Machine::screen_text), written to `path`. False
// after printing one "rewind: error:" line; a machine without a CGA (the replay of an older
// recording) writes nothing and warns.
bool write_screen(const std::string& path, Machine& machine);
// Before the run: whether --screen's file can be written (it is created empty now), so that a
// bad path is a usage error at once, not after the whole run. False after one "rewind: error:".
bool screen_output_ok(const std::string& path);

// --stats: the PC devices beyond CPU and disks, one line each ("rewind: stats: ...").
void print_device_stats(Machine& machine);

// Runs a command's body; what escapes it (host memory exhausted, an internal error) becomes
// one "rewind: error:" line and kExitInternal. `memory_note` follows "out of host memory".
int run_guarded(const std::function<int()>& body, const std::string& memory_note = "");

}  // namespace rw::cli
