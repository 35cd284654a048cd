// Checksums for the recording file: CRC-32 (IEEE 802.3) guards chunks against
// corruption; a 64-bit content hash identifies guest and disk images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rw::journal {

uint32_t crc32(const void* data, size_t len, uint32_t crc = 0);

// A fast 64-bit hash of a byte string (not cryptographic): equal inputs, equal hashes.
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

// Hash of a whole file (a regular file or block device); throws RecordingError, with the
// reason, if it cannot be read.
uint64_t hash_file(const std::string& path);

}  // namespace rw::journal
