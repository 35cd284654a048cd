#include "block/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rw::block {

FILE* open_output_file(const std::string& path, std::string& problem) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0666);
  if (fd < 0) {
    problem = errno == ENXIO ? "is a FIFO (named pipe) that nobody reads"
                             : std::string("cannot open: ") + std::strerror(errno);
    return nullptr;
  }
  // Writes block as usual from here on (a slow reader of a FIFO slows the guest, no data is lost).
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    problem = std::string("cannot open: ") + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    problem = std::string("cannot open: ") + std::strerror(errno);
    ::close(fd);
  }
  return f;
}

}  // namespace rw::block
