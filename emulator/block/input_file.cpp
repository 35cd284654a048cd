#include "block/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rw::block {

const char* file_type_name(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
  }
  return "not a file";
}

std::optional<InputFile> InputFile::open(const std::string& path, FileKinds kinds, std::string& problem) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    problem = fmt::format("cannot open: {}", std::strerror(errno));
    return std::nullopt;
  }
  InputFile file(fd, 0, false);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    problem = fmt::format("cannot stat: {}", std::strerror(errno));
    return std::nullopt;
  }
  const bool block_ok = kinds == FileKinds::kRegularOrBlockDevice;
  if (S_ISREG(st.st_mode)) {
    file.size_ = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode) && block_ok) {
    if (ioctl(fd, BLKGETSIZE64, &file.size_) != 0) {
      problem = fmt::format("cannot get the size of the block device: {}", std::strerror(errno));
      return std::nullopt;
    }
    file.block_device_ = true;
  } else {
    problem = fmt::format("is {}, not a regular file{}", file_type_name(st.st_mode), block_ok ? " or block device" : "");
    return std::nullopt;
  }
  // Regular files and block devices ignore O_NONBLOCK today; clear it so reads stay plain.
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return file;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

bool InputFile::read_at(uint64_t offset, void* out, size_t len) const {
  auto* p = static_cast<uint8_t*>(out);
  while (len > 0) {
    const ssize_t n = pread(fd_, p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      return false;
    }
    p += n;
    offset += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace rw::block
