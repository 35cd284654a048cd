#include "session/serial_in.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "block/input_file.h"
#include "devices/serial_input.h"
#include "machine/machine.h"

namespace rw::session {

SerialIn::SerialIn() = default;

SerialIn::~SerialIn() {
  input_.reset();  // stops the reader thread before its descriptor goes
  if (owned_fd_ >= 0) close(owned_fd_);
}

bool SerialIn::connect(const std::string& spec, Machine& machine, std::string& error) {
  int fd;
  if (spec == "none") return true;
  if (spec == "stdin" || spec == "-") {
    fd = STDIN_FILENO;
  } else {
    // O_NONBLOCK: a FIFO is a fine input, but open() would wait for its writer before the
    // guest could start. The reader thread polls, so it waits for the writer instead, and
    // the input ends when the writer closes it.
    fd = open(spec.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      error = "--serial-in " + spec + ": cannot open: " + std::strerror(errno);
      return false;
    }
    owned_fd_ = fd;
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      error = "--serial-in " + spec + ": cannot stat: " + std::strerror(errno);
      return false;
    }
    // A file, a FIFO or a character device (a terminal, /dev/null) can be read as a byte
    // stream; a directory or a disk cannot.
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
      error = "--serial-in " + spec + ": is " + block::file_type_name(st.st_mode) +
              ", not a file, FIFO or character device";
      return false;
    }
  }
  input_ = std::make_unique<SerialInput>(fd, machine.uart(), machine.host_wakeup());
  machine.add_external_source(input_.get());
  return true;
}

}  // namespace rw::session
