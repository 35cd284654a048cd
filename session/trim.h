// `rewind trim`: a recording of a window [from, to] of another, self-contained but for the
// guest and disk images (the same as the original's): it starts from a snapshot at `from`
// (machine, the disks' written sectors, the replay's position) and holds the events and
// digests of the window, a digest at `to`, and an end record there (the original's if `to`
// is its end, else the status kExitWindowEnd). docs/recording-format.md, "Trimmed windows".
#pragma once

#include <cstdint>
#include <string>

#include "session/session.h"

namespace rw::session {

struct TrimSpec {
  std::string recording;  // the original
  std::string output;
  uint64_t from = 0, to = 0;
  bool force = false;  // as replay --force
  // Snapshots stored in the window after its start, every `snapshot_interval` instructions
  // (0: only the start).
  uint64_t snapshot_interval = 0;
  TimelineOptions snapshots;  // for replaying the original up to the window
};

struct TrimResult {
  uint64_t events = 0;     // in the window
  uint64_t snapshots = 0;  // stored, the start's included
  uint64_t bytes = 0;      // of the output file
  int exit_status = 0;     // what a replay of the window ends with
};

// Throws SessionError: kExitUsage for a window that is not within the recording (from > to,
// either beyond it), kExitBadRecording / kExitBadImage / kExitReplayMismatch as replay does,
// kExitDivergence when the original's replay diverges on the way.
TrimResult trim_recording(const TrimSpec& spec);

}  // namespace rw::session
