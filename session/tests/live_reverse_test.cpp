// Going back in a live run and forward again: the timeline parks the live side at the
// frontier and replays the run's own journal, and going forward replays up to the frontier
// and goes on live there. The oracle is a straight replay of the recording the live run
// wrote while going back and forth: the machine state at every point visited live equals
// the replay's there, and the replay ends exactly as the run did. A disk request in flight
// at the frontier is completed by the host, once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "block/disks.h"
#include "journal/debugger_write.h"
#include "journal/recorder.h"
#include "journal/recording_file.h"
#include "session/session.h"
#include "session/tests/test_support.h"

namespace rw::session {
namespace {

using test_support::kDiskDir;
using test_support::kGuestDir;
using test_support::live_spec;
using test_support::TempFile;

LiveSpec disk_spec() {
  LiveSpec spec = live_spec("disk_sum.elf", "irq=1 chunk=8");
  spec.disks.positions[0] = kDiskDir + "/pattern-a.img";
  spec.disks.positions[2] = kDiskDir + "/pattern-b.img";
  spec.disks.io_faults = "seed=7,delay=20-300";
  spec.snapshots.interval = 20'000;
  return spec;
}

std::string first(const std::vector<std::string>& lines) { return lines.empty() ? "" : lines[0]; }

// Which parts of two states differ, for a failure message.
std::string differing_parts(const MachineState& a, const MachineState& b) {
  std::string out;
  auto first_byte = [&](const std::string& what, const auto& x, const auto& y) {
    if (x == y) return;
    out += " " + what;
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
      if (x[i] != y[i]) {
        out += " (byte " + std::to_string(i) + " of " + std::to_string(x.size()) + ")";
        return;
      }
    out += " (sizes " + std::to_string(x.size()) + ", " + std::to_string(y.size()) + ")";
  };
  first_byte("cpu", a.cpu, b.cpu);
  first_byte("devices", a.devices, b.devices);
  first_byte("page-list", a.pages, b.pages);
  first_byte("page-data", a.page_data, b.page_data);
  if (a.icount != b.icount) out += " icount";
  return out;
}

// The states seen in the live run, by instruction count.
using Seen = std::map<uint64_t, MachineState>;

void remember(Session& s, Seen& seen) {
  const uint64_t t = s.machine().cpu().icount;
  MachineState state = s.machine().save_state();
  auto [it, fresh] = seen.emplace(t, state);
  EXPECT_TRUE(fresh || it->second == state)
      << "two visits to instruction " << t << " saw different states:" << differing_parts(it->second, state);
}

// Replays `path` straight to its end, comparing the state at each point of `seen` on the
// way; the straight replay's outcome (serial output and final state compared too).
Outcome replay_and_compare(const std::string& path, const Seen& seen, FILE* serial_out = nullptr) {
  ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = serial_out;
  std::unique_ptr<Session> s = Session::replay(spec);
  EXPECT_TRUE(s->warnings().empty());
  for (const auto& [t, state] : seen) {
    const RunResult r = s->run_to(t);
    EXPECT_EQ(s->machine().cpu().icount, t) << r.message;
    const MachineState replayed = s->machine().save_state();
    EXPECT_TRUE(replayed == state) << "the live run's state at " << t
                                   << " is not the replay's:" << differing_parts(state, replayed);
  }
  const RunResult r = s->run_to_end();
  return s->finish(r, /*straight=*/true);
}


TEST(LiveReverse, GoingBackAndForthInALiveRunReplaysItsOwnHistory) {
  TempFile rec("rewind_live_reverse.rwr");
  LiveSpec spec = live_spec("compress64.elf", "iters=2");
  spec.record_path = rec.path;
  spec.snapshots.interval = 1'000'000;
  spec.snapshots.arrival_distance = 300'000;
  std::unique_ptr<Session> s = Session::live(spec);
  Timeline& tl = *s->timeline();
  Seen seen;

  constexpr uint64_t kFirst = 2'500'123, kSecond = 4'100'007;
  ASSERT_EQ(s->run_to(kFirst).reason, cpu::StopReason::kTarget);
  EXPECT_TRUE(tl.at_frontier());
  remember(*s, seen);
  // Back to points before, between and at snapshots, and just before the frontier.
  for (uint64_t t : {uint64_t{1'234'567}, uint64_t{17}, kFirst - 1, uint64_t{2'000'000}, uint64_t{999'999}}) {
    ASSERT_EQ(tl.seek(t), Timeline::SeekResult::kOk) << t;
    EXPECT_TRUE(tl.parked());
    EXPECT_EQ(tl.frontier(), kFirst);
    EXPECT_EQ(tl.end(), kFirst);
    remember(*s, seen);
  }
  ASSERT_TRUE(tl.step_back());
  EXPECT_EQ(tl.now(), 999'998u);
  remember(*s, seen);

  // Forward past the frontier in one call: replayed up to it, live from there.
  ASSERT_EQ(s->run_to(kSecond).reason, cpu::StopReason::kTarget);
  EXPECT_TRUE(tl.at_frontier());
  EXPECT_EQ(tl.frontier(), kSecond);
  remember(*s, seen);

  // A reverse search from the frontier stops at a breakpoint where the run was before.
  ASSERT_EQ(tl.seek(3'000'000), Timeline::SeekResult::kOk);
  const uint64_t there = s->machine().cpu().rip;
  ASSERT_EQ(tl.seek(kSecond), Timeline::SeekResult::kOk);  // back at the frontier: live again
  EXPECT_TRUE(tl.at_frontier());
  remember(*s, seen);
  cpu::Debugger d = s->machine().debugger();
  ASSERT_TRUE(d.add_breakpoint(there));
  const ReverseStop stop = tl.reverse_continue();
  EXPECT_EQ(stop.kind, ReverseStop::Kind::kBreakpoint);
  EXPECT_EQ(s->machine().cpu().rip, there);
  EXPECT_GE(tl.now(), 3'000'000u);
  EXPECT_LT(tl.now(), kSecond);
  EXPECT_TRUE(tl.parked());
  d.remove_breakpoint(there);
  remember(*s, seen);

  // Across the old frontier, then from the past straight to the guest's end.
  ASSERT_EQ(tl.seek(kFirst + 5), Timeline::SeekResult::kOk);
  remember(*s, seen);
  const RunResult r = s->run_to_end();
  ASSERT_EQ(r.reason, cpu::StopReason::kExit) << r.message;
  EXPECT_TRUE(tl.at_frontier());
  const uint64_t n = s->machine().cpu().icount;
  EXPECT_GT(n, kSecond);
  const Outcome live = s->finish(r, true);
  EXPECT_TRUE(live.divergence.empty()) << first(live.divergence);
  EXPECT_TRUE(live.errors.empty()) << first(live.errors);
  EXPECT_EQ(live.status, 1);  // PASS
  s.reset();

  const Outcome o = replay_and_compare(rec.path, seen);
  EXPECT_TRUE(o.divergence.empty()) << first(o.divergence);
  EXPECT_EQ(o.status, live.status);
}

// A debugger's writes at the frontier are inputs like a device's: journaled where they are
// made, made again there by a replay of the run's past and of its recording file. Made at a
// snapshot's instruction count, after the snapshot was taken: a seek there restores it and
// makes them.
TEST(LiveReverse, DebuggerWritesAtTheFrontierAreReplayedWhereTheyWereMade) {
  TempFile rec("rewind_live_writes.rwr");
  LiveSpec spec = live_spec("compress64.elf", "iters=2");
  spec.record_path = rec.path;
  spec.max_instructions = 40'000'000;  // in case the writes send the guest astray
  spec.snapshots.interval = 1'000'000;
  std::unique_ptr<Session> s = Session::live(spec);
  Timeline& tl = *s->timeline();
  Machine& m = s->machine();
  Seen seen;

  constexpr uint64_t kAt = 2'000'000;
  ASSERT_EQ(s->run_to(kAt).reason, cpu::StopReason::kTarget);
  ASSERT_EQ(tl.snapshot_icount(tl.snapshot_count() - 1), kAt);
  remember(*s, seen);  // before the writes: a seek to kAt must not bring this back
  seen.clear();
  // Eight bytes on the stack, across a page boundary (two physical pieces), and a register.
  const uint64_t addr = ((m.cpu().gpr[4] - 1024) & ~uint64_t{4095}) - 4;
  const uint8_t bytes[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67};
  uint8_t old[8];
  ASSERT_TRUE(m.read_virtual(addr, old, sizeof old));
  ASSERT_NE(std::vector<uint8_t>(old, old + 8), std::vector<uint8_t>(bytes, bytes + 8));
  ASSERT_TRUE(tl.write_memory(addr, bytes));
  const uint64_t r12 = m.cpu().gpr[12] ^ 0x5a5a;
  ASSERT_TRUE(tl.write_register(cpu::Reg::kR12, r12));
  EXPECT_FALSE(tl.write_register(cpu::Reg::kCr3, 0));  // the CPU does not take it: not journaled
  EXPECT_EQ(m.cpu().gpr[12], r12);
  const MachineState written = m.save_state();
  remember(*s, seen);
  size_t writes = 0;
  for (const journal::Event& e : s->recorder()->events())
    if (e.kind == journal::EventKind::kDebuggerWrite) {
      EXPECT_EQ(e.icount, kAt);
      ++writes;
    }
  EXPECT_EQ(writes, 3u);

  ASSERT_EQ(s->run_to(kAt + 300'000).reason, cpu::StopReason::kTarget);
  remember(*s, seen);
  // Back before the writes: refused there; forward to them and past them.
  ASSERT_EQ(tl.seek(kAt - 10), Timeline::SeekResult::kOk);
  remember(*s, seen);
  EXPECT_FALSE(tl.write_memory(addr, bytes));
  EXPECT_FALSE(tl.write_register(cpu::Reg::kR12, 0));
  ASSERT_EQ(tl.seek(kAt), Timeline::SeekResult::kOk);  // from the snapshot taken before them
  EXPECT_TRUE(m.save_state() == written) << differing_parts(written, m.save_state());
  ASSERT_EQ(tl.seek(kAt - 10), Timeline::SeekResult::kOk);
  ASSERT_EQ(s->run_to(kAt + 100'000).reason, cpu::StopReason::kTarget);  // across them
  EXPECT_FALSE(tl.diverged()) << first(tl.divergence());
  remember(*s, seen);
  ASSERT_EQ(tl.seek(kAt + 300'000), Timeline::SeekResult::kOk);
  EXPECT_FALSE(tl.diverged()) << first(tl.divergence());
  EXPECT_TRUE(tl.at_frontier());
  remember(*s, seen);

  const RunResult r = s->run_to_end();
  EXPECT_TRUE(tl.at_frontier());
  const Outcome live = s->finish(r, true);
  EXPECT_TRUE(live.divergence.empty()) << first(live.divergence);
  s.reset();

  const journal::Recording file = journal::read_recording(rec.path);
  EXPECT_EQ(file.version, journal::kFormatVersion);
  EXPECT_EQ(std::count_if(file.events.begin(), file.events.end(),
                          [](const journal::Event& e) { return e.kind == journal::EventKind::kDebuggerWrite; }),
            3);
  const Outcome o = replay_and_compare(rec.path, seen);
  EXPECT_TRUE(o.divergence.empty()) << first(o.divergence);
  EXPECT_EQ(o.status, live.status);
}

// A request in flight at the frontier keeps running on the host while the run is in its
// past; back at the frontier it is the same host job again, delivered once with the host's
// data. The guest sums both disks and checks the result.
TEST(LiveReverse, DiskRequestsInFlightAtTheFrontierCompleteFromTheHostOnce) {
  TempFile rec("rewind_live_reverse_disk.rwr");
  LiveSpec spec = disk_spec();
  spec.record_path = rec.path;
  std::unique_ptr<Session> s = Session::live(spec);
  Timeline& tl = *s->timeline();
  block::Disks& disks = *s->machine().disks();
  Seen seen;

  auto completions = [&] {
    std::vector<uint64_t> at;
    for (const journal::Event& e : s->recorder()->events())
      if (e.kind == journal::EventKind::kBlockCompletion) at.push_back(e.icount);
    return at;
  };
  // The host jobs in flight, by (position, id).
  auto jobs_in_flight = [&] {
    std::map<std::pair<int, uint32_t>, std::shared_ptr<block::HostJob>> jobs;
    for (int i = 0; i < block::Disks::kPositions; ++i)
      if (const block::BlockDevice* d = disks.device(i))
        for (const auto& [id, job] : d->host_jobs()) jobs[{i, id}] = job;
    return jobs;
  };

  int frontiers = 0;
  for (;;) {
    const RunResult r = s->run_to(s->machine().cpu().icount + 3'000);
    ASSERT_EQ(r.reason, cpu::StopReason::kTarget) << r.message;
    const std::vector<uint64_t> done = completions();
    const auto in_flight = jobs_in_flight();
    if (in_flight.empty() || done.size() < size_t{6} * (frontiers + 1)) continue;

    // A request in flight: go back around the completions journaled so far. (The state at
    // the frontier itself is not compared: the run's next poll there, halted, may deliver
    // a completion at this very instruction count, which the state at it then includes.)
    const uint64_t frontier = tl.now();
    const uint64_t last = done.back(), mid = done[done.size() / 2];
    for (uint64_t t : {last, last - 1, mid, mid - 1, done.front(), frontier - 1, last + 1}) {
      if (t >= frontier) continue;  // completions delivered at the frontier
      ASSERT_EQ(tl.seek(t), Timeline::SeekResult::kOk) << t;
      EXPECT_TRUE(tl.parked());
      remember(*s, seen);
    }
    // The host finishes the stashed requests meanwhile; none reaches the guest in the past.
    disks.backend().wait_all_finished();
    ASSERT_EQ(tl.seek(frontier - 2), Timeline::SeekResult::kOk);
    EXPECT_EQ(completions(), done);
    ASSERT_EQ(tl.seek(frontier), Timeline::SeekResult::kOk);
    EXPECT_TRUE(tl.at_frontier());
    EXPECT_EQ(jobs_in_flight(), in_flight);  // the same host jobs, not the restored copies
    for (const auto& [key, job] : in_flight) EXPECT_TRUE(job->finished.load());
    if (++frontiers == 3) break;
  }
  const RunResult r = s->run_to_end();
  ASSERT_EQ(r.reason, cpu::StopReason::kExit) << r.message;

  // Each request was completed and journaled once.
  std::set<std::pair<uint8_t, uint64_t>> delivered;
  size_t journaled = 0;
  for (const journal::Event& e : s->recorder()->events()) {
    if (e.kind != journal::EventKind::kBlockCompletion) continue;
    ++journaled;
    EXPECT_TRUE(delivered.emplace(e.device, e.id).second) << "request " << e.id << " of disk " << int{e.device}
                                                          << " completed twice";
  }
  const uint64_t requests = disks.source().stats().requests;
  EXPECT_EQ(requests, journaled);
  const Outcome live = s->finish(r, true);
  EXPECT_TRUE(live.divergence.empty()) << first(live.divergence);
  s.reset();

  // The same guest without going back makes as many requests and ends the same way.
  std::unique_ptr<Session> straight = Session::live(disk_spec());
  const RunResult sr = straight->run_to_end();
  EXPECT_EQ(straight->machine().disks()->source().stats().requests, requests);
  EXPECT_EQ(straight->finish(sr, true).status, live.status);

  const Outcome o = replay_and_compare(rec.path, seen);
  EXPECT_TRUE(o.divergence.empty()) << first(o.divergence);
  EXPECT_EQ(o.status, live.status);
}

// Serial input that arrives while the run is in its past waits in the host queue and reaches
// the guest after the frontier, journaled once; the guest's output replayed in the past is
// not hashed again (the straight replay compares the recording's output hash).
TEST(LiveReverse, SerialInputWhileInThePastArrivesLiveOnce) {
  TempFile rec("rewind_live_reverse_serial.rwr"), fifo("rewind_live_reverse_serial.fifo");
  ASSERT_EQ(mkfifo(fifo.path.c_str(), 0600), 0);
  // Held open for writing throughout, so that the reader never sees the end of its input.
  const int writer = open(fifo.path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  auto send = [&](const std::string& text) {
    ASSERT_EQ(write(writer, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  };
  FILE* live_out = std::tmpfile();
  FILE* replay_out = std::tmpfile();
  ASSERT_TRUE(live_out && replay_out);
  LiveSpec spec = live_spec("serial_echo64.elf", "");
  spec.record_path = rec.path;
  spec.serial_in = fifo.path;
  spec.serial_out = live_out;
  spec.snapshots.interval = 100'000;
  std::unique_ptr<Session> s = Session::live(spec);
  Timeline& tl = *s->timeline();
  auto serial_events = [&] {
    std::vector<uint64_t> at;
    for (const journal::Event& e : s->recorder()->events())
      if (e.kind == journal::EventKind::kSerialInput) at.push_back(e.icount);
    return at;
  };

  send("first\n");
  for (int i = 0; i < 2000 && serial_events().size() < 6; ++i)
    ASSERT_EQ(s->run_to(tl.now() + 200'000).reason, cpu::StopReason::kTarget);
  ASSERT_EQ(serial_events().size(), 6u);
  ASSERT_EQ(s->run_to(tl.now() + 50'000).reason, cpu::StopReason::kTarget);
  const uint64_t frontier = tl.now();
  Seen seen;
  const std::vector<uint64_t> bytes = serial_events();
  for (uint64_t t : {bytes.front() - 1, bytes.front(), bytes.back(), frontier - 1}) {
    ASSERT_EQ(tl.seek(t), Timeline::SeekResult::kOk) << t;
    remember(*s, seen);
  }
  send("second\nquit\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // queued by the reader meanwhile
  ASSERT_EQ(tl.seek(bytes.back() + 1), Timeline::SeekResult::kOk);
  EXPECT_TRUE(tl.parked());
  EXPECT_EQ(serial_events(), bytes);  // nothing reaches the guest in the past
  const RunResult r = s->run_to_end();
  ASSERT_EQ(r.reason, cpu::StopReason::kExit) << r.message;
  EXPECT_EQ(serial_events().size(), 18u);  // every byte journaled once
  EXPECT_GE(serial_events()[6], frontier);  // at it, when the halted guest is polled there first
  const Outcome live = s->finish(r, true);
  EXPECT_TRUE(live.divergence.empty()) << first(live.divergence);
  s.reset();
  close(writer);

  const Outcome o = replay_and_compare(rec.path, seen, replay_out);
  EXPECT_TRUE(o.divergence.empty()) << first(o.divergence);
  EXPECT_EQ(o.status, live.status);
  std::fclose(live_out);
  std::fclose(replay_out);
}

}  // namespace
}  // namespace rw::session
