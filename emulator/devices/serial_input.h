// Host input for the UART: a host thread reads a file descriptor (stdin, a file, a
// pipe) into a host-side queue; at instruction boundaries the machine polls this source,
// which hands the UART as many queued bytes as its receiver has room for. So bytes are
// delivered only at boundaries (where the journal can record them) and never dropped
// while the guest is slow to read: they wait here instead of overrunning the FIFO.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/external_source.h"

namespace rw {

class Uart16550;

class SerialInput : public ExternalSource {
 public:
  // Reads `fd` (not owned) until end of file. A terminal this process does not own (a
  // background job) is not read at all, instead of stopping the process with SIGTTIN.
  SerialInput(int fd, Uart16550& uart, HostWakeup& wakeup);
  ~SerialInput() override;
  SerialInput(const SerialInput&) = delete;
  SerialInput& operator=(const SerialInput&) = delete;

  void poll(uint64_t now) override;
  // Input may still come and the guest would be interrupted by it.
  bool busy() const override;

  // Sees every byte as it is handed to the UART (the record/replay layer journals them).
  void set_delivery_observer(std::function<void(uint8_t)> observer) { observer_ = std::move(observer); }

  // Bytes handed to the UART so far.
  uint64_t delivered() const { return delivered_; }

 private:
  static constexpr size_t kMaxQueued = 1 << 16;
  void read_loop();

  int fd_;
  Uart16550& uart_;
  HostWakeup& wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable room_;  // the reader waits here while the queue is full
  std::deque<uint8_t> queue_;
  bool eof_ = false;
  bool stopping_ = false;
  int cancel_pipe_[2] = {-1, -1};
  uint64_t delivered_ = 0;
  std::function<void(uint8_t)> observer_;
  std::thread thread_;
};

}  // namespace rw
