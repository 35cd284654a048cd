#include "block/block_device.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace rw::block {

BlockDevice::BlockDevice(int index, std::unique_ptr<BaseImage> base, HostBackend* backend)
    : index_(index), base_(std::move(base)), backend_(backend) {}

uint32_t BlockDevice::submit(Op op, uint64_t lba, uint32_t count, const uint8_t* data) {
  if (count == 0 || lba >= sectors() || count > sectors() - lba)
    throw std::logic_error("BlockDevice::submit: range outside the disk (the device model checks it)");
  auto job = std::make_shared<HostJob>();
  job->device = index_;
  job->id = next_id_++;
  job->op = op;
  job->lba = lba;
  job->count = count;
  job->base = base_.get();
  job->data.resize(size_t{count} * kSectorSize);
  if (op == Op::kWrite) std::memcpy(job->data.data(), data, job->data.size());
  in_flight_[job->id] = job;
  if (request_observer_) request_observer_(index_, job->id, op, lba, count);
  if (backend_) backend_->submit(job);
  return job->id;
}

const HostJob* BlockDevice::job(uint32_t id) const {
  auto it = in_flight_.find(id);
  return it == in_flight_.end() ? nullptr : it->second.get();
}

bool BlockDevice::adopt_host_jobs(const HostJobs& jobs) {
  if (jobs.size() != in_flight_.size()) return false;
  for (const auto& [id, job] : jobs) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end() || it->second->op != job->op || it->second->lba != job->lba ||
        it->second->count != job->count)
      return false;
  }
  in_flight_ = jobs;
  return true;
}

void BlockDevice::deliver(uint32_t id, Status status) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  std::shared_ptr<HostJob> job = std::move(it->second);
  in_flight_.erase(it);
  const uint8_t* data = nullptr;
  if (status == Status::kOk && job->op == Op::kWrite) {
    overlay_.write(job->lba, job->count, job->data.data());
  } else if (status == Status::kOk) {
    // The base image part comes from the host's staging buffer when the host has finished
    // (and succeeded); otherwise (replay, or a status that says otherwise) it is read now.
    uint8_t* buf;
    if (job->finished.load(std::memory_order_acquire) && job->status == Status::kOk) {
      buf = job->data.data();
    } else {
      scratch_.resize(job->data.size());
      buf = scratch_.data();
      if (!base_->read(job->lba, job->count, buf)) status = Status::kIoError;
    }
    if (status == Status::kOk) {
      overlay_.apply(job->lba, job->count, buf);
      data = buf;
    }
  }
  if (client_) client_->block_completed(index_, id, status, data);
}

}  // namespace rw::block

namespace rw::block {

BlockDevice::Snapshot BlockDevice::snapshot(bool with_overlay) const {
  Snapshot s;
  s.next_id = next_id_;
  for (const auto& [id, job] : in_flight_) {
    Request r{job->id, job->op, job->lba, job->count, {}};
    if (job->op == Op::kWrite) r.data = job->data;
    s.in_flight.push_back(std::move(r));
  }
  if (with_overlay) s.overlay = overlay_.contents();
  return s;
}

std::string BlockDevice::check(const Snapshot& s) const {
  uint32_t last_id = 0;
  for (const Request& r : s.in_flight) {
    if (r.id == 0 || r.id <= last_id || r.id >= s.next_id) return "a request in flight with a bad id";
    last_id = r.id;
    if (r.op != Op::kRead && r.op != Op::kWrite) return "a request in flight with a bad operation";
    if (r.count == 0 || r.count > kMaxRequestSectors || r.lba > sectors() || r.count > sectors() - r.lba)
      return "a request in flight beyond the disk";
    if (r.data.size() != (r.op == Op::kWrite ? size_t{r.count} * kSectorSize : 0))
      return "a request in flight with data of the wrong size";
  }
  if (!s.overlay.empty() && s.overlay.rbegin()->first >= sectors()) return "overlay sectors beyond the disk";
  return {};
}

void BlockDevice::restore(const Snapshot& s, bool with_overlay) {
  next_id_ = s.next_id;
  in_flight_.clear();
  for (const Request& r : s.in_flight) {
    auto job = std::make_shared<HostJob>();
    job->device = index_;
    job->id = r.id;
    job->op = r.op;
    job->lba = r.lba;
    job->count = r.count;
    job->base = base_.get();
    job->data.resize(size_t{r.count} * kSectorSize);
    if (r.op == Op::kWrite) std::memcpy(job->data.data(), r.data.data(), std::min(job->data.size(), r.data.size()));
    in_flight_[r.id] = std::move(job);  // no host job: served by deliver() like a replay request
  }
  if (with_overlay) overlay_.restore(s.overlay);
}

}  // namespace rw::block
