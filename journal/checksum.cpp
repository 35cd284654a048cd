#include "journal/checksum.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "block/input_file.h"
#include "journal/recording_error.h"

namespace rw::journal {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

}  // namespace

uint32_t crc32(const void* data, size_t len, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < len; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void ContentHash::mix(uint64_t w) {
  state_ ^= w * 0xC2B2AE3D27D4EB4Full;
  state_ = (state_ << 31 | state_ >> 33) * 0x9E3779B185EBCA87ull;
}

void ContentHash::update(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  length_ += len;
  while (len > 0 && tail_len_ > 0 && tail_len_ < 8) {
    tail_[tail_len_++] = *p++;
    --len;
  }
  if (tail_len_ == 8) {
    uint64_t w;
    std::memcpy(&w, tail_, 8);
    mix(w);
    tail_len_ = 0;
  }
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
  }
  while (len-- > 0) tail_[tail_len_++] = *p++;
}

uint64_t ContentHash::digest() const {
  uint64_t h = state_;
  uint64_t w = 0;
  std::memcpy(&w, tail_, tail_len_);
  h ^= (w + tail_len_) * 0x165667B19E3779F9ull;
  h ^= length_;
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

uint64_t hash_file(const std::string& path) {
  std::string problem;
  std::optional<block::InputFile> file = block::InputFile::open(path, block::FileKinds::kRegularOrBlockDevice, problem);
  if (!file) throw RecordingError(path + ": " + problem);
  ContentHash h;
  std::vector<uint8_t> buf(1 << 20);
  // Only the size seen when opened: a file that grows meanwhile does not keep this going.
  for (uint64_t at = 0; at < file->size();) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), file->size() - at));
    if (!file->read_at(at, buf.data(), n)) throw RecordingError(path + ": read error while hashing");
    h.update(buf.data(), n);
    at += n;
  }
  return h.digest();
}

}  // namespace rw::journal
