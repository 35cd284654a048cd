// Device timers in guest time: a device arms a timer for an instruction count and
// is called back there. Machine::run never lets the CPU run past the earliest one,
// so timer interrupts land on exactly the same instruction in every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rw {

class Scheduler {
 public:
  using Callback = void (*)(void* device, uint64_t now);
  static constexpr uint64_t kNever = ~uint64_t{0};

  // Returns the timer's id. Timers start disarmed. `irq` is the ISA line the timer's
  // device may raise when it fires (-1: it may wake the CPU in other ways); a CPU idling
  // in HLT only waits for timers whose line can reach it (next_wake_deadline).
  int add_timer(Callback callback, void* device, int irq = -1) {
    timers_.push_back({callback, device, kNever, irq});
    return static_cast<int>(timers_.size() - 1);
  }
  void arm(int id, uint64_t when) {
    timers_[id].when = when;
    if (when < horizon_ && on_early_) on_early_(early_context_);
  }
  void disarm(int id) { timers_[id].when = kNever; }
  uint64_t deadline(int id) const { return timers_[id].when; }
  // Machine state save and restore: every timer's deadline, in timer order. Restoring
  // needs the same timers (the same machine configuration) and calls no callbacks.
  std::vector<uint64_t> deadlines() const {
    std::vector<uint64_t> out;
    for (const Timer& t : timers_) out.push_back(t.when);
    return out;
  }
  bool restore_deadlines(const std::vector<uint64_t>& when) {
    if (when.size() != timers_.size()) return false;
    for (size_t i = 0; i < when.size(); ++i) timers_[i].when = when[i];
    return true;
  }

  uint64_t next_deadline() const {
    uint64_t next = kNever;
    for (const Timer& t : timers_) next = t.when < next ? t.when : next;
    return next;
  }

  // While the CPU runs, it does not look at timers before `horizon`. A device
  // programmed by an instruction may arm a timer earlier than that: `on_early` is then
  // called so that the run loop stops at the end of the current trace and re-plans.
  // Outside a run the horizon is 0 (nothing is early).
  void set_horizon(uint64_t horizon) { horizon_ = horizon; }
  void on_early_timer(void (*callback)(void* context), void* context) {
    on_early_ = callback;
    early_context_ = context;
  }

  // The earliest timer whose IRQ line `can_interrupt` (or that has none).
  template <class Pred>
  uint64_t next_wake_deadline(Pred can_interrupt) const {
    uint64_t next = kNever;
    for (const Timer& t : timers_)
      if (t.when < next && (t.irq < 0 || can_interrupt(static_cast<unsigned>(t.irq)))) next = t.when;
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
    int irq;
  };
  std::vector<Timer> timers_;
  uint64_t horizon_ = 0;
  void (*on_early_)(void*) = nullptr;
  void* early_context_ = nullptr;
};

}  // namespace rw
