// The GDB remote serial protocol's byte layer: framing ($payload#cs), checksums, binary
// escaping, run-length encoding, hex. Pure functions and a byte-at-a-time decoder; nothing
// here knows about sockets or about the target being debugged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rw::stub {

// Sum of the bytes modulo 256, as sent after '#'.
uint8_t checksum(std::string_view payload);

// "$payload#cs" (the payload must already be escaped/encoded as the packet needs).
std::string frame(std::string_view payload);

// Binary data in X packets and qXfer replies: '$', '#', '}' and '*' become '}' followed
// by the byte XOR 0x20.
std::string escape_binary(std::span<const uint8_t> data);
// The inverse; nullopt if the data ends in the middle of an escape.
std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data);

// Run-length encoding of replies: "X*N" repeats X (N - 29) more times. Runs are only
// encoded when that saves bytes, and never with a count that would be '#' or '$'.
std::string rle_encode(std::string_view payload);
// The inverse; nullopt for a '*' with nothing to repeat or a count out of range.
std::optional<std::string> rle_decode(std::string_view payload);

// Hex helpers (lower case out, either case in).
std::string to_hex(std::span<const uint8_t> data);
std::string to_hex(std::string_view text);
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A hex number such as "1f" or "7fff0000"; nullopt if empty, not hex, or over 64 bits.
std::optional<uint64_t> parse_hex_number(std::string_view hex);

// What arrived on the wire, one item at a time.
struct InputEvent {
  enum class Kind {
    kPacket,       // a well-formed packet; `payload` is its (still encoded) contents
    kBadChecksum,  // a complete packet whose checksum is wrong: answer '-' (ack mode)
    kOversized,    // a packet longer than the limit: dropped, answer an error
    kInterrupt,    // 0x03 outside a packet: stop the running target
    kAck,          // '+'
    kNak,          // '-': resend the last reply
  };
  Kind kind;
  std::string payload;
};

// Turns a byte stream into InputEvents. Garbage outside packets is skipped; a '$' in the
// middle of a packet abandons the partial one (the sender resynchronised). Never throws
// and never holds more than max_payload bytes.
class PacketDecoder {
 public:
  explicit PacketDecoder(size_t max_payload) : max_payload_(max_payload) {}

  // Feed bytes; complete events are appended to `out`.
  void feed(std::string_view bytes, std::vector<InputEvent>& out);
  // Forget a partial packet (the client went away).
  void reset();
  // True while in the middle of a packet.
  bool partial() const { return state_ != State::kIdle; }

 private:
  enum class State { kIdle, kPayload, kChecksum1, kChecksum2 };
  size_t max_payload_;
  State state_ = State::kIdle;
  std::string payload_;
  bool oversized_ = false;
  uint8_t running_sum_ = 0;
  char checksum_hi_ = 0;
};

}  // namespace rw::stub
