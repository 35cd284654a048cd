#include "block/completion_source.h"

namespace rw::block {

std::vector<Completion>& BlockCompletionSource::take_ready() {
  ready_.clear();
  jobs_.clear();
  backend_.take_finished(jobs_);
  for (const auto& job : jobs_) ready_.push_back({job->device, job->id, job->status, job->done_at});
  return ready_;
}

void BlockCompletionSource::deliver(const Completion& c, uint64_t now) {
  BlockDevice* device = c.device >= 0 && c.device < kMaxDevices ? devices_[c.device] : nullptr;
  if (!device) return;
  if (observer_) observer_(c);
  if (const HostJob* job = device->job(c.id)) {
    ++stats_.requests;
    if (c.status != Status::kOk) ++stats_.failed;
    else (job->op == Op::kRead ? stats_.sectors_read : stats_.sectors_written) += job->count;
    // Where on the instruction line did the host finish? Between the previous poll and this one.
    uint64_t host_icount = now;
    const auto span = this_poll_time_ - prev_poll_time_;
    if (this_poll_icount_ == now && span.count() > 0 && c.host_done > prev_poll_time_) {
      const double f = std::min(1.0, double((c.host_done - prev_poll_time_).count()) / double(span.count()));
      host_icount = prev_poll_icount_ + static_cast<uint64_t>(f * double(now - prev_poll_icount_));
    } else if (this_poll_icount_ == now && c.host_done <= prev_poll_time_) {
      host_icount = prev_poll_icount_;
    }
    const uint64_t delay = now - std::min(now, host_icount);
    stats_.delay_total += delay;
    stats_.delay_max = std::max(stats_.delay_max, delay);
  }
  device->deliver(c.id, c.status);
}

void BlockCompletionSource::poll(uint64_t now) {
  prev_poll_icount_ = this_poll_icount_;
  prev_poll_time_ = this_poll_time_;
  this_poll_icount_ = now;
  this_poll_time_ = std::chrono::steady_clock::now();
  if (backend_.outstanding() == 0) return;
  for (const Completion& c : take_ready()) deliver(c, now);
}

}  // namespace rw::block
