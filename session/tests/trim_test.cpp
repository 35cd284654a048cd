// Recordings with stored snapshots and trimmed windows (session/trim.h), as the commands make
// and replay them: the states a replay goes through are the original's, down to MachineState
// equality, however it got there (from a stored snapshot, from a window's start snapshot, or
// straight from instruction 0).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "journal/replayer.h"
#include "session/exit_codes.h"
#include "session/session.h"
#include "session/tests/test_support.h"
#include "session/trim.h"

namespace rw::session {
namespace {

using test_support::kDiskDir;
using test_support::live_spec;
using test_support::TempFile;

// A disk guest whose completions land at host-chosen points (slow, concurrent reads on two
// channels), recorded with a snapshot stored every `interval` instructions.
uint64_t record_disk_guest(const std::string& path, uint64_t interval) {
  LiveSpec spec = live_spec("disk_sum.elf", "irq=1 chunk=8");
  spec.record_path = path;
  spec.disks.positions[0] = kDiskDir + "/pattern-a.img";
  spec.disks.positions[2] = kDiskDir + "/pattern-b.img";
  spec.disks.io_faults = "seed=7,delay=20-300";
  spec.snapshots.interval = interval;
  spec.snapshots.store_in_recording = true;
  std::unique_ptr<Session> s = Session::live(spec);
  const RunResult r = s->run_to_end();
  EXPECT_EQ(r.reason, cpu::StopReason::kExit) << r.message;
  EXPECT_GT(s->timeline()->snapshots_stored(), 5u);
  s->finish(r, true);
  return s->machine().cpu().icount;
}

std::unique_ptr<Session> replay(const std::string& path, bool stored = true) {
  ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = nullptr;
  spec.snapshots.interval = 400'000;
  spec.snapshots.use_stored_snapshots = stored;
  std::unique_ptr<Session> s = Session::replay(spec);
  EXPECT_TRUE(s->warnings().empty()) << s->warnings()[0];
  return s;
}

TEST(StoredSnapshots, SeeksFromThemGiveTheStatesOfAReplayWithout) {
  TempFile rec("rewind_stored_snapshots.rwr");
  const uint64_t n = record_disk_guest(rec.path, 300'000);
  std::unique_ptr<Session> with = replay(rec.path), without = replay(rec.path, /*stored=*/false);
  EXPECT_GT(with->timeline()->snapshots_loaded(), 5u);
  EXPECT_EQ(without->timeline()->snapshots_loaded(), 0u);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 40; ++i) {
    const uint64_t t = rng() % (n + 1);
    ASSERT_EQ(with->timeline()->seek(t), Timeline::SeekResult::kOk) << t;
    ASSERT_EQ(without->timeline()->seek(t), Timeline::SeekResult::kOk) << t;
    ASSERT_EQ(with->machine().save_state(), without->machine().save_state()) << "at instruction " << t;
    ASSERT_EQ(with->replayer()->position(), without->replayer()->position()) << "at instruction " << t;
  }
  // And a replay from them to the end checks every digest after.
  ASSERT_EQ(with->timeline()->seek(n / 2), Timeline::SeekResult::kOk);
  with->run_to_end();
  EXPECT_FALSE(with->timeline()->diverged());
}

TEST(Trim, AWindowGoesThroughTheOriginalsStates) {
  TempFile rec("rewind_trim_original.rwr"), window("rewind_trim_window.rwr");
  const uint64_t n = record_disk_guest(rec.path, 300'000);
  TrimSpec spec;
  spec.recording = rec.path;
  spec.output = window.path;
  spec.from = n / 3 + 12'345;
  spec.to = 2 * n / 3;
  spec.snapshot_interval = 250'000;
  const TrimResult r = trim_recording(spec);
  EXPECT_EQ(r.exit_status, kExitWindowEnd);
  EXPECT_GE(r.snapshots, 2u);

  std::unique_ptr<Session> original = replay(rec.path), w = replay(window.path);
  EXPECT_TRUE(w->recording()->window.trimmed());
  EXPECT_EQ(w->timeline()->begin(), spec.from);
  EXPECT_EQ(w->timeline()->end(), spec.to);
  EXPECT_EQ(w->machine().cpu().icount, spec.from);
  EXPECT_EQ(w->timeline()->seek(spec.from - 1), Timeline::SeekResult::kBeyondEnd);
  std::mt19937_64 rng(9);
  std::vector<uint64_t> points = {spec.from, spec.to};
  for (int i = 0; i < 40; ++i) points.push_back(spec.from + rng() % (spec.to - spec.from + 1));
  for (uint64_t t : points) {
    ASSERT_EQ(original->timeline()->seek(t), Timeline::SeekResult::kOk) << t;
    ASSERT_EQ(w->timeline()->seek(t), Timeline::SeekResult::kOk) << t;
    ASSERT_EQ(w->machine().save_state(), original->machine().save_state()) << "at instruction " << t;
    ASSERT_EQ(w->replayer()->digest_now().combined(), original->replayer()->digest_now().combined()) << t;
  }
  // Straight from its start to its end: every digest checked, the end as recorded.
  std::unique_ptr<Session> straight = replay(window.path);
  const RunResult end = straight->run_to_end();
  const Outcome o = straight->finish(end, /*straight=*/true);
  EXPECT_TRUE(o.divergence.empty()) << o.divergence[0];
  EXPECT_EQ(o.status, kExitWindowEnd);
  EXPECT_EQ(straight->machine().cpu().icount, spec.to);
  EXPECT_GE(straight->replayer()->digests_checked(), 1u);

  // The window's output index: the original's entries from its start up to (not at) its end.
  const journal::OutputIndex& all = original->recording()->outputs;
  const journal::OutputIndex& part = w->recording()->outputs;
  std::vector<journal::CpuEvent> expected;
  for (const journal::CpuEvent& e : all.cpu)
    if (e.icount >= spec.from && e.icount < spec.to) expected.push_back(e);
  EXPECT_GT(expected.size(), 10u);
  EXPECT_LT(expected.size(), all.cpu.size());
  EXPECT_EQ(part.cpu, expected);
}

TEST(Trim, RefusesWindowsNotWithinTheRecording) {
  TempFile rec("rewind_trim_bounds.rwr"), window("rewind_trim_bounds_window.rwr");
  const uint64_t n = record_disk_guest(rec.path, 300'000);
  for (auto [from, to] : {std::pair<uint64_t, uint64_t>{5, 4}, {0, n + 1}, {n + 1, n + 2}}) {
    TrimSpec spec;
    spec.recording = rec.path;
    spec.output = window.path;
    spec.from = from;
    spec.to = to;
    try {
      trim_recording(spec);
      ADD_FAILURE() << "the window [" << from << ", " << to << "] was trimmed";
    } catch (const SessionError& e) {
      EXPECT_EQ(e.status(), kExitUsage) << e.what();
    }
  }
}

}  // namespace
}  // namespace rw::session
