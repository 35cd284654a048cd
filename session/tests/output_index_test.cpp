// The output index (journal/recording_format.h): the serial bytes a live run writes and the
// exceptions and interrupts it takes, each indexed once where it happened however often the
// run goes back over them, in memory and in its recording; a replay takes the same ones at
// the same instruction counts.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "journal/recorder.h"
#include "journal/recording_file.h"
#include "session/session.h"
#include "session/tests/test_support.h"

namespace rw::session {
namespace {

using test_support::live_spec;
using test_support::TempFile;

std::string text_of(const journal::OutputIndex& index) {
  std::string s;
  for (const journal::SerialByte& b : index.serial) s.push_back(static_cast<char>(b.byte));
  return s;
}

const journal::CpuEvent* find(const journal::OutputIndex& index, uint8_t vector, journal::CpuEventKind kind) {
  for (const journal::CpuEvent& e : index.cpu)
    if (e.vector == vector && e.kind == kind) return &e;
  return nullptr;
}

TEST(OutputIndex, ALiveRunIndexesEachOutputOnceAndAReplayTakesTheSame) {
  TempFile rec("rewind_output_index.rwr");
  LiveSpec spec = live_spec("exceptions64.elf");
  spec.record_path = rec.path;
  spec.snapshots.interval = 5'000;
  std::unique_ptr<Session> s = Session::live(spec);
  Timeline& tl = *s->timeline();
  // Forward, back over it all and forward again: what is run twice is indexed once.
  ASSERT_EQ(s->run_to(118'000).reason, cpu::StopReason::kTarget);
  const size_t serial_then = tl.outputs().serial.size(), cpu_then = tl.outputs().cpu.size();
  ASSERT_GT(cpu_then, 0u) << serial_then;
  ASSERT_EQ(tl.seek(3), Timeline::SeekResult::kOk);
  ASSERT_EQ(tl.seek(117'000), Timeline::SeekResult::kOk);
  EXPECT_EQ(tl.outputs().serial.size(), serial_then);
  EXPECT_EQ(tl.outputs().cpu.size(), cpu_then);
  const RunResult r = s->run_to_end();
  ASSERT_EQ(r.reason, cpu::StopReason::kExit) << r.message;
  const journal::OutputIndex live = tl.outputs();
  const Outcome o = s->finish(r, true);
  ASSERT_TRUE(o.errors.empty());
  s.reset();

  // The guest's own account of what it printed and took (tests/guests/exceptions64.expected).
  std::ifstream expected_file(std::string(REWIND_TEST_SOURCE_DIR) + "/tests/guests/exceptions64.expected");
  std::stringstream expected;
  expected << expected_file.rdbuf();
  EXPECT_EQ(text_of(live), expected.str());
  for (size_t i = 1; i < live.serial.size(); ++i) ASSERT_LT(live.serial[i - 1].icount, live.serial[i].icount);
  const journal::CpuEvent* de = find(live, 0, journal::CpuEventKind::kException);
  const journal::CpuEvent* gp = find(live, 13, journal::CpuEventKind::kException);
  const journal::CpuEvent* bp = find(live, 3, journal::CpuEventKind::kSoftware);
  const journal::CpuEvent* intn = find(live, 0x41, journal::CpuEventKind::kSoftware);
  ASSERT_TRUE(de && gp && bp && intn);
  EXPECT_FALSE(de->has_error);
  EXPECT_TRUE(gp->has_error);
  EXPECT_EQ(gp->error, 0x1230u);  // "#GP bad selector ... error 1230" (hexadecimal)
  EXPECT_LT(de->icount, gp->icount);
  EXPECT_EQ(live.serial_full_from, journal::kNotFull);

  // The recording holds the same index.
  const journal::Recording file = journal::read_recording(rec.path);
  ASSERT_TRUE(file.damage.empty()) << file.damage;
  EXPECT_EQ(file.outputs.serial, live.serial);
  EXPECT_EQ(file.outputs.cpu, live.cpu);

  // A replay takes the same exceptions and interrupts, at the same counts.
  ReplaySpec rs;
  rs.recording = rec.path;
  rs.serial_out = nullptr;
  std::unique_ptr<Session> replay = Session::replay(rs);
  std::vector<journal::CpuEvent> taken;
  replay->machine().set_event_taken_observer([&taken](const cpu::TakenEvent& e) {
    taken.push_back({e.icount, e.return_rip, e.error, e.vector, static_cast<journal::CpuEventKind>(e.kind), e.has_error});
  });
  const RunResult rr = replay->run_to_end();
  EXPECT_EQ(rr.reason, cpu::StopReason::kExit);
  replay->machine().set_event_taken_observer(nullptr);
  EXPECT_EQ(taken, live.cpu);
  EXPECT_EQ(replay->timeline()->outputs().cpu, live.cpu);
}

}  // namespace
}  // namespace rw::session
