// gdb over a session: the one way the command line serves a debugger. Over the session's
// timeline (a replay, or a live run with its recording), forward and reverse execution
// (stub/replay_target.h); live with --no-record, forward only.
#pragma once

#include <memory>

#include "machine/machine.h"
#include "stub/server.h"

namespace rw::session {
class Session;
}

namespace rw::stub {

class MachineTarget;

struct SessionServeResult {
  ServeResult served;
  RunResult final_result;  // how the guest ended, when served.kind is kEnded
};

// The gdb server over a session on a shared io_context (stub/server.h): the target that
// suits the session, and the server. With `end_stop`, the guest's end is a stop first
// (MachineTarget::set_end_stop); a debugger that detaches or kills it there lets it end as
// it was ending (kEnded). Throws std::runtime_error when it cannot listen.
class SessionGdb {
 public:
  SessionGdb(session::Session& session, boost::asio::io_context& io, const ServerOptions& options, bool end_stop);
  ~SessionGdb();
  GdbServer& server() { return *server_; }
  const GdbServer& server() const { return *server_; }
  // Once server().result() is set.
  SessionServeResult result() const;

 private:
  std::unique_ptr<Target> target_;
  MachineTarget* forward_ = nullptr;  // the target's forward execution
  std::unique_ptr<GdbServer> server_;
};

// Serves gdb until it is done with the session's machine, on an io_context of its own.
SessionServeResult serve_session(session::Session& session, const ServerOptions& options, bool end_stop = true);

}  // namespace rw::stub
