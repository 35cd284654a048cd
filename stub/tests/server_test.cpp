// The real server on a real loopback socket, with a fake target: acks, NAKs, garbage,
// oversized packets, Ctrl-C, a client that vanishes mid-packet, and reconnecting.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "fake_target.h"
#include "stub/protocol/packet.h"
#include "stub/server.h"

#include <utility>  // before Asio: boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace rw::stub {
namespace {

using testing::FakeTarget;

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { close(); }
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send(std::string_view bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), (ssize_t)bytes.size()); }
  void send_packet(std::string_view payload) { send(frame(payload)); }
  // Next single byte ('+', '-') or "" on timeout/EOF.
  std::string read_byte() {
    char c;
    if (pending_.empty()) {
      if (recv(fd_, &c, 1, 0) != 1) return "";
      return std::string(1, c);
    }
    c = pending_[0];
    pending_.erase(0, 1);
    return std::string(1, c);
  }
  // Next packet's payload (acks before it are skipped); "<timeout>" if none comes.
  std::string read_packet() {
    std::string buf;
    for (;;) {
      std::string b = read_byte();
      if (b.empty()) return "<timeout>";
      if (buf.empty() && b != "$") continue;
      buf += b;
      if (buf.size() >= 3 && buf[buf.size() - 3] == '#') return buf.substr(1, buf.size() - 4);
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(bool wait_for_client = true) {
    std::promise<uint16_t> port_promise;
    auto port_future = port_promise.get_future();
    ServerOptions options;
    options.port = 0;
    options.wait_for_client = wait_for_client;
    options.log = [p = std::make_shared<std::promise<uint16_t>>(std::move(port_promise))](const std::string& line) {
      const auto colon = line.rfind(':');
      if (line.rfind("waiting for gdb on", 0) == 0) p->set_value(static_cast<uint16_t>(std::stoi(line.substr(colon + 1))));
    };
    result_ = std::async(std::launch::async, [this, options] { return serve(target, options); });
    port = port_future.get();
  }
  ServeResult finish() {
    EXPECT_EQ(result_.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return result_.get();
  }
  FakeTarget target;
  uint16_t port = 0;
  std::future<ServeResult> result_;
};

TEST_F(ServerTest, AcksNaksAndGarbage) {
  start();
  Client c(port);
  ASSERT_TRUE(c.connected());
  c.send("garbage\r\n");
  c.send("$?#00");  // bad checksum
  EXPECT_EQ(c.read_byte(), "-");
  c.send("$?#3f");
  EXPECT_EQ(c.read_byte(), "+");
  EXPECT_EQ(c.read_packet(), "T05thread:1;");
  c.send("+-");  // NAK: the last reply again
  EXPECT_EQ(c.read_packet(), "T05thread:1;");
  c.send_packet("QStartNoAckMode");
  EXPECT_EQ(c.read_byte(), "+");
  EXPECT_EQ(c.read_packet(), "OK");
  c.send("+");
  c.send_packet("qC");
  EXPECT_EQ(c.read_byte(), "$");  // no '+' in no-ack mode
  c.send_packet("k");
  EXPECT_EQ(finish().kind, ServeResult::Kind::kKilled);
}

TEST_F(ServerTest, OversizedPacketGetsAnErrorNotAHang) {
  start();
  Client c(port);
  c.send_packet(std::string(20000, 'm'));
  EXPECT_EQ(c.read_packet(), "E01");
  c.send_packet("m1000,2");
  EXPECT_EQ(c.read_packet(), "0000");
  c.send_packet("k");
  EXPECT_EQ(finish().kind, ServeResult::Kind::kKilled);
}

TEST_F(ServerTest, LongRunsInRepliesAreRunLengthEncoded) {
  start();
  Client c(port);
  c.send_packet("m1000,40");
  std::string r = c.read_packet();
  EXPECT_LT(r.size(), 20u);
  EXPECT_EQ(*rle_decode(r), std::string(128, '0'));
  c.send_packet("k");
  finish();
}

TEST_F(ServerTest, InterruptStopsARunningTarget) {
  target.slices_until_stop = -1;
  start();
  Client c(port);
  c.send_packet("vCont;c");
  EXPECT_EQ(c.read_byte(), "+");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.send("\x03");
  EXPECT_EQ(c.read_packet(), "T02thread:1;");
  EXPECT_GT(target.slices_run, 0);
  c.send_packet("k");
  finish();
}

TEST_F(ServerTest, ContinueReportsTheStopAndTheEnd) {
  start();
  Client c(port);
  c.send_packet("c");
  EXPECT_EQ(c.read_packet(), "T05thread:1;");
  target.stop = StopEvent::exited(3);
  c.send_packet("c");
  EXPECT_EQ(c.read_packet(), "W03");
  ServeResult r = finish();
  EXPECT_EQ(r.kind, ServeResult::Kind::kEnded);
  EXPECT_EQ(r.stop.exit_status, 3);
}

TEST_F(ServerTest, DisconnectMidPacketThenReconnect) {
  start();
  {
    Client c(port);
    c.send("$m1000,");
  }
  Client c2(port);
  ASSERT_TRUE(c2.connected());
  c2.send_packet("?");
  EXPECT_EQ(c2.read_packet(), "T05thread:1;");
  EXPECT_EQ(target.attaches, 2);
  c2.send_packet("D");
  EXPECT_EQ(c2.read_packet(), "OK");
  EXPECT_EQ(finish().kind, ServeResult::Kind::kDetached);
  EXPECT_EQ(target.detaches, 1);
}

TEST_F(ServerTest, ClientVanishingWhileRunningLeavesTheTargetStopped) {
  target.slices_until_stop = -1;
  start();
  {
    Client c(port);
    c.send_packet("c");
    EXPECT_EQ(c.read_byte(), "+");
  }
  Client c2(port);
  c2.send_packet("?");
  EXPECT_EQ(c2.read_packet(), "T02thread:1;");
  c2.send_packet("k");
  finish();
}

TEST_F(ServerTest, WithoutWaitingTheTargetRunsUntilADebuggerComes) {
  target.slices_until_stop = -1;
  start(/*wait_for_client=*/false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Client c(port);
  c.send_packet("?");
  EXPECT_EQ(c.read_packet(), "T02thread:1;");
  EXPECT_GT(target.slices_run, 0);
  c.send_packet("k");
  finish();
}

// The server on an io_context shared with other work (the web timeline's): that work runs
// while gdb is awaited and while the guest is stopped under gdb, and gdb is served in the
// same loop; nothing blocks on gdb's socket.
TEST(SharedLoop, OtherWorkRunsBesideGdb) {
  boost::asio::io_context io;
  FakeTarget target;
  target.slices_until_stop = -1;
  ServerOptions options;
  options.port = 0;
  GdbServer server(io, target, options);
  int ticks = 0;
  boost::asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(std::chrono::milliseconds(5));
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec && ++ticks < 1000) tick();
    });
  };
  tick();
  std::optional<Client> client;
  int phase = 0;
  drive(
      io, [&] { return server.result().has_value() || ticks >= 1000; }, [&] { return server.running(); },
      [&] { server.run_slice(); },
      [&] {
        // Waiting for gdb: the timer ticks; then gdb comes, continues, interrupts, kills.
        if (phase == 0 && ticks >= 3) {
          client.emplace(server.port());
          phase = 1;
        } else if (phase == 1 && server.attached()) {
          client->send_packet("vCont;c");
          phase = 2;
        } else if (phase == 2 && server.running() && target.slices_run > 2) {
          client->send("\x03");
          phase = 3;
        } else if (phase == 3 && !server.running() && ticks >= 6) {
          client->send_packet("k");
          phase = 4;
        }
      });
  EXPECT_EQ(phase, 4);
  ASSERT_TRUE(server.result().has_value());
  EXPECT_EQ(server.result()->kind, ServeResult::Kind::kKilled);
  EXPECT_GE(ticks, 6);
}

TEST(ListenAddress, Parsing) {
  std::string host;
  uint16_t port = 0;
  parse_listen_address(":1234", host, port);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 1234);
  parse_listen_address("0.0.0.0:99", host, port);
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 99);
  parse_listen_address("4321", host, port);
  EXPECT_EQ(port, 4321);
  EXPECT_THROW(parse_listen_address(":", host, port), std::invalid_argument);
  EXPECT_THROW(parse_listen_address(":99999", host, port), std::invalid_argument);
  EXPECT_THROW(parse_listen_address(":12ab", host, port), std::invalid_argument);
}

}  // namespace
}  // namespace rw::stub
