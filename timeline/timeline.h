// Time travel over a machine's history: snapshots taken while running forward, and
// seek(t) = restore the nearest snapshot at or before t, replay forward to exactly t. The
// history is finished (a recording being replayed) or still being made (a live run that
// records as it goes: going back parks the live side at the frontier and replays the run's
// own journal; going forward replays up to the frontier and goes on live there). See
// docs/timeline.md.
//
// "The state at instruction t" is what Machine::run(t) leaves when it reaches t: the
// events journaled at t have been delivered (a disk completion's data is in the drive
// and its interrupt raised), but no instruction after them has run. A straight run, a
// run that stopped and went on, and a seek all give that same state; snapshots are taken
// at such points, with the replayer's position just past the events at their icount.
//
// Replaying from a snapshot writes the guest's serial output again to the machine's
// serial FILE; whoever shows output (the gdb stub, later) decides what to repeat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "journal/event_index.h"
#include "journal/replayer.h"
#include "cpu/debugger.h"
#include "cpu/registers.h"
#include "machine/machine.h"
#include "machine/machine_state.h"
#include "snapshots/snapshot_store.h"

namespace rw::journal {
class RecordingSession;
class Recorder;
class ReplaySession;
}

namespace rw {

struct TimelineOptions {
  uint64_t interval = 50'000'000;     // instructions between snapshots at the frontier
  size_t max_snapshots = 64;          // over this, older snapshots are thinned
  size_t budget_bytes = size_t{1} << 30;  // likewise over this much host memory
  // A seek that replays further than this also leaves a snapshot this far before where it
  // arrives, so that stepping back from there replays at most this much (0: never).
  uint64_t arrival_distance = 1'000'000;
  size_t max_arrival_snapshots = 8;  // the oldest such snapshot goes when there are more
  // Live, recording to a file: every snapshot that becomes the newest is also stored in the
  // recording ('SNAP' chunks, `rewind record --snapshots`), so that a replay of the file
  // starts with them. Replaying, a recording's stored snapshots are always loaded.
  bool store_in_recording = false;
  // Replaying: start from the recording's stored snapshots (a trimmed recording always does:
  // it has nothing else to start from).
  bool use_stored_snapshots = true;
};

// Where a reverse search stopped, and why.
struct ReverseStop {
  // kFloor: nothing stopped it after the floor it was given (begin_reverse_continue); it is
  // there.
  enum class Kind { kBreakpoint, kWatchpoint, kHistoryBegin, kFloor };
  Kind kind = Kind::kHistoryBegin;
  uint64_t address = 0;  // the breakpoint's or the watchpoint's
  cpu::WatchKind watch_kind = cpu::WatchKind::kWrite;
};

class Timeline {
 public:
  enum class SeekResult {
    kOk,
    kBeyondEnd,  // past the end of the recorded history: nothing changed
    kDiverged,   // the replay diverged on the way (the replayer says where)
    kStopped,    // the guest stopped before reaching it (not in a faithful replay)
  };

  // `machine` replays `session`'s recording and is at instruction 0 (nothing run yet).
  // std::invalid_argument when the options cannot work (the snapshot at instruction 0 alone
  // is over the budget, say), with a message for the user.
  Timeline(Machine& machine, journal::ReplaySession& session, TimelineOptions options = {});
  // `machine` runs live, recorded by `session`, and is at instruction 0.
  Timeline(Machine& machine, journal::RecordingSession& session, TimelineOptions options = {});

  uint64_t now() const { return machine_.cpu().icount; }
  bool live() const { return live_ != nullptr; }
  // Live: the machine is in the run's past (or at the frontier having come from it), its
  // live inputs detached, replaying the run's journal.
  bool parked() const;
  // Live and running live: host I/O, serial input and the recorder attached. Only there
  // may the debugger change the machine (a change in the past would rewrite history).
  bool at_frontier() const { return live() && !parked(); }
  // Live: the instruction count the live run has reached.
  uint64_t frontier() const;
  // The debugger's writes (guest-virtual memory, a register), only at_frontier(): the live
  // run journals them where they are made (RecordingSession::debugger_write_memory), so a
  // replay of the run, from its past or from its recording file, makes them there again.
  // False, and nothing changed: not at the frontier, or the write cannot be made there.
  bool write_memory(uint64_t addr, std::span<const uint8_t> bytes);
  bool write_register(cpu::Reg reg, uint64_t value);
  // Live: running live, stop at the boundary where a disk completion or serial byte is
  // delivered (Machine::run returns kRequested there, the event journaled). For `monitor
  // catch io`; in the past (and replaying) the journal says where they are beforehand.
  void set_stop_at_live_deliveries(bool on);

  // The last instruction of the recorded history (where the recording ended, or its last
  // event if it was cut short); live, the frontier.
  uint64_t end() const { return live() ? frontier() : end_; }
  // The first instruction of the history: 0, or where a trimmed recording's window starts.
  uint64_t begin() const { return store_.icount(0); }
  // What went wrong with the recording's stored snapshots (left out, the rest replayed from
  // the journal): one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Snapshots loaded from the recording, and written to it (live, store_in_recording).
  size_t snapshots_loaded() const { return snapshots_loaded_; }
  uint64_t snapshots_stored() const { return snapshots_stored_; }

  // Forward to `icount` (replaying, at most to end(); a guest that stopped there when
  // recorded is reported stopping again), taking snapshots on the way. Stops early on a
  // guest stop. Live, from the past: replays up to the frontier, and goes on live from there.
  RunResult run_to(uint64_t icount);
  // To exactly `icount`, forwards or backwards. Refused beyond end() when replaying (live,
  // beyond the frontier is run_to). Breakpoints and watchpoints do not stop a seek (the
  // debugger's, armed in the machine, are put back after).
  SeekResult seek(uint64_t icount);
  // One step back: seek(now() - 1), or seek(now()) when the machine is past a delivery at
  // now() (it goes back to before the delivery). False at the very start (nothing changes).
  bool step_back();

  // Backwards to the last breakpoint or watchpoint hit before now (the machine's DebugState),
  // or to instruction 0 (kHistoryBegin). A breakpoint leaves the machine before its
  // instruction, a watchpoint before the accessing instruction or delivery (timeline/reverse_search.cpp).
  ReverseStop reverse_continue();
  // The same search in steps, so that a debugger can interrupt it: begin, then call step
  // until it returns the stop; each step replays about `budget` instructions at most. Between
  // steps the machine is at an instruction boundary of the replay, with the debugger's
  // breakpoints and watchpoints armed; cancel leaves it there (a consistent position).
  // `floor`: search no further back than there (0: the history's start); a search that
  // finds nothing after it stops at it (kFloor), in the state seek(floor) leaves.
  void begin_reverse_continue(uint64_t floor = 0);
  std::optional<ReverseStop> reverse_continue_step(uint64_t budget);
  void cancel_reverse_continue();
  bool searching() const { return search_.has_value(); }

  // The journal of the history: a recording's events, or those a live run has journaled so
  // far (state digests among them).
  const std::vector<journal::Event>& events() const { return *events_; }
  // The journal's events numbered and described, disk completions with their requests
  // (journal/event_index.h), up to date with a live run's journal.
  const journal::EventIndex& event_index() const;
  // The disk requests' starts (the request index; empty for a recording older than format 4).
  const std::vector<journal::RequestStart>& requests() const { return *requests_; }
  // The guest's serial output and the exceptions and interrupts its CPU took, placed in time
  // (the output index; empty for a recording older than format 5), as far as the recording or
  // the live run goes.
  const journal::OutputIndex& outputs() const { return *outputs_; }

  // The replay no longer follows the recording (live: the run's replay of its own past).
  bool diverged() const { return replayer_ && replayer_->diverged(); }
  // What differs, when diverged().
  const std::vector<std::string>& divergence() const;

  // The snapshots, ascending by instruction count; the first is at begin().
  size_t snapshot_count() const { return store_.size(); }
  uint64_t snapshot_icount(size_t index) const { return store_.icount(index); }
  // The newest snapshot at or before `icount`.
  size_t snapshot_at_or_before(uint64_t icount) const;
  size_t snapshot_bytes() const { return store_.bytes(); }
  uint64_t snapshots_taken() const { return snapshots_taken_; }
  uint64_t snapshots_dropped() const { return snapshots_dropped_; }

 private:
  struct Hit {
    uint64_t icount;  // where to seek to
    ReverseStop stop;
  };
  // A reverse search under way: the stretch [lo, hi) being replayed, and its last stop so far.
  struct Search {
    uint64_t origin = 0;
    uint64_t floor = 0;
    bool past_delivery = false;  // it began past a delivery at origin
    uint64_t origin_rip = 0;
    uint64_t hi = 0, lo = 0;
    bool first = true;        // the stretch is the first (the one ending at origin)
    bool in_stretch = false;  // lo was sought and the stretch is being replayed
    std::optional<Hit> last;
  };
  bool replay_stretch(uint64_t stop_by);
  SeekResult seek_armed_or_not(uint64_t icount);
  // Where the journal is now: the next event a replay from here would deliver.
  journal::Replayer::Position position() const;
  // Live: detach the live side at the frontier (with a snapshot there) to replay the past;
  // back at the frontier, attach it again (false: the replay diverged, still parked).
  void park();
  bool unpark();
  void take_first_snapshot();
  // Replaying: the recording's stored snapshots into the store, the machine and the replayer
  // put at the first; false when none is usable (warnings_ says why).
  bool load_stored_snapshots(const journal::Recording& rec);
  // Live, store_in_recording: snapshot `index`, the newest, into the recording file.
  void store_newest(size_t index);
  void take_snapshot();
  void take_arrival_snapshot();
  void drop_snapshot(size_t index);  // with its replayer position
  void thin();

  Machine& machine_;
  journal::Replayer* replayer_ = nullptr;        // replaying: the recording's; live, while parked: the run's
  journal::RecordingSession* live_ = nullptr;    // live: the run's
  const journal::Recorder* recorder_ = nullptr;
  const std::vector<journal::Event>* events_ = nullptr;  // the journal's (recording or recorder)
  const std::vector<journal::RequestStart>* requests_ = nullptr;  // likewise
  const journal::OutputIndex* outputs_ = nullptr;  // likewise
  std::unique_ptr<journal::EventIndex> index_;  // over events_ and requests_
  TimelineOptions options_;
  uint64_t end_ = 0;
  snapshots::SnapshotStore store_;
  std::vector<journal::Replayer::Position> positions_;  // the replayer's, per snapshot
  uint64_t snapshots_taken_ = 0;
  uint64_t snapshots_dropped_ = 0;
  std::vector<std::string> warnings_;
  size_t snapshots_loaded_ = 0;
  uint64_t snapshots_stored_ = 0;
  std::deque<uint64_t> arrivals_;  // instruction counts of arrival snapshots, oldest first
  std::optional<Search> search_;
};

}  // namespace rw
