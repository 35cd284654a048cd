// The byte layer: checksums, framing, escaping, run-length encoding, and a decoder that
// survives whatever a broken or hostile client sends.
#include <gtest/gtest.h>

#include <random>

#include "stub/protocol/packet.h"

namespace rw::stub {
namespace {

using Kind = InputEvent::Kind;

std::vector<InputEvent> decode(std::string_view bytes, size_t max = 64) {
  PacketDecoder d(max);
  std::vector<InputEvent> out;
  d.feed(bytes, out);
  return out;
}

TEST(Packet, ChecksumIsTheByteSumModulo256) {
  EXPECT_EQ(checksum(""), 0);
  EXPECT_EQ(checksum("OK"), 0x9a);
  EXPECT_EQ(checksum("qSupported"), 0x37);
  EXPECT_EQ(checksum(std::string(300, '\xff')), static_cast<uint8_t>(300 * 0xff));
}

TEST(Packet, FrameAddsMarkersAndLowerCaseChecksum) {
  EXPECT_EQ(frame("OK"), "$OK#9a");
  EXPECT_EQ(frame(""), "$#00");
  EXPECT_EQ(frame("g"), "$g#67");
}

TEST(Packet, EscapingCoversTheFourSpecialBytes) {
  const std::vector<uint8_t> data = {'$', '#', '}', '*', 'a', 0, 0xff};
  const std::string escaped = escape_binary(data);
  EXPECT_EQ(escaped, std::string("}\x04}\x03}]}\x0a" "a\0\xff", 11));
  auto back = unescape_binary(escaped);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, data);
}

TEST(Packet, UnescapeRejectsATrailingEscape) { EXPECT_FALSE(unescape_binary("ab}")); }

TEST(Packet, EscapeRoundTripsEveryByte) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  auto back = unescape_binary(escape_binary(all));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, all);
}

TEST(Packet, RunLengthEncodingOfLongRuns) {
  EXPECT_EQ(rle_encode("0000"), "0* ");          // '0' + 3 more: count char 3 + 29 = ' '
  EXPECT_EQ(rle_encode("abc"), "abc");
  EXPECT_EQ(rle_encode("000"), "000");           // not worth it
  const std::string zeros(200, '0');
  const std::string enc = rle_encode(zeros);
  EXPECT_LT(enc.size(), 10u);
  EXPECT_EQ(*rle_decode(enc), zeros);
}

TEST(Packet, RunLengthNeverUsesHashOrDollarAsCount) {
  for (size_t n = 1; n < 400; ++n) {
    const std::string run(n, 'f');
    const std::string enc = rle_encode("x" + run + "y");
    EXPECT_EQ(enc.find('#'), std::string::npos) << n;
    EXPECT_EQ(enc.find('$'), std::string::npos) << n;
    auto dec = rle_decode(enc);
    ASSERT_TRUE(dec) << n;
    EXPECT_EQ(*dec, "x" + run + "y") << n;
  }
}

TEST(Packet, RunLengthDecodeRejectsNonsense) {
  EXPECT_FALSE(rle_decode("*a"));    // nothing to repeat
  EXPECT_FALSE(rle_decode("a*"));    // count missing
  EXPECT_FALSE(rle_decode("a*\x01")); // count below 3
  EXPECT_EQ(*rle_decode("a*\""), "aaaaaa");  // '"' = 34 -> 5 more
}

TEST(Packet, Hex) {
  const std::vector<uint8_t> bytes = {0x00, 0xab, 0x7f};
  EXPECT_EQ(to_hex(bytes), "00ab7f");
  EXPECT_EQ(*from_hex("00AB7f"), bytes);
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(*parse_hex_number("ffffffffffffffff"), ~uint64_t{0});
  EXPECT_FALSE(parse_hex_number("1ffffffffffffffff"));
  EXPECT_FALSE(parse_hex_number(""));
  EXPECT_FALSE(parse_hex_number("-1"));
}

TEST(PacketDecoder, WellFormedPacketsAcksAndInterrupts) {
  auto ev = decode("+$g#67-\x03$m10,4#2e");
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].kind, Kind::kAck);
  EXPECT_EQ(ev[1].kind, Kind::kPacket);
  EXPECT_EQ(ev[1].payload, "g");
  EXPECT_EQ(ev[2].kind, Kind::kNak);
  EXPECT_EQ(ev[3].kind, Kind::kInterrupt);
  EXPECT_EQ(ev[4].kind, Kind::kPacket);
  EXPECT_EQ(ev[4].payload, "m10,4");
}

TEST(PacketDecoder, ChecksumIsCaseInsensitive) {
  auto ev = decode("$OK#9A");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kPacket);
}

TEST(PacketDecoder, BadChecksumIsReported) {
  auto ev = decode("$g#68$g#zz");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Kind::kBadChecksum);
  EXPECT_EQ(ev[1].kind, Kind::kBadChecksum);
}

TEST(PacketDecoder, UnterminatedPacketYieldsNothingAndCanBeAbandoned) {
  PacketDecoder d(64);
  std::vector<InputEvent> out;
  d.feed("$m10,4", out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(d.partial());
  // A new '$' starts over: the sender gave up on the first one.
  d.feed("$g#67", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "g");
  EXPECT_FALSE(d.partial());
}

TEST(PacketDecoder, ClientDisconnectingMidPacketThenAnotherConnecting) {
  PacketDecoder d(64);
  std::vector<InputEvent> out;
  d.feed("$qSupported:multipro", out);  // connection drops here
  d.reset();
  d.feed("ss#00", out);  // the tail of nothing: garbage between packets
  EXPECT_TRUE(out.empty());
  d.feed("$?#3f", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "?");
}

TEST(PacketDecoder, OversizedPacketIsDroppedWithoutGrowing) {
  std::string big = "$" + std::string(1000, 'a') + "#00$g#67";
  auto ev = decode(big, 64);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Kind::kOversized);
  EXPECT_EQ(ev[1].payload, "g");
}

TEST(PacketDecoder, GarbageBetweenPacketsIsSkipped) {
  auto ev = decode("hello\r\n\x7f\x80$g#67junk");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload, "g");
}

TEST(PacketDecoder, SplitAcrossFeedsOneByteAtATime) {
  PacketDecoder d(64);
  std::vector<InputEvent> out;
  for (char c : std::string("$m10,4#2e")) d.feed(std::string_view(&c, 1), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "m10,4");
}

TEST(PacketDecoder, RandomBytesNeverCrashOrGrow) {
  std::mt19937 rng(42);
  PacketDecoder d(128);
  std::vector<InputEvent> out;
  for (int round = 0; round < 2000; ++round) {
    std::string chunk(rng() % 64, '\0');
    for (char& c : chunk) c = static_cast<char>(rng() % 4 == 0 ? "$#+-\x03}*"[rng() % 7] : rng() % 256);
    d.feed(chunk, out);
    for (auto& e : out) EXPECT_LE(e.payload.size(), 128u);
    out.clear();
  }
  out.clear();
  d.feed("xx$g#67", out);  // "xx" finishes a checksum the random bytes may have begun
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().payload, "g");
}

}  // namespace
}  // namespace rw::stub
