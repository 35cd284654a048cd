// A raw disk image opened read-only: the guest never writes to it (guest writes go to the
// Overlay). pread() is thread-safe, so host I/O workers read it concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace rw::block {

inline constexpr uint32_t kSectorSize = 512;

// Why an image cannot be attached; the message is one line naming the file.
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class BaseImage {
 public:
  // Throws ImageError when the file is missing, unreadable, not a regular file or block
  // device, empty, or not a whole number of 512-byte sectors.
  static std::unique_ptr<BaseImage> open(const std::string& path);
  ~BaseImage();
  BaseImage(const BaseImage&) = delete;
  BaseImage& operator=(const BaseImage&) = delete;

  const std::string& path() const { return path_; }
  uint64_t sectors() const { return sectors_; }
  // Reads `count` sectors at `lba` (must be in range). False on a host I/O error or short read.
  bool read(uint64_t lba, uint32_t count, uint8_t* out) const;

 private:
  BaseImage(std::string path, int fd, uint64_t sectors) : path_(std::move(path)), fd_(fd), sectors_(sectors) {}
  std::string path_;
  int fd_;
  uint64_t sectors_;
};

}  // namespace rw::block
