// The pieces of an HTTP request the web timeline checks before it does anything: where it
// says it is going (Host) and coming from (Origin), its query string, the page file it
// names. Plain functions, no sockets, unit-tested (web/tests/request_test.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rw::web {

// The Host header values a request may carry for a server listening on host:port:
// 127.0.0.1:PORT, localhost:PORT, [::1]:PORT and the listening host (an IPv6 address in
// brackets). Anything else is another site's name pointing at us (DNS rebinding).
std::vector<std::string> allowed_hosts(const std::string& host, uint16_t port);
// Host must be one of `allowed` (compared without regard to case).
bool host_allowed(std::string_view host, const std::vector<std::string>& allowed);
// Origin, when the browser sends one, must be http:// and one of `allowed`: a page of
// another site must not drive the server (cross-site POSTs, WebSockets).
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);

// "a=1&b=x%20y" -> {a: "1", b: "x y"}; nullopt if malformed (bad %-escape, a name twice,
// more than kMaxQueryParameters).
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);
// A decimal number up to 2^64-1, nothing else.
bool parse_u64(std::string_view text, uint64_t& out);

// A page file's name under /static/: letters, digits, '.', '-', '_', not starting with '.',
// at most 64 characters (so no path, no "..").
bool asset_name_ok(std::string_view name);
// The Content-Type for a page file, by its extension.
const char* content_type_for(std::string_view name);

}  // namespace rw::web
