// The execution engines agree: the same guest (or the same recording) run by the
// interpreter and by the translator reaches the same machine state, compared by state
// digest at many points (every `step` instructions, and at a few odd counts). A mismatch
// names the parts of MachineState that differ and the first point where they do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cpu/engine.h"
#include "cpu/registers.h"
#include "journal/sessions.h"
#include "journal/state_hash.h"
#include "machine/machine.h"
#include "support/guest_recording.h"

namespace rw {
namespace {

using testing::boot;
using testing::kGuestDir;
using testing::Spec;

// A recording of the guest (by the interpreter), to replay under each engine: host I/O
// is the one input that differs from run to run.
journal::Recording record_interpreted(const Spec& spec) { return testing::record(spec, cpu::Engine::kInterpreter); }

struct Run {
  std::unique_ptr<Machine> m;
  std::unique_ptr<journal::ReplaySession> session;  // for guests with disks
};

Run start(const Spec& spec, cpu::Engine engine, const journal::Recording* rec) {
  Run r;
  r.m = boot(spec, /*host_io=*/false, engine);
  if (rec) r.session = std::make_unique<journal::ReplaySession>(*r.m, *rec, r.m->disks());
  return r;
}

std::string differing_parts(const MachineState& a, const MachineState& b) {
  std::string out;
  if (a.icount != b.icount) out += " icount";
  if (a.cpu != b.cpu) out += " cpu";
  if (a.devices != b.devices) out += " devices";
  if (a.pages != b.pages || a.page_data != b.page_data) out += " memory";
  return out.empty() ? " (the digests only)" : out;
}

uint64_t digest_at(const Spec& spec, cpu::Engine engine, const journal::Recording* rec, uint64_t t, Run* keep) {
  Run r = start(spec, engine, rec);
  r.m->run(t);
  const uint64_t d = journal::StateHasher(*r.m).digest().combined();
  if (keep) *keep = std::move(r);
  return d;
}

std::string registers(Machine& m) {
  const cpu::Cpu& c = m.cpu();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "rip=%llx rax=%llx rcx=%llx rdx=%llx rbx=%llx rsp=%llx rbp=%llx rsi=%llx rdi=%llx rflags=%llx",
                (unsigned long long)c.rip, (unsigned long long)c.gpr[0], (unsigned long long)c.gpr[1],
                (unsigned long long)c.gpr[2], (unsigned long long)c.gpr[3], (unsigned long long)c.gpr[4],
                (unsigned long long)c.gpr[5], (unsigned long long)c.gpr[6], (unsigned long long)c.gpr[7],
                (unsigned long long)cpu::get_rflags(c));
  return buf;
}

// The first instruction count in (good, bad] where the engines differ, and how.
std::string first_difference(const Spec& spec, const journal::Recording* rec, uint64_t good, uint64_t bad) {
  while (bad - good > 1) {
    const uint64_t mid = good + (bad - good) / 2;
    if (digest_at(spec, cpu::Engine::kInterpreter, rec, mid, nullptr) ==
        digest_at(spec, cpu::Engine::kTranslator, rec, mid, nullptr))
      good = mid;
    else
      bad = mid;
  }
  Run a, b;
  digest_at(spec, cpu::Engine::kInterpreter, rec, bad, &a);
  digest_at(spec, cpu::Engine::kTranslator, rec, bad, &b);
  Run before;
  digest_at(spec, cpu::Engine::kInterpreter, rec, good, &before);
  return "first at instruction " + std::to_string(bad) + ":" + differing_parts(a.m->save_state(), b.m->save_state()) +
         "\n  before:      " + registers(*before.m) + "\n  interpreter: " + registers(*a.m) +
         "\n  translator:  " + registers(*b.m);
}

// Runs both engines side by side to every multiple of `step` (and a few odd counts just
// past them) until the guest stops, comparing digests; the translator must have run.
void lockstep(const Spec& spec, uint64_t step) {
  ASSERT_TRUE(std::filesystem::exists(kGuestDir + "/" + spec.elf)) << spec.elf << " not built";
  std::optional<journal::Recording> rec;
  if (spec.disks) rec = record_interpreted(spec);
  Run a = start(spec, cpu::Engine::kInterpreter, rec ? &*rec : nullptr);
  Run b = start(spec, cpu::Engine::kTranslator, rec ? &*rec : nullptr);
  const uint64_t limit = spec.max_instructions ? spec.max_instructions : ~uint64_t{0};
  unsigned points = 0;
  uint64_t agreed = 0;
  for (uint64_t t = step;; t += step) {
    for (uint64_t target : {t, t + 1, t + 7}) {
      const RunResult ra = a.m->run(std::min(target, limit));
      const RunResult rb = b.m->run(std::min(target, limit));
      ASSERT_EQ(a.m->cpu().icount, b.m->cpu().icount) << spec.elf << ": " << ra.message << " / " << rb.message;
      const uint64_t da = journal::StateHasher(*a.m).digest().combined();
      const uint64_t db = journal::StateHasher(*b.m).digest().combined();
      ++points;
      if (da != db) {
        FAIL() << spec.elf << ": the engines differ at instruction " << a.m->cpu().icount << ":"
               << differing_parts(a.m->save_state(), b.m->save_state()) << "; "
               << first_difference(spec, rec ? &*rec : nullptr, agreed, a.m->cpu().icount);
      }
      agreed = a.m->cpu().icount;
      ASSERT_EQ(ra.reason, rb.reason) << spec.elf << " at " << a.m->cpu().icount;
      ASSERT_EQ(ra.message, rb.message);
      if (ra.reason != cpu::StopReason::kTarget || a.m->cpu().icount >= limit) {
        EXPECT_GT(a.m->cpu().icount, 4 * step) << "too short to say much";
        std::printf("%s: %llu instructions, %u points compared\n", spec.elf.c_str(),
                    static_cast<unsigned long long>(a.m->cpu().icount), points);
        return;
      }
    }
  }
}

// Integer code, in both widths; memory-heavy loops; string instructions; paging; user
// mode; self-modifying code; exceptions; timer and disk interrupts; floating point.
TEST(Engines, Intloop64) { lockstep({"intloop64.elf", "iters=200000"}, 100'003); }
TEST(Engines, Intloop32) { lockstep({"intloop32.elf", "iters=200000"}, 100'003); }
TEST(Engines, Checksum64) { lockstep({"checksum64.elf", "iters=3"}, 100'003); }
TEST(Engines, Sort64) { lockstep({"sort64.elf", "iters=1"}, 200'003); }
TEST(Engines, Sort32) { lockstep({"sort32.elf", "iters=1"}, 200'003); }
TEST(Engines, Compress64) { lockstep({"compress64.elf", "iters=2"}, 200'003); }
TEST(Engines, Compress32) { lockstep({"compress32.elf", "iters=2"}, 200'003); }
TEST(Engines, RepString64) { lockstep({"rep_string64.elf", ""}, 10'007); }
TEST(Engines, RepString32) { lockstep({"rep_string32.elf", ""}, 10'007); }
TEST(Engines, Paging64) { lockstep({"paging64.elf", ""}, 10'007); }
TEST(Engines, Paging32) { lockstep({"paging32.elf", ""}, 10'007); }
TEST(Engines, Ring3_64) { lockstep({"ring3_64.elf", ""}, 10'007); }
TEST(Engines, Ring3_32) { lockstep({"ring3_32.elf", ""}, 10'007); }
TEST(Engines, SelfModifying64) { lockstep({"smc64.elf", ""}, 10'007); }
TEST(Engines, SelfModifying32) { lockstep({"smc32.elf", ""}, 10'007); }
TEST(Engines, Exceptions64) { lockstep({"exceptions64.elf", ""}, 10'007); }
TEST(Engines, Exceptions32) { lockstep({"exceptions32.elf", ""}, 10'007); }
TEST(Engines, TimerInterrupts) { lockstep({"rtc32.elf", "", false, 3'000'000}, 30'011); }
TEST(Engines, DiskInterrupts) { lockstep({"disktest.elf", "irq=1", true}, 20'011); }
TEST(Engines, DiskPolling64) { lockstep({"disktest64.elf", "", true}, 20'011); }
TEST(Engines, FloatingPoint64) { lockstep({"fpkernel64.elf", "iters=20"}, 50'021); }

}  // namespace
}  // namespace rw
