// A gdb conversation from arbitrary bytes: the input is what a client sends, cut into
// packets by the PacketDecoder and handed to a Session over FakeDebugTarget the way the
// server (stub/server.cpp) does it, resuming, interrupting and reconnecting included.
// Checks: the target is only asked sensible things (see fake_debug_target.h), and every
// reply survives the trip to the client (framed, run-length encoded, decoded again).
#include <memory>
#include <string>
#include <vector>

#include "fake_debug_target.h"
#include "fuzz_check.h"
#include "stub/protocol/packet.h"
#include "stub/session.h"

namespace {

using rw::stub::InputEvent;
using rw::stub::Session;

void check_reply_reaches_client(const std::string& reply) {
  rw::stub::PacketDecoder client(1 << 20);
  std::vector<InputEvent> events;
  client.feed(rw::stub::frame(rw::stub::rle_encode(reply)), events);
  FUZZ_CHECK(events.size() == 1 && events[0].kind == InputEvent::Kind::kPacket);
  FUZZ_CHECK(rw::stub::rle_decode(events[0].payload) == reply);
}

// The server's side of the conversation, without the socket.
class Conversation {
 public:
  void on_event(const InputEvent& e) {
    if (e.kind == InputEvent::Kind::kInterrupt && target_.running()) {
      reply(Session::stop_reply(target_.interrupt()));
      return;
    }
    if (e.kind != InputEvent::Kind::kPacket || target_.running()) {
      run_slice();  // time passes while the client's bytes arrive
      return;
    }
    const auto decoded = rw::stub::rle_decode(e.payload);
    if (!decoded) return reply("E01");
    const Session::Outcome out = session_->handle(*decoded);
    switch (out.next) {
      case Session::Next::kReply: reply(out.reply); break;
      case Session::Next::kResume: FUZZ_CHECK(out.reply.empty() && target_.running()); break;
      case Session::Next::kDetach:
        reply(out.reply);
        target_.detach();
        reconnect();
        break;
      case Session::Next::kKill: reconnect(); break;
    }
  }

 private:
  void run_slice() {
    if (!target_.running()) return;
    if (auto stop = target_.run_slice()) reply(Session::stop_reply(*stop));
  }
  void reply(const std::string& payload) { check_reply_reaches_client(payload); }
  void reconnect() {
    if (target_.running()) target_.interrupt();
    session_ = std::make_unique<Session>(target_);
    target_.attach();
  }

  rw::fuzz::FakeDebugTarget target_;
  std::unique_ptr<Session> session_ = std::make_unique<Session>(target_);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rw::stub::PacketDecoder decoder(rw::stub::kMaxPacketSize);
  std::vector<InputEvent> events;
  decoder.feed(std::string_view(reinterpret_cast<const char*>(data), size), events);
  Conversation conversation;
  for (const InputEvent& e : events) conversation.on_event(e);
  return 0;
}
