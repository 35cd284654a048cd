#include "stub/session_server.h"

#include "session/session.h"
#include "stub/machine_target.h"
#include "stub/replay_target.h"

namespace rw::stub {

SessionServeResult serve_session(session::Session& session, const ServerOptions& options) {
  SessionServeResult out;
  auto exit_status = [&session](const RunResult& r) { return session.exit_status(r); };
  if (session.replaying()) {
    ReplayTarget target(session.machine(), *session.timeline(), session.is64(), session.end_limit(), exit_status);
    out.served = serve(target, options);
    out.final_result = target.final_result();
  } else {
    MachineTarget target(session.machine(), session.is64(), session.end_limit(), exit_status);
    target.set_runner([&session](uint64_t icount) { return session.run_to(icount); });
    target.set_timeline(session.timeline());
    out.served = serve(target, options);
    out.final_result = target.final_result();
  }
  return out;
}

}  // namespace rw::stub
