// gdb over a session: the one way the command line serves a debugger. Live, forward
// execution (through the session, so that it takes snapshots); replaying, reverse execution
// too (stub/replay_target.h).
#pragma once

#include "machine/machine.h"
#include "stub/server.h"

namespace rw::session {
class Session;
}

namespace rw::stub {

struct SessionServeResult {
  ServeResult served;
  RunResult final_result;  // how the guest ended, when served.kind is kEnded
};

// Serves gdb until it is done with the session's machine. With `end_stop`, the guest's end
// is a stop first (MachineTarget::set_end_stop); a debugger that detaches or kills it there
// lets it end as it was ending (kEnded). Throws std::runtime_error when it cannot listen.
SessionServeResult serve_session(session::Session& session, const ServerOptions& options, bool end_stop = true);

}  // namespace rw::stub
