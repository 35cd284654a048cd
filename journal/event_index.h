// The journal as a person or a script reads it: what it delivered to the guest (disk
// completions, serial input bytes, a debugger's writes) numbered from 1 in delivery order
// over the whole history (state digests and idle wakes, which deliver nothing, left out), each disk completion matched with
// its request's start from the request index (operation, drive, LBA, sectors, and how many
// instructions the request took). One index for `monitor events`, `monitor catch io`,
// `monitor seek event N` and `rewind info --events`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "journal/recording_format.h"

namespace rw::journal {

class EventIndex {
 public:
  // Over a journal that may still grow (a live run's): call update() before reading it.
  EventIndex(const std::vector<Event>& events, const std::vector<RequestStart>& requests);
  // Takes in what was journaled since the last update.
  void update();

  // Listed events (disk completions, serial input, debugger writes), 0-based here; event
  // number = index + 1.
  size_t size() const { return listed_.size(); }
  const Event& event(size_t index) const { return events_[listed_[index]]; }
  // The first listed event after `icount` (size() if none), and the first at or after it.
  size_t first_after(uint64_t icount) const;
  size_t first_at_or_after(uint64_t icount) const;
  // A disk completion's request start, if the recording has the request index.
  const RequestStart* request_of(size_t index) const;
  // Another disk completion was delivered at the same instruction boundary before this one.
  bool same_boundary_as_previous(size_t index) const;
  // Whether the event at `index` is something delivered to the guest (a disk completion or a
  // serial input byte): where `monitor catch io` stops.
  bool is_delivery(size_t index) const;

  // One line, e.g. "disk completion 17 of 32: primary master READ LBA 64 x8 ok, started at
  // icount 20981234, delivered at 21039818" (`so_far`: "of 32 so far", a live run's count).
  std::string sentence(size_t index, bool so_far) const;
  // The columns of a table row: "#17    icount 21039818   disk completion  primary master ..."
  std::string row(size_t index) const;

 private:
  const std::vector<Event>& events_;
  const std::vector<RequestStart>& requests_;
  size_t events_seen_ = 0, requests_seen_ = 0;
  std::vector<size_t> listed_;                          // indices into events_
  std::unordered_map<uint64_t, size_t> request_by_id_;  // (drive << 32 | id) -> index into requests_
};

const char* drive_name(uint8_t drive);
const char* operation_name(uint8_t op);  // "READ", "WRITE"
std::string status_text(int32_t status);  // "ok", "failed (I/O error)"

}  // namespace rw::journal
