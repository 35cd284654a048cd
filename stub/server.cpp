#include "stub/server.h"

#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "stub/protocol/packet.h"
#include "stub/session.h"

namespace rw::stub {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

void parse_listen_address(const std::string& text, std::string& host, uint16_t& port) {
  const size_t colon = text.rfind(':');
  std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
  std::string host_text = colon == std::string::npos ? "" : text.substr(0, colon);
  if (host_text.size() >= 2 && host_text.front() == '[' && host_text.back() == ']')
    host_text = host_text.substr(1, host_text.size() - 2);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad --gdb address '" + text + "': expected [HOST]:PORT, e.g. :1234");
  const unsigned long p = std::stoul(port_text);
  if (p > 65535) throw std::invalid_argument("bad --gdb address '" + text + "': port above 65535");
  host = host_text.empty() ? "127.0.0.1" : host_text;
  port = static_cast<uint16_t>(p);
}

namespace {

bool looks_like_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

class GdbServer::Impl {
 public:
  Impl(asio::io_context& io, Target& target, const ServerOptions& options)
      : target_(target), options_(options), acceptor_(io), trace_(std::getenv("REWIND_GDB_TRACE") != nullptr) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options.host + ": not an IP address");
    const tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                               ec.message());
    log("waiting for gdb on " + options.host + ":" + std::to_string(acceptor_.local_endpoint().port()));
    if (!options_.wait_for_client) {
      target_.resume({ResumeKind::kContinue, 0});
      running_ = true;
    }
    accept_next();
  }

  ~Impl() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (client_) client_->close(ec);
  }

  bool running() const { return running_ && !result_; }
  bool attached() const { return client_.has_value(); }
  bool follows_page() const { return client_ && session_ && session_->follows_page(); }
  void page_moved(uint64_t icount) {
    target_.moved_elsewhere();
    if (client_ && session_) session_->page_moved(icount);
  }
  const std::optional<ServeResult>& result() const { return result_; }
  uint16_t port() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  // One slice of the target: with a debugger, its stop is reported; without one, the guest
  // just runs (a debugger may still come), and its end ends serving.
  void run_slice() {
    if (!running()) return;
    if (!client_) {
      if (auto stop = target_.run_slice()) {
        running_ = false;
        if (stop->ended()) finish(ServeResult{ServeResult::Kind::kEnded, *stop});
      }
      return;
    }
    auto stop = target_.run_slice();
    if (!stop) return;
    running_ = false;
    // Console output is allowed while the target runs, so it goes before the stop reply.
    if (!stop->console.empty()) send_packet("O" + to_hex(stop->console));
    send_packet(Session::stop_reply(*stop));
    if (stop->ended()) {
      finish(ServeResult{ServeResult::Kind::kEnded, *stop});
      if (client_) {
        boost::system::error_code ec;
        client_->shutdown(tcp::socket::shutdown_send, ec);
        client_->close(ec);
        client_.reset();
      }
    }
  }

 private:
  void log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  void finish(ServeResult result) {
    result_ = std::move(result);
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

  // One client at a time: the next is accepted only when the current one has gone (it
  // waits in the listen backlog meanwhile).
  void accept_next() {
    if (result_) return;
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || result_) return;
      if (ec) {
        log("accepting a gdb connection failed: " + ec.message());
        accept_next();
        return;
      }
      connected(std::move(socket));
    });
  }

  void connected(tcp::socket socket) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    client_.emplace(std::move(socket));
    ++generation_;
    decoder_.reset();
    session_ = std::make_unique<Session>(target_);
    if (running_) {
      target_.interrupt();
      running_ = false;
    }
    target_.attach();
    log("gdb connected");
    wait_for_input();
  }

  // Wakes the loop when the client has sent something (or gone). While the target runs,
  // the loop's poll between slices finds it; while it is stopped, the loop blocks on it.
  void wait_for_input() {
    if (!client_ || result_) return;
    client_->async_wait(tcp::socket::wait_read, [this, generation = generation_](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted || generation != generation_ || !client_ || result_) return;
      read_client();
      if (client_ && generation == generation_) wait_for_input();
    });
  }

  void disconnect(const char* why) {
    boost::system::error_code ec;
    client_->close(ec);
    client_.reset();
    decoder_.reset();
    if (running_) {
      target_.interrupt();  // the guest waits, stopped, for the next debugger
      running_ = false;
    }
    log(std::string("gdb disconnected (") + why + "); waiting for a new connection");
    accept_next();
  }

  void read_client() {
    char buf[4096];
    boost::system::error_code ec;
    client_->non_blocking(true);
    const size_t n = client_->read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) {
      disconnect(ec == asio::error::eof ? "connection closed" : ec.message().c_str());
      return;
    }
    client_->non_blocking(false);
    events_.clear();
    decoder_.feed(std::string_view(buf, n), events_);
    for (InputEvent& e : events_) {
      if (!client_ || result_) return;
      handle_event(e);
    }
  }
  void handle_event(InputEvent& e) {
    switch (e.kind) {
      case InputEvent::Kind::kAck: return;
      case InputEvent::Kind::kNak:
        if (!last_reply_.empty()) send_raw(last_reply_);
        return;
      case InputEvent::Kind::kInterrupt:
        if (running_) {
          StopEvent stop = target_.interrupt();
          running_ = false;
          send_packet(Session::stop_reply(stop));
        }
        return;
      case InputEvent::Kind::kBadChecksum:
        if (trace_) std::fprintf(stderr, "gdb-stub: bad checksum\n");
        if (!session_->no_ack()) send_raw("-");
        return;
      case InputEvent::Kind::kOversized:
        if (!session_->no_ack()) send_raw("+");
        send_packet("E01");
        return;
      case InputEvent::Kind::kPacket: break;
    }
    if (!session_->no_ack()) send_raw("+");
    if (trace_) std::fprintf(stderr, "gdb-stub: <- %s\n", e.payload.c_str());
    if (running_) return;  // all-stop: nothing but ^C is meaningful while the guest runs
    auto decoded = rle_decode(e.payload);
    if (!decoded) {
      send_packet("E01");
      return;
    }
    Session::Outcome out = session_->handle(*decoded);
    switch (out.next) {
      case Session::Next::kReply:
        if (!out.console.empty()) send_packet("O" + to_hex(out.console));
        send_packet(out.reply);
        break;
      case Session::Next::kResume: running_ = true; break;
      case Session::Next::kDetach:
        send_packet(out.reply);
        disconnect_quietly();
        target_.detach();
        log("gdb detached; the guest runs on");
        finish(ServeResult{ServeResult::Kind::kDetached, {}});
        break;
      case Session::Next::kKill:
        if (!out.reply.empty()) send_packet(out.reply);
        disconnect_quietly();
        finish(ServeResult{ServeResult::Kind::kKilled, {}});
        break;
    }
  }

  void disconnect_quietly() {
    boost::system::error_code ec;
    client_->shutdown(tcp::socket::shutdown_send, ec);
    client_->close(ec);
    client_.reset();
  }

  void send_packet(const std::string& payload) {
    if (trace_) std::fprintf(stderr, "gdb-stub: -> %s\n", payload.c_str());
    last_reply_ = frame(payload.size() > 16 && looks_like_hex(payload) ? rle_encode(payload) : payload);
    send_raw(last_reply_);
  }

  void send_raw(const std::string& bytes) {
    if (!client_) return;
    boost::system::error_code ec;
    client_->non_blocking(false);
    asio::write(*client_, asio::buffer(bytes), ec);
    if (ec) disconnect(ec.message().c_str());
  }

  Target& target_;
  ServerOptions options_;
  tcp::acceptor acceptor_;
  uint64_t generation_ = 0;  // of the client: a wait for an earlier one finds nothing to do
  std::optional<tcp::socket> client_;
  PacketDecoder decoder_{kMaxPacketSize};
  std::vector<InputEvent> events_;
  std::unique_ptr<Session> session_;
  bool running_ = false;
  std::string last_reply_;
  std::optional<ServeResult> result_;
  bool trace_;
};

GdbServer::GdbServer(asio::io_context& io, Target& target, const ServerOptions& options)
    : impl_(std::make_unique<Impl>(io, target, options)) {}
GdbServer::~GdbServer() = default;
bool GdbServer::running() const { return impl_->running(); }
void GdbServer::run_slice() { impl_->run_slice(); }
bool GdbServer::attached() const { return impl_->attached(); }
bool GdbServer::follows_page() const { return impl_->follows_page(); }
void GdbServer::page_moved(uint64_t icount) { impl_->page_moved(icount); }
const std::optional<ServeResult>& GdbServer::result() const { return impl_->result(); }
uint16_t GdbServer::port() const { return impl_->port(); }

void drive(asio::io_context& io, const std::function<bool()>& done, const std::function<bool()>& running,
           const std::function<void()>& run_slice, const std::function<void()>& after) {
  while (!done()) {
    // A context that ran out of work stops, and stays stopped until restarted.
    if (io.stopped()) io.restart();
    if (running()) {
      run_slice();
      io.poll();
    } else {
      io.run_one();
    }
    if (after) after();
  }
}

ServeResult serve(Target& target, const ServerOptions& options) {
  asio::io_context io;
  GdbServer server(io, target, options);
  drive(
      io, [&] { return server.result().has_value(); }, [&] { return server.running(); },
      [&] { server.run_slice(); });
  return *server.result();
}

}  // namespace rw::stub
