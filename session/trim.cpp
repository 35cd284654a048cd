#include "session/trim.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <cstdio>
#include <memory>
#include <vector>

#include "journal/checksum.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"
#include "journal/replayer.h"
#include "journal/state_hash.h"
#include "session/exit_codes.h"
#include "snapshots/snapshot_store.h"

namespace rw::session {

namespace {

[[noreturn]] void diverged(const Timeline& t, const std::string& where) {
  std::string what = fmt::format("the replay of the original diverged {}", where);
  for (const std::string& line : t.divergence()) what += "\n  " + line;
  throw SessionError(kExitDivergence, what);
}

// What the guest wrote to `serial` from `offset` on, hashed as a recording hashes its output.
uint64_t output_hash_since(FILE* serial, long offset) {
  journal::StreamHash hash;  // format 4's
  if (std::fseek(serial, offset, SEEK_SET) != 0) throw SessionError(kExitInternal, "trim: cannot read back the serial output");
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, serial)) > 0;) hash.update(buf, n);
  return hash.digest();
}

}  // namespace

TrimResult trim_recording(const TrimSpec& spec) {
  // The guest's output in the window is hashed for the end record: it goes to a scratch file.
  std::unique_ptr<FILE, int (*)(FILE*)> serial(std::tmpfile(), &std::fclose);
  if (!serial) throw SessionError(kExitInternal, "trim: cannot make a temporary file for the serial output");
  ReplaySpec replay_spec;
  replay_spec.recording = spec.recording;
  replay_spec.serial_out = serial.get();
  replay_spec.force = spec.force;
  replay_spec.snapshots = spec.snapshots;
  std::unique_ptr<Session> s = Session::replay(replay_spec);
  Timeline& t = *s->timeline();
  Machine& machine = s->machine();
  journal::Replayer& replayer = *s->replayer();
  const journal::Recording& rec = *s->recording();
  const std::vector<journal::Event>& events = rec.events;
  if (spec.from > spec.to)
    throw SessionError(kExitUsage, fmt::format("trim: the window starts (instruction {}) after it ends (instruction {})",
                                               spec.from, spec.to));
  if (spec.from < t.begin() || spec.to > t.end())
    throw SessionError(kExitUsage, fmt::format("trim: the window [{}, {}] is not within the recording, which goes from "
                                               "instruction {} to {}",
                                               spec.from, spec.to, t.begin(), t.end()));
  // The guest's stop at the recorded end happens in the instruction before it: a window
  // without that instruction cannot end with it.
  if (rec.end && spec.from == spec.to && spec.to == rec.end->final_icount &&
      rec.end->exit_status != kExitInstructionLimit && rec.end->exit_status != kExitWindowEnd)
    throw SessionError(kExitUsage, fmt::format("trim: the window [{0}, {0}] holds no instruction, and the recording ends "
                                               "with the guest stopping in the one before it: start it earlier",
                                               spec.to));
  if (t.seek(spec.from) != Timeline::SeekResult::kOk) diverged(t, fmt::format("before instruction {}", spec.from));

  // The window's events: from the first at `from` (those delivered there already are before
  // the start snapshot's position) to the last at `to`.
  const auto by_icount = [](const journal::Event& e, uint64_t icount) { return e.icount < icount; };
  const size_t first = static_cast<size_t>(std::lower_bound(events.begin(), events.end(), spec.from, by_icount) - events.begin());
  const size_t last = static_cast<size_t>(
      std::upper_bound(events.begin(), events.end(), spec.to,
                       [](uint64_t icount, const journal::Event& e) { return icount < e.icount; }) -
      events.begin());

  journal::RecordingWindow window;
  window.original = spec.recording;
  window.original_final_icount = t.end();
  window.original_final_state = rec.end ? rec.end->final_state : 0;
  window.original_serial_hash = rec.end ? rec.end->serial_output_hash : 0;
  window.from = spec.from;
  window.to = spec.to;
  // A version 4 file: the images' hashes in a 'HASH' chunk (the original's, from wherever it
  // holds them), not in the header.
  journal::RecordingHeader header = rec.header;
  header.guest.hash = 0;
  for (journal::ImageInfo& d : header.disks) d.hash = 0;
  std::unique_ptr<journal::RecordingWriter> out;
  try {
    out = std::make_unique<journal::RecordingWriter>(spec.output, header, window);
    if (rec.image_hashes) out->write_known_image_hashes(*rec.image_hashes);
  } catch (const journal::RecordingError& e) {
    throw SessionError(kExitUsage, e.what());
  }
  // The request index: the requests started in the window, and those started before it whose
  // completion it holds (or that were still in flight at the original's end).
  std::set<std::pair<uint8_t, uint64_t>> completed_before;
  for (size_t i = 0; i < first; ++i)
    if (events[i].kind == journal::EventKind::kBlockCompletion) completed_before.insert({events[i].device, events[i].id});
  for (const journal::RequestStart& r : rec.requests)
    if (r.icount <= spec.to && (r.icount >= spec.from || !completed_before.count({r.drive, r.id}))) out->append_request(r);
  // The output index in the window: what the instructions from `from` up to `to` wrote, the
  // exceptions and interrupts taken at the boundaries from `from` (after the start snapshot)
  // up to `to` (the window ends before them).
  const journal::OutputIndex& outputs = rec.outputs;
  for (const journal::SerialByte& b : outputs.serial)
    if (b.icount >= spec.from && b.icount < spec.to) out->append_serial(b);
  for (const journal::CpuEvent& e : outputs.cpu)
    if (e.icount >= spec.from && e.icount < spec.to) out->append_cpu_event(e);
  const auto in_window = [&](uint64_t full_from) {
    return full_from < spec.to ? std::max(full_from, spec.from) : journal::kNotFull;
  };
  out->append_outputs_full(in_window(outputs.serial_full_from), in_window(outputs.cpu_full_from));

  TrimResult result;
  // The window's own chain of snapshots: the first holds everything at `from`.
  snapshots::SnapshotStore store;
  size_t written = first;
  auto store_snapshot = [&] {
    const size_t index = store.take(machine);
    const size_t cursor = replayer.position().cursor;
    for (; written < cursor; ++written) out->append(events[written]);
    out->append_snapshot(machine.cpu().icount, cursor - first, store.encode(index));
    ++result.snapshots;
  };
  machine.flush_output();
  std::fflush(serial.get());
  const long output_start = std::ftell(serial.get());
  store_snapshot();

  while (t.now() < spec.to) {
    const uint64_t next = spec.snapshot_interval
                              ? std::min(spec.to, (t.now() / spec.snapshot_interval + 1) * spec.snapshot_interval)
                              : spec.to;
    t.run_to(next);
    if (t.diverged()) diverged(t, fmt::format("in the window (at instruction {})", t.now()));
    if (t.now() != next)
      throw SessionError(kExitDivergence, fmt::format("trim: the replay of the original stopped at instruction {}, before "
                                                      "the window's end",
                                                      t.now()));
    if (t.now() < spec.to) store_snapshot();
  }

  // The end: every event up to `to`, a digest there (unless the original has one), the record.
  for (; written < last; ++written) out->append(events[written]);
  const journal::StateDigest digest = replayer.digest_now();
  const bool has_digest = std::any_of(events.begin() + static_cast<std::ptrdiff_t>(first),
                                      events.begin() + static_cast<std::ptrdiff_t>(last), [&](const journal::Event& e) {
                                        return e.icount == spec.to && e.kind == journal::EventKind::kStateHash;
                                      });
  if (!has_digest) out->append(digest.to_event());
  machine.flush_output();
  std::fflush(serial.get());
  journal::RecordingEnd end;
  end.final_icount = spec.to;
  if (rec.end && spec.to == rec.end->final_icount) {
    end.exit_status = rec.end->exit_status;
    end.stop_message = rec.end->stop_message;
  } else {
    end.exit_status = kExitWindowEnd;
    end.stop_message = fmt::format("end of the trimmed window (instruction {})", spec.to);
  }
  end.serial_output_hash = output_hash_since(serial.get(), output_start);
  end.final_state = digest.combined();
  out->finish(end);
  result.events = last - first + (has_digest ? 0 : 1);
  result.bytes = out->bytes_written();
  result.exit_status = end.exit_status;
  return result;
}

}  // namespace rw::session
