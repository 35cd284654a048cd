// Machine state save and restore (machine/machine_state.h) on real guests from the build:
// run, save, run on, restore, run the same stretch again: the same digest, serial output
// and final state. With timer interrupts in flight, an ATA transfer in flight (replay-style
// disks: no host I/O, completions delivered by the test), and UART input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "block/disks.h"
#include "block/overlay.h"
#include "devices/uart16550.h"
#include "journal/state_hash.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "machine/word_archive.h"

namespace rw {
namespace {

const std::string kGuestDir = REWIND_TEST_GUEST_DIR;
const std::string kDiskDir = REWIND_TEST_DISK_DIR;
constexpr uint64_t kStep = 3000;  // the test's driving loop: run this far, then deliver inputs

struct Spec {
  std::string elf;
  std::string append;
  bool disks = false;
  std::string input;  // serial input, fed as the UART has room
};

// One booted guest, driven deterministically by the test (its inputs depend only on the
// machine state at step boundaries and on `input_pos`, which the test saves too).
struct Guest {
  explicit Guest(const Spec& spec) : spec(spec), sink(std::fopen("/dev/null", "w")) {
    MachineConfig c;
    c.memory_bytes = 32ull << 20;
    c.serial_out = sink;  // output is seen through the observer; the UART writes only with a FILE
    c.rtc_base_unix_seconds = 1'700'000'000;
    m = std::make_unique<Machine>(c);
    m->uart().set_output_observer([this](uint64_t, uint8_t b) { serial.push_back(static_cast<char>(b)); });
    if (spec.disks) {
      block::Disks::Images images;
      images[0] = block::BaseImage::open(kDiskDir + "/pattern-a.img");
      images[2] = block::BaseImage::open(kDiskDir + "/pattern-b.img");
      m->attach_disks(std::make_unique<block::Disks>(m->host_wakeup(), std::move(images), block::parse_fault_spec(""),
                                                     /*host_io=*/false));
    }
    loader::BootImage boot = loader::load_multiboot_file(m->memory(), kGuestDir + "/" + spec.elf, spec.append);
    m->enter_multiboot(boot.entry, boot.multiboot_info);
  }

  size_t in_flight() {
    size_t n = 0;
    if (m->disks())
      for (int p = 0; p < block::Disks::kPositions; ++p)
        if (auto* d = m->disks()->device(p)) n += d->in_flight_count();
    return n;
  }
  // What the host would do between steps: complete the disk requests in flight, feed input.
  void deliver_inputs() {
    if (m->disks())
      for (int p = 0; p < block::Disks::kPositions; ++p)
        if (auto* d = m->disks()->device(p))
          for (uint32_t id = d->next_id() > 8 ? d->next_id() - 8 : 1; id < d->next_id(); ++id)
            if (d->in_flight(id)) d->deliver(id, block::Status::kOk);
    while (input_pos < spec.input.size() && m->uart().receive_space() > 0)
      m->uart().receive(static_cast<uint8_t>(spec.input[input_pos++]));
  }
  // Runs to `until` (or until the guest stops); with `want_in_flight`, may stop earlier at
  // the first step boundary after `from` with a disk request in flight. Inputs are
  // delivered at the start of each step.
  RunResult drive(uint64_t until, uint64_t from = ~uint64_t{0}) {
    RunResult r;
    while (m->cpu().icount < until) {
      if (m->cpu().icount >= from && in_flight() > 0) break;
      deliver_inputs();
      const uint64_t before = m->cpu().icount;
      r = m->run(std::min(until, m->cpu().icount + kStep));
      if (r.reason == cpu::StopReason::kTarget) continue;
      // Idle in HLT until the test delivers what the guest waits for (the host's part).
      const bool waiting = in_flight() > 0 || input_pos < spec.input.size();
      if (r.reason == cpu::StopReason::kHalted && waiting && (m->cpu().icount != before || ++idle_steps < 3)) continue;
      stopped = true;
      break;
    }
    return r;
  }
  uint64_t digest() {
    journal::StateHasher h(*m);
    return h.digest().combined();
  }

  ~Guest() {
    m.reset();
    std::fclose(sink);
  }

  Spec spec;
  FILE* sink;
  std::unique_ptr<Machine> m;
  std::string serial;
  size_t input_pos = 0;
  bool stopped = false;
  int idle_steps = 0;
};

bool available(const Spec& s) {
  return std::filesystem::exists(kGuestDir + "/" + s.elf) &&
         (!s.disks || std::filesystem::exists(kDiskDir + "/pattern-a.img"));
}

// Save at about `at` (with a disk request in flight if `want_in_flight`), run `stretch`
// more, restore, run it again, and compare; then the same in a fresh machine.
void round_trip(const Spec& spec, uint64_t at, uint64_t stretch, bool want_in_flight = false) {
  ASSERT_TRUE(available(spec)) << "guest " << spec.elf << " not built (guests are part of the build)";
  Guest g(spec);
  const RunResult r0 = g.drive(want_in_flight ? at + 50'000'000 : at, want_in_flight ? at : ~uint64_t{0});
  ASSERT_FALSE(g.stopped) << "the guest stopped before the save point: " << r0.message << "\n" << g.serial;
  if (want_in_flight) {
    ASSERT_GT(g.in_flight(), 0u) << "no disk request in flight at the save point";
  }
  const uint64_t t0 = g.m->cpu().icount, end = t0 + stretch;
  const MachineState s = g.m->save_state();
  const size_t pos0 = g.input_pos;
  EXPECT_EQ(s.icount, t0);

  // First stretch.
  size_t mark = g.serial.size();
  const RunResult r1 = g.drive(end);
  const std::string out1 = g.serial.substr(mark);
  const uint64_t d1 = g.digest();
  const auto dev1 = g.m->device_states();
  const MachineState s1 = g.m->save_state();
  EXPECT_NE(d1, 0u);

  // Back in time, the same stretch again.
  g.m->restore_state(s);
  EXPECT_EQ(g.m->save_state(), s) << "save/restore/save";
  g.input_pos = pos0;
  g.stopped = false;
  mark = g.serial.size();
  const RunResult r2 = g.drive(end);
  EXPECT_EQ(g.serial.substr(mark), out1);
  EXPECT_EQ(g.digest(), d1);
  const auto dev2 = g.m->device_states();
  ASSERT_EQ(dev1.size(), dev2.size());
  for (size_t i = 0; i < dev1.size(); ++i) EXPECT_EQ(dev1[i].words, dev2[i].words) << dev1[i].name;
  EXPECT_TRUE(g.m->save_state() == s1);
  EXPECT_EQ(r1.reason, r2.reason);
  EXPECT_EQ(r1.message, r2.message);

  // A fresh machine of the same configuration.
  Guest fresh(spec);
  fresh.m->restore_state(s);
  fresh.input_pos = pos0;
  const RunResult r3 = fresh.drive(end);
  EXPECT_EQ(fresh.serial, out1);
  EXPECT_EQ(fresh.digest(), d1);
  EXPECT_TRUE(fresh.m->save_state() == s1);
  EXPECT_EQ(r3.message, r1.message);
  std::printf("saved at %llu (state %zu bytes, %zu pages), stretch ended at %llu: %s; %zu bytes of output\n",
              static_cast<unsigned long long>(t0), s.bytes(), s.pages.size(),
              static_cast<unsigned long long>(g.m->cpu().icount), r1.message.c_str(), out1.size());
}

TEST(MachineState, TimerInterruptsInFlight64) { round_trip({"timer64.elf", "", false, ""}, 3'000'000, 5'000'000'000); }
TEST(MachineState, TimerInterruptsInFlight32) { round_trip({"timer32.elf", "", false, ""}, 5'000'000, 5'000'000'000); }
TEST(MachineState, RtcClockAndPeriodicInterrupts) { round_trip({"rtc32.elf", "", false, ""}, 20'000'000, 3'000'000'000); }
TEST(MachineState, PicGuest) { round_trip({"pic64.elf", "", false, ""}, 1'000'000, 5'000'000'000); }
// The local APIC's timer, IRR/ISR and the IMCR, at points through the apic guest's tests;
// the I/O APIC's remote IRR with disk interrupts in flight.
TEST(MachineState, LocalApicEarly) { round_trip({"apic32.elf", "", false, ""}, 300'000, 5'000'000'000); }
TEST(MachineState, LocalApicTimers) { round_trip({"apic32.elf", "", false, ""}, 20'000'000, 5'000'000'000); }
TEST(MachineState, LocalApicLate) { round_trip({"apic32.elf", "", false, ""}, 100'000'000, 5'000'000'000); }
TEST(MachineState, IoApicWithDiskInterrupts) {
  round_trip({"ioapic32.elf", "", true, ""}, 150'000, 2'000'000'000, /*want_in_flight=*/true);
}
// Tasks switching their XMM registers and MXCSR lazily (CR0.TS, #NM, FXSAVE/FXRSTOR), timer
// preempted: saved in the middle of it.
TEST(MachineState, SseLazySwitching64) { round_trip({"sse_tasks64.elf", "", false, ""}, 9'000'000, 20'000'000); }
TEST(MachineState, SseLazySwitching32) { round_trip({"sse_tasks32.elf", "", false, ""}, 9'000'000, 20'000'000); }
// Saved with XCR0 = 3 (after the guest's XSETBV), before its tasks switch with XSAVE/XRSTOR:
// a restore that lost XCR0 would save and load the x87 state only, and the tasks' xmm
// registers would not survive.
TEST(MachineState, XsaveTaskSwitching64) { round_trip({"xsave64.elf", "", false, ""}, 200'000, 400'000); }
TEST(MachineState, XsaveTaskSwitching32) { round_trip({"xsave32.elf", "", false, ""}, 180'000, 400'000); }
TEST(MachineState, PagingAndLongMode) { round_trip({"paging64.elf", "", false, ""}, 200'000, 5'000'000'000); }

TEST(MachineState, UartInputPolledAndByInterrupt) {
  const std::string input =
      "hello polled\nfirst irq line\na much longer line that is well beyond sixteen bytes, so that the FIFO fills\nquit\n";
  round_trip({"serial_echo64.elf", "", false, input}, 60'000, 5'000'000'000);
}

TEST(MachineState, AtaTransferInFlightWithInterrupts) {
  round_trip({"disktest.elf", "irq=1", true, ""}, 2'000'000, 2'000'000'000, /*want_in_flight=*/true);
}
TEST(MachineState, AtaTransferInFlightPolling64) {
  round_trip({"disktest64.elf", "", true, ""}, 3'000'000, 2'000'000'000, /*want_in_flight=*/true);
}

TEST(MachineState, RejectsAnotherConfiguration) {
  Spec spec{"timer64.elf", "", false, ""};
  ASSERT_TRUE(available(spec)) << "guest not built (guests are part of the build)";
  Guest g(spec);
  g.drive(100'000);
  MachineState s = g.m->save_state();
  MachineConfig c;
  c.memory_bytes = 64ull << 20;
  c.serial_out = nullptr;
  Machine other(c);
  EXPECT_THROW(other.restore_state(s), std::invalid_argument);
  MachineState damaged = s;
  damaged.devices.resize(damaged.devices.size() / 2);
  EXPECT_THROW(g.m->restore_state(damaged), std::invalid_argument);
}

// Snapshots and digests share one description (machine_state.cpp): every field a snapshot
// saves must change the digest when it changes. The word archive's descriptions give each
// digest word's place in the snapshot's binary archive; the test checks that they account
// for every byte of the archive, then changes each saved field in the archive itself (its
// lowest bit; binary data by one byte of a word, in a sample of its words), restores, and
// compares the digest words.
// A field saved but not digested, or digested but not saved, fails: the byte counts differ,
// or a changed field leaves the digest alone.
struct Field {
  std::string name;
  size_t offset;  // in the archive
};
// The archive's fields a test may change: values and data, not container counts (the
// archive would no longer parse as intended, nor be a state the machine can have). Of a
// run of binary data (a sector, a buffer), the first words, the last and every 61st.
std::vector<Field> fields_of(const std::vector<WordDescription>& described, size_t archive_bytes, size_t start) {
  using Kind = WordDescription::Kind;
  std::vector<Field> out;
  size_t at = start, in_run = 0;
  for (size_t i = 0; i < described.size(); ++i) {
    const WordDescription& d = described[i];
    in_run = d.kind == Kind::kData ? in_run + 1 : 0;
    const bool run_ends = i + 1 == described.size() || described[i + 1].kind != Kind::kData;
    if (d.kind == Kind::kValue || (d.kind == Kind::kData && (in_run <= 2 || in_run % 61 == 0 || run_ends)))
      out.push_back({d.name, at});
    at += d.binary_bytes;
  }
  EXPECT_EQ(at, archive_bytes) << "the digest's words do not describe the snapshot's archive";
  return out;
}

std::vector<uint64_t> all_words(Machine& m) {
  std::vector<uint64_t> w = m.cpu_state_words();
  for (auto& part : m.device_states()) w.insert(w.end(), part.words.begin(), part.words.end());
  return w;
}

void every_field_changes_the_digest(const Spec& spec, uint64_t at, bool want_in_flight) {
  ASSERT_TRUE(available(spec)) << "guest " << spec.elf << " not built (guests are part of the build)";
  Guest g(spec);
  g.drive(want_in_flight ? at + 50'000'000 : at, want_in_flight ? at : ~uint64_t{0});
  ASSERT_FALSE(g.stopped);
  if (want_in_flight) {
    ASSERT_GT(g.in_flight(), 0u);
  }
  Machine& m = *g.m;
  // Without memory and overlays: what the device words describe (a digest hashes memory and
  // the overlays incrementally; DiskContentsAreDigestedIncrementally below).
  const MachineState s = m.save_state(/*with_memory=*/false);
  const std::vector<uint64_t> original = all_words(m);

  std::vector<WordDescription> cpu_described, device_described;
  m.cpu_state_words(&cpu_described);
  m.device_states(&device_described);
  constexpr size_t kVersionBytes = 4;
  const std::vector<Field> cpu_fields = fields_of(cpu_described, s.cpu.size(), kVersionBytes);
  const std::vector<Field> device_fields = fields_of(device_described, s.devices.size(), kVersionBytes);
  ASSERT_GT(cpu_fields.size(), 100u);
  ASSERT_GT(device_fields.size(), 100u);

  size_t refused = 0;
  auto check = [&](const Field& f, bool in_cpu) {
    MachineState changed = s;
    std::string& archive = in_cpu ? changed.cpu : changed.devices;
    archive[f.offset] = static_cast<char>(archive[f.offset] ^ 1);
    try {
      m.restore_state(changed);
    } catch (const std::invalid_argument& e) {
      // Only the configuration may refuse a state: which disks there are, and their sizes.
      const bool configuration = f.name.ends_with(".present") || f.name.ends_with(".sectors");
      EXPECT_TRUE(configuration) << f.name << ": " << e.what();
      ++refused;
      return;
    }
    EXPECT_NE(all_words(m), original) << f.name << " (at byte " << f.offset << ") is saved but not digested";
  };
  for (const Field& f : cpu_fields) check(f, true);
  for (const Field& f : device_fields) check(f, false);
  m.restore_state(s);
  EXPECT_EQ(all_words(m), original);
  EXPECT_LE(refused, 2u * block::Disks::kPositions);

  // Names for divergence reports: one per CPU word, and every device part's words named.
  EXPECT_EQ(Machine::cpu_state_names().size(), m.cpu_state_words().size());
  EXPECT_EQ(Machine::cpu_state_names()[0], "rax");
  for (const std::string name : {"timers", "disk0", "pic", "pit", "rtc", "uart", "reset-control", "ata-primary",
                                  "ata-secondary"}) {
    bool found = false;
    for (const WordDescription& d : device_described) found = found || d.name == name || d.name.starts_with(name + ".");
    EXPECT_TRUE(found) << name;
  }
  std::printf("%zu CPU fields, %zu device fields (words of data) changed one by one; %zu refused as another configuration\n",
              cpu_fields.size(), device_fields.size(), refused);
}

// The disks' contents are digested as memory is, from the overlays' write epochs: a digest
// costs what was written since the previous one, and still sees every change, also one a
// state restore makes.
TEST(MachineState, DiskContentsAreDigestedIncrementally) {
  const Spec spec{"disktest.elf", "irq=1", true, ""};
  ASSERT_TRUE(available(spec)) << "guest " << spec.elf << " not built (guests are part of the build)";
  Guest g(spec);
  g.drive(2'000'000, ~uint64_t{0});
  Machine& m = *g.m;
  block::Overlay& overlay = m.disks()->device(0)->mutable_overlay();
  ASSERT_GT(overlay.sectors(), 0u) << "the guest wrote nothing to disk 0 yet";
  const MachineState full = m.save_state();
  journal::StateHasher hasher(m);
  const journal::StateDigest first = hasher.digest();
  const uint64_t before = first.combined();
  EXPECT_EQ(hasher.digest().combined(), before);  // nothing written since

  const uint64_t lba = overlay.contents().begin()->first;
  block::Overlay::Sector sector = overlay.contents().begin()->second;
  sector[100] ^= 1;
  overlay.write(lba, 1, sector.data());
  const journal::StateDigest changed = hasher.digest();
  EXPECT_NE(changed.combined(), before);
  const std::vector<std::string> what = journal::describe_differences(first, changed);
  ASSERT_EQ(what.size(), 1u);
  EXPECT_EQ(what[0], "device disk0 contents: state differs");
  sector[100] ^= 1;
  overlay.write(lba + 7, 1, sector.data());  // a new sector in another place
  EXPECT_NE(hasher.digest().combined(), before);

  m.restore_state(full);  // puts both sectors back as they were
  EXPECT_EQ(hasher.digest().combined(), before);
  // And a digest made from scratch agrees with the incremental one.
  EXPECT_EQ(journal::StateHasher(m).digest().combined(), before);
}

TEST(MachineState, EverySavedFieldIsDigestedWithDisksInFlight) {
  every_field_changes_the_digest({"disktest.elf", "irq=1", true, ""}, 2'000'000, /*want_in_flight=*/true);
}
TEST(MachineState, EverySavedFieldIsDigestedWithTheApics) {
  every_field_changes_the_digest({"apic32.elf", "", false, ""}, 20'000'000, false);
}
TEST(MachineState, EverySavedFieldIsDigestedWithUartInput) {
  every_field_changes_the_digest({"serial_echo64.elf", "", false, "some input\nmore\n"}, 60'000, false);
}

}  // namespace
}  // namespace rw
