#include "devices/serial_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "devices/uart16550.h"

namespace rw {

SerialInput::SerialInput(int fd, Uart16550& uart, HostWakeup& wakeup) : fd_(fd), uart_(uart), wakeup_(wakeup) {
  if (fd_ < 0 || (isatty(fd_) && tcgetpgrp(fd_) != getpgrp()) || pipe(cancel_pipe_) != 0) {
    eof_ = true;
    return;
  }
  thread_ = std::thread([this] { read_loop(); });
}

SerialInput::~SerialInput() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  room_.notify_all();
  if (cancel_pipe_[1] >= 0) {
    const char c = 0;
    [[maybe_unused]] ssize_t n = write(cancel_pipe_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int p : cancel_pipe_)
    if (p >= 0) close(p);
}

void SerialInput::read_loop() {
  uint8_t buf[4096];
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [&] { return stopping_ || queue_.size() < kMaxQueued; });
      if (stopping_) return;
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {cancel_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) return;
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.insert(queue_.end(), buf, buf + n);
    }
    wakeup_.notify();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    eof_ = true;
  }
  wakeup_.notify();
}

void SerialInput::poll(uint64_t) {
  unsigned space = uart_.receive_space();
  if (space == 0) return;
  bool drained = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty()) return;
    while (space-- > 0 && !queue_.empty()) {
      if (observer_) observer_(queue_.front());
      uart_.receive(queue_.front());
      queue_.pop_front();
      ++delivered_;
    }
    drained = queue_.size() < kMaxQueued;
  }
  if (drained) room_.notify_one();
}

bool SerialInput::busy() const {
  if (!uart_.receive_interrupt_enabled()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return !eof_ || !queue_.empty();
}

}  // namespace rw
