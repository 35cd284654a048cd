// What a readable recording's events obey (journal/event_rules.h), on crafted files with
// valid checksums: a chunk that breaks a rule is dropped whole, with everything after it,
// and the recording reads as cut short.
#include <gtest/gtest.h>
#include <lz4.h>
#include <sys/stat.h>

#include <cereal/archives/portable_binary.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "journal/checksum.h"
#include "journal/debugger_write.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace rw::journal {
namespace {

constexpr uint64_t kInterval = 1000;

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

// A recording built piece by piece, every checksum right, so that only the rules can
// refuse what is in it.
class CraftedRecording {
 public:
  explicit CraftedRecording(uint64_t interval = kInterval, uint32_t version = kFormatVersion) : version_(version) {
    RecordingHeader h;
    h.rewind_version = "test";
    h.guest = {"guest.elf", 1, 0};
    h.disks = {{"a.img", 512, 0}, {"", 0, 0}, {"c.img", 1024, 0}};
    h.memory_bytes = 4 << 20;
    h.state_hash_interval = interval;
    const std::string payload = archive(h);
    bytes_.assign(kMagic, kMagic + sizeof kMagic);
    put32(bytes_, version);
    put32(bytes_, static_cast<uint32_t>(payload.size()));
    put32(bytes_, checksum32(hash_algorithm_for(version_), payload.data(), payload.size()));
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
  }
  CraftedRecording& chunk(std::vector<Event> events) { return tagged(kChunkTag, archive(bounded<30>(events))); }
  CraftedRecording& hashes(std::vector<ImageHash> hashes) {
    return tagged(kImageHashesTag, archive(bounded<17>(hashes)));
  }
  CraftedRecording& tagged(uint32_t tag, const std::string& raw) {
    std::string lz(LZ4_compressBound(static_cast<int>(raw.size())), '\0');
    const int n = LZ4_compress_default(raw.data(), lz.data(), static_cast<int>(raw.size()), static_cast<int>(lz.size()));
    lz.resize(static_cast<size_t>(n));
    put32(bytes_, tag);
    put32(bytes_, static_cast<uint32_t>(lz.size()));
    put32(bytes_, static_cast<uint32_t>(raw.size()));
    put32(bytes_, checksum32(hash_algorithm_for(version_), lz.data(), lz.size()));
    bytes_.insert(bytes_.end(), lz.begin(), lz.end());
    return *this;
  }
  CraftedRecording& end(uint64_t final_icount) {
    RecordingEnd e;
    e.final_icount = final_icount;
    e.exit_status = 1;
    e.stop_message = "guest exited";
    const std::string payload = archive(e);
    put32(bytes_, kEndTag);
    put32(bytes_, static_cast<uint32_t>(payload.size()));
    put32(bytes_, checksum32(hash_algorithm_for(version_), payload.data(), payload.size()));
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    return *this;
  }
  Recording read() const { return parse_recording(bytes_, "crafted.rwd"); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  uint32_t version_;
  std::vector<uint8_t> bytes_;
};

Event input(uint64_t icount) {
  Event e;
  e.icount = icount;
  e.kind = EventKind::kSerialInput;
  e.id = 'x';
  return e;
}

Event digest(uint64_t icount) {
  Event e;
  e.icount = icount;
  e.kind = EventKind::kStateHash;
  e.data = {1, 2, 0, 3};
  return e;
}

std::vector<uint64_t> icounts(const Recording& r) {
  std::vector<uint64_t> out;
  for (const Event& e : r.events) out.push_back(e.icount);
  return out;
}

bool mentions(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(RecordingRules, AWellFormedRecordingIsReadWhole) {
  // Events may sit exactly at the digest due point, and the end anywhere up to the next one.
  Recording r = CraftedRecording()
                    .chunk({input(5), input(5), digest(1000)})
                    .chunk({input(1500), input(2000), digest(2000)})
                    .chunk({input(2500), digest(2600)})
                    .end(2600)
                    .read();
  EXPECT_TRUE(r.damage.empty()) << r.damage;
  ASSERT_TRUE(r.end.has_value());
  EXPECT_EQ(r.chunks, 3u);
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{5, 5, 1000, 1500, 2000, 2000, 2500, 2600}));
}

TEST(RecordingRules, EventsOutOfOrderInsideAChunkDropTheWholeChunkAndWhatFollows) {
  Recording r = CraftedRecording()
                    .chunk({input(100), input(200)})
                    .chunk({input(300), input(250), input(400)})
                    .chunk({input(500)})
                    .end(600)
                    .read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{100, 200}));  // not 300: the chunk goes whole
  EXPECT_EQ(r.chunks, 1u);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "events out of order")) << r.damage;
}

TEST(RecordingRules, EventsOutOfOrderAcrossChunks) {
  Recording r = CraftedRecording().chunk({input(100), input(500)}).chunk({input(400)}).end(600).read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{100, 500}));
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "events out of order")) << r.damage;
}

TEST(RecordingRules, AnEventPastTheDigestDueBeforeItIsDamage) {
  Recording r = CraftedRecording()
                    .chunk({input(10), digest(1000)})
                    .chunk({input(1500), input(2001)})  // the digest due at 2000 is missing
                    .end(2001)
                    .read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{10, 1000}));
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "past the state digest due at instruction 2000")) << r.damage;
}

TEST(RecordingRules, OneEventAtTheEndOfTimeLeavesNothing) {
  // The recording: one event at 2^63-1 (later events then out of order). Kept, it
  // made a replay run "forever" and `info` report 2^63-1 instructions.
  const uint64_t far = (uint64_t{1} << 63) - 1;
  Recording r = CraftedRecording().chunk({input(far)}).chunk({input(50), digest(60)}).end(60).read();
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.chunks, 0u);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "event at instruction 9223372036854775807 lies past the state digest due at "
                                 "instruction 1000"))
      << r.damage;
}

TEST(RecordingRules, EventsPastTheRecordedEndDropTheirChunks) {
  CraftedRecording file;
  file.chunk({input(10)});
  const size_t second_chunk_at = file.bytes().size();
  file.chunk({input(50), input(60)}).chunk({input(70)}).end(55);
  Recording r = file.read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{10}));
  EXPECT_EQ(r.chunks, 1u);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "event at instruction 60 lies past the recorded end (instruction 55)")) << r.damage;
  EXPECT_TRUE(mentions(r.damage, "at byte " + std::to_string(second_chunk_at))) << r.damage;
}

TEST(RecordingRules, AnEndPastTheDigestDueIsDamage) {
  Recording r = CraftedRecording().chunk({input(10), digest(1000)}).end(2001).read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{10, 1000}));  // the chunks are fine; the end is not
  EXPECT_EQ(r.chunks, 1u);
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "damaged end record")) << r.damage;
}

TEST(RecordingRules, AChunkHoldsAtMostWhatTheWriterPutsInOne) {
  std::vector<Event> many(RecordingWriter::kEventsPerChunk + 1, input(7));
  Recording r = CraftedRecording().chunk({input(1)}).chunk(many).end(7).read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{1}));
  EXPECT_FALSE(r.end.has_value());
  EXPECT_TRUE(mentions(r.damage, "4097 events in one chunk")) << r.damage;
  many.pop_back();
  EXPECT_EQ(CraftedRecording().chunk(many).end(7).read().events.size(), RecordingWriter::kEventsPerChunk);
}

TEST(RecordingRules, TheDigestIntervalMustBeOneTo2To32) {
  for (uint64_t interval : {uint64_t{0}, (uint64_t{1} << 32) + 1, ~uint64_t{0}}) {
    try {
      CraftedRecording(interval).chunk({input(1)}).read();
      ADD_FAILURE() << "interval " << interval << " accepted";
    } catch (const RecordingError& e) {
      EXPECT_TRUE(mentions(e.what(), "state digest interval")) << e.what();
    }
  }
  EXPECT_TRUE(CraftedRecording(uint64_t{1} << 32).chunk({input(1)}).end(1).read().end.has_value());
}

// A debugger's write has one shape (journal/debugger_write.h); any other is damage, so a
// replay never applies a malformed one.
TEST(RecordingRules, AMalformedDebuggerWriteIsDamage) {
  auto at = [](uint64_t icount, Event e) {
    e.icount = icount;
    return e;
  };
  const uint8_t bytes[5] = {1, 2, 3, 4, 5};
  const Event memory = memory_write_event(0x1ffe, std::span<const uint8_t>(bytes, 2));
  const Event reg = register_write_event(cpu::Reg::kRip, 0x1234);
  Recording good = CraftedRecording()
                       .chunk({at(10, memory), at(10, reg), at(11, memory_write_event(0x2000, bytes)),
                               at(12, register_write_event(cpu::xmm_reg(15, true), ~uint64_t{0})),
                               at(12, register_write_event(cpu::Reg::kMxcsr, 0x7F80)), digest(1000)})
                       .end(1000)
                       .read();
  EXPECT_TRUE(good.damage.empty()) << good.damage;
  ASSERT_EQ(good.events.size(), 6u);
  EXPECT_EQ(good.events[2].data, (std::vector<uint64_t>{0x0504030201}));

  std::vector<std::pair<std::string, Event>> bad;
  Event e = memory;
  e.status = 3;  // three bytes, and something in the padding after them
  e.data = {0x030201 | uint64_t{1} << 40};
  bad.emplace_back("padding", e);
  e = memory;
  e.id = 0x1fff;  // two bytes across a page boundary
  bad.emplace_back("page boundary", e);
  e = memory;
  e.status = 0;
  e.data.clear();
  bad.emplace_back("empty", e);
  e = memory;
  e.status = 4097;
  e.data.assign(513, 0);
  bad.emplace_back("too long", e);
  e = memory;
  e.status = -1;
  bad.emplace_back("negative", e);
  e = memory;
  e.data.push_back(0);
  bad.emplace_back("extra word", e);
  e = reg;
  e.id = static_cast<uint64_t>(cpu::Reg::kCr3);
  bad.emplace_back("control register", e);
  e = reg;
  e.id = 1000;
  bad.emplace_back("no such register", e);
  e = reg;
  e.data.clear();
  bad.emplace_back("register without a value", e);
  e = reg;
  e.device = 2;
  bad.emplace_back("unknown target", e);
  for (const auto& [what, event] : bad) {
    Recording r = CraftedRecording().chunk({input(5), digest(1000)}).chunk({at(1500, event), digest(2000)}).end(2000).read();
    EXPECT_FALSE(r.end.has_value()) << what;
    EXPECT_EQ(r.events.size(), 2u) << what;
    EXPECT_TRUE(mentions(r.damage, "debugger")) << what << ": " << r.damage;
  }
  // Version 2 had no debugger writes: one there is damage too; without, it reads whole.
  Recording v2 = CraftedRecording(kInterval, 2).chunk({input(5), digest(1000)}).chunk({at(1500, reg), digest(2000)}).end(2000).read();
  EXPECT_EQ(v2.events.size(), 2u);
  EXPECT_TRUE(mentions(v2.damage, "version 2")) << v2.damage;
  v2 = CraftedRecording(kInterval, 2).chunk({input(5), digest(1000)}).end(1000).read();
  EXPECT_TRUE(v2.damage.empty()) << v2.damage;
  EXPECT_EQ(v2.version, 2u);
}

// The images' hashes (version 4): one 'HASH' chunk anywhere before the end record, naming
// images of the header (0 the guest, 1 + i disk i; the crafted header has disks 0 and 2),
// each once, in order. Anything else is damage like any chunk's.
TEST(RecordingRules, ImageHashesNameTheHeadersImagesOnce) {
  const std::vector<ImageHash> all = {{0, 1, 0x11}, {1, 512, 0x22}, {3, 1024, 0x33}};
  Recording r = CraftedRecording().chunk({input(5)}).hashes(all).chunk({digest(1000)}).end(1000).read();
  EXPECT_TRUE(r.damage.empty()) << r.damage;
  ASSERT_TRUE(r.image_hashes.has_value());
  EXPECT_EQ(*r.image_hashes, all);
  EXPECT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.chunks, 3u);

  // Cut short before it, or a complete file without one: the hashes are unknown.
  EXPECT_FALSE(CraftedRecording().chunk({input(5)}).read().image_hashes.has_value());
  EXPECT_FALSE(CraftedRecording().chunk({input(5)}).end(5).read().image_hashes.has_value());

  const std::vector<std::pair<std::string, std::vector<ImageHash>>> bad = {
      {"no images", {}},
      {"a disk position the header leaves empty", {{2, 0, 1}}},
      {"a disk beyond the header's", {{4, 0, 1}}},
      {"image 255", {{255, 0, 1}}},
      {"twice", {{0, 1, 1}, {0, 1, 1}}},
      {"out of order", {{1, 512, 1}, {0, 1, 1}}},
      {"six images", {{0, 1, 1}, {1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}, {5, 1, 1}}},
  };
  for (const auto& [what, hashes] : bad) {
    r = CraftedRecording().chunk({input(5)}).hashes(hashes).chunk({digest(1000)}).end(1000).read();
    EXPECT_EQ(icounts(r), (std::vector<uint64_t>{5})) << what;
    EXPECT_FALSE(r.end.has_value()) << what;
    EXPECT_FALSE(r.image_hashes.has_value()) << what;
    EXPECT_TRUE(mentions(r.damage, "image hash chunk")) << what << ": " << r.damage;
  }
  // After a chunk dropped for an event past the recorded end: dropped with it.
  r = CraftedRecording().chunk({input(5)}).chunk({input(50)}).hashes(all).end(10).read();
  EXPECT_EQ(icounts(r), (std::vector<uint64_t>{5}));
  EXPECT_FALSE(r.image_hashes.has_value());
  r = CraftedRecording().chunk({input(5)}).hashes(all).chunk({input(50)}).end(10).read();
  EXPECT_TRUE(r.image_hashes.has_value());
  r = CraftedRecording().hashes(all).chunk({input(5)}).hashes(all).end(5).read();
  EXPECT_TRUE(mentions(r.damage, "image hash chunk: a second one")) << r.damage;
  EXPECT_EQ(*r.image_hashes, all);  // the first is kept
  EXPECT_FALSE(r.end.has_value());
  // Not a cereal vector at all.
  r = CraftedRecording().tagged(kImageHashesTag, std::string(3, '\xff')).end(0).read();
  EXPECT_TRUE(mentions(r.damage, "malformed image hash chunk")) << r.damage;
  // Before version 4 the tag is unknown, and the header's hashes are the images'.
  r = CraftedRecording(kInterval, 3).chunk({input(5)}).hashes(all).end(5).read();
  EXPECT_TRUE(mentions(r.damage, "unknown chunk tag")) << r.damage;
  ASSERT_TRUE(r.image_hashes.has_value());
  EXPECT_EQ(*r.image_hashes, (std::vector<ImageHash>{{0, 1, 0}, {1, 512, 0}, {3, 1024, 0}}));
}

// Version 4's checksums are XXH3's low 32 bits; versions 2 and 3 keep CRC-32. A file is
// checked with its own version's: the same bytes under the other version's number fail.
TEST(RecordingRules, ChecksumsAreTheVersions) {
  for (uint32_t version : {2u, 3u, 4u}) {
    CraftedRecording file(kInterval, version);
    file.chunk({input(5), digest(1000)}).end(1000);
    EXPECT_TRUE(file.read().end.has_value()) << version;
    std::vector<uint8_t> other = file.bytes();
    other[8] = version == 4 ? 3 : 4;
    try {
      parse_recording(other, "other");
      ADD_FAILURE() << "version " << version << " read under another version's checksum";
    } catch (const RecordingError& e) {
      EXPECT_TRUE(mentions(e.what(), "header checksum mismatch")) << e.what();
    }
  }
}

TEST(RecordingRules, OnlyRegularFilesAreRead) {
  const std::string fifo = ::testing::TempDir() + "recording-rules.fifo";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever comes: reading must refuse at once, not wait in open().
  for (const std::string& path : {fifo, ::testing::TempDir(), std::string("/dev/zero")}) {
    try {
      read_recording(path);
      ADD_FAILURE() << path << " accepted";
    } catch (const RecordingError& e) {
      EXPECT_TRUE(mentions(e.what(), "not a regular file")) << e.what();
    }
  }
  std::remove(fifo.c_str());
}

}  // namespace
}  // namespace rw::journal
