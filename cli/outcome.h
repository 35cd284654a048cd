// What the run and replay commands share: where COM1 output goes (serving gdb and the web
// timeline: cli/serve.h).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

namespace rw::cli {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using OwnedFile = std::unique_ptr<FILE, FileCloser>;

// "stdio" is stdout; anything else is a file created for writing. Returns null after
// printing one "rewind: error:" line.
FILE* open_serial_output(const std::string& spec, OwnedFile& owned);

}  // namespace rw::cli
