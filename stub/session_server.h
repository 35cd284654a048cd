// gdb over a session: the one way the command line serves a debugger. Over the session's
// timeline (a replay, or a live run with its recording), forward and reverse execution
// (stub/replay_target.h); live with --no-record, forward only.
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
