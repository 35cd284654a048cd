// The web timeline's numeric limits (docs/web.md, docs/security.md): whatever a client sends,
// the server's memory and work per request stay within these.
#pragma once

#include <chrono>
#include <cstddef>

namespace rw::web {

inline constexpr size_t kMaxHeaderBytes = 8 * 1024;   // a request's start line and headers: 431 beyond
inline constexpr size_t kMaxBodyBytes = 4 * 1024;     // a request's body: 413 beyond
inline constexpr size_t kMaxClients = 8;              // connections at once (HTTP and WebSocket): 503 beyond
inline constexpr size_t kMaxEventsPerAnswer = 10'000; // events in one /api/events answer (then `next`)
inline constexpr size_t kMaxQueryParameters = 16;     // in one request's query string: 400 beyond
inline constexpr size_t kMaxAssetBytes = 1024 * 1024; // a file of the page
inline constexpr size_t kMaxWebSocketMessage = 1024;  // what a WebSocket client may send in one message
// A request must arrive whole within this; an idle keep-alive connection closes after it.
inline constexpr std::chrono::seconds kRequestTimeout{10};
// WebSocket pushes: at most one per interval (10 a second) while something changes.
inline constexpr std::chrono::milliseconds kPushInterval{100};

}  // namespace rw::web
