// The images' hashes of a recording (format 4: computed beside the run, in a 'HASH' chunk of
// their own) and their check on replay; and recordings of the earlier formats (2 and 3, CRC-32
// and the hand-written ContentHash), which must still replay and be checked.
#include <gtest/gtest.h>
#include <lz4.h>

#include <cereal/archives/portable_binary.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "journal/checksum.h"
#include "journal/image_hasher.h"
#include "journal/recorder.h"
#include "journal/recording_file.h"
#include "devices/uart16550.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "session/exit_codes.h"
#include "session/session.h"
#include "session/tests/test_support.h"

namespace rw::session {
namespace {

using journal::HashAlgorithm;
using test_support::kDiskDir;
using test_support::kGuestDir;
using test_support::live_spec;
using test_support::TempFile;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

// Where the chunk tagged `tag` starts in a recording; 0 if there is none.
size_t chunk_offset(const std::vector<uint8_t>& b, uint32_t tag) {
  for (size_t pos = 20 + get32(b, 12); pos + 16 <= b.size() && get32(b, pos) != journal::kEndTag;
       pos += 16 + get32(b, pos + 4))
    if (get32(b, pos) == tag) return pos;
  return 0;
}

// Records disk_sum on a copy of a test disk to `path`; returns the copy's path.
std::string record_disk_guest(const std::string& path, const std::string& disk_copy) {
  std::filesystem::copy_file(kDiskDir + "/pattern-a.img", disk_copy, std::filesystem::copy_options::overwrite_existing);
  LiveSpec spec = live_spec("disk_sum.elf", "irq=1 chunk=8");
  spec.record_path = path;
  spec.disks.positions[0] = disk_copy;
  std::unique_ptr<Session> s = Session::live(spec);
  const RunResult r = s->run_to_end();
  const Outcome o = s->finish(r, true);
  EXPECT_TRUE(o.errors.empty());
  EXPECT_TRUE(o.warnings.empty()) << o.warnings[0];
  return disk_copy;
}

struct Replayed {
  std::vector<std::string> warnings;
  Outcome outcome;
};

Replayed replay(const std::string& path, bool force = false) {
  ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = nullptr;
  spec.force = force;
  std::unique_ptr<Session> s = Session::replay(spec);
  const RunResult r = s->run_to_end();
  return {s->warnings(), s->finish(r, /*straight=*/true)};
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const std::string& line : lines)
    if (line.find(what) != std::string::npos) return true;
  return false;
}

TEST(ImageHashes, RecordWritesThemInTheirOwnChunkAndReplayChecksThem) {
  TempFile rec("rewind_hash_rec.rwr"), disk("rewind_hash_disk.img");
  record_disk_guest(rec.path, disk.path);
  const journal::Recording r = journal::read_recording(rec.path);
  ASSERT_TRUE(r.end.has_value()) << r.damage;
  EXPECT_EQ(r.version, journal::kFormatVersion);
  EXPECT_EQ(r.header.guest.hash, 0u);  // unknown when the header was written
  ASSERT_TRUE(r.image_hashes.has_value());
  const std::vector<journal::ImageHash> want = {
      {0, r.header.guest.size, journal::hash_file(kGuestDir + "/disk_sum.elf", HashAlgorithm::kXxh3)},
      {1, std::filesystem::file_size(disk.path), journal::hash_file(disk.path, HashAlgorithm::kXxh3)}};
  EXPECT_EQ(*r.image_hashes, want);
  EXPECT_NE(chunk_offset(read_bytes(rec.path), journal::kImageHashesTag), 0u);

  const Replayed ok = replay(rec.path);
  EXPECT_TRUE(ok.warnings.empty()) << ok.warnings[0];
  EXPECT_TRUE(ok.outcome.divergence.empty()) << ok.outcome.divergence[0];
  EXPECT_EQ(ok.outcome.status, 1);
}

// The disk changed after recording: the replay refuses it (24), or with --force says so.
TEST(ImageHashes, AnImageChangedSinceIsRefusedUnlessForced) {
  TempFile rec("rewind_hash_changed.rwr"), disk("rewind_hash_changed.img");
  record_disk_guest(rec.path, disk.path);
  std::vector<uint8_t> bytes = read_bytes(disk.path);
  bytes[777] ^= 0x40;
  write_bytes(disk.path, bytes);
  try {
    replay(rec.path);
    ADD_FAILURE() << "a changed disk replayed";
  } catch (const SessionError& e) {
    EXPECT_EQ(e.status(), kExitReplayMismatch);
    const std::string what = e.what();
    EXPECT_NE(what.find("disk " + disk.path + " is not the one recorded"), std::string::npos) << what;
  }
  const Replayed forced = replay(rec.path, /*force=*/true);
  EXPECT_TRUE(mentions(forced.warnings, "differs from the recorded one; replaying anyway (--force)"));
}

// The disk grows while `rewind record` hashes it (half a sparse gigabyte takes it a while; the
// change comes long before it is through, or even before it starts, when the size no
// longer is the header's): the run says so at the end, and the recording has no hash of it,
// so a replay does not check it and says that too.
TEST(ImageHashes, AnImageChangedWhileBeingHashedIsSaid) {
  TempFile rec("rewind_hash_growing.rwr"), disk("rewind_hash_growing.img");
  std::ofstream(disk.path, std::ios::binary).close();
  std::filesystem::resize_file(disk.path, 512ull << 20);
  LiveSpec spec = live_spec("hello.elf");
  spec.record_path = rec.path;
  spec.disks.positions[0] = disk.path;
  std::unique_ptr<Session> s = Session::live(spec);
  std::filesystem::resize_file(disk.path, (512ull << 20) + 512);
  const RunResult r = s->run_to_end();
  const Outcome o = s->finish(r, true);
  EXPECT_TRUE(mentions(o.warnings, "the disk image " + disk.path + " changed while it was being hashed"));
  EXPECT_EQ(o.warnings.size(), 1u);  // the guest's hash is fine
  s.reset();
  std::filesystem::resize_file(disk.path, 512ull << 20);  // back to the size the guest saw
  const journal::Recording recorded = journal::read_recording(rec.path);
  ASSERT_TRUE(recorded.image_hashes.has_value());
  ASSERT_EQ(recorded.image_hashes->size(), 2u);
  EXPECT_NE(recorded.image_hashes->at(0).hash, 0u);
  EXPECT_EQ(recorded.image_hashes->at(1).hash, 0u);
  const Replayed replayed = replay(rec.path);
  EXPECT_TRUE(mentions(replayed.warnings, "disk " + disk.path + " was not hashed when recorded"));
  EXPECT_TRUE(replayed.outcome.divergence.empty()) << replayed.outcome.divergence[0];
}

// A recording cut short before its 'HASH' chunk replays what it holds, and says that the
// images could not be checked; `info` shows the hashes as unknown.
TEST(ImageHashes, ARecordingCutShortBeforeThemWarns) {
  TempFile rec("rewind_hash_cut.rwr"), disk("rewind_hash_cut.img"), cut("rewind_hash_cut_short.rwr");
  record_disk_guest(rec.path, disk.path);
  std::vector<uint8_t> bytes = read_bytes(rec.path);
  const size_t at = chunk_offset(bytes, journal::kImageHashesTag);
  ASSERT_NE(at, 0u);
  bytes.resize(at);
  write_bytes(cut.path, bytes);
  const journal::Recording r = journal::read_recording(cut.path);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_FALSE(r.image_hashes.has_value());
  const Replayed replayed = replay(cut.path);
  EXPECT_TRUE(mentions(replayed.warnings, "cut short before the hashes of its images: the guest and disk images could "
                                          "not be checked"));
  EXPECT_TRUE(replayed.outcome.divergence.empty()) << replayed.outcome.divergence[0];
  EXPECT_EQ(replayed.outcome.status, kExitRecordingCutShort);
}

// --- recordings of earlier formats ---------------------------------------------------------

template <class T>
std::string archive(T&& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive a(out);
    a(value);
  }
  return std::move(out).str();
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A recording file as rewind of `version` wrote it: its checksums, and (before 4) the
// images' hashes in the header.
std::vector<uint8_t> recording_file(uint32_t version, const journal::RecordingHeader& header,
                                    const std::vector<journal::Event>& events, const journal::RecordingEnd& end) {
  const HashAlgorithm algorithm = journal::hash_algorithm_for(version);
  std::vector<uint8_t> out(journal::kMagic, journal::kMagic + sizeof journal::kMagic);
  auto framed = [&](const std::string& payload) {
    put32(out, static_cast<uint32_t>(payload.size()));
    put32(out, journal::checksum32(algorithm, payload.data(), payload.size()));
    out.insert(out.end(), payload.begin(), payload.end());
  };
  put32(out, version);
  framed(archive(header));
  for (size_t first = 0; first < events.size(); first += journal::RecordingWriter::kEventsPerChunk) {
    const size_t last = std::min(events.size(), first + journal::RecordingWriter::kEventsPerChunk);
    std::vector<journal::Event> chunk(events.begin() + static_cast<long>(first), events.begin() + static_cast<long>(last));
    const std::string raw = archive(journal::bounded<30>(chunk));
    std::string lz(LZ4_compressBound(static_cast<int>(raw.size())), '\0');
    lz.resize(static_cast<size_t>(
        LZ4_compress_default(raw.data(), lz.data(), static_cast<int>(raw.size()), static_cast<int>(lz.size()))));
    put32(out, journal::kChunkTag);
    put32(out, static_cast<uint32_t>(lz.size()));
    put32(out, static_cast<uint32_t>(raw.size()));
    put32(out, journal::checksum32(algorithm, lz.data(), lz.size()));
    out.insert(out.end(), lz.begin(), lz.end());
  }
  put32(out, journal::kEndTag);
  framed(archive(end));
  return out;
}

// Runs `elf` as `rewind record` did in version 3: digests, serial output hash and image hash
// by the legacy functions. Returns the file's header, events and end.
struct OldRecording {
  journal::RecordingHeader header;
  std::vector<journal::Event> events;
  journal::RecordingEnd end;
};

OldRecording record_as_version_3(const std::string& elf, const std::string& append = "") {
  const LiveSpec spec = live_spec(elf, append);
  MachineConfig config;
  config.memory_bytes = spec.memory_bytes;
  config.serial_out = nullptr;
  config.rtc_base_unix_seconds = spec.host_time_unix_seconds;
  Machine m(config);
  const loader::BootImage boot = loader::load_multiboot_file(m.memory(), spec.guest, spec.append);
  m.enter_multiboot(boot.entry, boot.multiboot_info);
  OldRecording rec;
  rec.header.rewind_version = "0.1";
  rec.header.guest = {spec.guest, std::filesystem::file_size(spec.guest),
                      journal::hash_file(spec.guest, HashAlgorithm::kLegacy)};
  rec.header.append = spec.append;
  rec.header.memory_bytes = spec.memory_bytes;
  rec.header.rtc_base_unix_seconds = spec.host_time_unix_seconds;
  rec.header.state_hash_interval = 100'000;  // several digests on the way
  rec.header.recorded_at_unix_seconds = spec.host_time_unix_seconds;
  journal::Recorder recorder(m, rec.header.state_hash_interval, nullptr, HashAlgorithm::kLegacy);
  journal::legacy::ContentHash serial;
  m.uart().set_output_observer([&serial](uint64_t, uint8_t b) { serial.update(&b, 1); });
  m.add_external_source(&recorder);
  RunResult r;
  do r = m.run(m.cpu().icount + (uint64_t{1} << 24));
  while (r.reason == cpu::StopReason::kTarget);
  rec.end.final_icount = m.cpu().icount;
  rec.end.exit_status = exit_status_for(r);
  rec.end.stop_message = r.message;
  rec.end.serial_output_hash = serial.digest();
  rec.end.final_state = recorder.record_digest().combined();
  rec.events = recorder.events();
  m.uart().set_output_observer(nullptr);
  return rec;
}

// Recordings before format 7 were made on a PC without the APICs, the MP tables, the 8042 and
// the CGA (before 6) or on a CPU without SSE (6): they are read (each with its version's checksums) and described, but a replay is
// refused with a message saying why, not left to diverge.
TEST(OlderFormats, AreReadButNotReplayed) {
  const OldRecording old = record_as_version_3("hello.elf");
  ASSERT_GE(old.events.size(), 1u);
  for (uint32_t version : {2u, 3u, 4u, 5u, 6u}) {
    TempFile rec("rewind_v" + std::to_string(version) + ".rwr");
    write_bytes(rec.path, recording_file(version, old.header, old.events, old.end));
    const journal::Recording r = journal::read_recording(rec.path);
    EXPECT_EQ(r.version, version);
    EXPECT_EQ(r.hash_algorithm(), version < 4 ? HashAlgorithm::kLegacy : HashAlgorithm::kXxh3);
    ASSERT_TRUE(r.end.has_value()) << r.damage;
    EXPECT_EQ(r.events, old.events);
    try {
      replay(rec.path);
      ADD_FAILURE() << "a version " << version << " recording replayed";
    } catch (const SessionError& e) {
      EXPECT_EQ(e.status(), kExitBadRecording) << e.what();
      EXPECT_NE(std::string(e.what()).find("recorded by an older rewind (format version " + std::to_string(version) + ")"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(version < 6 ? "without the local APIC" : "a CPU without SSE and SSE2"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace rw::session
