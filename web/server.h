// The web timeline's HTTP and WebSocket server (Boost.Beast) on a shared io_context, the
// one the gdb server uses (stub/server.h): it only starts asynchronous operations there,
// so it runs whenever the loop that owns the context polls it between run slices, on that
// loop's thread, and touches the machine only there.
//
// Serves the page's files from its assets directory (GET / and /static/NAME, nothing else
// from the disk), the JSON API (web/api.h), and the WebSocket /api/live, which pushes the
// position and the history's extent as they change, at most every kPushInterval. Every
// request is checked first: its Host must name this server and its Origin, if any, must be
// this server's page (403 otherwise); the limits of web/limits.h hold whatever a client
// sends. See docs/web.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace rw::web {

class Api;

struct WebOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (the log line says which)
  std::string assets;    // the directory of the page's files
  std::function<void(const std::string&)> log;  // one line per event worth telling the user
};

// Parses "[HOST]:PORT", ":PORT" or "PORT" (host 127.0.0.1). Throws std::invalid_argument.
void parse_web_address(const std::string& text, std::string& host, uint16_t& port);

// Where the page's files are: $REWIND_WEB_ASSETS if set, else the source tree's web/assets.
std::string default_assets_directory();

class WebServer {
 public:
  // Listens at once (and says where through options.log); throws std::runtime_error if it cannot.
  WebServer(boost::asio::io_context& io, const WebOptions& options, Api& api);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  uint16_t port() const;
  // Called by the loop after each poll: pushes the live status to the WebSocket clients if
  // it changed (at most every kPushInterval; a change held back goes out on a timer). With
  // no client, it returns at once.
  void tick();

  class Impl;  // web/server.cpp (its sessions share it)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rw::web
