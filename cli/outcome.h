// What the run and replay commands share: where COM1 output goes, and serving gdb.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "stub/session_server.h"

namespace rw::cli {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using OwnedFile = std::unique_ptr<FILE, FileCloser>;

// "stdio" is stdout; anything else is a file created for writing. Returns null after
// printing one "rewind: error:" line.
FILE* open_serial_output(const std::string& spec, OwnedFile& owned);

// Serves gdb on `address` ([HOST]:PORT, already checked) until it is done with the session
// (`end_stop`: stub::serve_session). nullopt after printing one "rewind: error:" line if it
// cannot listen.
std::optional<stub::SessionServeResult> serve_gdb(session::Session& session, const std::string& address,
                                                  bool wait_for_client, bool end_stop);

}  // namespace rw::cli
