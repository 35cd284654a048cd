// The recorder and the replayer on a small hand-assembled machine: events land exactly at
// their instruction counts, digests at the interval, and a replay that cannot match the
// recording stops with a report.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "journal/recorder.h"
#include "journal/replayer.h"
#include "machine/machine.h"

namespace rw::journal {
namespace {

constexpr uint32_t kEntry = 0x100000;
// mov dword [0x200010], eax ; inc eax ; jmp back
const uint8_t kCode[] = {0xA3, 0x10, 0, 0x20, 0, 0x40, 0xEB, 0xF8};

MachineConfig small() {
  MachineConfig c;
  c.memory_bytes = 4 << 20;
  c.rtc_base_unix_seconds = 0;
  return c;
}

void boot(Machine& m) {
  m.memory().write(kEntry, kCode, sizeof kCode);
  m.enter_multiboot(kEntry, 0x9500);
}

Event input(uint64_t icount, uint8_t byte) {
  Event e;
  e.icount = icount;
  e.kind = EventKind::kSerialInput;
  e.id = byte;
  return e;
}

TEST(Replayer, DeliversEachEventExactlyAtItsInstructionCount) {
  Machine m(small());
  boot(m);
  std::vector<Event> events = {input(7, 'a'), input(100, 'b'), input(100, 'c'), input(101, 'd'), input(65537, 'e'),
                               input(70000, 'f')};
  Replayer r(m, events);
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  r.on(EventKind::kSerialInput, [&](const Event& e) { seen.emplace_back(m.cpu().icount, e.id); });
  m.add_external_source(&r);
  RunResult res = m.run(100000);
  EXPECT_EQ(res.reason, cpu::StopReason::kTarget);
  ASSERT_EQ(seen.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(seen[i].first, events[i].icount) << i;
    EXPECT_EQ(seen[i].second, events[i].id) << i;
  }
  EXPECT_TRUE(r.finished());
  EXPECT_FALSE(r.diverged());
  EXPECT_EQ(r.events_replayed(), events.size());
}

TEST(Replayer, ReportsDivergenceWhenTheMachineIsPastAnEvent) {
  Machine m(small());
  boot(m);
  m.run(50);
  std::vector<Event> events = {input(10, 'a')};
  Replayer r(m, events);
  bool delivered = false;
  r.on(EventKind::kSerialInput, [&](const Event&) { delivered = true; });
  m.add_external_source(&r);
  m.run(100000);
  EXPECT_FALSE(delivered);
  ASSERT_TRUE(r.diverged());
  EXPECT_NE(r.divergence()[0].find("passed instruction 10 "), std::string::npos) << r.divergence()[0];
  EXPECT_LT(m.cpu().icount, 100000u);  // stopped, not run on
}

TEST(Replayer, AnEventKindWithoutADeliverDiverges) {
  Machine m(small());
  boot(m);
  std::vector<Event> events = {input(20, 'a')};
  Replayer r(m, events);
  m.add_external_source(&r);
  m.run(1000);
  ASSERT_TRUE(r.diverged());
  EXPECT_EQ(m.cpu().icount, 20u);
}

TEST(Recorder, DigestsAtTheIntervalAndEventsAtTheirDeliveryInstruction) {
  Machine m(small());
  boot(m);
  Recorder rec(m, 1000, nullptr);
  m.add_external_source(&rec);
  m.run(1234);
  rec.record(EventKind::kSerialInput, 0, 'x', 0);
  m.run(5000);
  std::vector<uint64_t> digests;
  for (const Event& e : rec.events())
    if (e.kind == EventKind::kStateHash) digests.push_back(e.icount);
  EXPECT_EQ(digests, (std::vector<uint64_t>{1000, 2000, 3000, 4000, 5000}));
  EXPECT_EQ(rec.digests(), 5u);
  ASSERT_EQ(rec.events()[1].kind, EventKind::kSerialInput);
  EXPECT_EQ(rec.events()[1].icount, 1234u);
  EXPECT_EQ(rec.events()[1].id, uint64_t{'x'});
}

TEST(RecordThenReplay, SameMachineMatchesDifferentMachineIsCaught) {
  Machine a(small());
  boot(a);
  Recorder rec(a, 1000, nullptr);
  a.add_external_source(&rec);
  a.run(5000);
  std::vector<Event> events = rec.events();

  Machine b(small());
  boot(b);
  Replayer same(b, events);
  b.add_external_source(&same);
  b.run(5000);
  EXPECT_FALSE(same.diverged());
  EXPECT_EQ(same.digests_checked(), 5u);

  Machine c(small());
  boot(c);
  c.cpu().gpr[0] = 42;  // another world: rax and the memory it is stored to differ
  Replayer other(c, events);
  c.add_external_source(&other);
  c.run(5000);
  ASSERT_TRUE(other.diverged());
  const auto& what = other.divergence();
  EXPECT_EQ(what[0], "machine state differs at instruction 1000");
  bool rax = false, page = false;
  for (const std::string& line : what) {
    rax |= line.rfind("register rax:", 0) == 0;
    page |= line.find("0x200000") != std::string::npos;
  }
  EXPECT_TRUE(rax);
  EXPECT_TRUE(page);
  EXPECT_EQ(c.cpu().icount, 1000u);
}

// The output index is bounded: past its size it lists nothing more and says from where.
TEST(Recorder, TheOutputIndexIsBoundedAndSaysWhereItStopped) {
  Machine m(small());
  Recorder rec(m, 0, nullptr);
  for (size_t i = 0; i < OutputIndex::kMaxCpuEvents + 5; ++i)
    rec.record_cpu_event({100 + i, 0, 0, 32, CpuEventKind::kExternal, false});
  rec.record_serial(7, 'x');
  EXPECT_EQ(rec.outputs().cpu.size(), OutputIndex::kMaxCpuEvents);
  EXPECT_EQ(rec.outputs().cpu.back().icount, 100 + OutputIndex::kMaxCpuEvents - 1);
  EXPECT_EQ(rec.outputs().cpu_full_from, 100 + OutputIndex::kMaxCpuEvents);
  ASSERT_EQ(rec.outputs().serial.size(), 1u);  // the serial part has room still
  EXPECT_EQ(rec.outputs().serial_full_from, kNotFull);
}

}  // namespace
}  // namespace rw::journal
