// Sessions as the commands build them: a live run (recorded to a file, snapshots on the
// way) and the replay of its recording; the errors a user can cause.
#include "session/session.h"
#include "session/tests/test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "journal/recorder.h"
#include "journal/replayer.h"
#include "session/exit_codes.h"

namespace rw::session {
namespace {

using test_support::kDiskDir;
using test_support::kGuestDir;
using test_support::live_spec;
using test_support::TempFile;

// Replays `path` straight through; returns its outcome.
Outcome replay(const std::string& path, uint64_t* icount = nullptr, size_t* snapshots = nullptr) {
  ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = nullptr;
  spec.snapshots.interval = 1'000'000;
  std::unique_ptr<Session> s = Session::replay(spec);
  EXPECT_TRUE(s->replaying());
  EXPECT_TRUE(s->warnings().empty());
  const RunResult r = s->run_to_end();
  if (icount) *icount = s->machine().cpu().icount;
  if (snapshots) *snapshots = s->timeline()->snapshot_count();
  return s->finish(r, /*straight=*/true);
}

TEST(Session, LiveRunTakesSnapshotsAndItsRecordingReplays) {
  TempFile rec("rewind_session_live.rwr");
  LiveSpec spec = live_spec("compress64.elf", "iters=1");
  spec.record_path = rec.path;
  spec.snapshots.interval = 1'000'000;
  std::unique_ptr<Session> s = Session::live(spec);
  ASSERT_FALSE(s->replaying());
  ASSERT_NE(s->timeline(), nullptr);
  EXPECT_TRUE(s->timeline()->live());
  const RunResult r = s->run_to_end();
  const uint64_t n = s->machine().cpu().icount;
  ASSERT_EQ(r.reason, cpu::StopReason::kExit);
  // One snapshot per million instructions was taken (some thinned since), the first at 0.
  EXPECT_EQ(s->timeline()->snapshots_taken(), 1 + n / 1'000'000);
  EXPECT_GE(s->timeline()->snapshot_count(), 2u);
  EXPECT_EQ(s->timeline()->snapshot_icount(0), 0u);
  EXPECT_EQ(s->timeline()->end(), n);
  const Outcome live = s->finish(r, true);
  EXPECT_TRUE(live.errors.empty());
  EXPECT_EQ(live.status, 1);  // PASS: isa-debug-exit 0
  s.reset();

  uint64_t replayed = 0;
  size_t snapshots = 0;
  const Outcome o = replay(rec.path, &replayed, &snapshots);
  EXPECT_TRUE(o.divergence.empty()) << (o.divergence.empty() ? "" : o.divergence[0]);
  EXPECT_EQ(o.status, live.status);
  EXPECT_EQ(replayed, n);
  EXPECT_GE(snapshots, 2u);  // a replay without a debugger takes them too
}

// Snapshots taken while host I/O is in flight (slow, concurrent reads on two channels) do
// not disturb the run: the recording replays exactly.
TEST(Session, SnapshotsDuringHostIoKeepTheRecordingExact) {
  TempFile rec("rewind_session_io.rwr");
  LiveSpec spec = live_spec("disk_sum.elf", "irq=1 chunk=8");
  spec.record_path = rec.path;
  spec.disks.positions[0] = kDiskDir + "/pattern-a.img";
  spec.disks.positions[2] = kDiskDir + "/pattern-b.img";
  spec.disks.io_faults = "seed=7,delay=20-300";
  spec.snapshots.interval = 20'000;
  std::unique_ptr<Session> s = Session::live(spec);
  const RunResult r = s->run_to_end();
  ASSERT_EQ(r.reason, cpu::StopReason::kExit) << r.message;
  EXPECT_GT(s->timeline()->snapshots_taken(), 10u);
  EXPECT_GT(s->recorder()->events().size(), 10u);  // completions journaled
  const Outcome live = s->finish(r, true);
  s.reset();
  const Outcome o = replay(rec.path);
  EXPECT_TRUE(o.divergence.empty()) << (o.divergence.empty() ? "" : o.divergence[0]);
  EXPECT_EQ(o.status, live.status);
}

TEST(Session, NotRecordedMeansNoTimeline) {
  LiveSpec spec = live_spec("hello64.elf");
  spec.record = false;
  std::unique_ptr<Session> s = Session::live(spec);
  EXPECT_EQ(s->timeline(), nullptr);
  EXPECT_EQ(s->recorder(), nullptr);
  const RunResult r = s->run_to_end();
  EXPECT_EQ(s->finish(r, true).status, exit_status_for(r));
}

TEST(Session, InstructionLimitEndsALiveRun) {
  LiveSpec spec = live_spec("intloop64.elf");
  spec.max_instructions = 3'000'000;
  spec.snapshots.interval = 1'000'000;
  std::unique_ptr<Session> s = Session::live(spec);
  const RunResult r = s->run_to_end();
  EXPECT_EQ(r.reason, cpu::StopReason::kTarget);
  EXPECT_EQ(s->machine().cpu().icount, 3'000'000u);
  EXPECT_EQ(s->finish(r, true).status, kExitInstructionLimit);
}

int setup_error(const LiveSpec& spec) {
  try {
    Session::live(spec);
  } catch (const SessionError& e) {
    EXPECT_NE(std::string(e.what()), "");
    return e.status();
  }
  return 0;
}

TEST(Session, SetupErrorsSayWhatAndGiveTheStatus) {
  EXPECT_EQ(setup_error(live_spec("no-such-guest.elf")), kExitBadImage);
  LiveSpec disk = live_spec("hello64.elf");
  disk.disks.positions[1] = kDiskDir + "/no-such-disk.img";
  EXPECT_EQ(setup_error(disk), kExitBadImage);
  LiveSpec serial = live_spec("hello64.elf");
  serial.serial_in = "/no/such/dir/input";
  EXPECT_EQ(setup_error(serial), kExitUsage);
  LiveSpec budget = live_spec("hello64.elf");
  budget.snapshots.budget_bytes = 16;  // smaller than the snapshot at instruction 0
  EXPECT_EQ(setup_error(budget), kExitUsage);

  TempFile junk("rewind_session_junk.rwr");
  std::ofstream(junk.path) << "not a recording";
  ReplaySpec r;
  r.recording = junk.path;
  try {
    Session::replay(r);
    ADD_FAILURE() << "a file that is no recording was accepted";
  } catch (const SessionError& e) {
    EXPECT_EQ(e.status(), kExitBadRecording);
  }
}

}  // namespace
}  // namespace rw::session
