// The web timeline's JSON API over a session (docs/web.md): what the page asks, answered
// from the session's timeline and machine. No sockets here (web/server.cpp serves it).
//
//   GET  /api/summary                       guest, disks, history extent, position, end
//   GET  /api/events?from=&to=&kind=&cursor=  journaled events, paged (next: the cursor to go on)
//   GET  /api/serial?from=&to=&cursor=      the guest's serial output lines, placed, paged
//   GET  /api/interrupts?from=&to=&kind=&cursor=  exceptions and interrupts taken, paged
//   GET  /api/state                         registers and the instructions at the current position
//   POST /api/seek    {"icount": N}         move there (within the recorded history)
//   POST /api/pause, /api/resume            a run without a debugger
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "web/control.h"
#include "web/serial_log.h"

namespace rw::session {
class Session;
}

namespace rw::web {

// What the session was built from, for the summary.
struct Description {
  std::string mode;   // "live" or "replay"
  std::string guest;  // the kernel image's path
  std::string recording;  // replaying: the recording's path; live: the file being written, if any
  std::array<std::string, 4> disks;  // image path per ATA position ("" = none)
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class Api {
 public:
  Api(session::Session& session, Description description, Control& control);

  // `target` is the request's path and query ("/api/events?from=10").
  Response handle(std::string_view method, std::string_view target, std::string_view body);
  // The WebSocket's message: where the machine is, the history's end, whether it runs, how
  // many events and serial lines there are. Cheap: called between slices while a browser
  // listens.
  nlohmann::json live_status() const;

 private:
  Response summary() const;
  Response events(std::string_view query) const;
  Response serial(std::string_view query) const;
  Response interrupts(std::string_view query) const;
  // The serial lines, taken in from the output index as far as it goes now.
  const SerialLog& serial_log() const;
  Response state() const;
  Response seek(std::string_view body);

  session::Session& session_;
  Description description_;
  Control& control_;
  mutable SerialLog serial_;
};

// {"error": message}, with the status.
Response error_response(int status, const std::string& message);

}  // namespace rw::web
