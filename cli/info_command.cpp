#include "cli/info_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/guest_time.h"
#include "machine/machine.h"
#include "session/exit_codes.h"
#include "journal/event_index.h"
#include "journal/event_json.h"
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

uint64_t instructions_of(const journal::Recording& rec) {
  return rec.end ? rec.end->final_icount : (rec.events.empty() ? 0 : rec.events.back().icount);
}

nlohmann::json image_json(const journal::ImageInfo& i) {
  return {{"path", i.path}, {"size", i.size}, {"hash", fmt::format("{:016x}", i.hash)}};
}

void print_summary_json(const std::string& path, const journal::Recording& rec) {
  const journal::RecordingHeader& h = rec.header;
  nlohmann::json j;
  j["recording"] = path;
  j["format_version"] = rec.version;
  j["file_bytes"] = rec.file_bytes;
  j["rewind_version"] = h.rewind_version;
  j["guest"] = image_json(h.guest);
  j["append"] = h.append;
  j["memory_bytes"] = h.memory_bytes;
  j["replayable"] = rec.version >= journal::kOldestReplayableVersion;
  if (rec.version >= journal::kOldestReplayableVersion) j["devices"] = kPcDevices;
  j["disks"] = nlohmann::json::array();
  for (size_t i = 0; i < h.disks.size() && i < 4; ++i)
    if (!h.disks[i].path.empty()) {
      nlohmann::json d = image_json(h.disks[i]);
      d["position"] = journal::drive_name(static_cast<uint8_t>(i));
      j["disks"].push_back(d);
    }
  j["rtc_base_unix_seconds"] = h.rtc_base_unix_seconds;
  j["state_digest_interval"] = h.state_hash_interval;
  std::array<uint64_t, journal::kEventKinds> counts{};
  for (const journal::Event& e : rec.events)
    if (size_t k = static_cast<size_t>(e.kind); k < counts.size()) ++counts[k];
  nlohmann::json by_kind = nlohmann::json::object();
  for (size_t k = 1; k < counts.size(); ++k) by_kind[journal::event_kind_key(static_cast<journal::EventKind>(k))] = counts[k];
  j["events"] = {{"total", rec.events.size()}, {"chunks", rec.chunks}, {"by_kind", by_kind}};
  j["disk_requests_indexed"] = rec.requests.size();
  const auto full = [](uint64_t from) { return from == journal::kNotFull ? nlohmann::json(nullptr) : nlohmann::json(from); };
  j["outputs_indexed"] = {{"serial_bytes", rec.outputs.serial.size()},
                          {"cpu_events", rec.outputs.cpu.size()},
                          {"serial_full_from", full(rec.outputs.serial_full_from)},
                          {"cpu_full_from", full(rec.outputs.cpu_full_from)}};
  j["instructions"] = instructions_of(rec);
  j["complete"] = rec.end.has_value();
  if (rec.end) j["end"] = {{"exit_status", rec.end->exit_status}, {"message", rec.end->stop_message}};
  if (!rec.damage.empty()) j["damage"] = rec.damage;
  fmt::print("{}\n", j.dump(2));
}

int print_events(const InfoOptions& o, const journal::Recording& rec) {
  const journal::EventIndex index(rec.events, rec.requests);
  const size_t first = index.first_at_or_after(o.from);
  const size_t last = o.to == UINT64_MAX ? index.size() : index.first_after(o.to);
  if (!o.json) {
    fmt::print("{} events in {} (instructions {} to {}); {} listed{}\n", index.size(), o.recording, o.from,
               o.to == UINT64_MAX ? instructions_of(rec) : o.to, last > first ? last - first : 0,
               rec.requests.empty() && !rec.events.empty() ? " (no request index: recorded before format 4)" : "");
    for (size_t k = first; k < last; ++k) fmt::print("{}\n", index.row(k));
    return 0;
  }
  nlohmann::json list = nlohmann::json::array();
  for (size_t k = first; k < last; ++k) list.push_back(journal::event_json(index, k));
  nlohmann::json j = {{"recording", o.recording}, {"total", index.size()}, {"from", o.from}, {"events", list}};
  if (o.to != UINT64_MAX) j["to"] = o.to;
  fmt::print("{}\n", j.dump(2));
  return 0;
}

// "hash 0123456789abcdef" from wherever the recording holds it (its 'HASH' chunk, or an
// older version's header), or why there is none.
std::string image_hash(const journal::Recording& rec, size_t image) {
  if (!rec.image_hashes) return "hash unknown: the recording was cut short before it";
  for (const journal::ImageHash& x : *rec.image_hashes)
    if (x.image == image) return x.hash ? fmt::format("hash {:016x}", x.hash) : "not hashed";
  return "not hashed";
}

}  // namespace

int info_command(const InfoOptions& options) {
  const std::string& path = options.recording;
  journal::Recording rec;
  try {
    rec = journal::read_recording(path);
  } catch (const journal::RecordingError& e) {
    std::fprintf(stderr, "rewind: error: %s\n", e.what());
    return session::kExitBadRecording;
  }
  if (options.events) return print_events(options, rec);
  if (options.json) {
    print_summary_json(path, rec);
    return 0;
  }
  const journal::RecordingHeader& h = rec.header;
  fmt::print("recording      {}\n", path);
  fmt::print("format         version {}, {}, {} checksums\n", rec.version, human_bytes(rec.file_bytes),
             rec.hash_algorithm() == journal::HashAlgorithm::kXxh3 ? "XXH3" : "CRC-32");
  fmt::print("recorded by    rewind {}\n", h.rewind_version);
  if (h.guest.path.empty())
    fmt::print("guest          none: booted from the primary master's boot sector\n");
  else
    fmt::print("guest          {} ({} bytes, {})\n", h.guest.path, h.guest.size, image_hash(rec, 0));
  if (!h.append.empty()) fmt::print("command line   {}\n", h.append);
  fmt::print("memory         {} MiB\n", h.memory_bytes >> 20);
  if (rec.version >= journal::kOldestReplayableVersion)
    fmt::print("devices        {}\n", kPcDevices);
  else
    fmt::print("devices        an older machine's ({}; this rewind does not replay it)\n",
               journal::older_machine(rec.version));
  static const char* const kPositions[] = {"primary master", "primary slave", "secondary master", "secondary slave"};
  for (size_t i = 0; i < h.disks.size() && i < 4; ++i)
    if (!h.disks[i].path.empty())
      fmt::print("disk           {}: {} ({} bytes, {})\n", kPositions[i], h.disks[i].path, h.disks[i].size,
                 image_hash(rec, i + 1));
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

  if (!rec.requests.empty()) fmt::print("  {:<21}{} (the request index)\n", "disk requests", rec.requests.size());
  // The output index (format 5): what the timeline's serial and interrupt lanes show.
  const auto full_note = [](uint64_t from) {
    return from == journal::kNotFull ? std::string() : fmt::format(" (the index is full from instruction {})", from);
  };
  if (rec.version >= 5) {
    fmt::print("serial output  {} bytes{}\n", rec.outputs.serial.size(), full_note(rec.outputs.serial_full_from));
    fmt::print("interrupts     {} exceptions and interrupts taken{}\n", rec.outputs.cpu.size(),
               full_note(rec.outputs.cpu_full_from));
  }
  if (!rec.snapshots.empty()) {
    uint64_t bytes = 0;
    for (const journal::StoredSnapshot& s : rec.snapshots) bytes += s.payload.size();
    fmt::print("snapshots      {} stored ({}), instructions {} to {}\n", rec.snapshots.size(), human_bytes(bytes),
               rec.snapshots.front().icount, rec.snapshots.back().icount);
  }
  for (const std::string& w : rec.warnings) fmt::print("warning        {}\n", w);

  const uint64_t instructions = instructions_of(rec);
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
