// Serving a session to its clients, gdb (--gdb) and the web timeline (--web), on one Asio
// event loop on this thread: the guest runs in slices and the loop is polled between them,
// and when nothing runs the loop waits for a client. Neither server has a thread; the
// machine is touched only here.
#pragma once

#include <optional>
#include <string>

#include "machine/machine.h"
#include "web/api.h"

namespace rw::session {
class Session;
}

namespace rw::cli {

struct ServeSpec {
  std::string gdb;  // [HOST]:PORT, already checked ("" = no gdb)
  bool wait_gdb = false;
  bool end_stop = true;
  std::string web;  // [HOST]:PORT, already checked ("" = no web timeline)
  web::Description description;
  // Without gdb, with the web timeline: the guest runs at once (run, record), or stays at
  // instruction 0 until the page moves it (replay).
  bool start_running = true;
};

struct Served {
  enum class Kind {
    kEnded,         // the guest ended (`result`); without --web only
    kDetached,      // gdb detached; without --web only (the command runs the guest on)
    kKilled,        // gdb killed the guest
    kInterrupted,   // --web: Ctrl-C (or SIGTERM); `result` says how the guest ended, if it did
    kCannotListen,  // a server could not listen (an error line was printed)
  };
  Kind kind = Kind::kEnded;
  std::optional<RunResult> result;
};

Served serve(session::Session& session, const ServeSpec& spec);

}  // namespace rw::cli
