// Delivers finished host requests to their disks at instruction boundaries: the
// ExternalSource the machine polls. take_ready() and deliver() are separate so that the
// record/replay layer can wrap them (record: log {icount, device, id, status} on delivery;
// replay: call deliver() at the journaled instruction count).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "block/block_device.h"
#include "block/host_backend.h"
#include "core/external_source.h"

namespace rw::block {

struct Completion {
  int device;
  uint32_t id;
  Status status;
  std::chrono::steady_clock::time_point host_done;
};

// What --stats reports about disk I/O.
struct DiskStats {
  uint64_t requests = 0, failed = 0, sectors_read = 0, sectors_written = 0;
  // Host completion to guest delivery, in guest instructions (host completion is placed on
  // the instruction line by interpolating between the two polls around it).
  uint64_t delay_total = 0, delay_max = 0;
};

class BlockCompletionSource : public ExternalSource {
 public:
  static constexpr int kMaxDevices = 4;
  explicit BlockCompletionSource(HostBackend& backend) : backend_(backend) {}
  void set_device(int index, BlockDevice* device) { devices_[index] = device; }

  void poll(uint64_t now) override;
  bool busy() const override { return backend_.outstanding() != 0; }

  // Host completions ready for delivery, in the order the host finished them.
  std::vector<Completion>& take_ready();
  void deliver(const Completion& c, uint64_t now);
  const DiskStats& stats() const { return stats_; }
  // Sees every completion as it is delivered (the record/replay layer journals them).
  void set_delivery_observer(std::function<void(const Completion&)> observer) { observer_ = std::move(observer); }

 private:
  HostBackend& backend_;
  std::array<BlockDevice*, kMaxDevices> devices_{};
  std::vector<std::shared_ptr<HostJob>> jobs_;
  std::vector<Completion> ready_;
  DiskStats stats_;
  std::function<void(const Completion&)> observer_;
  uint64_t prev_poll_icount_ = 0, this_poll_icount_ = 0;
  std::chrono::steady_clock::time_point prev_poll_time_{}, this_poll_time_{};
};

}  // namespace rw::block
