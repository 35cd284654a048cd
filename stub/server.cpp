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

class Server {
 public:
  Server(Target& target, const ServerOptions& options)
      : target_(target), options_(options), acceptor_(io_), trace_(std::getenv("REWIND_GDB_TRACE") != nullptr) {
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
  }

  ServeResult run() {
    if (!options_.wait_for_client) {
      target_.resume({ResumeKind::kContinue, 0});
      running_ = true;
    }
    while (!result_) {
      if (!client_) {
        wait_for_client();
      } else if (running_) {
        run_one_slice();
        if (!result_ && client_) poll_client();
      } else {
        read_client(/*blocking=*/true);
      }
    }
    return *result_;
  }

 private:
  void log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  void wait_for_client() {
    tcp::socket socket(io_);
    boost::system::error_code ec;
    if (running_) {
      // Nobody to report to: keep the guest going, look for a debugger between slices.
      acceptor_.non_blocking(true);
      acceptor_.accept(socket, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        if (auto stop = target_.run_slice()) {
          running_ = false;
          if (stop->ended()) result_ = ServeResult{ServeResult::Kind::kEnded, *stop};
        }
        return;
      }
    } else {
      acceptor_.non_blocking(false);
      acceptor_.accept(socket, ec);
    }
    if (ec) throw std::runtime_error("accepting a gdb connection failed: " + ec.message());
    socket.set_option(tcp::no_delay(true), ec);
    client_.emplace(std::move(socket));
    decoder_.reset();
    session_ = std::make_unique<Session>(target_);
    if (running_) {
      target_.interrupt();
      running_ = false;
    }
    target_.attach();
    log("gdb connected");
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
  }

  void run_one_slice() {
    auto stop = target_.run_slice();
    if (!stop) return;
    running_ = false;
    // Console output is allowed while the target runs, so it goes before the stop reply.
    if (!stop->console.empty()) send_packet("O" + to_hex(stop->console));
    send_packet(Session::stop_reply(*stop));
    if (stop->ended()) {
      result_ = ServeResult{ServeResult::Kind::kEnded, *stop};
      boost::system::error_code ec;
      client_->shutdown(tcp::socket::shutdown_send, ec);
      client_->close(ec);
    }
  }

  void poll_client() { read_client(/*blocking=*/false); }

  void read_client(bool blocking) {
    char buf[4096];
    boost::system::error_code ec;
    client_->non_blocking(!blocking);
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
        result_ = ServeResult{ServeResult::Kind::kDetached, {}};
        break;
      case Session::Next::kKill:
        if (!out.reply.empty()) send_packet(out.reply);
        disconnect_quietly();
        result_ = ServeResult{ServeResult::Kind::kKilled, {}};
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
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<tcp::socket> client_;
  PacketDecoder decoder_{kMaxPacketSize};
  std::vector<InputEvent> events_;
  std::unique_ptr<Session> session_;
  bool running_ = false;
  std::string last_reply_;
  std::optional<ServeResult> result_;
  bool trace_;
};

}  // namespace

ServeResult serve(Target& target, const ServerOptions& options) {
  Server server(target, options);
  return server.run();
}

}  // namespace rw::stub
