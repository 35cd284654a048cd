#include "journal/checksum.h"

#include <array>
#include <cstring>
#include <new>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t's layout, for XXH3_64bits_reset
#include <xxhash.h>
#if defined(__x86_64__)
// Debian's libxxhash carries the x86 dispatcher: XXH3 runs with AVX2 or AVX-512 when the
// host has them (about twice SSE2's speed), chosen once at the first call.
#include <xxh_x86dispatch.h>
#endif

namespace rw::journal {
namespace legacy {
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

}  // namespace legacy

uint64_t xxh3_64(const void* data, size_t len) { return XXH3_64bits(data, len); }

uint32_t checksum32(HashAlgorithm algorithm, const void* data, size_t len) {
  if (algorithm == HashAlgorithm::kLegacy) return legacy::crc32(data, len);
  return static_cast<uint32_t>(xxh3_64(data, len));
}

uint64_t hash64(HashAlgorithm algorithm, const void* data, size_t len) {
  if (algorithm == HashAlgorithm::kXxh3) return xxh3_64(data, len);
  legacy::ContentHash h;
  h.update(data, len);
  return h.digest();
}

void StreamHash::FreeState::operator()(XXH3_state_s* s) const { XXH3_freeState(s); }

StreamHash::StreamHash(HashAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm != HashAlgorithm::kXxh3) return;
  xxh3_.reset(XXH3_createState());
  if (!xxh3_) throw std::bad_alloc();
  XXH3_64bits_reset(xxh3_.get());
}

StreamHash::~StreamHash() = default;
StreamHash::StreamHash(StreamHash&&) noexcept = default;
StreamHash& StreamHash::operator=(StreamHash&&) noexcept = default;

void StreamHash::update(const void* data, size_t len) {
  if (xxh3_)
    XXH3_64bits_update(xxh3_.get(), data, len);
  else
    legacy_.update(data, len);
}

uint64_t StreamHash::digest() const { return xxh3_ ? XXH3_64bits_digest(xxh3_.get()) : legacy_.digest(); }

}  // namespace rw::journal
