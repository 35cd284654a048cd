#include "stub/protocol/packet.h"

namespace rw::stub {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool needs_escape(uint8_t b) { return b == '$' || b == '#' || b == '}' || b == '*'; }

}  // namespace

uint8_t checksum(std::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return sum;
}

std::string frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out += '$';
  out += payload;
  out += '#';
  const uint8_t sum = checksum(payload);
  out += kHexDigits[sum >> 4];
  out += kHexDigits[sum & 15];
  return out;
}

std::string escape_binary(std::span<const uint8_t> data) {
  std::string out;
  out.reserve(data.size());
  for (uint8_t b : data) {
    if (needs_escape(b)) {
      out += '}';
      out += static_cast<char>(b ^ 0x20);
    } else {
      out += static_cast<char>(b);
    }
  }
  return out;
}

std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data) {
  std::vector<uint8_t> out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '}') {
      if (++i == data.size()) return std::nullopt;
      out.push_back(static_cast<uint8_t>(data[i]) ^ 0x20);
    } else {
      out.push_back(static_cast<uint8_t>(data[i]));
    }
  }
  return out;
}

std::string rle_encode(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  for (size_t i = 0; i < payload.size();) {
    const char c = payload[i];
    size_t run = 1;
    while (i + run < payload.size() && payload[i + run] == c) ++run;
    i += run;
    out += c;
    size_t extra = run - 1;
    // A repeat count N is sent as the character N + 29; '#' (6) and '$' (7) would end or
    // start a packet, and counts above 97 are not printable.
    while (extra > 0) {
      if (extra < 3) {  // "X*N" costs two characters: plain copies are as short
        out.append(extra, c);
        break;
      }
      size_t n = std::min<size_t>(extra, 97);
      if (n == 6 || n == 7) n = 5;
      out += '*';
      out += static_cast<char>(n + 29);
      extra -= n;
      if (extra > 0) {
        out += c;
        --extra;
      }
    }
  }
  return out;
}

std::optional<std::string> rle_decode(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != '*') {
      out += payload[i];
      continue;
    }
    if (out.empty() || i + 1 == payload.size()) return std::nullopt;
    const int n = static_cast<unsigned char>(payload[++i]) - 29;
    if (n < 3 || n > 97) return std::nullopt;
    out.append(static_cast<size_t>(n), out.back());
  }
  return out;
}

std::string to_hex(std::span<const uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

std::string to_hex(std::string_view text) {
  return to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::optional<uint64_t> parse_hex_number(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

void PacketDecoder::reset() {
  state_ = State::kIdle;
  payload_.clear();
  oversized_ = false;
}

void PacketDecoder::feed(std::string_view bytes, std::vector<InputEvent>& out) {
  for (char c : bytes) {
    switch (state_) {
      case State::kIdle:
        if (c == '$') {
          state_ = State::kPayload;
          payload_.clear();
          oversized_ = false;
          running_sum_ = 0;
        } else if (c == '\x03') {
          out.push_back({InputEvent::Kind::kInterrupt, {}});
        } else if (c == '+') {
          out.push_back({InputEvent::Kind::kAck, {}});
        } else if (c == '-') {
          out.push_back({InputEvent::Kind::kNak, {}});
        }
        // Anything else between packets is line noise: skipped.
        break;
      case State::kPayload:
        if (c == '#') {
          state_ = State::kChecksum1;
        } else if (c == '$') {
          // The sender gave up on the previous packet and started again.
          payload_.clear();
          oversized_ = false;
          running_sum_ = 0;
        } else {
          running_sum_ = static_cast<uint8_t>(running_sum_ + static_cast<uint8_t>(c));
          if (payload_.size() < max_payload_)
            payload_ += c;
          else
            oversized_ = true;
        }
        break;
      case State::kChecksum1:
        checksum_hi_ = c;
        state_ = State::kChecksum2;
        break;
      case State::kChecksum2: {
        state_ = State::kIdle;
        const int hi = hex_value(checksum_hi_), lo = hex_value(c);
        if (oversized_) {
          out.push_back({InputEvent::Kind::kOversized, {}});
        } else if (hi < 0 || lo < 0 || static_cast<uint8_t>(hi << 4 | lo) != running_sum_) {
          out.push_back({InputEvent::Kind::kBadChecksum, {}});
        } else {
          out.push_back({InputEvent::Kind::kPacket, std::move(payload_)});
        }
        payload_.clear();
        oversized_ = false;
        break;
      }
    }
  }
}

}  // namespace rw::stub
