#include "cli/serve.h"

#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <csignal>
#include <memory>
#include <stdexcept>

#include "journal/recording_file.h"
#include "session/session.h"
#include "stub/machine_target.h"
#include "stub/session_server.h"
#include "web/server.h"

namespace rw::cli {

namespace {

void log_line(const std::string& line) { fmt::print(stderr, "rewind: {}\n", line); }

// The loop: gdb (if asked for) has the machine while it serves; otherwise the guest runs
// here, slice by slice, when the page (or the start) lets it. Implements what the web
// timeline may ask of it.
class Loop final : public web::Control {
 public:
  Loop(session::Session& session, const ServeSpec& spec) : session_(session), spec_(spec) {
    if (const journal::Recording* rec = session.recording(); rec && rec->end)
      recorded_end_ = web::Ending{rec->end->final_icount, rec->end->exit_status, rec->end->stop_message};
  }

  Served run() {
    std::optional<boost::asio::signal_set> signals;
    if (!spec_.web.empty()) {
      // With the web timeline the process stays up after the guest's end: Ctrl-C ends it
      // (caught before either server says it listens, so a signal after that is never lost).
      signals.emplace(io_, SIGINT, SIGTERM);
      signals->async_wait([this](const boost::system::error_code& ec, int) {
        if (!ec) interrupted_ = true;
      });
    }
    if (!spec_.gdb.empty()) {
      stub::ServerOptions options;
      stub::parse_listen_address(spec_.gdb, options.host, options.port);
      options.wait_for_client = spec_.wait_gdb;
      options.log = log_line;
      try {
        gdb_.emplace(session_, io_, options, spec_.end_stop);
      } catch (const std::runtime_error& e) {
        fmt::print(stderr, "rewind: error: --gdb: {}\n", e.what());
        return {Served::Kind::kCannotListen, {}};
      }
    }
    if (!spec_.web.empty()) {
      web::WebOptions options;
      web::parse_web_address(spec_.web, options.host, options.port);
      options.assets = web::default_assets_directory();
      options.log = log_line;
      api_.emplace(session_, spec_.description, *this);
      try {
        web_.emplace(io_, options, *api_);
      } catch (const std::runtime_error& e) {
        fmt::print(stderr, "rewind: error: --web: {}\n", e.what());
        return {Served::Kind::kCannotListen, {}};
      }
      free_running_ = !gdb_ && spec_.start_running;
    }

    stub::drive(
        io_, [this] { return done(); }, [this] { return running(); }, [this] { run_slice(); },
        [this] {
          gdb_finished();
          if (web_) web_->tick();
        });

    if (killed_) return {Served::Kind::kKilled, {}};
    if (interrupted_) return {Served::Kind::kInterrupted, ended_};
    const stub::SessionServeResult r = gdb_->result();
    switch (r.served.kind) {
      case stub::ServeResult::Kind::kEnded: return {Served::Kind::kEnded, r.final_result};
      case stub::ServeResult::Kind::kDetached: return {Served::Kind::kDetached, {}};
      case stub::ServeResult::Kind::kKilled: return {Served::Kind::kKilled, {}};
    }
    return {Served::Kind::kEnded, r.final_result};
  }

  // web::Control
  bool running() const override { return gdb_serving() ? gdb_->server().running() : free_running_; }
  bool debugger_attached() const override { return gdb_serving() && gdb_->server().attached(); }
  std::optional<web::Ending> ending() const override {
    if (ended_) return ending_of(*ended_);
    return recorded_end_;
  }
  std::string move_refusal() const override {
    if (debugger_attached() && gdb_->server().follows_page())
      return running() ? "gdb is running the guest: interrupt it in gdb (Ctrl-C) first" : "";
    if (debugger_attached())
      return "gdb is attached: it caches registers and frames and would not see the move (load stub/gdb/rewind.py "
             "in gdb and it follows the page; or use `rewind seek` in gdb)";
    if (gdb_serving())
      return running() ? "the guest runs under the gdb server (no debugger attached yet)"
                       : "the gdb server holds the machine, waiting for gdb (--wait-gdb)";
    if (free_running_) return "the guest is running: pause it first";
    return {};
  }
  void moved(uint64_t icount) override {
    if (gdb_serving()) gdb_->server().page_moved(icount);
  }
  std::string pause() override {
    if (gdb_serving()) return "gdb has the machine: interrupt it in gdb (Ctrl-C)";
    free_running_ = false;
    return {};
  }
  std::string resume() override {
    if (gdb_serving()) return "gdb has the machine: `continue` in gdb";
    if (at_end()) return "the guest has ended here: seek back first";
    free_running_ = true;
    return {};
  }

 private:
  bool gdb_serving() const { return gdb_ && !gdb_->server().result(); }

  bool done() const {
    if (killed_ || interrupted_) return true;
    if (!web_) return gdb_->server().result().has_value();
    return false;
  }

  // Where forward execution stops without gdb: the end limit (a replay's recorded end, a
  // live run's --max-instructions), or where the guest ended.
  uint64_t stop_at() const {
    uint64_t stop = session_.end_limit() ? session_.end_limit() : UINT64_MAX;
    if (ended_) stop = std::min(stop, ended_icount_);
    return stop;
  }
  bool at_end() const {
    const uint64_t at = session_.machine().cpu().icount;
    // Replaying, the history ends at the recorded end, whatever the guest does there.
    return at >= stop_at() || (session_.replaying() && at >= session_.replay_length());
  }

  void run_slice() {
    if (gdb_serving()) {
      gdb_->server().run_slice();
      return;
    }
    if (!free_running_) return;
    if (at_end()) {
      free_running_ = false;
      return;
    }
    const uint64_t now = session_.machine().cpu().icount;
    RunResult r = session_.run_to(now + std::min(stub::MachineTarget::kSliceInstructions, stop_at() - now));
    const Timeline* t = session_.timeline();
    const bool diverged = t && t->diverged();
    if (r.reason == cpu::StopReason::kTarget && !at_end() && !diverged) return;
    free_running_ = false;
    if (ended_ || diverged) return;
    if (r.reason == cpu::StopReason::kTarget && r.message.empty())
      r.message = fmt::format("instruction limit reached ({} instructions)", session_.machine().cpu().icount);
    end_here(r);
  }

  void end_here(const RunResult& r) {
    ended_ = r;
    ended_icount_ = session_.machine().cpu().icount;
    const web::Ending e = ending_of(r);
    log_line(fmt::format("the guest ended at instruction {} (exit status {}{}{}); the web timeline still serves its "
                         "history: Ctrl-C ends rewind",
                         e.icount, e.exit_status, e.message.empty() ? "" : ": ", e.message));
  }

  web::Ending ending_of(const RunResult& r) const {
    return web::Ending{ended_icount_, session_.exit_status(r), r.message};
  }

  // gdb is done: with the web timeline, the process goes on serving.
  void gdb_finished() {
    if (!gdb_ || !web_ || gdb_handled_ || !gdb_->server().result()) return;
    gdb_handled_ = true;
    const stub::SessionServeResult r = gdb_->result();
    switch (r.served.kind) {
      case stub::ServeResult::Kind::kKilled: killed_ = true; break;
      case stub::ServeResult::Kind::kEnded: end_here(r.final_result); break;
      case stub::ServeResult::Kind::kDetached: free_running_ = true; break;  // the guest runs on without it
    }
  }

  session::Session& session_;
  const ServeSpec& spec_;
  boost::asio::io_context io_;
  std::optional<stub::SessionGdb> gdb_;
  std::optional<web::Api> api_;
  std::optional<web::WebServer> web_;
  bool gdb_handled_ = false;
  bool free_running_ = false;
  bool killed_ = false;
  bool interrupted_ = false;
  std::optional<RunResult> ended_;
  uint64_t ended_icount_ = 0;
  std::optional<web::Ending> recorded_end_;
};

}  // namespace

Served serve(session::Session& session, const ServeSpec& spec) {
  Loop loop(session, spec);
  return loop.run();
}

}  // namespace rw::cli
