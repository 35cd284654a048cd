#include "cli/serial_in.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "devices/serial_input.h"
#include "machine/machine.h"

namespace rw::cli {

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
    fd = open(spec.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = "--serial-in " + spec + ": cannot open: " + std::strerror(errno);
      return false;
    }
    owned_fd_ = fd;
  }
  input_ = std::make_unique<SerialInput>(fd, machine.uart(), machine.host_wakeup());
  machine.add_external_source(input_.get());
  return true;
}

}  // namespace rw::cli
