#include "block/base_image.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "block/input_file.h"

namespace rw::block {

std::unique_ptr<BaseImage> BaseImage::open(const std::string& path) {
  std::string problem;
  std::optional<InputFile> file = InputFile::open(path, FileKinds::kRegularOrBlockDevice, problem);
  if (!file) throw ImageError(fmt::format("disk image {}: {}", path, problem));
  const uint64_t bytes = file->size();
  // A probe read catches unreadable media up front.
  uint8_t probe[kSectorSize];
  if (bytes < kSectorSize)
    problem = fmt::format("too small ({} bytes; a disk needs at least one 512-byte sector)", bytes);
  else if (bytes % kSectorSize != 0)
    problem = fmt::format("size {} bytes is not a whole number of 512-byte sectors", bytes);
  else if (!file->read_at(0, probe, kSectorSize))
    problem = fmt::format("cannot read: {}", errno ? std::strerror(errno) : "short read");
  if (!problem.empty()) throw ImageError(fmt::format("disk image {}: {}", path, problem));
  return std::unique_ptr<BaseImage>(new BaseImage(path, file->release(), bytes / kSectorSize));
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
