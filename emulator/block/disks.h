// The disks of one machine: up to four block devices (ATA positions 0-3: primary master,
// primary slave, secondary master, secondary slave), the host worker pool, and the
// completion source the machine polls.
#pragma once

#include <array>
#include <memory>

#include "block/base_image.h"
#include "block/block_device.h"
#include "block/completion_source.h"
#include "block/fault_spec.h"
#include "block/host_backend.h"

namespace rw::block {

class Disks {
 public:
  static constexpr int kPositions = 4;
  using Images = std::array<std::unique_ptr<BaseImage>, kPositions>;

  // Without host I/O (replay), requests wait for deliver() from the journal.
  Disks(HostWakeup& wakeup, Images images, const FaultSpec& faults, bool host_io = true);
  BlockDevice* device(int position) { return devices_[position].get(); }
  BlockCompletionSource& source() { return *source_; }
  HostBackend& backend() { return *backend_; }
  // Whether new requests reach the host workers (a live run's past: they do not). Only
  // for disks built with host I/O.
  void set_host_io(bool on);
  // Every device's request observer (BlockDevice::set_request_observer).
  void set_request_observer(const BlockDevice::RequestObserver& observer);

 private:
  // Destroyed in reverse: the source, then the workers (joined), then the devices and
  // images the workers read.
  std::array<std::unique_ptr<BlockDevice>, kPositions> devices_;
  std::unique_ptr<HostBackend> backend_;
  std::unique_ptr<BlockCompletionSource> source_;
};

}  // namespace rw::block
