// The host side of disk I/O: a small pool of worker threads does the slow part of each
// request (reading the base image into a staging buffer, injected latency and failures)
// and puts it on a completion queue. Nothing here touches guest-visible state: what a
// request does to the guest happens only when its completion is delivered on the CPU
// thread (BlockDevice::deliver), at an instruction boundary.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "block/fault_spec.h"

namespace rw {
class HostWakeup;
}

namespace rw::block {

class BaseImage;

enum class Op : uint8_t { kRead, kWrite };
enum class Status : uint8_t { kOk = 0, kIoError = 1 };

// One request as the host sees it. Shared between the device (CPU thread) and a worker;
// `finished` hands the staging buffer and status over from the worker.
struct HostJob {
  int device = 0;
  uint32_t id = 0;
  Op op = Op::kRead;
  uint64_t lba = 0;
  uint32_t count = 0;
  const BaseImage* base = nullptr;
  std::vector<uint8_t> data;  // read: base image contents (worker fills); write: the guest's data
  Status status = Status::kOk;
  std::chrono::steady_clock::time_point done_at;
  std::atomic<bool> finished{false};
};

class HostBackend {
 public:
  HostBackend(HostWakeup& wakeup, const FaultSpec& faults, unsigned workers = 2);
  ~HostBackend();  // finishes the jobs already running, drops queued ones
  HostBackend(const HostBackend&) = delete;
  HostBackend& operator=(const HostBackend&) = delete;

  void submit(std::shared_ptr<HostJob> job);
  // Moves the finished jobs (in the order they finished) to `out`. CPU thread only.
  void take_finished(std::vector<std::shared_ptr<HostJob>>& out);
  // Jobs submitted and not taken yet.
  size_t outstanding() const { return outstanding_.load(std::memory_order_acquire); }
  // For tests: blocks until every submitted job has finished (not necessarily been taken).
  void wait_all_finished();

 private:
  void worker_loop();
  void run_job(HostJob& job);

  HostWakeup& wakeup_;
  FaultSpec faults_;
  std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::shared_ptr<HostJob>> queue_;
  std::vector<std::shared_ptr<HostJob>> finished_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::atomic<size_t> outstanding_{0};
  std::vector<std::thread> workers_;
};

}  // namespace rw::block
