// --serial-in: where the guest's COM1 receives from. "stdin" (the default, as QEMU's
// -serial stdio), "none", or a file. The host side stays here; the machine only sees
// an ExternalSource polled at instruction boundaries.
#pragma once

#include <memory>
#include <string>

namespace rw {
class Machine;
class SerialInput;
}

namespace rw::session {

class SerialIn {
 public:
  SerialIn();
  ~SerialIn();
  SerialIn(const SerialIn&) = delete;
  SerialIn& operator=(const SerialIn&) = delete;

  // Opens `spec` and connects it to the machine's UART. False with `error` set if a
  // file cannot be opened or is not a regular file, FIFO or character device. Never waits
  // for a FIFO's writer. The machine must outlive this object.
  bool connect(const std::string& spec, Machine& machine, std::string& error);

  // The source connected, if any (null for "none").
  SerialInput* input() { return input_.get(); }

 private:
  int owned_fd_ = -1;
  std::unique_ptr<SerialInput> input_;
};

}  // namespace rw::session
