// `rewind trim RECORDING --from A --to B -o OUT`: a recording of a window (session/trim.h).
#pragma once

#include "session/trim.h"

namespace rw::cli {

// Snapshots are stored in recordings by `record` and `trim` unless --no-snapshots
// (docs/PERFORMANCE.md, "Snapshots in recordings and trim", has the sizes that decided it).
inline constexpr bool kStoreSnapshotsByDefault = false;

// Returns the process exit status (session/exit_codes.h); errors as one "rewind: error:" line.
int trim_command(const session::TrimSpec& spec);

}  // namespace rw::cli
