#include "stub/session_server.h"

#include "session/session.h"
#include "stub/machine_target.h"
#include "stub/replay_target.h"
#include "timeline/timeline.h"

namespace rw::stub {

SessionServeResult serve_session(session::Session& session, const ServerOptions& options, bool end_stop) {
  SessionServeResult out;
  auto exit_status = [&session](const RunResult& r) { return session.exit_status(r); };
  auto finish = [&](const MachineTarget& forward) {
    const ServeResult::Kind k = out.served.kind;
    if ((k == ServeResult::Kind::kDetached || k == ServeResult::Kind::kKilled) && forward.at_end())
      out.served.kind = ServeResult::Kind::kEnded;
    out.final_result = forward.final_result();
  };
  if (Timeline* timeline = session.timeline()) {
    // Replaying, or live with the run's recording: the history can be travelled in, live
    // from instruction 0 to the frontier and on (the timeline parks and unparks the run).
    ReplayTarget target(session.machine(), *timeline, session.is64(), session.end_limit(), exit_status);
    target.forward().set_end_stop(end_stop, /*can_go_back=*/true);
    out.served = serve(target, options);
    finish(target.forward());
  } else {
    MachineTarget target(session.machine(), session.is64(), session.end_limit(), exit_status);
    target.set_runner([&session](uint64_t icount) { return session.run_to(icount); });
    target.set_end_stop(end_stop, /*can_go_back=*/false);
    target.set_reverse_refusal(
        "rewind: reverse execution needs the run's recording (it was started with --no-record)\n");
    out.served = serve(target, options);
    finish(target);
  }
  return out;
}

}  // namespace rw::stub
