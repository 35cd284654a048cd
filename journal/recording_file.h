// Writing and reading recording files.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "journal/image_hasher.h"
#include "journal/recording_format.h"

namespace rw::journal {

class RecordingWriter {
 public:
  // Creates (truncates) `path` and writes the header (with `window` for a trimmed
  // recording). Throws RecordingError.
  RecordingWriter(const std::string& path, const RecordingHeader& header, const RecordingWindow& window = {});
  ~RecordingWriter();

  void append(Event event);
  // A disk request's start, for the request index (written with the events, before them).
  void append_request(const RequestStart& request);
  // The output index's entries (an 'OUTS' chunk with the next events, or once there are
  // kOutputsPerChunk), and where it became full (kNotFull: not that part).
  void append_serial(const SerialByte& b);
  void append_cpu_event(const CpuEvent& e);
  void append_outputs_full(uint64_t serial_full_from, uint64_t cpu_full_from);
  // Writes buffered events as one chunk and flushes it to the file.
  void flush();
  // A snapshot of the machine at `icount`, the replay's next event then being event number
  // `cursor` (those before it delivered): a 'SNAP' chunk, written after every event before
  // it (the events buffered are flushed first). `payload` is opaque here (snapshots/
  // defines it).
  void append_snapshot(uint64_t icount, uint64_t cursor, const std::string& payload);
  // Flushes and writes the end record; the file is complete. Waits for the image hashes
  // first, if they are being computed: a complete recording holds them.
  void finish(const RecordingEnd& end);

  // The images' hashes, computed beside the run by `hasher`: written as a 'HASH' chunk of
  // their own by the first flush() after they are known (so that a recording cut short
  // later still has them), at the latest by finish(). The hasher's thread never writes.
  void write_image_hashes_from(std::unique_ptr<ImageHasher> hasher);
  // Hashes known already (another recording's, for a trimmed window of it): a 'HASH' chunk now.
  void write_known_image_hashes(std::vector<ImageHash> hashes);
  const ImageHasher* image_hasher() const { return image_hasher_.get(); }

  uint64_t events_written() const { return events_written_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t snapshot_bytes_written() const { return snapshot_bytes_written_; }
  static constexpr size_t kEventsPerChunk = 4096;
  static constexpr size_t kOutputsPerChunk = 65536;  // serial bytes and CPU events together

 private:
  void write_bytes(const void* data, size_t len);
  void write_chunk(uint32_t tag, const std::string& raw);
  void write_image_hashes(bool wait);
  std::string path_;
  std::unique_ptr<FILE, int (*)(FILE*)> file_;
  std::vector<Event> pending_;
  std::vector<RequestStart> pending_requests_;
  OutputIndex pending_outputs_;
  void flush_outputs_if_large();
  uint64_t events_written_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t snapshot_bytes_written_ = 0;
  bool finished_ = false;
  std::unique_ptr<ImageHasher> image_hasher_;  // last: stopped before the file is closed
  bool image_hashes_written_ = false;
};

// A snapshot stored in a recording ('SNAP' chunk): at `icount`, with the replay's next event
// `cursor` (an index into Recording::events), and the snapshot itself (snapshots/ reads it).
struct StoredSnapshot {
  uint64_t icount = 0;
  uint64_t cursor = 0;
  std::string payload;
  uint64_t file_offset = 0;  // of its chunk, for messages
};

// What a reader found in a file.
struct Recording {
  uint32_t version = kFormatVersion;  // the file's
  RecordingHeader header;
  std::vector<Event> events;
  // The disk requests' starts in issue order (version 4; empty in older files): an index
  // for describing completions, not needed to replay.
  std::vector<RequestStart> requests;
  // The guest's output index (version 5; empty in older files): serial bytes and CPU events.
  OutputIndex outputs;
  // The images' hashes, in image order (0 the guest, 1 + i disks[i]): from the 'HASH' chunk
  // (version 4), or the header's (versions 2 and 3: hash 0 = not checked). nullopt: the
  // recording was cut short before its 'HASH' chunk, or has none.
  std::optional<std::vector<ImageHash>> image_hashes;
  std::optional<RecordingEnd> end;  // missing if the recording was cut short
  // A trimmed recording's window (version 4; not trimmed() otherwise).
  RecordingWindow window;
  // The stored snapshots in instruction order (version 4), each consistent with the events
  // (its cursor within them). Only an accelerator: a damaged one is left out with a
  // warning and the rest of the file is read on. (A replay session frees the payloads once
  // its timeline has loaded them.)
  std::vector<StoredSnapshot> snapshots;
  // Damage that did not end the readable part (snapshots left out): one line each.
  std::vector<std::string> warnings;
  uint64_t chunks = 0;
  uint64_t file_bytes = 0;
  std::string damage;  // empty, or where and how the file stops being readable

  // The functions its checksums, digests and hashes were made with.
  HashAlgorithm hash_algorithm() const { return hash_algorithm_for(version); }
};

// Reads a whole recording (a regular file: anything else is refused without blocking),
// piece by piece. The first damaged chunk or end record (bad bytes, or events breaking
// journal/event_rules.h) is reported in `damage` and dropped with everything after it;
// the whole chunks before it are kept. An unreadable header throws RecordingError.
Recording read_recording(const std::string& path);
// The same for a recording in memory (`name` for the messages).
Recording parse_recording(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace rw::journal
