// HTTP requests as a browser (or anyone) might send them to the web timeline: the bytes go
// through Beast's request parser with the server's limits (web/limits.h), cut into reads
// where the input says, then through every check the server makes before it acts (Host,
// Origin, the query string, page file names, the seek body). Besides "never crashes": the
// parser never hands over a body over its limit, an accepted Host is one of the allowed,
// an accepted page file name cannot leave its directory, a parsed query has at most the
// allowed number of parameters, the parser never holds more header bytes than its limit.
#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "web/limits.h"
#include "web/request.h"

namespace {

namespace http = boost::beast::http;

void check_request(const http::request<http::string_body>& request) {
  static const std::vector<std::string> allowed = rw::web::allowed_hosts("127.0.0.1", 8080);
  FUZZ_CHECK(request.body().size() <= rw::web::kMaxBodyBytes);
  const auto host = request[http::field::host];
  const std::string_view host_view(host.data(), host.size());
  if (rw::web::host_allowed(host_view, allowed))
    FUZZ_CHECK(std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return a.size() == host.size(); }));
  const auto origin = request[http::field::origin];
  if (rw::web::origin_allowed(std::string_view(origin.data(), origin.size()), allowed))
    FUZZ_CHECK(origin.size() > 7 && rw::web::host_allowed(std::string_view(origin.data() + 7, origin.size() - 7), allowed));

  const std::string_view target(request.target().data(), request.target().size());
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos)
    if (auto params = rw::web::parse_query(target.substr(q + 1))) {
      FUZZ_CHECK(params->size() <= rw::web::kMaxQueryParameters);
      for (const auto& [name, value] : *params) {
        uint64_t n = 0;
        if (rw::web::parse_u64(value, n)) FUZZ_CHECK(std::to_string(n) == value || value.front() == '0');
      }
    }
  if (path.starts_with("/static/")) {
    const std::string_view name = path.substr(8);
    if (rw::web::asset_name_ok(name))
      FUZZ_CHECK(name.find('/') == std::string_view::npos && !name.starts_with(".") && name.size() <= 64);
    rw::web::content_type_for(name);
  }
  const nlohmann::json body = nlohmann::json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded() && body.is_object() && body.contains("icount") && body["icount"].is_number_unsigned())
    (void)body["icount"].get<uint64_t>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte says where the stream is cut into reads, as the network might cut it.
  const size_t cut = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(rw::web::kMaxHeaderBytes));
  parser.body_limit(rw::web::kMaxBodyBytes);
  parser.eager(true);
  std::string pending;
  boost::beast::error_code ec;
  while (!input.empty() && !parser.is_done()) {
    const size_t n = std::min(cut, input.size());
    pending.append(input.substr(0, n));
    input.remove_prefix(n);
    const size_t used = parser.put(boost::asio::buffer(pending), ec);
    if (ec == http::error::need_more) ec = {};
    if (ec) return 0;
    pending.erase(0, used);
    // The header limit holds: bytes waiting for the header's end never exceed it by more than a read.
    if (!parser.is_header_done()) FUZZ_CHECK(pending.size() <= rw::web::kMaxHeaderBytes + cut);
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  check_request(parser.get());
  return 0;
}
