// One gdb conversation: turns packet payloads into target calls and replies. Knows the
// protocol's commands but nothing of sockets (the server moves the bytes) and nothing of
// the machine (it sees only stub::Target and its capabilities).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "stub/target.h"

namespace rw::stub {

// Largest packet we accept and advertise (PacketSize).
inline constexpr size_t kMaxPacketSize = 0x4000;

class Session {
 public:
  explicit Session(Target& target) : target_(target) {}

  enum class Next {
    kReply,    // send `reply` and wait for the next packet
    kResume,   // the target was resumed: run it, then send the stop reply
    kDetach,   // send `reply`, then let the target go and end the session
    kKill,     // end everything (no reply)
  };
  struct Outcome {
    Next next = Next::kReply;
    std::string reply;  // unframed payload (already escaped where the packet needs it)
    std::string console = {};  // sent first as "O" output (only where gdb waits for a stop reply)
  };

  // `payload` is a packet's contents after run-length decoding.
  Outcome handle(std::string_view payload);

  // The stop reply packet for an event ("T05swbreak:;thread:1;", "W01", "X0b").
  static std::string stop_reply(const StopEvent& event);

  // gdb said `monitor web-follow on` (stub/gdb/rewind.py does, at load): it refreshes its
  // caches when the web timeline moves the machine, so the page may seek while gdb is stopped.
  bool follows_page() const { return follows_page_; }
  // The page moved the machine: `monitor web-follow` says so (once) to the script's hook.
  void page_moved(uint64_t icount) { page_moved_to_ = icount; }

  // After QStartNoAckMode: neither side sends '+'/'-' any more.
  bool no_ack() const { return no_ack_; }

 private:
  std::string supported_reply() const;
  std::string read_all_registers();
  std::string write_all_registers(std::string_view hex);
  std::string read_register(std::string_view args);
  std::string write_register(std::string_view args);
  std::string read_memory(std::string_view args);
  std::string write_memory_hex(std::string_view args);
  std::string write_memory_binary(std::string_view args);
  std::string breakpoint(bool insert, std::string_view args);
  Outcome query(std::string_view payload);
  Outcome v_packet(std::string_view payload);
  Outcome resume(const ResumeRequest& request);
  std::string xfer_features(std::string_view args);
  std::string web_follow(std::string_view arg);

  Target& target_;
  bool no_ack_ = false;
  bool follows_page_ = false;
  std::optional<uint64_t> page_moved_to_;
};

}  // namespace rw::stub
