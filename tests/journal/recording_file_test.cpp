// The recording file: round trips, recovery of a file cut short, and thousands of
// corrupted variants that must give a clean answer (events kept, or a RecordingError).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "journal/checksum.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace rw::journal {
namespace {

RecordingHeader sample_header() {
  RecordingHeader h;
  h.rewind_version = "test";
  h.guest = {"guest.elf", 12345, 0xABCDEF};
  h.append = "iters=3";
  h.memory_bytes = 128ull << 20;
  h.disks = {{"a.img", 1 << 20, 1}, {"b.img", 2 << 20, 2}};
  h.rtc_base_unix_seconds = 1764000000;
  h.state_hash_interval = 1000000;
  return h;
}

std::vector<Event> sample_events(size_t n) {
  std::vector<Event> events;
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.icount = 1000 + i * 37;
    e.kind = i % 3 == 0 ? EventKind::kSerialInput : EventKind::kBlockCompletion;
    e.device = static_cast<uint8_t>(i % 4);
    e.id = i * 7;
    e.status = i % 11 == 0 ? -5 : 0;
    if (i % 50 == 0) {
      e.kind = EventKind::kStateHash;
      e.data = {i, i * 3, i * 5, 17, 0x1234};
    }
    events.push_back(e);
  }
  return events;
}

std::string temp_path(const char* name) { return ::testing::TempDir() + name; }

std::vector<uint8_t> file_bytes(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<uint8_t> bytes;
  int c;
  while ((c = std::fgetc(f)) != EOF) bytes.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return bytes;
}

std::string write_sample(const char* name, size_t events, bool finish) {
  std::string path = temp_path(name);
  RecordingWriter w(path, sample_header());
  for (const Event& e : sample_events(events)) w.append(e);
  if (finish) w.finish({987654, 3, "guest exited", 42});
  return path;
}

TEST(RecordingFile, RoundTripsHeaderEventsAndEnd) {
  std::string path = write_sample("roundtrip.rwd", 10000, true);
  Recording r = read_recording(path);
  EXPECT_EQ(r.header.guest.path, "guest.elf");
  EXPECT_EQ(r.header.disks.size(), 2u);
  EXPECT_EQ(r.header.rtc_base_unix_seconds, 1764000000);
  EXPECT_EQ(r.events, sample_events(10000));
  ASSERT_TRUE(r.end.has_value());
  EXPECT_EQ(r.end->final_icount, 987654u);
  EXPECT_EQ(r.end->exit_status, 3);
  EXPECT_TRUE(r.damage.empty());
  EXPECT_EQ(r.chunks, 3u);  // 4096 events per chunk
}

TEST(RecordingFile, UnfinishedRecordingKeepsFlushedChunks) {
  std::string path = write_sample("unfinished.rwd", 5000, false);  // destructor flushes
  Recording r = read_recording(path);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_EQ(r.events.size(), 5000u);
  EXPECT_TRUE(r.damage.empty());
}

TEST(RecordingFile, EveryTruncationKeepsAPrefixOfTheEvents) {
  std::string path = write_sample("truncate.rwd", 9000, true);
  std::vector<uint8_t> full = file_bytes(path);
  std::vector<Event> all = sample_events(9000);
  size_t header_end = 0;
  for (size_t cut = 0; cut < full.size(); cut += (cut < 200 ? 1 : 97)) {
    std::vector<uint8_t> part(full.begin(), full.begin() + cut);
    try {
      Recording r = parse_recording(part, "cut");
      if (!header_end) header_end = cut;
      EXPECT_FALSE(r.end.has_value()) << cut;
      ASSERT_LE(r.events.size(), all.size());
      EXPECT_TRUE(std::equal(r.events.begin(), r.events.end(), all.begin())) << cut;
      EXPECT_EQ(r.events.size() % RecordingWriter::kEventsPerChunk == 0 || r.events.size() == all.size(), true);
    } catch (const RecordingError& e) {
      EXPECT_EQ(header_end, 0u) << "only a cut inside the header may be unreadable, cut at " << cut;
    }
  }
  EXPECT_GT(header_end, 0u);
}

TEST(RecordingFile, CorruptedRecordingsNeverCrash) {
  std::string path = write_sample("mutate.rwd", 6000, true);
  std::vector<uint8_t> full = file_bytes(path);
  std::vector<Event> all = sample_events(6000);
  std::mt19937_64 rng(20261125);
  int readable = 0, rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = full;
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: bytes[at] = static_cast<uint8_t>(rng()); break;
        case 2: bytes.erase(bytes.begin() + static_cast<long>(at)); break;
        default: bytes.insert(bytes.begin() + static_cast<long>(at), static_cast<uint8_t>(rng())); break;
      }
      if (bytes.empty()) bytes.push_back(0);
    }
    try {
      Recording r = parse_recording(bytes, "mutant");
      ++readable;
      // Whatever was read is a prefix of what was written, or the damage was reported.
      bool prefix = r.events.size() <= all.size() && std::equal(r.events.begin(), r.events.end(), all.begin());
      EXPECT_TRUE(prefix || !r.damage.empty() || !r.end) << "round " << round;
    } catch (const RecordingError&) {
      ++rejected;
    }
  }
  EXPECT_GT(readable, 0);
  EXPECT_GT(rejected, 0);
}

// Stored snapshots ('SNAP' chunks): framed by the journal, each at its place among the
// events (its cursor: the events before it in the file).
std::string write_with_snapshots(const char* name, const RecordingWindow& window = {}) {
  std::string path = temp_path(name);
  RecordingWriter w(path, sample_header(), window);
  const std::vector<Event> events = sample_events(3000);
  size_t next = 0;
  for (uint64_t at : {uint64_t{0}, uint64_t{20000}, uint64_t{60000}}) {
    for (; next < events.size() && events[next].icount <= at; ++next) w.append(events[next]);
    w.append_snapshot(at, next, "snapshot at " + std::to_string(at) + std::string(5000, 'x'));
  }
  for (; next < events.size(); ++next) w.append(events[next]);
  w.finish({987654, 3, "guest exited", 42});
  return path;
}

TEST(RecordingFile, StoredSnapshotsRoundTrip) {
  Recording r = read_recording(write_with_snapshots("snapshots.rwd"));
  EXPECT_EQ(r.events, sample_events(3000));
  ASSERT_EQ(r.snapshots.size(), 3u);
  EXPECT_EQ(r.snapshots[1].icount, 20000u);
  EXPECT_EQ(r.snapshots[1].payload, "snapshot at 20000" + std::string(5000, 'x'));
  // Its cursor: the first event after it.
  EXPECT_GT(r.events[r.snapshots[1].cursor].icount, 20000u);
  EXPECT_LE(r.events[r.snapshots[1].cursor - 1].icount, 20000u);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.damage.empty());
  EXPECT_FALSE(r.window.trimmed());
}

TEST(RecordingFile, ADamagedSnapshotIsAWarningAndTheRestIsRead) {
  const std::string path = write_with_snapshots("damaged-snapshot.rwd");
  std::vector<uint8_t> bytes = file_bytes(path);
  // The second snapshot's data: find its tag, damage a byte of its compressed data.
  size_t snaps = 0, at = 0;
  for (size_t i = 0; i + 4 <= bytes.size(); ++i)
    if (bytes[i] == 'S' && bytes[i + 1] == 'N' && bytes[i + 2] == 'A' && bytes[i + 3] == 'P' && ++snaps == 2) at = i;
  ASSERT_GT(at, 0u);
  bytes[at + 20] ^= 0x55;
  Recording r = parse_recording(bytes, "damaged");
  EXPECT_EQ(r.events, sample_events(3000));  // the journal is whole
  EXPECT_TRUE(r.end.has_value());
  EXPECT_TRUE(r.damage.empty());
  EXPECT_EQ(r.snapshots.size(), 1u);  // the one before it; the one after is relative to it
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("snapshot chunk at byte " + std::to_string(at) + ": checksum mismatch"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("1 stored snapshots after it"), std::string::npos) << r.warnings[0];
}

TEST(RecordingFile, AWindowIsInTheHeaderAndItsEventsStartThere) {
  RecordingWindow window;
  window.original = "long.rwd";
  window.original_final_icount = 5000000;
  window.from = 20000;
  window.to = 987654;
  const std::string path = temp_path("window.rwd");
  {
    RecordingWriter w(path, sample_header(), window);
    std::vector<Event> events = sample_events(3000);
    events.erase(events.begin(), std::find_if(events.begin(), events.end(), [](const Event& e) { return e.icount >= 20000; }));
    for (const Event& e : events) w.append(e);
    w.finish({987654, 30, "end of the trimmed window", 42});
  }
  Recording r = read_recording(path);
  EXPECT_EQ(r.window, window);
  EXPECT_TRUE(r.damage.empty()) << r.damage;
  ASSERT_TRUE(r.end.has_value());
  // An end record that is not the window's end is damage.
  {
    RecordingWriter w(path, sample_header(), window);
    w.finish({987655, 30, "end of the trimmed window", 42});
  }
  EXPECT_FALSE(read_recording(path).end.has_value());
}

TEST(RecordingFile, RejectsOtherFiles) {
  EXPECT_THROW(parse_recording({}, "empty"), RecordingError);
  std::vector<uint8_t> elf = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_THROW(parse_recording(elf, "elf"), RecordingError);
  EXPECT_THROW(read_recording(temp_path("does-not-exist.rwd")), RecordingError);
  std::string path = write_sample("version.rwd", 10, true);
  std::vector<uint8_t> bytes = file_bytes(path);
  bytes[8] = 99;  // format version
  try {
    parse_recording(bytes, "v99");
    FAIL() << "version 99 accepted";
  } catch (const RecordingError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos);
  }
  // Version 1 digests other state: its recordings are refused with a reason, not replayed
  // into a false divergence.
  bytes[8] = 1;
  try {
    parse_recording(bytes, "v1");
    FAIL() << "version 1 accepted";
  } catch (const RecordingError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("version 1 is not supported (this rewind reads versions 2 to 4)"), std::string::npos) << what;
    EXPECT_NE(what.find("older rewind"), std::string::npos) << what;
  }
  bytes[8] = 0;
  EXPECT_THROW(parse_recording(bytes, "v0"), RecordingError);
  // Version 2 differs only in having no debugger writes: read as it is.
  bytes[8] = 2;
  const Recording v2 = parse_recording(bytes, "v2");
  EXPECT_EQ(v2.version, 2u);
  EXPECT_TRUE(v2.end.has_value());
  EXPECT_EQ(v2.events.size(), parse_recording(file_bytes(path), "v3").events.size());
}

TEST(Checksum, KnownValues) {
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);  // the standard CRC-32 check value
  ContentHash a, b;
  a.update("hello ", 6);
  a.update("world", 5);
  b.update("hello world", 11);
  EXPECT_EQ(a.digest(), b.digest());
  ContentHash c;
  c.update("hello worle", 11);
  EXPECT_NE(a.digest(), c.digest());
}

}  // namespace
}  // namespace rw::journal
