// The request index in the file (REQS chunks) and the event numbering built on it.
#include <gtest/gtest.h>

#include <functional>

#include <string>
#include <vector>

#include "journal/event_index.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace rw::journal {
namespace {

RecordingHeader header() {
  RecordingHeader h;
  h.rewind_version = "test";
  h.memory_bytes = 128ull << 20;
  h.state_hash_interval = 1000000;
  return h;
}

Event event(uint64_t icount, EventKind kind, uint8_t device = 0, uint64_t id = 0, int32_t status = 0) {
  Event e;
  e.icount = icount;
  e.kind = kind;
  e.device = device;
  e.id = id;
  e.status = status;
  return e;
}

// Two completions at one boundary (the second failed), an idle wake, a serial byte and a
// digest: the numbered events are the completions and the byte.
struct Journal {
  std::vector<RequestStart> requests = {{100, 0, 0, 1, 64, 8}, {150, 2, 1, 1, 7, 1}};
  std::vector<Event> events = {event(300, EventKind::kIdleWake), event(500, EventKind::kBlockCompletion, 0, 1),
                               event(500, EventKind::kBlockCompletion, 2, 1, 1), event(600, EventKind::kSerialInput, 0, 'x'),
                               event(1000000, EventKind::kStateHash)};
};

TEST(EventIndex, NumbersDeliveriesAndDescribesCompletionsWithTheirRequests) {
  const Journal j;
  const EventIndex index(j.events, j.requests);
  ASSERT_EQ(index.size(), 3u);
  EXPECT_EQ(index.sentence(0, false),
            "disk completion 1 of 3: primary master READ LBA 64 x8 ok, started at icount 100, delivered at 500");
  EXPECT_EQ(index.sentence(1, true),
            "disk completion 2 of 3 so far: secondary master WRITE LBA 7 x1 failed (I/O error), started at icount 150, "
            "delivered at 500");
  EXPECT_EQ(index.sentence(2, false), "serial input 3 of 3: byte 0x78 'x', delivered at 600");
  EXPECT_FALSE(index.same_boundary_as_previous(0));
  EXPECT_TRUE(index.same_boundary_as_previous(1));
  EXPECT_NE(index.row(1).find("(same boundary as #1)"), std::string::npos) << index.row(1);
  EXPECT_NE(index.row(0).find("started 100 (+400)"), std::string::npos) << index.row(0);
  EXPECT_EQ(index.first_after(500), 2u);
  EXPECT_EQ(index.first_at_or_after(500), 0u);
  EXPECT_TRUE(index.is_delivery(2));
}

TEST(EventIndex, WithoutTheRequestIndexCompletionsAreStillListed) {
  Journal j;
  j.requests.clear();  // a recording older than format 4
  const EventIndex index(j.events, j.requests);
  EXPECT_EQ(index.request_of(0), nullptr);
  EXPECT_EQ(index.sentence(0, false), "disk completion 1 of 3: primary master request 1 ok, delivered at 500");
}

TEST(EventIndex, FollowsAGrowingJournal) {
  Journal j;
  std::vector<Event> events;
  std::vector<RequestStart> requests;
  EventIndex index(events, requests);
  EXPECT_EQ(index.size(), 0u);
  requests = j.requests;
  events.assign(j.events.begin(), j.events.begin() + 2);
  index.update();
  ASSERT_EQ(index.size(), 1u);
  ASSERT_NE(index.request_of(0), nullptr);
  events = j.events;
  index.update();
  EXPECT_EQ(index.size(), 3u);
}

TEST(RequestIndexFile, RoundTripsWithTheEvents) {
  const Journal j;
  const std::string path = ::testing::TempDir() + "requests.rwd";
  {
    RecordingWriter w(path, header());
    for (const RequestStart& r : j.requests) w.append_request(r);
    for (const Event& e : j.events) w.append(e);
    w.finish({1000000, 0, "done", 0, 0});
  }
  const Recording rec = read_recording(path);
  EXPECT_TRUE(rec.damage.empty()) << rec.damage;
  EXPECT_EQ(rec.requests, j.requests);
  EXPECT_EQ(rec.events, j.events);
  EXPECT_EQ(rec.version, kFormatVersion);
}

TEST(RequestIndexFile, ARequestChunkBreakingItsRulesIsDamage) {
  const Journal j;
  const std::string path = ::testing::TempDir() + "requests-bad.rwd";
  {
    RecordingWriter w(path, header());
    w.append_request(j.requests[1]);
    w.append_request(j.requests[0]);  // earlier than the one before it
    for (const Event& e : j.events) w.append(e);
    w.finish({1000000, 0, "done", 0, 0});
  }
  const Recording rec = read_recording(path);
  EXPECT_NE(rec.damage.find("damaged request chunk: request at instruction 100 after one at 150"), std::string::npos)
      << rec.damage;
  EXPECT_TRUE(rec.requests.empty());
  EXPECT_FALSE(rec.end.has_value());

  const std::string path2 = ::testing::TempDir() + "requests-bad2.rwd";
  {
    RecordingWriter w(path2, header());
    RequestStart r = j.requests[0];
    r.count = 0;  // no sectors
    w.append_request(r);
    w.finish({1000000, 0, "done", 0, 0});
  }
  EXPECT_NE(read_recording(path2).damage.find("malformed request at instruction 100"), std::string::npos);
}

// The output index ('OUTS' chunks): written in pieces, read back whole; entries out of order,
// after the index was full or after the recorded end are damage.
TEST(OutputIndexFile, RoundTripsInChunksAndRefusesWhatBreaksItsRules) {
  const Journal j;
  const std::string path = ::testing::TempDir() + "outputs.rwd";
  OutputIndex all;
  {
    RecordingWriter w(path, header());
    for (uint64_t i = 0; i < RecordingWriter::kOutputsPerChunk + 10; ++i) {  // more than one chunk
      all.serial.push_back({10 + i, static_cast<uint8_t>('a' + i % 26)});
      w.append_serial(all.serial.back());
    }
    all.cpu.push_back({400, 0x1000, 0x12, 14, CpuEventKind::kException, true});
    all.cpu.push_back({450, 0x2000, 0, 0x80, CpuEventKind::kSoftware, false});
    for (const CpuEvent& e : all.cpu) w.append_cpu_event(e);
    w.append_outputs_full(kNotFull, 460);
    all.cpu_full_from = 460;
    for (const Event& e : j.events) w.append(e);
    w.finish({1000000, 0, "done", 0, 0});
  }
  const Recording rec = read_recording(path);
  EXPECT_TRUE(rec.damage.empty()) << rec.damage;
  EXPECT_EQ(rec.outputs.serial, all.serial);
  EXPECT_EQ(rec.outputs.cpu, all.cpu);
  EXPECT_EQ(rec.outputs.cpu_full_from, 460u);
  EXPECT_EQ(rec.outputs.serial_full_from, kNotFull);
  ASSERT_TRUE(rec.end.has_value());

  const auto damage_of = [](const char* name, const std::function<void(RecordingWriter&)>& write, uint64_t end) {
    const std::string p = ::testing::TempDir() + name;
    {
      RecordingWriter w(p, header());
      write(w);
      w.finish({end, 0, "done", 0, 0});
    }
    return read_recording(p).damage;
  };
  EXPECT_NE(damage_of("outputs-order.rwd",
                      [](RecordingWriter& w) {
                        w.append_cpu_event({500, 0, 0, 32, CpuEventKind::kExternal, false});
                        w.append_cpu_event({499, 0, 0, 32, CpuEventKind::kExternal, false});
                      },
                      1000000)
                .find("damaged output index chunk: CPU event at instruction 499 after one at 500"),
            std::string::npos);
  EXPECT_NE(damage_of("outputs-kind.rwd",
                      [](RecordingWriter& w) { w.append_cpu_event({500, 0, 0, 32, static_cast<CpuEventKind>(7), false}); },
                      1000000)
                .find("malformed CPU event at instruction 500"),
            std::string::npos);
  EXPECT_NE(damage_of("outputs-full.rwd",
                      [](RecordingWriter& w) {
                        w.append_outputs_full(300, kNotFull);
                        w.flush();
                        w.append_serial({301, 'x'});
                      },
                      1000000)
                .find("entries after the index was full"),
            std::string::npos);
  EXPECT_NE(damage_of("outputs-end.rwd", [](RecordingWriter& w) { w.append_serial({5000, 'x'}); }, 4000)
                .find("the output index goes on to instruction 5000"),
            std::string::npos);
}

}  // namespace
}  // namespace rw::journal
