// The gdb server: one TCP client at a time, all-stop, single-threaded. While the target
// runs, it runs in short slices and the socket is polled between them, so Ctrl-C is
// answered within milliseconds and nothing about the guest depends on host timing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "stub/target.h"

namespace rw::stub {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1234;
  bool wait_for_client = true;  // stopped until a debugger connects; else the target runs meanwhile
  std::function<void(const std::string&)> log;  // one line per event worth telling the user
};

// How serving ended.
struct ServeResult {
  enum class Kind {
    kEnded,     // the target exited or died (`stop` says how); the debugger was told
    kDetached,  // the debugger detached: the target is free to run on without it
    kKilled,    // the debugger killed the target
  };
  Kind kind = Kind::kEnded;
  StopEvent stop;
};

// Parses "HOST:PORT" or ":PORT" (host 127.0.0.1). Throws std::invalid_argument.
void parse_listen_address(const std::string& text, std::string& host, uint16_t& port);

// Serves gdb until the target ends, is detached or killed. Throws std::runtime_error if it
// cannot listen.
ServeResult serve(Target& target, const ServerOptions& options);

}  // namespace rw::stub
