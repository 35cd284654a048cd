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

uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}
void set32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rewrites every checksum of a well-formed recording with `algorithm`'s.
void with_checksums(std::vector<uint8_t>& b, HashAlgorithm algorithm) {
  const size_t header_len = get32(b, 12);
  set32(b, 16, checksum32(algorithm, b.data() + 20, header_len));
  for (size_t pos = 20 + header_len; pos < b.size();) {
    if (get32(b, pos) == kEndTag) {
      set32(b, pos + 8, checksum32(algorithm, b.data() + pos + 12, get32(b, pos + 4)));
      return;
    }
    const size_t clen = get32(b, pos + 4);
    set32(b, pos + 12, checksum32(algorithm, b.data() + pos + 16, clen));
    pos += 16 + clen;
  }
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
    EXPECT_NE(what.find("version 1 is not supported (this rewind reads versions 2 to 7)"), std::string::npos) << what;
    EXPECT_NE(what.find("older rewind"), std::string::npos) << what;
  }
  bytes[8] = 0;
  EXPECT_THROW(parse_recording(bytes, "v0"), RecordingError);
  // Version 2 differs in having no debugger writes, and (like 3) in its checksums: with
  // CRC-32s, the same bytes read as they are.
  bytes[8] = 2;
  EXPECT_THROW(parse_recording(bytes, "v2"), RecordingError);  // XXH3 checksums
  with_checksums(bytes, HashAlgorithm::kLegacy);
  const Recording v2 = parse_recording(bytes, "v2");
  EXPECT_EQ(v2.version, 2u);
  EXPECT_TRUE(v2.end.has_value());
  EXPECT_EQ(v2.events.size(), parse_recording(file_bytes(path), "v3").events.size());
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

// The images are hashed beside the run and their hashes land in a 'HASH' chunk of their
// own, before the end record; the header's hashes stay 0.
TEST(RecordingFile, ImageHashesRoundTripInTheirOwnChunk) {
  const std::string guest = temp_path("hash_guest.elf"), disk = temp_path("hash_disk.img");
  std::vector<uint8_t> bytes(3 << 20);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
  write_file(disk, bytes);
  bytes.resize(1000);
  write_file(guest, bytes);
  RecordingHeader h = sample_header();
  h.guest = {guest, 1000, 0};
  h.disks = {{"", 0, 0}, {disk, 3 << 20, 0}};
  const std::string path = temp_path("hashes.rwd");
  {
    RecordingWriter w(path, h);
    std::vector<ImageInfo> images = {h.guest};
    images.insert(images.end(), h.disks.begin(), h.disks.end());
    w.write_image_hashes_from(std::make_unique<ImageHasher>(images));
    for (const Event& e : sample_events(100)) w.append(e);
    w.finish({987654, 3, "guest exited", 42});
    EXPECT_TRUE(w.image_hasher()->problems().empty());
  }
  const Recording r = read_recording(path);
  EXPECT_TRUE(r.damage.empty()) << r.damage;
  ASSERT_TRUE(r.end.has_value());
  EXPECT_EQ(r.header.guest.hash, 0u);
  ASSERT_TRUE(r.image_hashes.has_value());
  const std::vector<ImageHash> want = {{0, 1000, hash_file(guest, HashAlgorithm::kXxh3)},
                                       {2, 3 << 20, hash_file(disk, HashAlgorithm::kXxh3)}};
  EXPECT_EQ(*r.image_hashes, want);
  EXPECT_EQ(want[1].hash, xxh3_64(file_bytes(disk).data(), 3 << 20));
  EXPECT_NE(want[1].hash, hash_file(disk, HashAlgorithm::kLegacy));
  EXPECT_EQ(r.events, sample_events(100));
  std::remove(path.c_str());
  std::remove(guest.c_str());
  std::remove(disk.c_str());
}

// An image that is not what the header says when hashed (another size: it changed since),
// or cannot be read, gets hash 0 and a line saying why; the others are hashed.
TEST(RecordingFile, AnImageThatChangedIsNotHashed) {
  const std::string guest = temp_path("changed_guest.elf");
  write_file(guest, std::vector<uint8_t>(4000, 1));
  ImageHasher hasher({{guest, 3000, 0}, {guest, 4000, 0}, {temp_path("no-such.img"), 10, 0}});
  const std::vector<ImageHash> hashes = hasher.wait();
  ASSERT_TRUE(hasher.ready());
  ASSERT_EQ(hashes.size(), 3u);
  EXPECT_EQ(hashes[0].hash, 0u);
  EXPECT_EQ(hashes[1].hash, hash_file(guest, HashAlgorithm::kXxh3));
  EXPECT_EQ(hashes[2].hash, 0u);
  ASSERT_EQ(hasher.problems().size(), 2u);
  EXPECT_NE(hasher.problems()[0].find("guest image " + guest + " changed while it was being hashed"), std::string::npos)
      << hasher.problems()[0];
  EXPECT_NE(hasher.problems()[1].find("could not be hashed (cannot open"), std::string::npos) << hasher.problems()[1];
  std::remove(guest.c_str());
}

TEST(Checksum, KnownValues) {
  EXPECT_EQ(legacy::crc32("123456789", 9), 0xCBF43926u);  // the standard CRC-32 check value
  legacy::ContentHash a, b;
  a.update("hello ", 6);
  a.update("world", 5);
  b.update("hello world", 11);
  EXPECT_EQ(a.digest(), b.digest());
  legacy::ContentHash c;
  c.update("hello worle", 11);
  EXPECT_NE(a.digest(), c.digest());
}

// XXH3-64, seed 0, as the reference implementation gives it.
TEST(Checksum, Xxh3KnownValues) {
  EXPECT_EQ(xxh3_64("", 0), 0x2D06800538D394C2ull);
  EXPECT_EQ(xxh3_64(nullptr, 0), 0x2D06800538D394C2ull);
  EXPECT_EQ(hash64(HashAlgorithm::kXxh3, "", 0), 0x2D06800538D394C2ull);
  EXPECT_EQ(checksum32(HashAlgorithm::kXxh3, "", 0), 0x38D394C2u);  // the low 32 bits
  EXPECT_EQ(checksum32(HashAlgorithm::kLegacy, "123456789", 9), 0xCBF43926u);
  const uint64_t abc = xxh3_64("abc", 3);
  EXPECT_EQ(checksum32(HashAlgorithm::kXxh3, "abc", 3), static_cast<uint32_t>(abc));
  EXPECT_NE(abc, xxh3_64("abd", 3));
}

// A stream in pieces hashes as the whole, for every length class XXH3 treats apart (up
// to 16, 128, 240 bytes, then its 1 KiB stripes and blocks) and for both algorithms.
TEST(Checksum, StreamHashEqualsTheOneShotHash) {
  std::vector<uint8_t> data(5000);
  std::mt19937 rng(11);
  for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
  for (HashAlgorithm algorithm : {HashAlgorithm::kXxh3, HashAlgorithm::kLegacy}) {
    for (size_t len : {0u, 1u, 3u, 8u, 16u, 17u, 128u, 129u, 240u, 241u, 1024u, 4096u, 5000u}) {
      const uint64_t whole = hash64(algorithm, data.data(), len);
      StreamHash h(algorithm);
      for (size_t at = 0; at < len;) {
        const size_t n = std::min<size_t>(len - at, 1 + rng() % 300);
        h.update(data.data() + at, n);
        at += n;
      }
      EXPECT_EQ(h.digest(), whole) << len;
    }
    StreamHash bytewise(algorithm);
    for (uint8_t b : data) bytewise.update(&b, 1);
    EXPECT_EQ(bytewise.digest(), hash64(algorithm, data.data(), data.size()));
  }
  legacy::ContentHash old;
  old.update(data.data(), data.size());
  EXPECT_EQ(hash64(HashAlgorithm::kLegacy, data.data(), data.size()), old.digest());
}

}  // namespace
}  // namespace rw::journal
