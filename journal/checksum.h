// The hash functions of the recording file: a 32-bit checksum guards its header, chunks
// and end record against corruption; a 64-bit hash identifies guest and disk images, and
// makes the state digests (memory pages, device parts, the combined value) and the serial
// output hash.
//
// Since format version 4 both are XXH3-64 with seed 0 (Debian's libxxhash, dispatched to the
// host's widest vector unit), the checksum being its low 32 bits. Versions 2 and 3 used the
// hand-written CRC-32 and ContentHash kept in `legacy`: their files are still read,
// replayed and checked with them, chosen from the file's version (hash_algorithm_for in
// recording_format.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct XXH3_state_s;

namespace rw::journal {

enum class HashAlgorithm : uint8_t {
  kLegacy,  // format versions 2 and 3: legacy::crc32, legacy::ContentHash
  kXxh3,    // format version 4 on: XXH3-64, seed 0
};

namespace legacy {

// CRC-32 (IEEE 802.3, zlib's crc32).
uint32_t crc32(const void* data, size_t len, uint32_t crc = 0);

// A 64-bit hash of a byte string (not cryptographic), word by word: equal inputs, equal
// hashes, however the input is split between updates.
class ContentHash {
 public:
  void update(const void* data, size_t len);
  uint64_t digest() const;

 private:
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
  uint64_t length_ = 0;
  uint8_t tail_[8] = {};
  unsigned tail_len_ = 0;
  void mix(uint64_t word);
};

}  // namespace legacy

// XXH3-64 of a byte string, seed 0.
uint64_t xxh3_64(const void* data, size_t len);

// The checksum of a recording's header, chunk or end record.
uint32_t checksum32(HashAlgorithm algorithm, const void* data, size_t len);
// The 64-bit hash of a byte string, in one go.
uint64_t hash64(HashAlgorithm algorithm, const void* data, size_t len);

// The 64-bit hash of a byte string given in pieces: the same value as hash64 of the whole,
// however it is split.
class StreamHash {
 public:
  explicit StreamHash(HashAlgorithm algorithm = HashAlgorithm::kXxh3);
  ~StreamHash();
  StreamHash(StreamHash&&) noexcept;
  StreamHash& operator=(StreamHash&&) noexcept;

  void update(const void* data, size_t len);
  uint64_t digest() const;
  HashAlgorithm algorithm() const { return algorithm_; }

 private:
  struct FreeState {
    void operator()(XXH3_state_s* s) const;
  };
  HashAlgorithm algorithm_;
  legacy::ContentHash legacy_;
  std::unique_ptr<XXH3_state_s, FreeState> xxh3_;  // kXxh3 only
};

}  // namespace rw::journal
