// The gdb packet layer on arbitrary bytes: framing, checksums, run-length encoding, binary
// escaping and hex. Besides "never crashes", it checks what stub/protocol/packet.h promises:
// the decoder holds at most its limit, does not care how the stream is cut into reads, and
// every decoding is undone by its encoding.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "stub/protocol/packet.h"

namespace {

using rw::stub::InputEvent;
using rw::stub::PacketDecoder;

constexpr size_t kLimit = 512;  // small, so that oversized packets are easy to reach

bool same_events(const std::vector<InputEvent>& a, const std::vector<InputEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload) return false;
  return true;
}

void check_round_trips(const std::string& payload) {
  // Framing what we decoded gives the same packet back.
  PacketDecoder again(kLimit);
  std::vector<InputEvent> reframed;
  again.feed(rw::stub::frame(payload), reframed);
  FUZZ_CHECK(reframed.size() == 1 && reframed[0].kind == InputEvent::Kind::kPacket && reframed[0].payload == payload);

  if (auto expanded = rw::stub::rle_decode(payload)) {
    FUZZ_CHECK(expanded->find('*') == std::string::npos);  // so that encoding it is unambiguous
    FUZZ_CHECK(rw::stub::rle_decode(rw::stub::rle_encode(*expanded)) == *expanded);
  }
  if (auto binary = rw::stub::unescape_binary(payload)) {
    const std::string escaped = rw::stub::escape_binary(*binary);
    FUZZ_CHECK(escaped.find_first_of("$#") == std::string::npos);  // safe inside a packet
    FUZZ_CHECK(rw::stub::unescape_binary(escaped) == *binary);
  }
  if (auto bytes = rw::stub::from_hex(payload)) {
    const std::string hex = rw::stub::to_hex(*bytes);
    FUZZ_CHECK(hex.size() == payload.size() && rw::stub::from_hex(hex) == *bytes);
  }
  if (auto number = rw::stub::parse_hex_number(payload)) {
    FUZZ_CHECK(payload.size() <= 16);
  }
  (void)rw::stub::checksum(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);

  PacketDecoder whole(kLimit);
  std::vector<InputEvent> events;
  whole.feed(stream, events);

  // The same bytes in pieces whose sizes come from the input itself.
  PacketDecoder pieces(kLimit);
  std::vector<InputEvent> piecewise;
  for (size_t at = 0; at < size;) {
    const size_t n = 1 + data[at] % 7;
    pieces.feed(stream.substr(at, n), piecewise);
    at += n;
  }
  FUZZ_CHECK(same_events(events, piecewise));
  FUZZ_CHECK(whole.partial() == pieces.partial());

  for (const InputEvent& e : events) {
    FUZZ_CHECK(e.payload.size() <= kLimit);
    if (e.kind != InputEvent::Kind::kPacket) {
      FUZZ_CHECK(e.payload.empty());
      continue;
    }
    FUZZ_CHECK(e.payload.find_first_of("$#") == std::string::npos);
    check_round_trips(e.payload);
  }
  // The helpers on the raw stream too, where '$' and '#' may appear.
  (void)rw::stub::rle_decode(stream);
  (void)rw::stub::unescape_binary(stream);
  (void)rw::stub::from_hex(stream);
  return 0;
}
