// Device timers in guest time: a device arms a timer for an instruction count and
// is called back there. Machine::run never lets the CPU run past the earliest one,
// so timer interrupts land on exactly the same instruction in every run.
#pragma once

#include <cstdint>
#include <vector>

namespace rw {

class Scheduler {
 public:
  using Callback = void (*)(void* device, uint64_t now);
  static constexpr uint64_t kNever = ~uint64_t{0};

  // Returns the timer's id. Timers start disarmed.
  int add_timer(Callback callback, void* device) {
    timers_.push_back({callback, device, kNever});
    return static_cast<int>(timers_.size() - 1);
  }
  void arm(int id, uint64_t when) { timers_[id].when = when; }
  void disarm(int id) { timers_[id].when = kNever; }
  uint64_t deadline(int id) const { return timers_[id].when; }

  uint64_t next_deadline() const {
    uint64_t next = kNever;
    for (const Timer& t : timers_) next = t.when < next ? t.when : next;
    return next;
  }

  // Fire every timer due at `now`, earliest first (ties in the order timers were added).
  void run_due(uint64_t now) {
    for (;;) {
      Timer* due = nullptr;
      for (Timer& t : timers_)
        if (t.when <= now && (!due || t.when < due->when)) due = &t;
      if (!due) return;
      due->when = kNever;  // a callback re-arms if it wants to
      due->callback(due->device, now);
    }
  }

 private:
  struct Timer {
    Callback callback;
    void* device;
    uint64_t when;
  };
  std::vector<Timer> timers_;
};

}  // namespace rw
