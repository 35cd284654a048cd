#include "block/base_image.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include <cerrno>
#include <cstring>

namespace rw::block {

std::unique_ptr<BaseImage> BaseImage::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ImageError(fmt::format("disk image {}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  uint64_t bytes = 0;
  std::string problem;
  if (fstat(fd, &st) != 0) {
    problem = fmt::format("cannot stat: {}", std::strerror(errno));
  } else if (S_ISREG(st.st_mode)) {
    bytes = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) problem = fmt::format("cannot get its size: {}", std::strerror(errno));
  } else {
    problem = "not a regular file or block device";
  }
  if (problem.empty()) {
    // A probe read catches directories opened by mistake and unreadable media up front.
    uint8_t probe[kSectorSize];
    if (bytes < kSectorSize)
      problem = fmt::format("too small ({} bytes; a disk needs at least one 512-byte sector)", bytes);
    else if (bytes % kSectorSize != 0)
      problem = fmt::format("size {} bytes is not a whole number of 512-byte sectors", bytes);
    else if (pread(fd, probe, kSectorSize, 0) != static_cast<ssize_t>(kSectorSize))
      problem = fmt::format("cannot read: {}", errno ? std::strerror(errno) : "short read");
  }
  if (!problem.empty()) {
    ::close(fd);
    throw ImageError(fmt::format("disk image {}: {}", path, problem));
  }
  return std::unique_ptr<BaseImage>(new BaseImage(path, fd, bytes / kSectorSize));
}

BaseImage::~BaseImage() { ::close(fd_); }

bool BaseImage::read(uint64_t lba, uint32_t count, uint8_t* out) const {
  size_t want = size_t{count} * kSectorSize;
  off_t offset = static_cast<off_t>(lba * kSectorSize);
  while (want > 0) {
    const ssize_t n = pread(fd_, out, want, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    offset += n;
    want -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace rw::block
