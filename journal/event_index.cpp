#include "journal/event_index.h"

#include <fmt/format.h>

#include <algorithm>

namespace rw::journal {

const char* drive_name(uint8_t drive) {
  static constexpr const char* kDrives[] = {"primary master", "primary slave", "secondary master", "secondary slave"};
  return drive < 4 ? kDrives[drive] : "drive ?";
}

const char* operation_name(uint8_t op) { return op == 0 ? "READ" : op == 1 ? "WRITE" : "?"; }

std::string status_text(int32_t status) {
  return status == 0 ? std::string("ok") : status == 1 ? std::string("failed (I/O error)") : fmt::format("status {}", status);
}

EventIndex::EventIndex(const std::vector<Event>& events, const std::vector<RequestStart>& requests)
    : events_(events), requests_(requests) {
  update();
}

void EventIndex::update() {
  for (; events_seen_ < events_.size(); ++events_seen_)
    if (events_[events_seen_].kind != EventKind::kStateHash && events_[events_seen_].kind != EventKind::kIdleWake)
      listed_.push_back(events_seen_);
  for (; requests_seen_ < requests_.size(); ++requests_seen_) {
    const RequestStart& r = requests_[requests_seen_];
    request_by_id_.emplace(uint64_t{r.drive} << 32 | r.id, requests_seen_);
  }
}

size_t EventIndex::first_after(uint64_t icount) const {
  return static_cast<size_t>(std::partition_point(listed_.begin(), listed_.end(),
                                                  [&](size_t i) { return events_[i].icount <= icount; }) -
                             listed_.begin());
}

size_t EventIndex::first_at_or_after(uint64_t icount) const {
  return static_cast<size_t>(std::partition_point(listed_.begin(), listed_.end(),
                                                  [&](size_t i) { return events_[i].icount < icount; }) -
                             listed_.begin());
}

const RequestStart* EventIndex::request_of(size_t index) const {
  const Event& e = event(index);
  if (e.kind != EventKind::kBlockCompletion || e.id > UINT32_MAX) return nullptr;
  auto it = request_by_id_.find(uint64_t{e.device} << 32 | e.id);
  return it == request_by_id_.end() ? nullptr : &requests_[it->second];
}

bool EventIndex::same_boundary_as_previous(size_t index) const {
  if (index == 0) return false;
  const Event& e = event(index);
  const Event& p = event(index - 1);
  return e.kind == EventKind::kBlockCompletion && p.kind == EventKind::kBlockCompletion && p.icount == e.icount;
}

bool EventIndex::is_delivery(size_t index) const {
  const EventKind k = event(index).kind;
  return k == EventKind::kBlockCompletion || k == EventKind::kSerialInput;
}

namespace {

std::string printable(uint64_t byte) {
  const auto b = static_cast<uint8_t>(byte);
  return b >= 0x20 && b < 0x7F && b != '\'' ? fmt::format("0x{:02x} '{}'", b, static_cast<char>(b))
                                             : fmt::format("0x{:02x}", b);
}

}  // namespace

std::string EventIndex::sentence(size_t index, bool so_far) const {
  const Event& e = event(index);
  const std::string of = fmt::format("{} of {}{}", index + 1, size(), so_far ? " so far" : "");
  switch (e.kind) {
    case EventKind::kBlockCompletion: {
      if (const RequestStart* r = request_of(index))
        return fmt::format("disk completion {}: {} {} LBA {} x{} {}, started at icount {}, delivered at {}", of,
                           drive_name(e.device), operation_name(r->op), r->lba, r->count, status_text(e.status),
                           r->icount, e.icount);
      return fmt::format("disk completion {}: {} request {} {}, delivered at {}", of, drive_name(e.device), e.id,
                         status_text(e.status), e.icount);
    }
    case EventKind::kSerialInput:
      return fmt::format("serial input {}: byte {}, delivered at {}", of, printable(e.id), e.icount);
    case EventKind::kIdleWake: return fmt::format("idle wake {}: the guest waited in HLT until {}", of, e.icount);
    case EventKind::kDebuggerWrite:
      return e.device == 0 ? fmt::format("debugger write {}: {} bytes at physical 0x{:x}, at {}", of, e.status, e.id,
                                         e.icount)
                           : fmt::format("debugger write {}: register {}, at {}", of, e.id, e.icount);
    case EventKind::kStateHash: break;
  }
  return fmt::format("event {}", of);
}

std::string EventIndex::row(size_t index) const {
  const Event& e = event(index);
  std::string what;
  switch (e.kind) {
    case EventKind::kBlockCompletion:
      if (const RequestStart* r = request_of(index)) {
        what = fmt::format("disk completion  {:<16} {:<5} LBA {} x{} {}  started {} (+{})", drive_name(e.device),
                           operation_name(r->op), r->lba, r->count, status_text(e.status), r->icount,
                           e.icount - std::min(e.icount, r->icount));
      } else {
        what = fmt::format("disk completion  {:<16} request {} {}", drive_name(e.device), e.id, status_text(e.status));
      }
      break;
    case EventKind::kSerialInput: what = fmt::format("serial input     byte {}", printable(e.id)); break;
    case EventKind::kIdleWake: what = "idle wake        the guest waited in HLT for the host"; break;
    case EventKind::kDebuggerWrite:
      what = e.device == 0 ? fmt::format("debugger write   {} bytes at physical 0x{:x}", e.status, e.id)
                           : fmt::format("debugger write   register {}", e.id);
      break;
    case EventKind::kStateHash: what = "state digest"; break;
  }
  return fmt::format("#{:<5} icount {:<12} {}{}", index + 1, e.icount, what,
                     same_boundary_as_previous(index) ? fmt::format("  (same boundary as #{})", index) : "");
}

}  // namespace rw::journal
