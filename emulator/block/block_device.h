// One disk as the device model (ATA) sees it: requests go in with submit(), completions
// come back through BlockClient at instruction boundaries.
//
// Determinism: submit() runs when the guest issues the command and hands out ids from a
// per-device counter. A request takes effect only in deliver(): a read returns the disk as
// it is at that moment (base image plus the overlay of writes delivered so far), a write
// changes the overlay at that moment. So the only non-deterministic fact about a request is
// the instruction boundary of its delivery, and replay can serve it synchronously there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "block/base_image.h"
#include "block/host_backend.h"
#include "block/overlay.h"

namespace rw::block {

class BlockClient {
 public:
  virtual ~BlockClient() = default;
  // `data` holds count sectors for a successful read, else it is null. Valid during the call.
  virtual void block_completed(int device, uint32_t id, Status status, const uint8_t* data) = 0;
};

class BlockDevice {
 public:
  // `backend` may be null: requests then wait for deliver() (tests, replay).
  BlockDevice(int index, std::unique_ptr<BaseImage> base, HostBackend* backend);

  int index() const { return index_; }
  uint64_t sectors() const { return base_->sectors(); }
  const BaseImage& base() const { return *base_; }
  const Overlay& overlay() const { return overlay_; }
  // For incremental snapshots (snapshots/), which keep and restore the overlay themselves,
  // between runs: its write epochs and group-wise restore.
  Overlay& mutable_overlay() { return overlay_; }
  void set_client(BlockClient* client) { client_ = client; }
  // Told of every request submit() starts, as it starts (the journal's request index):
  // (device, id, op, lba, count). Costs nothing per instruction.
  using RequestObserver = std::function<void(int device, uint32_t id, Op op, uint64_t lba, uint32_t count)>;
  void set_request_observer(RequestObserver observer) { request_observer_ = std::move(observer); }

  // Starts a request (the range must be inside the disk); returns its id. For a write,
  // `data` holds the count sectors, copied now.
  uint32_t submit(Op op, uint64_t lba, uint32_t count, const uint8_t* data = nullptr);
  // The one place where a request takes effect: at the current instruction boundary, with
  // `status` (a failed request changes nothing). Unknown ids are ignored. The record/replay
  // layer calls exactly this.
  void deliver(uint32_t id, Status status);
  bool in_flight(uint32_t id) const { return in_flight_.count(id) != 0; }
  size_t in_flight_count() const { return in_flight_.size(); }
  uint32_t next_id() const { return next_id_; }  // the id the next request gets
  // The host job of a request in flight (null if none): the completion source's view.
  const HostJob* job(uint32_t id) const;

  // Where new requests go: null while a live run replays its own past, so that what the
  // guest submits there never reaches the host (the journal completes it).
  void set_backend(HostBackend* backend) { backend_ = backend; }
  // The requests in flight as the host knows them. A live run stashes them before going
  // into its past (they keep running on the host threads) and puts them back when it is
  // at the same point again: the restored requests there (same ids, no host job) are
  // replaced by the host's, whose finished reads then deliver the host's data. False, and
  // nothing changed, when the ids in flight are not the stashed ones.
  using HostJobs = std::map<uint32_t, std::shared_ptr<HostJob>>;
  HostJobs host_jobs() const { return in_flight_; }
  bool adopt_host_jobs(const HostJobs& jobs);

  // Machine state save and restore: the overlay, the id counter and the requests in flight
  // (for a write, with its data). A restored request has no host job, like a replay
  // request: a later deliver(id) serves it from the base image and overlay at that moment.
  // Without the overlay (incremental snapshots keep it in pieces), `overlay` is left empty
  // and restoring leaves the overlay as it is.
  struct Request {
    uint32_t id = 0;
    Op op = Op::kRead;
    uint64_t lba = 0;
    uint32_t count = 0;
    std::vector<uint8_t> data;  // a write's data; empty for a read
  };
  struct Snapshot {
    uint32_t next_id = 1;
    std::vector<Request> in_flight;  // ascending ids
    std::map<uint64_t, Overlay::Sector> overlay;
  };
  Snapshot snapshot(bool with_overlay = true) const;
  // Empty if `s` (read from a file, say) is one this device can be restored to: requests in
  // flight with ascending ids below next_id, within the disk, of at most kMaxRequestSectors,
  // a write's data its exact size, a read's none; overlay sectors within the disk. Else
  // what is wrong.
  std::string check(const Snapshot& s) const;
  static constexpr uint32_t kMaxRequestSectors = 65536;  // ATA's largest (LBA48, count 0)
  void restore(const Snapshot& s, bool with_overlay = true);

 private:
  int index_;
  std::unique_ptr<BaseImage> base_;
  HostBackend* backend_;
  BlockClient* client_ = nullptr;
  RequestObserver request_observer_;
  Overlay overlay_;
  uint32_t next_id_ = 1;
  std::map<uint32_t, std::shared_ptr<HostJob>> in_flight_;
  std::vector<uint8_t> scratch_;
};

}  // namespace rw::block
