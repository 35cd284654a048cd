#include "stub/session_server.h"

#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/io_context.hpp>

#include "session/session.h"
#include "stub/machine_target.h"
#include "stub/replay_target.h"
#include "timeline/timeline.h"

namespace rw::stub {

SessionGdb::SessionGdb(session::Session& session, boost::asio::io_context& io, const ServerOptions& options,
                       bool end_stop) {
  auto exit_status = [&session](const RunResult& r) { return session.exit_status(r); };
  if (Timeline* timeline = session.timeline()) {
    // Replaying, or live with the run's recording: the history can be travelled in, live
    // from instruction 0 to the frontier and on (the timeline parks and unparks the run).
    auto target = std::make_unique<ReplayTarget>(session.machine(), *timeline, session.is64(), session.end_limit(),
                                                 exit_status);
    target->forward().set_end_stop(end_stop, /*can_go_back=*/true);
    forward_ = &target->forward();
    target_ = std::move(target);
  } else {
    auto target = std::make_unique<MachineTarget>(session.machine(), session.is64(), session.end_limit(), exit_status);
    target->set_runner([&session](uint64_t icount) { return session.run_to(icount); });
    target->set_end_stop(end_stop, /*can_go_back=*/false);
    target->set_reverse_refusal(
        "rewind: reverse execution needs the run's recording (it was started with --no-record)\n");
    forward_ = target.get();
    target_ = std::move(target);
  }
  server_ = std::make_unique<GdbServer>(io, *target_, options);
}

SessionGdb::~SessionGdb() = default;

SessionServeResult SessionGdb::result() const {
  SessionServeResult out;
  out.served = server_->result().value_or(ServeResult{});
  const ServeResult::Kind k = out.served.kind;
  if ((k == ServeResult::Kind::kDetached || k == ServeResult::Kind::kKilled) && forward_->at_end())
    out.served.kind = ServeResult::Kind::kEnded;
  out.final_result = forward_->final_result();
  return out;
}

SessionServeResult serve_session(session::Session& session, const ServerOptions& options, bool end_stop) {
  boost::asio::io_context io;
  SessionGdb gdb(session, io, options, end_stop);
  GdbServer& server = gdb.server();
  drive(
      io, [&] { return server.result().has_value(); }, [&] { return server.running(); },
      [&] { server.run_slice(); });
  return gdb.result();
}

}  // namespace rw::stub
