// The gdb server: one TCP client at a time, all-stop, single-threaded. While the target
// runs, it runs in short slices and the socket is polled between them, so Ctrl-C is
// answered within milliseconds and nothing about the guest depends on host timing.
//
// The server lives on an Asio io_context that someone else may share (the web timeline
// does): it only ever starts asynchronous waits (accept, readable) on it, and reads and
// writes its client synchronously when a wait says there is something to do. The loop
// that owns the io_context runs slices while running() and polls the context between them,
// and blocks on the context only when nothing runs (serve() below is that loop for gdb alone).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "stub/target.h"

namespace boost::asio {
class io_context;
}

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

// The gdb server on a shared io_context.
class GdbServer {
 public:
  // Listens at once (and says so through options.log). Throws std::runtime_error if it cannot.
  GdbServer(boost::asio::io_context& io, Target& target, const ServerOptions& options);
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  // The target is moving (resumed by gdb, or running with no debugger attached): the loop
  // should call run_slice(), then poll the io_context.
  bool running() const;
  void run_slice();
  // A debugger is connected.
  bool attached() const;
  // The debugger follows the web timeline's seeks (`monitor web-follow on`, stub/gdb/rewind.py).
  bool follows_page() const;
  // The web timeline moved the machine while it was stopped (stub/session.h).
  void page_moved(uint64_t icount);
  // How serving ended; nullopt while it goes on. Once set, the server takes no more clients.
  const std::optional<ServeResult>& result() const;
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves gdb until the target ends, is detached or killed, on an io_context of its own.
// Throws std::runtime_error if it cannot listen.
ServeResult serve(Target& target, const ServerOptions& options);

// The loop of one shared io_context: slices while `running()`, the context polled between
// them; when nothing runs, blocks until the context has something to do. `after` is called
// after every poll or wait (the web view pushes its updates there). Returns when `done()`.
void drive(boost::asio::io_context& io, const std::function<bool()>& done, const std::function<bool()>& running,
           const std::function<void()>& run_slice, const std::function<void()>& after = {});

}  // namespace rw::stub
