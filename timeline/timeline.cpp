#include "timeline/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "journal/sessions.h"

namespace rw {

Timeline::Timeline(Machine& machine, journal::ReplaySession& session, TimelineOptions options)
    : machine_(machine), replayer_(&session.replayer()), options_(options) {
  const journal::Recording& rec = session.recording();
  const uint64_t last_event = rec.events.empty() ? 0 : rec.events.back().icount;
  // As `rewind replay` runs it: a complete recording ends by itself (or at the instruction
  // limit it was recorded with), one cut short where its events end.
  end_ = rec.end ? rec.end->final_icount : last_event;
  events_ = &rec.events;
  requests_ = &rec.requests;
  outputs_ = &rec.outputs;
  index_ = std::make_unique<journal::EventIndex>(*events_, *requests_);
  if (load_stored_snapshots(rec)) return;
  // A window's history starts at its first snapshot: without it there is nothing to replay.
  if (rec.window.trimmed())
    throw std::runtime_error(fmt::format("the trimmed recording's start snapshot (instruction {}) is unusable{}",
                                         rec.window.from, warnings_.empty() ? "" : ": " + warnings_.back()));
  take_first_snapshot();
}

Timeline::Timeline(Machine& machine, journal::RecordingSession& session, TimelineOptions options)
    : machine_(machine), live_(&session), recorder_(&session.recorder()), options_(options) {
  events_ = &recorder_->events();
  requests_ = &recorder_->requests();
  outputs_ = &recorder_->outputs();
  index_ = std::make_unique<journal::EventIndex>(*events_, *requests_);
  take_first_snapshot();
}

const journal::EventIndex& Timeline::event_index() const {
  index_->update();
  return *index_;
}

void Timeline::set_stop_at_live_deliveries(bool on) {
  if (live_) live_->set_stop_at_deliveries(on);
}

bool Timeline::parked() const { return live_ && live_->parked(); }

uint64_t Timeline::frontier() const { return parked() ? live_->frontier() : now(); }

bool Timeline::write_memory(uint64_t addr, std::span<const uint8_t> bytes) {
  return at_frontier() && live_->debugger_write_memory(addr, bytes);
}

bool Timeline::write_register(cpu::Reg reg, uint64_t value) {
  return at_frontier() && live_->debugger_write_register(reg, value);
}

const std::vector<std::string>& Timeline::divergence() const {
  static const std::vector<std::string> kNone;
  return replayer_ ? replayer_->divergence() : kNone;
}

void Timeline::park() {
  // The frontier's state is a place to come back to, cheaply and exactly: a snapshot there
  // (host I/O may be in flight: it is saved as the guest issued it). Not past a delivery at
  // the frontier: that state is not the one a run to it leaves, and a replay of the run
  // will deliver it again.
  if (!machine_.past_delivery() && store_.icount(store_.size() - 1) < now()) take_snapshot();
  replayer_ = &live_->park();
}

bool Timeline::unpark() {
  if (!live_->unpark()) return false;
  replayer_ = nullptr;
  return true;
}

journal::Replayer::Position Timeline::position() const {
  if (replayer_) return replayer_->position();
  // A replay of the live journal from here would deliver the next event recorded, and check
  // the digests after those recorded so far.
  return {recorder_->events().size(), recorder_->digests()};
}

void Timeline::take_first_snapshot() {
  if (options_.interval == 0 || options_.max_snapshots < 2)
    throw std::invalid_argument("timeline: the snapshot interval must be positive and at least 2 snapshots kept");
  take_snapshot();
  if (store_.bytes() > options_.budget_bytes)
    throw std::invalid_argument(fmt::format("the snapshot at instruction 0 alone takes {} KiB, more than the "
                                            "snapshot memory budget of {} KiB",
                                            (store_.bytes() + 1023) / 1024, options_.budget_bytes / 1024));
}

bool Timeline::load_stored_snapshots(const journal::Recording& rec) {
  if (rec.snapshots.empty() || (!options_.use_stored_snapshots && !rec.window.trimmed())) return false;
  // Each is relative to the one before it: the first unusable one ends the chain.
  uint64_t digests = 0;
  size_t counted = 0;
  for (size_t i = 0; i < rec.snapshots.size(); ++i) {
    const journal::StoredSnapshot& stored = rec.snapshots[i];
    try {
      store_.append_encoded(stored.payload, machine_);
    } catch (const std::invalid_argument& e) {
      warnings_.push_back(fmt::format("stored snapshot {} (instruction {}, chunk at byte {}): {}; it and the {} stored "
                                      "snapshots after it are not used (the replay goes on from the journal)",
                                      i + 1, stored.icount, stored.file_offset, e.what(), rec.snapshots.size() - i - 1));
      break;
    }
    for (; counted < stored.cursor; ++counted) digests += rec.events[counted].kind == journal::EventKind::kStateHash;
    positions_.push_back({static_cast<size_t>(stored.cursor), digests});
  }
  snapshots_loaded_ = store_.size();
  if (store_.size() == 0) return false;
  store_.restore(machine_, 0);
  replayer_->set_position(positions_[0]);
  replayer_->poll(now());  // the state at the first has every event there delivered
  // Kept as loaded: thinning starts only beyond them. Over the memory budget, every other
  // one goes (evenly, never the first or the newest) until they fit.
  options_.max_snapshots = std::max(options_.max_snapshots, store_.size() + options_.max_snapshots);
  while (store_.bytes() > options_.budget_bytes && store_.size() > 2) {
    for (size_t i = store_.size() - 1; i-- > 1;)
      if (i % 2 == 1) drop_snapshot(i);
  }
  if (store_.bytes() > options_.budget_bytes && store_.size() > 1)
    throw std::invalid_argument(fmt::format("the recording's first and last stored snapshots take {} KiB, more than the "
                                            "snapshot memory budget of {} KiB",
                                            (store_.bytes() + 1023) / 1024, options_.budget_bytes / 1024));
  if (store_.bytes() > options_.budget_bytes)
    throw std::invalid_argument(fmt::format("the snapshot at instruction {} alone takes {} KiB, more than the "
                                            "snapshot memory budget of {} KiB (it is stored in the recording)",
                                            begin(), (store_.bytes() + 1023) / 1024, options_.budget_bytes / 1024));
  return true;
}

void Timeline::store_newest(size_t index) {
  if (!live_ || !options_.store_in_recording || index + 1 != store_.size()) return;
  live_->store_snapshot(store_.icount(index), positions_[index].cursor, store_.encode(index));
  ++snapshots_stored_;
}

void Timeline::take_snapshot() {
  const size_t index = store_.take(machine_);
  positions_.push_back(position());
  // Before thinning: the file's copy holds what changed since the newest before it.
  store_newest(index);
  ++snapshots_taken_;
  thin();
}

// Between two snapshots, where a seek is on its way: the arrival snapshots are few and the
// oldest goes first, so that they never outgrow the frontier's.
void Timeline::take_arrival_snapshot() {
  // Storing snapshots in the recording, the newest is the file's latest: one beyond it would
  // be a snapshot of the past in the file's chain, whose events the file has already gone past.
  if (live_ && options_.store_in_recording && now() > store_.icount(store_.size() - 1)) return;
  const size_t count = store_.size();
  const size_t index = store_.take(machine_);
  if (store_.size() == count) return;  // one was there already
  positions_.insert(positions_.begin() + static_cast<std::ptrdiff_t>(index), position());
  ++snapshots_taken_;
  arrivals_.push_back(now());
  while (arrivals_.size() > options_.max_arrival_snapshots) {
    const uint64_t oldest = arrivals_.front();
    arrivals_.pop_front();
    const size_t i = snapshot_at_or_before(oldest);
    if (store_.icount(i) != oldest || i == 0 || i + 1 == store_.size()) continue;  // thinned already
    drop_snapshot(i);
  }
}

void Timeline::drop_snapshot(size_t index) {
  store_.drop(index);
  positions_.erase(positions_.begin() + static_cast<std::ptrdiff_t>(index));
  ++snapshots_dropped_;
}

// Over the count or the byte budget: drop every other snapshot of the oldest half (never
// the one at instruction 0, never the newest). Repeated, this leaves spacing that grows
// roughly geometrically with the distance from the present, as rr's checkpoints do.
void Timeline::thin() {
  while ((store_.size() > options_.max_snapshots || store_.bytes() > options_.budget_bytes) && store_.size() > 2) {
    const size_t oldest_half = std::max<size_t>(2, store_.size() / 2);
    // From the back, so that the indices still to visit do not move.
    for (size_t i = oldest_half; i-- > 1;)
      if (i % 2 == 1) drop_snapshot(i);
  }
}

size_t Timeline::snapshot_at_or_before(uint64_t icount) const {
  size_t lo = 0, hi = store_.size();  // the first snapshot is at begin()
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    (store_.icount(mid) <= icount ? lo : hi) = mid;
  }
  return lo;
}

RunResult Timeline::run_to(uint64_t icount) {
  RunResult result;
  result.reason = cpu::StopReason::kTarget;
  // Replaying, never past the recorded end: a guest that stopped there (its exit, a hang) is
  // seen stopping by Machine::run(end_) already, and beyond it there is no history to replay.
  const uint64_t target = live() ? icount : std::min(icount, end_);
  // Live, in the past: replay exactly to the frontier (where the events journaled there are
  // delivered), and go on live from there.
  auto at_frontier_again = [&] { return !parked() || now() != live_->frontier() || unpark(); };
  if (!at_frontier_again()) return result;
  while (now() < target) {
    // Stop at each multiple of the interval; beyond the newest snapshot, take one there.
    const uint64_t next_point = (now() / options_.interval + 1) * options_.interval;
    const uint64_t stop = std::min(target, next_point);
    // Past the frontier while parked is only a reverse search's probe: no history there.
    if (parked() && now() > live_->frontier()) break;
    result = machine_.run(parked() ? std::min(stop, live_->frontier()) : stop);
    if (!at_frontier_again() || result.reason != cpu::StopReason::kTarget || diverged()) return result;
    if (machine_.host_stop_requested()) break;  // Ctrl-C: the machine runs no further
    if (now() % options_.interval == 0 && now() > store_.icount(store_.size() - 1)) take_snapshot();
  }
  if (result.message.empty())
    result.message = !live() && now() >= end_ ? fmt::format("end of the recorded history ({} instructions)", now())
                                              : fmt::format("instruction limit reached ({} instructions)", now());
  return result;
}

Timeline::SeekResult Timeline::seek(uint64_t icount) {
  // Traces and TLB entries made while disarmed know nothing of breakpoints and watched
  // pages: the next run with the debugger armed rebuilds them (DebugState::changed).
  const bool armed = machine_.set_debug_armed(false);
  const SeekResult result = seek_armed_or_not(icount);
  machine_.set_debug_armed(armed);
  return result;
}

Timeline::SeekResult Timeline::seek_armed_or_not(uint64_t icount) {
  if ((!live() && icount > end_) || icount < begin()) return SeekResult::kBeyondEnd;
  // Past a delivery at now() (a stop at an interrupt handler's first instruction, say), the
  // state at now() is behind us.
  const bool behind = icount < now() || (icount == now() && machine_.past_delivery());
  if (at_frontier()) {
    // Forward from the frontier is the live run itself; backwards, park it first.
    if (!behind) {
      run_to(icount);
      return now() == icount ? SeekResult::kOk : SeekResult::kStopped;
    }
    park();
  }
  if (!behind && icount == now() && !replayer_->diverged()) return SeekResult::kOk;
  const size_t s = snapshot_at_or_before(icount);
  // Forward within reach of the present: no restore needed.
  if (behind || store_.icount(s) > now() || replayer_->diverged()) {
    store_.restore(machine_, s);
    replayer_->set_position(positions_[s]);
    // A live run can journal more events at a snapshot's instruction count after taking it
    // (its next run polls the host there first, a halted guest's before anything runs). The
    // state at t has every event journaled at t delivered: a run from here would deliver
    // them first, a seek to exactly here does it now.
    if (now() == icount) replayer_->poll(now());
  }
  if (options_.arrival_distance && icount - now() > options_.arrival_distance) {
    run_to(icount - options_.arrival_distance);
    if (now() == icount - options_.arrival_distance && !diverged()) take_arrival_snapshot();
  }
  run_to(icount);
  if (diverged()) return SeekResult::kDiverged;
  return now() == icount ? SeekResult::kOk : SeekResult::kStopped;
}

bool Timeline::step_back() {
  if (machine_.past_delivery()) return seek(now()) == SeekResult::kOk;
  if (now() <= begin()) return false;
  return seek(now() - 1) == SeekResult::kOk;
}

}  // namespace rw
