// The checks every web request goes through before it reaches the API: Host and Origin
// (DNS rebinding, cross-site requests), the query string, page file names.
#include <gtest/gtest.h>

#include "web/limits.h"
#include "web/request.h"
#include "web/server.h"

namespace rw::web {
namespace {

TEST(WebRequest, HostMustNameThisServer) {
  const auto allowed = allowed_hosts("127.0.0.1", 8080);
  EXPECT_TRUE(host_allowed("127.0.0.1:8080", allowed));
  EXPECT_TRUE(host_allowed("localhost:8080", allowed));
  EXPECT_TRUE(host_allowed("LOCALHOST:8080", allowed));
  EXPECT_TRUE(host_allowed("[::1]:8080", allowed));
  EXPECT_FALSE(host_allowed("127.0.0.1:8081", allowed));
  EXPECT_FALSE(host_allowed("127.0.0.1", allowed));
  EXPECT_FALSE(host_allowed("evil.example:8080", allowed));
  EXPECT_FALSE(host_allowed("", allowed));
  EXPECT_FALSE(host_allowed("localhost:8080.evil.example", allowed));
}

TEST(WebRequest, TheConfiguredHostIsAllowedToo) {
  EXPECT_TRUE(host_allowed("10.0.0.5:9000", allowed_hosts("10.0.0.5", 9000)));
  EXPECT_TRUE(host_allowed("[fe80::1]:9000", allowed_hosts("fe80::1", 9000)));
  EXPECT_FALSE(host_allowed("10.0.0.5:9000", allowed_hosts("127.0.0.1", 9000)));
}

TEST(WebRequest, OriginMustBeThisServersPage) {
  const auto allowed = allowed_hosts("127.0.0.1", 8080);
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", allowed));
  EXPECT_TRUE(origin_allowed("http://localhost:8080", allowed));
  EXPECT_FALSE(origin_allowed("https://127.0.0.1:8080", allowed));
  EXPECT_FALSE(origin_allowed("http://evil.example", allowed));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8080/", allowed));
  EXPECT_FALSE(origin_allowed("null", allowed));
  EXPECT_FALSE(origin_allowed("http://", allowed));
}

TEST(WebRequest, QueryStrings) {
  auto q = parse_query("from=10&to=20&kind=disk_completion%2Cserial_input");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("from"), "10");
  EXPECT_EQ(q->at("to"), "20");
  EXPECT_EQ(q->at("kind"), "disk_completion,serial_input");
  EXPECT_TRUE(parse_query(""));
  EXPECT_TRUE(parse_query("a=1&&b=2"));
  EXPECT_FALSE(parse_query("a=1&a=2"));  // a name twice
  EXPECT_FALSE(parse_query("a=%zz"));
  EXPECT_FALSE(parse_query("a=%4"));
  EXPECT_FALSE(parse_query("=1"));
  std::string many;
  for (size_t i = 0; i <= kMaxQueryParameters; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(parse_query(many));
}

TEST(WebRequest, Numbers) {
  uint64_t v = 0;
  EXPECT_TRUE(parse_u64("0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_u64("18446744073709551615", v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(parse_u64("18446744073709551616", v));
  EXPECT_FALSE(parse_u64("-1", v));
  EXPECT_FALSE(parse_u64("1e3", v));
  EXPECT_FALSE(parse_u64("", v));
  EXPECT_FALSE(parse_u64(" 1", v));
}

TEST(WebRequest, AssetNamesNeverLeaveTheDirectory) {
  EXPECT_TRUE(asset_name_ok("timeline.js"));
  EXPECT_TRUE(asset_name_ok("style-2_x.css"));
  EXPECT_FALSE(asset_name_ok(".."));
  EXPECT_FALSE(asset_name_ok("../etc/passwd"));
  EXPECT_FALSE(asset_name_ok(".hidden"));
  EXPECT_FALSE(asset_name_ok("a/b.js"));
  EXPECT_FALSE(asset_name_ok("a%2fb.js"));
  EXPECT_FALSE(asset_name_ok(""));
  EXPECT_FALSE(asset_name_ok(std::string(65, 'a')));
  EXPECT_STREQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_STREQ(content_type_for("timeline.js"), "text/javascript; charset=utf-8");
  EXPECT_STREQ(content_type_for("x.bin"), "application/octet-stream");
}

TEST(WebRequest, ListenAddresses) {
  std::string host;
  uint16_t port = 0;
  parse_web_address(":8080", host, port);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  parse_web_address("0.0.0.0:9", host, port);
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9);
  parse_web_address("[::1]:80", host, port);
  EXPECT_EQ(host, "::1");
  parse_web_address("8081", host, port);
  EXPECT_EQ(port, 8081);
  EXPECT_THROW(parse_web_address(":", host, port), std::invalid_argument);
  EXPECT_THROW(parse_web_address(":70000", host, port), std::invalid_argument);
  EXPECT_THROW(parse_web_address("host:x", host, port), std::invalid_argument);
}

}  // namespace
}  // namespace rw::web
