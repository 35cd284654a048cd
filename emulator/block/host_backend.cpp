#include "block/host_backend.h"

#include "block/base_image.h"
#include "core/external_source.h"

namespace rw::block {

HostBackend::HostBackend(HostWakeup& wakeup, const FaultSpec& faults, unsigned workers)
    : wakeup_(wakeup), faults_(faults) {
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

HostBackend::~HostBackend() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void HostBackend::submit(std::shared_ptr<HostJob> job) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void HostBackend::take_finished(std::vector<std::shared_ptr<HostJob>>& out) {
  if (outstanding_.load(std::memory_order_acquire) == 0) return;  // the common case: no lock
  std::lock_guard<std::mutex> lock(mutex_);
  outstanding_.fetch_sub(finished_.size(), std::memory_order_acq_rel);
  for (auto& job : finished_) out.push_back(std::move(job));
  finished_.clear();
}

void HostBackend::wait_all_finished() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void HostBackend::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::shared_ptr<HostJob> job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    run_job(*job);
    lock.lock();
    --running_;
    finished_.push_back(std::move(job));
    done_cv_.notify_all();
    lock.unlock();
    wakeup_.notify();
    lock.lock();
  }
}

void HostBackend::run_job(HostJob& job) {
  const FaultSpec::Decision fault = faults_.decide(job.device, job.id, job.op == Op::kWrite);
  if (fault.delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(fault.delay_us));
  bool ok = !fault.fail;
  // Writes land in the overlay at delivery; the host has nothing slow to do for them.
  if (ok && job.op == Op::kRead) ok = job.base->read(job.lba, job.count, job.data.data());
  job.status = ok ? Status::kOk : Status::kIoError;
  job.done_at = std::chrono::steady_clock::now();
  job.finished.store(true, std::memory_order_release);
}

}  // namespace rw::block
