#include "block/disks.h"

namespace rw::block {

Disks::Disks(HostWakeup& wakeup, Images images, const FaultSpec& faults, bool host_io)
    : backend_(std::make_unique<HostBackend>(wakeup, faults, 2)),
      source_(std::make_unique<BlockCompletionSource>(*backend_)) {
  for (int i = 0; i < kPositions; ++i) {
    if (!images[i]) continue;
    devices_[i] = std::make_unique<BlockDevice>(i, std::move(images[i]), host_io ? backend_.get() : nullptr);
    source_->set_device(i, devices_[i].get());
  }
}

void Disks::set_host_io(bool on) {
  for (auto& d : devices_)
    if (d) d->set_backend(on ? backend_.get() : nullptr);
}

void Disks::set_request_observer(const BlockDevice::RequestObserver& observer) {
  for (auto& d : devices_)
    if (d) d->set_request_observer(observer);
}

}  // namespace rw::block
