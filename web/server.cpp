#include "web/server.h"

#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "web/api.h"
#include "web/limits.h"
#include "web/request.h"

namespace rw::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

void parse_web_address(const std::string& text, std::string& host, uint16_t& port) {
  const size_t colon = text.rfind(':');
  const bool bracketed_only = colon != std::string::npos && text.find(']', colon) != std::string::npos;
  std::string port_text = colon == std::string::npos || bracketed_only ? text : text.substr(colon + 1);
  std::string host_text = colon == std::string::npos || bracketed_only ? "" : text.substr(0, colon);
  if (host_text.size() >= 2 && host_text.front() == '[' && host_text.back() == ']')
    host_text = host_text.substr(1, host_text.size() - 2);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad --web address '" + text + "': expected [HOST]:PORT, e.g. :8080");
  const unsigned long p = std::stoul(port_text);
  if (p > 65535) throw std::invalid_argument("bad --web address '" + text + "': port above 65535");
  host = host_text.empty() ? "127.0.0.1" : host_text;
  port = static_cast<uint16_t>(p);
}

std::string default_assets_directory() {
  if (const char* dir = std::getenv("REWIND_WEB_ASSETS"); dir && *dir) return dir;
  return REWIND_WEB_ASSETS_DIR;
}

namespace {

// A page file, read only if it is a regular file (no symlink followed) and not too big.
std::optional<std::string> read_asset(const std::string& dir, const std::string& name) {
  if (!asset_name_ok(name)) return std::nullopt;
  const int fd = ::open((dir + "/" + name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= kMaxAssetBytes) {
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == data.size()) out = std::move(data);
  }
  ::close(fd);
  return out;
}

}  // namespace

class WebServer::Impl : public std::enable_shared_from_this<WebServer::Impl> {
 public:
  Impl(asio::io_context& io, const WebOptions& options, Api& api)
      : io_(io), options_(options), api_(api), acceptor_(io), push_timer_(io) {}

  void listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options_.host + ": not an IP address");
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                               ec.message());
    port_ = acceptor_.local_endpoint().port();
    allowed_ = allowed_hosts(options_.host, port_);
    const std::string shown = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
    if (options_.log) options_.log("web timeline on http://" + shown + ":" + std::to_string(port_) + "/");
    accept_next();
  }

  void close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    push_timer_.cancel();
    retry_timer_.cancel();
  }

  uint16_t port() const { return port_; }
  Api& api() { return api_; }
  const WebOptions& options() const { return options_; }
  const std::vector<std::string>& allowed() const { return allowed_; }

  // Connections open now (HTTP and WebSocket); each session holds one while it lives.
  size_t clients = 0;

  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void push(const std::shared_ptr<const std::string>& message) = 0;
  };
  void add_listener(const std::shared_ptr<Listener>& l) { listeners_.push_back(l); }
  std::shared_ptr<const std::string> status_message() {
    return std::make_shared<const std::string>(api_.live_status().dump());
  }

  void tick() {
    if (listeners_.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_push_ < kPushInterval) {
      if (!timer_armed_) {
        timer_armed_ = true;
        push_timer_.expires_at(last_push_ + kPushInterval);
        push_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
          self->timer_armed_ = false;
          if (!ec) self->tick();
        });
      }
      return;
    }
    auto message = status_message();
    if (last_sent_ && *last_sent_ == *message) return;
    last_push_ = now;
    last_sent_ = message;
    std::vector<std::weak_ptr<Listener>> alive;
    for (auto& weak : listeners_)
      if (auto l = weak.lock()) {
        l->push(message);
        alive.push_back(weak);
      }
    listeners_ = std::move(alive);
  }

 private:
  void accept_next();

  asio::io_context& io_;
  WebOptions options_;
  Api& api_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::string> allowed_;
  std::vector<std::weak_ptr<Listener>> listeners_;
  asio::steady_timer push_timer_;
  asio::steady_timer retry_timer_{io_};
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point last_push_{};
  std::shared_ptr<const std::string> last_sent_;
};

namespace {

using Server = WebServer::Impl;

// Holds one of the server's client places while it lives.
class ClientSlot {
 public:
  explicit ClientSlot(std::shared_ptr<Server> server) : server_(std::move(server)) { ++server_->clients; }
  ~ClientSlot() { --server_->clients; }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;
  Server& server() { return *server_; }
  const std::shared_ptr<Server>& shared() { return server_; }

 private:
  std::shared_ptr<Server> server_;
};

// The WebSocket /api/live: the status now, then each change (coalesced: a client that
// reads slowly gets the newest status, never a backlog). What the client sends is read
// and dropped.
class LiveSession : public Server::Listener, public std::enable_shared_from_this<LiveSession> {
 public:
  LiveSession(std::unique_ptr<ClientSlot> slot, tcp::socket socket)
      : slot_(std::move(slot)), ws_(std::move(socket)) {}

  void start(http::request<http::string_body> request) {
    request_ = std::move(request);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxWebSocketMessage);
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->open_ = true;
      self->slot_->server().add_listener(self);
      self->push(self->slot_->server().status_message());
      self->read_next();
    });
  }

  void push(const std::shared_ptr<const std::string>& message) override {
    if (!open_) return;
    if (writing_) {
      pending_ = message;
      return;
    }
    writing_ = true;
    current_ = message;
    ws_.text(true);
    ws_.async_write(asio::buffer(*current_), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) {
        self->open_ = false;
        return;
      }
      if (auto next = std::exchange(self->pending_, nullptr)) self->push(next);
    });
  }

 private:
  void read_next() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->open_ = false;
        return;
      }
      self->buffer_.consume(self->buffer_.size());
      self->read_next();
    });
  }

  std::unique_ptr<ClientSlot> slot_;
  http::request<http::string_body> request_;  // the upgrade, kept until it is answered
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  bool open_ = false, writing_ = false;
  std::shared_ptr<const std::string> current_, pending_;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::unique_ptr<ClientSlot> slot, tcp::socket socket)
      : slot_(std::move(slot)), stream_(std::move(socket)) {}

  void start() { read_next(); }

 private:
  Server& server() { return slot_->server(); }

  void read_next() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      shut();
      return;
    }
    if (ec == http::error::header_limit) return reply_and_close(431, "the request's headers are over 8 KiB");
    if (ec == http::error::body_limit) return reply_and_close(413, "the request's body is over 4 KiB");
    if (ec == http::error::buffer_overflow) return reply_and_close(431, "the request is too large");
    if (ec) return reply_and_close(400, "malformed HTTP request");

    http::request<http::string_body> request = parser_->release();
    const auto host = request[http::field::host];
    if (!host_allowed(std::string_view(host.data(), host.size()), server().allowed()))
      return reply_and_close(403, "the Host header does not name this server");
    if (request.find(http::field::origin) != request.end()) {
      const auto origin = request[http::field::origin];
      if (!origin_allowed(std::string_view(origin.data(), origin.size()), server().allowed()))
        return reply_and_close(403, "requests from another site's page are refused (Origin)");
    }
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (websocket::is_upgrade(request)) {
      if (path != "/api/live") return reply_and_close(404, "the WebSocket is at /api/live");
      stream_.expires_never();
      auto live = std::make_shared<LiveSession>(std::move(slot_), stream_.release_socket());
      live->start(std::move(request));
      return;
    }
    Response r = route(request, target, path);
    send(std::move(r), request.version(), request.keep_alive());
  }

  Response route(const http::request<http::string_body>& request, std::string_view target, std::string_view path) {
    const std::string_view method(request.method_string().data(), request.method_string().size());
    if (path == "/api/live") return error_response(426, "/api/live is a WebSocket");
    if (path.starts_with("/api/")) return server().api().handle(method, target, request.body());
    if (method != "GET") return error_response(405, "the page's files take GET only");
    std::string name;
    if (path == "/" || path == "/index.html")
      name = "index.html";
    else if (path.starts_with("/static/"))
      name = std::string(path.substr(8));
    else
      return error_response(404, "not found");
    std::optional<std::string> data = read_asset(server().options().assets, name);
    if (!data) return error_response(404, "not found");
    return Response{200, content_type_for(name), std::move(*data)};
  }

  void send(Response r, unsigned version, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "rewind");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Frame-Options", "DENY");
    res->set("Referrer-Policy", "no-referrer");
    res->set("Content-Security-Policy",
             "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->shut();
      self->read_next();
    });
  }

  void reply_and_close(int status, const std::string& message) {
    send(error_response(status, message), 11, false);
  }

  void shut() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  std::unique_ptr<ClientSlot> slot_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kMaxHeaderBytes + kMaxBodyBytes};
  std::optional<http::request_parser<http::string_body>> parser_;
};

// Beyond kMaxClients: one short answer, then the connection closes.
void refuse_busy(tcp::socket socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: 60\r\n\r\n{\"error\": \"too many clients at once (at most 8): try later\"}";
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*s, asio::buffer(kBusy), [s](boost::system::error_code, size_t) {
    boost::system::error_code ec;
    s->shutdown(tcp::socket::shutdown_send, ec);
    s->close(ec);
  });
}

}  // namespace

void WebServer::Impl::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors, say: try again a little later, not at once in a loop.
      self->retry_timer_.expires_after(std::chrono::milliseconds(100));
      self->retry_timer_.async_wait([self](boost::system::error_code e) {
        if (!e) self->accept_next();
      });
      return;
    }
    {
      if (self->clients >= kMaxClients) {
        refuse_busy(std::move(socket));
      } else {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::make_unique<ClientSlot>(self), std::move(socket))->start();
      }
    }
    self->accept_next();
  });
}

WebServer::WebServer(asio::io_context& io, const WebOptions& options, Api& api)
    : impl_(std::make_shared<Impl>(io, options, api)) {
  impl_->listen();
}

WebServer::~WebServer() { impl_->close(); }

uint16_t WebServer::port() const { return impl_->port(); }

void WebServer::tick() { impl_->tick(); }

}  // namespace rw::web
