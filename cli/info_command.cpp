#include "cli/info_command.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>

#include "core/guest_time.h"
#include "session/exit_codes.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace rw::cli {
namespace {

const char* kind_name(journal::EventKind k) {
  switch (k) {
    case journal::EventKind::kBlockCompletion: return "disk completions";
    case journal::EventKind::kSerialInput: return "serial input bytes";
    case journal::EventKind::kStateHash: return "state digests";
    case journal::EventKind::kIdleWake: return "idle wake-ups";
    case journal::EventKind::kDebuggerWrite: return "debugger writes";
  }
  return "unknown";
}

std::string human_bytes(uint64_t n) {
  if (n < 10 * 1024) return fmt::format("{} B", n);
  if (n < 10 * 1024 * 1024) return fmt::format("{:.1f} KiB", n / 1024.0);
  return fmt::format("{:.1f} MiB", n / (1024.0 * 1024.0));
}

}  // namespace

int info_command(const std::string& path) {
  journal::Recording rec;
  try {
    rec = journal::read_recording(path);
  } catch (const journal::RecordingError& e) {
    std::fprintf(stderr, "rewind: error: %s\n", e.what());
    return session::kExitBadRecording;
  }
  const journal::RecordingHeader& h = rec.header;
  fmt::print("recording      {}\n", path);
  fmt::print("format         version {}, {}\n", rec.version, human_bytes(rec.file_bytes));
  fmt::print("recorded by    rewind {}\n", h.rewind_version);
  fmt::print("guest          {} ({} bytes, hash {:016x})\n", h.guest.path, h.guest.size, h.guest.hash);
  if (!h.append.empty()) fmt::print("command line   {}\n", h.append);
  fmt::print("memory         {} MiB\n", h.memory_bytes >> 20);
  static const char* const kPositions[] = {"primary master", "primary slave", "secondary master", "secondary slave"};
  for (size_t i = 0; i < h.disks.size() && i < 4; ++i)
    if (!h.disks[i].path.empty())
      fmt::print("disk           {}: {} ({} bytes, hash {:016x})\n", kPositions[i], h.disks[i].path, h.disks[i].size,
                 h.disks[i].hash);
  fmt::print("rtc base time  {} (Unix seconds)\n", h.rtc_base_unix_seconds);
  if (rec.window.trimmed())
    fmt::print("window         trimmed window [{}, {}] of {} ({} instructions long)\n", rec.window.from, rec.window.to,
               rec.window.original, rec.window.original_final_icount);
  if (h.state_hash_interval) fmt::print("state digests  every {} instructions\n", h.state_hash_interval);

  std::array<uint64_t, journal::kEventKinds> counts{};
  for (const journal::Event& e : rec.events) {
    size_t k = static_cast<size_t>(e.kind);
    if (k < counts.size()) ++counts[k];
  }
  fmt::print("events         {} in {} chunks\n", rec.events.size(), rec.chunks);
  for (size_t k = 1; k < counts.size(); ++k)
    if (counts[k]) fmt::print("  {:<21}{}\n", kind_name(static_cast<journal::EventKind>(k)), counts[k]);

  if (!rec.snapshots.empty()) {
    uint64_t bytes = 0;
    for (const journal::StoredSnapshot& s : rec.snapshots) bytes += s.payload.size();
    fmt::print("snapshots      {} stored ({}), instructions {} to {}\n", rec.snapshots.size(), human_bytes(bytes),
               rec.snapshots.front().icount, rec.snapshots.back().icount);
  }
  for (const std::string& w : rec.warnings) fmt::print("warning        {}\n", w);

  uint64_t instructions = rec.end ? rec.end->final_icount : (rec.events.empty() ? 0 : rec.events.back().icount);
  fmt::print("instructions   {}{}\n", instructions, rec.end ? "" : " (at least; the recording was cut short)");
  fmt::print("guest time     {:.6f} s\n", double(instructions) / double(kInstructionsPerSecond));
  if (rec.end) {
    fmt::print("ended          {} (exit status {})\n", rec.end->stop_message, rec.end->exit_status);
  } else {
    fmt::print("ended          not recorded: the recording was cut short; {} events recovered{}\n", rec.events.size(),
               rec.damage.empty() ? "" : " (" + rec.damage + ")");
  }
  return 0;
}

}  // namespace rw::cli
