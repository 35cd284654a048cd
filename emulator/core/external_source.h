// The seam for everything that is not determined by the guest's own instructions:
// disk I/O completions, serial input, the wall clock. A source hands events to its
// device only when polled at an instruction boundary. The record/replay layer
// (journal/) wraps these sources; nothing below this interface knows about it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rw {

// Host threads (I/O workers, the stdin reader) ring this when something finished, so
// that a guest idling in HLT wakes up without the CPU loop spinning.
class HostWakeup {
 public:
  void notify() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++count_;
    }
    cv_.notify_all();
  }
  // Returns once notify() has been called since the last `seen` value; updates `seen`.
  void wait(uint64_t& seen) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return count_ != seen; });
    seen = count_;
  }
  // As wait(), but gives up after `timeout`. Returns whether it was notified.
  template <class Duration>
  bool wait_for(uint64_t& seen, Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool notified = cv_.wait_for(lock, timeout, [&] { return count_ != seen; });
    seen = count_;
    return notified;
  }
  uint64_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

class ExternalSource {
 public:
  virtual ~ExternalSource() = default;
  // Deliver whatever is ready to the device, at instruction count `now`.
  virtual void poll(uint64_t now) = 0;
  // The instruction count at which the next event must be delivered, if the source
  // knows it (replay does); Scheduler::kNever otherwise.
  virtual uint64_t next_deadline() const { return ~uint64_t{0}; }
  // The machine let guest time pass at host pace while the CPU idled in HLT waiting for
  // the host (the new instruction count is not a timer's): the recorder journals it.
  virtual void idle_advanced(uint64_t now) {}
  // Whether something is outstanding that will arrive later without guest action
  // (it then rings the machine's HostWakeup when it does).
  virtual bool busy() const = 0;
};

}  // namespace rw
