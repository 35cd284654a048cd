// Time travel on real guests: a recording made in-process (timer interrupts; an ATA guest
// with its disk completions journaled from host I/O), then replayed under a Timeline. After
// seek(t) the machine must be exactly what a straight replay reaches at t: the same
// MachineState, the same state digest, the same position in the journal.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "block/disks.h"
#include "cpu/debugger.h"
#include "session/session.h"
#include "journal/recording_file.h"
#include "journal/sessions.h"
#include "journal/state_hash.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "timeline/timeline.h"
#include "support/guest_recording.h"

namespace rw {
namespace {

using testing::available;
using testing::boot;
using testing::kDiskDir;
using testing::kGuestDir;
using testing::record;
using testing::Spec;

// A machine replaying `rec`.
struct Replay {
  Replay(const Spec& spec, const journal::Recording& rec)
      : m(boot(spec, /*host_io=*/false)), session(std::make_unique<journal::ReplaySession>(*m, rec, m->disks())) {}
  uint64_t digest() { return journal::StateHasher(*m).digest().combined(); }
  std::unique_ptr<Machine> m;
  std::unique_ptr<journal::ReplaySession> session;
};

struct Reference {
  uint64_t icount;
  MachineState state;
  uint64_t digest;
  journal::Replayer::Position position;
};

// Straight replays to each of `points` (ascending): one run from instruction 0 to each
// point, continued from the previous one (a run that stops and goes on reaches the same
// states: checked below against single runs).
std::vector<Reference> straight(const Spec& spec, const journal::Recording& rec, std::vector<uint64_t> points) {
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  Replay r(spec, rec);
  std::vector<Reference> out;
  for (uint64_t t : points) {
    r.m->run(t);
    EXPECT_EQ(r.m->cpu().icount, t);
    EXPECT_FALSE(r.session->replayer().diverged());
    out.push_back({t, r.m->save_state(), r.digest(), r.session->replayer().position()});
  }
  return out;
}

// Which parts of two states differ, for the failure message.
std::string differing_parts(const MachineState& a, const MachineState& b) {
  std::string out;
  if (a.icount != b.icount) out += " icount";
  if (a.cpu != b.cpu) out += " cpu";
  if (a.devices != b.devices) out += " devices";
  if (a.pages != b.pages) out += " page-list";
  if (a.page_data != b.page_data) out += " page-data";
  if (a.cpu != b.cpu && a.cpu.size() == b.cpu.size())
    for (size_t i = 0; i < a.cpu.size(); ++i)
      if (a.cpu[i] != b.cpu[i]) {
        out += " (cpu byte " + std::to_string(i) + " of " + std::to_string(a.cpu.size()) + ")";
        break;
      }
  if (a.devices != b.devices && a.devices.size() == b.devices.size())
    for (size_t i = 0; i < a.devices.size(); ++i)
      if (a.devices[i] != b.devices[i]) {
        out += " (devices byte " + std::to_string(i) + " of " + std::to_string(a.devices.size()) + ")";
        break;
      }
  return out;
}

void expect_at(Replay& r, Timeline& tl, const Reference& ref, const char* how) {
  ASSERT_EQ(tl.now(), ref.icount) << how;
  const MachineState now = r.m->save_state();
  EXPECT_TRUE(now == ref.state) << how << ": machine state differs at " << ref.icount << ":"
                                << differing_parts(now, ref.state);
  EXPECT_EQ(r.digest(), ref.digest) << how << ": digest differs at " << ref.icount;
  EXPECT_EQ(r.session->replayer().position(), ref.position) << how << ": journal position differs at " << ref.icount;
  EXPECT_FALSE(r.session->replayer().diverged()) << how;
}

std::vector<uint64_t> event_icounts(const journal::Recording& rec, journal::EventKind kind) {
  std::vector<uint64_t> out;
  for (const journal::Event& e : rec.events)
    if (e.kind == kind) out.push_back(e.icount);
  return out;
}

const Spec kTimer{"timer64.elf", "", false, 6'000'000};
const Spec kDisk{"disktest.elf", "irq=1", true, 0};

// Seeks in random order to random points, snapshot points and their neighbours, and
// (for the disk guest) the instruction counts of disk completions and their neighbours.
void seek_everywhere(const Spec& spec, uint64_t interval) {
  ASSERT_TRUE(available(spec)) << spec.elf << " not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(spec);
  ASSERT_TRUE(rec.end.has_value());
  const uint64_t end = rec.end->final_icount;
  ASSERT_GT(end, 4 * interval) << "the recording is too short for the test";

  std::mt19937_64 rng(12345);
  std::vector<uint64_t> points = {0, 1, end - 1, end};
  for (int i = 0; i < 25; ++i) points.push_back(rng() % (end + 1));
  for (uint64_t s = interval; s <= end; s += interval)
    for (uint64_t t : {s - 1, s, s + 1})
      if (t <= end) points.push_back(t);
  const std::vector<uint64_t> completions = event_icounts(rec, journal::EventKind::kBlockCompletion);
  if (spec.disks) {
    ASSERT_FALSE(completions.empty()) << "no disk completion was journaled";
  }
  for (size_t i = 0; i < completions.size(); i += std::max<size_t>(1, completions.size() / 12))
    for (uint64_t t : {completions[i] - 1, completions[i], completions[i] + 1})
      if (t <= end) points.push_back(t);
  std::vector<Reference> refs = straight(spec, rec, points);

  Replay r(spec, rec);
  Timeline tl(*r.m, *r.session, {.interval = interval, .max_snapshots = 64, .budget_bytes = size_t{1} << 30});
  EXPECT_EQ(tl.end(), end);
  const RunResult run = tl.run_to(~uint64_t{0});
  EXPECT_EQ(tl.now(), end) << run.message;
  EXPECT_EQ(run.message, rec.end->stop_message);
  EXPECT_EQ(tl.snapshot_icount(0), 0u);
  EXPECT_GE(tl.snapshot_count(), end / interval);

  std::shuffle(refs.begin(), refs.end(), rng);
  for (const Reference& ref : refs) {
    ASSERT_EQ(tl.seek(ref.icount), Timeline::SeekResult::kOk) << ref.icount;
    expect_at(r, tl, ref, "seek");
  }
  EXPECT_EQ(tl.seek(end + 1), Timeline::SeekResult::kBeyondEnd);

  // From the past, run to the end again: every digest of the recording checks out.
  ASSERT_EQ(tl.seek(interval / 2), Timeline::SeekResult::kOk);
  const uint64_t checked = r.session->replayer().digests_checked();
  tl.run_to(end);
  EXPECT_EQ(tl.now(), end);
  EXPECT_FALSE(r.session->replayer().diverged());
  EXPECT_TRUE(r.session->replayer().finished());
  EXPECT_GT(r.session->replayer().digests_checked(), checked);
  std::printf("%s: %llu instructions, %zu events, %zu completions, %zu snapshots, %zu points checked\n",
              spec.elf.c_str(), static_cast<unsigned long long>(end), rec.events.size(), completions.size(),
              tl.snapshot_count(), refs.size());
}

TEST(Timeline, SeekIsExactTimerInterrupts) { seek_everywhere(kTimer, 1'000'000); }
TEST(Timeline, SeekIsExactDiskCompletionsJournaled) { seek_everywhere(kDisk, 300'000); }
// Busy guests: every instruction executed (no idling in HLT), with and without interrupts.
TEST(Timeline, SeekIsExactCompute) { seek_everywhere({"compress64.elf", "iters=2", false, 5'000'000}, 700'000); }
TEST(Timeline, SeekIsExactRtcInterrupts) { seek_everywhere({"rtc32.elf", "", false, 5'000'000}, 700'000); }
TEST(Timeline, SeekIsExactPollingDisk64) { seek_everywhere({"disktest64.elf", "", true, 0}, 300'000); }

// The state at a completion's icount is the state just after it was delivered (as
// Machine::run(t) leaves it: events at t are delivered when the run reaches t); one
// instruction earlier it is not delivered yet.
TEST(Timeline, AtACompletionItsEventHasBeenDelivered) {
  ASSERT_TRUE(available(kDisk)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(kDisk);
  size_t index = 0;
  while (index < rec.events.size() && rec.events[index].kind != journal::EventKind::kBlockCompletion) ++index;
  ASSERT_LT(index, rec.events.size());
  const journal::Event& completion = rec.events[index];
  const uint64_t t = completion.icount;
  size_t first_at_t = index, after_t = index;  // the events journaled at t: [first_at_t, after_t)
  while (first_at_t > 0 && rec.events[first_at_t - 1].icount == t) --first_at_t;
  while (after_t < rec.events.size() && rec.events[after_t].icount == t) ++after_t;
  Replay r(kDisk, rec);
  Timeline tl(*r.m, *r.session, {.interval = 200'000});
  tl.run_to(rec.end->final_icount);
  block::BlockDevice* drive = r.m->disks()->device(completion.device);
  ASSERT_NE(drive, nullptr);
  ASSERT_EQ(tl.seek(t), Timeline::SeekResult::kOk);
  EXPECT_EQ(r.session->replayer().position().cursor, after_t);
  EXPECT_FALSE(drive->in_flight(static_cast<uint32_t>(completion.id))) << "delivered at its icount";
  ASSERT_TRUE(tl.step_back());
  EXPECT_EQ(tl.now(), t - 1);
  EXPECT_EQ(r.session->replayer().position().cursor, first_at_t);
  EXPECT_TRUE(drive->in_flight(static_cast<uint32_t>(completion.id))) << "not yet delivered one instruction earlier";
  // A single straight run to t agrees.
  Replay straight_run(kDisk, rec);
  straight_run.m->run(t);
  EXPECT_EQ(straight_run.session->replayer().position().cursor, after_t);
  ASSERT_EQ(tl.seek(t), Timeline::SeekResult::kOk);
  EXPECT_TRUE(r.m->save_state() == straight_run.m->save_state());
}

// Reference states reached by stopping and going on equal those of a single run.
TEST(Timeline, StoppingAndGoingOnReachesTheSameStates) {
  ASSERT_TRUE(available(kDisk)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(kDisk);
  const uint64_t end = rec.end->final_icount;
  std::vector<uint64_t> points;
  for (uint64_t t = 1; t < end; t = t * 3 + 7) points.push_back(t);
  std::vector<Reference> refs = straight(kDisk, rec, points);
  for (size_t i = 0; i < refs.size(); i += 3) {
    Replay single(kDisk, rec);
    single.m->run(refs[i].icount);
    EXPECT_TRUE(single.m->save_state() == refs[i].state) << refs[i].icount;
  }
}

// A replay of an interrupt-driven disk guest (idling in HLT between slow completions, the
// PIT counting with its IRQ masked) stopped every 77,777 instructions, at points unrelated
// to anything the guest does, passes every state digest and ends in the state a straight
// replay ends in. Timers due during an idle skip fire at their own deadlines; when they fired
// where the skip ended (rewind before format 4), the PIT's output edges depended on where
// runs stopped, and this test failed every time.
TEST(Timeline, RunsStoppedAnywhereMatchAStraightRunAcrossIdleTimers) {
  // Slow host I/O: long idle stretches in HLT, which the stops cut anywhere.
  const Spec spec{"disk_sum.elf", "irq=1 chunk=8", true, 0, "seed=2,delay=200-500"};
  ASSERT_TRUE(available(spec)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(spec);
  ASSERT_TRUE(rec.end.has_value());
  const uint64_t end = rec.end->final_icount;
  Replay whole(spec, rec);
  whole.m->run(end);
  ASSERT_FALSE(whole.session->replayer().diverged());
  Replay stepped(spec, rec);
  for (uint64_t t = 0; t < end && !stepped.session->replayer().diverged();) {
    t = std::min(end, t + 77'777);
    stepped.m->run(t);
  }
  std::string why;
  for (const std::string& line : stepped.session->replayer().divergence()) why += "\n  " + line;
  EXPECT_FALSE(stepped.session->replayer().diverged()) << why;
  EXPECT_EQ(stepped.m->cpu().icount, end);
  EXPECT_TRUE(stepped.m->save_state() == whole.m->save_state())
      << differing_parts(stepped.m->save_state(), whole.m->save_state());
}

void step_back_from(const Spec& spec, const journal::Recording& rec, Timeline& tl, Replay& r, uint64_t from, int steps) {
  std::vector<uint64_t> points;
  for (int i = 0; i <= steps && uint64_t(i) <= from; ++i) points.push_back(from - i);
  std::vector<Reference> refs = straight(spec, rec, points);  // ascending
  ASSERT_EQ(tl.seek(from), Timeline::SeekResult::kOk);
  expect_at(r, tl, refs.back(), "seek");
  for (size_t i = refs.size() - 1; i-- > 0;) {
    ASSERT_TRUE(tl.step_back());
    expect_at(r, tl, refs[i], "step_back");
  }
}

TEST(Timeline, StepBackAcrossSnapshotsAndCompletions) {
  ASSERT_TRUE(available(kDisk)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(kDisk);
  Replay r(kDisk, rec);
  const uint64_t interval = 250'000;
  Timeline tl(*r.m, *r.session, {.interval = interval});
  tl.run_to(rec.end->final_icount);
  const std::vector<uint64_t> completions = event_icounts(rec, journal::EventKind::kBlockCompletion);
  ASSERT_GE(completions.size(), 2u);
  step_back_from(kDisk, rec, tl, r, interval + 10, 25);                    // across a snapshot point
  step_back_from(kDisk, rec, tl, r, completions[0] + 8, 20);               // across a completion
  step_back_from(kDisk, rec, tl, r, completions[completions.size() / 2] + 3, 10);
  step_back_from(kDisk, rec, tl, r, 12, 15);                               // to instruction 0
  EXPECT_EQ(tl.now(), 0u);
  EXPECT_FALSE(tl.step_back());
  EXPECT_EQ(tl.now(), 0u);
}

// Sets a breakpoint on the instruction the guest runs at the first instruction count from
// `from` on where it is not halted, and returns that count.
uint64_t break_on_instruction_run_after(Timeline& tl, Machine& m, uint64_t from, uint64_t end) {
  uint64_t t = from;
  EXPECT_EQ(tl.seek(t), Timeline::SeekResult::kOk);
  while (m.cpu().halted && t < end) EXPECT_EQ(tl.seek(++t), Timeline::SeekResult::kOk);
  EXPECT_LT(t, end);
  EXPECT_TRUE(m.debugger().add_breakpoint(m.cpu().rip));
  return t;
}

// The reverse search in steps (as the gdb stub runs it, so that ^C can stop it): stepped to
// its end it stops where the one-shot search does; cancelled midway, the machine is exactly
// where a straight replay to the same instruction is.
TEST(Timeline, ReverseSearchInStepsStopsAlikeAndCancelsAtAConsistentPoint) {
  const Spec compute{"compress64.elf", "iters=2", false, 5'000'000};
  ASSERT_TRUE(available(compute)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(compute);
  const uint64_t end = rec.end->final_icount;
  Replay r(compute, rec);
  Timeline tl(*r.m, *r.session, {.interval = 500'000});
  tl.run_to(end);
  ASSERT_EQ(tl.now(), end);
  // A breakpoint on an instruction the guest runs at some point after 2 M.
  const uint64_t t = break_on_instruction_run_after(tl, *r.m, 2'000'000, end);
  ASSERT_EQ(tl.seek(end), Timeline::SeekResult::kOk);

  const ReverseStop one_shot = tl.reverse_continue();
  const uint64_t found = tl.now();
  ASSERT_EQ(one_shot.kind, ReverseStop::Kind::kBreakpoint);
  ASSERT_GE(found, t);

  ASSERT_EQ(tl.seek(end), Timeline::SeekResult::kOk);
  tl.begin_reverse_continue();
  int steps = 1;
  std::optional<ReverseStop> stepped;
  while (!(stepped = tl.reverse_continue_step(100'000))) ++steps;
  EXPECT_FALSE(tl.searching());
  EXPECT_GT(steps, 3);
  EXPECT_EQ(stepped->kind, one_shot.kind);
  EXPECT_EQ(stepped->address, one_shot.address);
  EXPECT_EQ(tl.now(), found);

  // Cancelled after a few steps: a position like any other.
  ASSERT_EQ(tl.seek(end), Timeline::SeekResult::kOk);
  tl.begin_reverse_continue();
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(tl.reverse_continue_step(100'000).has_value());
  tl.cancel_reverse_continue();
  EXPECT_FALSE(tl.searching());
  const uint64_t at = tl.now();
  EXPECT_LT(at, end);
  const MachineState state = r.m->save_state();
  const std::vector<Reference> ref = straight(compute, rec, {at});
  EXPECT_TRUE(state == ref[0].state) << "state after a cancelled search differs at " << at << ":"
                                     << differing_parts(state, ref[0].state);
  EXPECT_EQ(r.session->replayer().position(), ref[0].position);
  // And the timeline goes on from there.
  EXPECT_EQ(tl.reverse_continue().kind, ReverseStop::Kind::kBreakpoint);
  EXPECT_LE(tl.now(), at);
}

// A floor (what `monitor catch io` gives the search: the previous boundary with
// deliveries): with no hit after it the search stops exactly there, in the state a seek
// leaves; a hit after the floor still wins; a floor after the hit hides it.
TEST(Timeline, ReverseSearchStopsAtItsFloor) {
  const Spec compute{"compress64.elf", "iters=2", false, 5'000'000};
  ASSERT_TRUE(available(compute)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(compute);
  const uint64_t end = rec.end->final_icount;
  Replay r(compute, rec);
  Timeline tl(*r.m, *r.session, {.interval = 500'000});
  tl.run_to(end);
  ASSERT_EQ(tl.now(), end);

  tl.begin_reverse_continue(1'234'567);
  std::optional<ReverseStop> stop;
  while (!(stop = tl.reverse_continue_step(300'000))) {
  }
  EXPECT_EQ(stop->kind, ReverseStop::Kind::kFloor);
  EXPECT_EQ(tl.now(), 1'234'567u);
  const std::vector<Reference> ref = straight(compute, rec, {1'234'567});
  EXPECT_TRUE(r.m->save_state() == ref[0].state) << differing_parts(r.m->save_state(), ref[0].state);

  // A breakpoint the guest reaches after 2 M: found with a floor before it, not with one after.
  const uint64_t t = break_on_instruction_run_after(tl, *r.m, 2'000'000, end);
  ASSERT_EQ(tl.seek(end), Timeline::SeekResult::kOk);
  tl.begin_reverse_continue(1'000'000);
  while (!(stop = tl.reverse_continue_step(~uint64_t{0}))) {
  }
  EXPECT_EQ(stop->kind, ReverseStop::Kind::kBreakpoint);
  const uint64_t hit = tl.now();
  EXPECT_GE(hit, t);
  ASSERT_EQ(tl.seek(end), Timeline::SeekResult::kOk);
  tl.begin_reverse_continue(hit + 1);
  while (!(stop = tl.reverse_continue_step(~uint64_t{0}))) {
  }
  EXPECT_EQ(stop->kind, ReverseStop::Kind::kFloor);
  EXPECT_EQ(tl.now(), hit + 1);
}

TEST(Timeline, ThinningKeepsSnapshotsBoundedAndDenseNearThePresent) {
  ASSERT_TRUE(available(kTimer)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(kTimer);
  const uint64_t end = rec.end->final_icount;
  Replay r(kTimer, rec);
  const uint64_t interval = 20'000;
  Timeline tl(*r.m, *r.session, {.interval = interval, .max_snapshots = 10});
  for (uint64_t t = 0; t < end; t += 250'000) {
    tl.run_to(t);
    ASSERT_LE(tl.snapshot_count(), 10u);
  }
  tl.run_to(end);
  const size_t n = tl.snapshot_count();
  ASSERT_LE(n, 10u);
  EXPECT_EQ(tl.snapshot_icount(0), 0u);
  EXPECT_GT(tl.snapshot_icount(n - 1) + interval, end);
  EXPECT_GT(tl.snapshots_dropped(), end / interval - 20);
  for (size_t i = 1; i < n; ++i) EXPECT_LT(tl.snapshot_icount(i - 1), tl.snapshot_icount(i));
  // Gaps grow going back (within a factor of two per step for the oldest ones).
  EXPECT_LE(tl.snapshot_icount(n - 1) - tl.snapshot_icount(n - 2), tl.snapshot_icount(2) - tl.snapshot_icount(1));

  // Still exact after thinning, wherever the nearest snapshot is.
  std::mt19937_64 rng(7);
  std::vector<uint64_t> points;
  for (int i = 0; i < 12; ++i) points.push_back(rng() % (end + 1));
  std::vector<Reference> refs = straight(kTimer, rec, points);
  std::shuffle(refs.begin(), refs.end(), rng);
  for (const Reference& ref : refs) {
    ASSERT_EQ(tl.seek(ref.icount), Timeline::SeekResult::kOk);
    expect_at(r, tl, ref, "seek after thinning");
  }

  // A byte budget bounds them too: half of what they take without one. Snapshots are
  // incremental, so the bound is the budget plus the newest snapshot, which is always kept;
  // dropping one moves its pages into the next, so two snapshots (the first and the newest,
  // holding every page changed since) are as small as it gets.
  Replay r2(kTimer, rec);
  Timeline all(*r2.m, *r2.session, {.interval = interval, .max_snapshots = 1000});
  all.run_to(end);
  Replay r3(kTimer, rec);
  const size_t budget = all.snapshot_bytes() / 2;
  Timeline small(*r3.m, *r3.session, {.interval = interval, .max_snapshots = 1000, .budget_bytes = budget});
  size_t largest = 0;
  for (uint64_t t = 0; t < end; t += interval) {
    const size_t before = small.snapshot_bytes();
    small.run_to(t + interval);
    largest = std::max(largest, small.snapshot_bytes() > before ? small.snapshot_bytes() - before : 0);
    ASSERT_TRUE(small.snapshot_bytes() <= budget + largest || small.snapshot_count() == 2)
        << small.snapshot_bytes() << " bytes in " << small.snapshot_count() << " snapshots, budget " << budget;
  }
  EXPECT_GT(small.snapshots_dropped(), 0u);
  EXPECT_LT(small.snapshot_count(), all.snapshot_count());
  for (const Reference& ref : refs) {
    ASSERT_EQ(small.seek(ref.icount), Timeline::SeekResult::kOk);
    expect_at(r3, small, ref, "seek within a byte budget");
  }
}

}  // namespace
}  // namespace rw

namespace rw {
namespace {

// Where a seek arrives after replaying far, it leaves a snapshot a little before itself, so
// that the next steps back replay little; seeks stay exact, and the extra snapshots are few.
TEST(Timeline, SeeksLeaveASnapshotNearWhereTheyArrive) {
  ASSERT_TRUE(available(kDisk)) << "not built" << " (guests and disk images are part of the build)";
  const journal::Recording rec = record(kDisk);
  const uint64_t end = rec.end->final_icount;
  std::mt19937_64 rng(99);
  std::vector<uint64_t> points;
  for (int i = 0; i < 40; ++i) points.push_back(rng() % (end + 1));
  const std::vector<Reference> refs = straight(kDisk, rec, points);
  Replay r(kDisk, rec);
  const uint64_t interval = 250'000, near = 20'000;
  Timeline tl(*r.m, *r.session, {.interval = interval, .arrival_distance = near, .max_arrival_snapshots = 4});
  tl.run_to(end);
  const size_t frontier = tl.snapshot_count();
  size_t far_seeks = 0;
  for (const Reference& ref : refs) {
    // Where the seek replays from: the nearest snapshot, or where the machine is when that is
    // on the way.
    const uint64_t snapshot = tl.snapshot_icount(tl.snapshot_at_or_before(ref.icount));
    const uint64_t from = ref.icount >= tl.now() && snapshot <= tl.now() ? tl.now() : snapshot;
    ASSERT_EQ(tl.seek(ref.icount), Timeline::SeekResult::kOk) << ref.icount;
    expect_at(r, tl, ref, "seek leaving an arrival snapshot");
    if (ref.icount - from > near) {
      ++far_seeks;
      const uint64_t nearest = tl.snapshot_icount(tl.snapshot_at_or_before(ref.icount - 1));
      EXPECT_LE(ref.icount - 1 - nearest, near) << "after a seek to " << ref.icount;
    }
    EXPECT_LE(tl.snapshot_count(), frontier + 4);
  }
  EXPECT_GT(far_seeks, 10u);
  // Stepping back from the last point replays from its arrival snapshot, exactly.
  step_back_from(kDisk, rec, tl, r, refs.back().icount, 5);
}

}  // namespace
}  // namespace rw
