// Opening a host file that rewind reads (a guest image, a disk image, a recording, an image
// to hash) without trusting what the path names. open() of a FIFO waits for a writer and
// /dev/zero never ends, so a file is opened non-blocking and its type checked with fstat
// before a byte is read; its size is known up front, so a reader can refuse what is too
// large instead of growing a buffer without end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace rw::block {

enum class FileKinds {
  kRegular,                // guest images, recordings
  kRegularOrBlockDevice,  // disk images (a disk may be a real one)
};

class InputFile {
 public:
  // Opens `path` read-only. nullopt with `problem` set to one line without the path
  // ("cannot open: No such file or directory", "is a FIFO (named pipe), not a regular file")
  // when it cannot be opened or is not one of `kinds`.
  static std::optional<InputFile> open(const std::string& path, FileKinds kinds, std::string& problem);

  InputFile(InputFile&& other) noexcept : fd_(other.fd_), size_(other.size_), block_device_(other.block_device_) {
    other.fd_ = -1;
  }
  InputFile& operator=(InputFile&&) = delete;
  InputFile(const InputFile&) = delete;
  ~InputFile();

  int fd() const { return fd_; }
  // The size when opened: st_size, or the device size of a block device.
  uint64_t size() const { return size_; }
  bool is_block_device() const { return block_device_; }
  // Reads exactly `len` bytes at `offset`; false on an error or end of file (errno set, 0 at the end).
  bool read_at(uint64_t offset, void* out, size_t len) const;
  // Hands the descriptor over to the caller, who closes it.
  int release();

 private:
  InputFile(int fd, uint64_t size, bool block_device) : fd_(fd), size_(size), block_device_(block_device) {}
  int fd_;
  uint64_t size_;
  bool block_device_;
};

// "a directory", "a FIFO (named pipe)", "a character device", ... for a stat st_mode.
const char* file_type_name(unsigned mode);

}  // namespace rw::block
