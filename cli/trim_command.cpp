#include "cli/trim_command.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/outcome.h"
#include "session/exit_codes.h"

namespace rw::cli {

int trim_command(const session::TrimSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  return run_guarded([&] {
    try {
      const session::TrimResult r = session::trim_recording(spec);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr,
                 "rewind: trimmed [{}, {}] of {} into {}: {} events, {} snapshots, {} bytes, in {:.2f} s; its replay "
                 "ends with status {}\n",
                 spec.from, spec.to, spec.recording, spec.output, r.events, r.snapshots, r.bytes, seconds, r.exit_status);
      return 0;
    } catch (const session::SessionError& e) {
      fmt::print(stderr, "rewind: error: {}\n", e.what());
      return e.status();
    }
  });
}

}  // namespace rw::cli
