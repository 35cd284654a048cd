// State digests: what a replay compares against the recording to catch divergence.
#include <gtest/gtest.h>

#include "journal/state_hash.h"
#include "machine/machine.h"

namespace rw::journal {
namespace {

constexpr uint32_t kEntry = 0x100000;

MachineConfig small() {
  MachineConfig c;
  c.memory_bytes = 4 << 20;
  // A fixed RTC base time: by default each machine reads the wall clock, and two machines
  // built on either side of a second boundary would differ in their RTC state.
  c.rtc_base_unix_seconds = 1'700'000'000;
  return c;
}

// mov dword [0x200010], eax ; inc eax ; jmp back
const uint8_t kCode[] = {0xA3, 0x10, 0, 0x20, 0, 0x40, 0xEB, 0xF8};

TEST(StateHash, SameRunSameDigestsAndOnlyWrittenPagesAreListed) {
  Machine a(small()), b(small());
  for (Machine* m : {&a, &b}) {
    m->memory().write(kEntry, kCode, sizeof kCode);
    m->enter_multiboot(kEntry, 0x9500);
  }
  StateHasher ha(a), hb(b);
  StateDigest a0 = ha.digest(), b0 = hb.digest();
  EXPECT_EQ(a0.combined(), b0.combined());
  a.run(3000);
  b.run(3000);
  StateDigest a1 = ha.digest(), b1 = hb.digest();
  EXPECT_EQ(a1.combined(), b1.combined());
  EXPECT_NE(a1.combined(), a0.combined());
  ASSERT_EQ(a1.pages.size(), 1u);  // only the data page changed since the previous digest
  EXPECT_EQ(a1.pages[0].first, 0x200u);
  EXPECT_TRUE(describe_differences(a1, b1).empty());

  // Round trip through the journal's event form.
  StateDigest back;
  ASSERT_TRUE(StateDigest::from_event(a1.to_event(), HashAlgorithm::kXxh3, back));
  EXPECT_EQ(back.combined(), a1.combined());
  EXPECT_EQ(back.pages, a1.pages);
}

// A replay of an older recording digests as it was recorded: the same machine, the same
// digest under each algorithm, different digests across them; a journaled digest is read
// back under the algorithm it is given.
TEST(StateHash, TheAlgorithmIsTheRecordingsOwn) {
  Machine a(small()), b(small());
  for (Machine* m : {&a, &b}) {
    m->memory().write(kEntry, kCode, sizeof kCode);
    m->enter_multiboot(kEntry, 0x9500);
    m->run(3000);
  }
  const StateDigest xxh3 = StateHasher(a, HashAlgorithm::kXxh3).digest();
  const StateDigest old = StateHasher(b, HashAlgorithm::kLegacy).digest();
  EXPECT_EQ(old.algorithm, HashAlgorithm::kLegacy);
  EXPECT_EQ(xxh3.cpu, old.cpu);  // registers are words, not hashes
  EXPECT_NE(xxh3.memory, old.memory);
  EXPECT_NE(xxh3.combined(), old.combined());
  EXPECT_EQ(StateHasher(a, HashAlgorithm::kLegacy).digest().combined(), old.combined());
  StateDigest back;
  ASSERT_TRUE(StateDigest::from_event(old.to_event(), HashAlgorithm::kLegacy, back));
  EXPECT_EQ(back.combined(), old.combined());
  ASSERT_TRUE(StateDigest::from_event(old.to_event(), HashAlgorithm::kXxh3, back));
  EXPECT_NE(back.combined(), old.combined());
}

TEST(StateHash, DifferencesNameRegistersAndPages) {
  Machine a(small()), b(small());
  for (Machine* m : {&a, &b}) {
    m->memory().write(kEntry, kCode, sizeof kCode);
    m->enter_multiboot(kEntry, 0x9500);
  }
  StateHasher ha(a), hb(b);
  ha.digest();
  hb.digest();
  a.run(3000);
  b.cpu().gpr[0] = 77;  // b diverges: a different EAX gets stored
  b.run(3000);
  std::vector<std::string> diff = describe_differences(ha.digest(), hb.digest());
  ASSERT_GE(diff.size(), 2u);
  EXPECT_NE(diff[0].find("register rax"), std::string::npos) << diff[0];
  EXPECT_NE(diff.back().find("memory differs in the pages at 0x200000"), std::string::npos) << diff.back();
}

// Every device part a snapshot saves is digested under its name; CPU fields by theirs.
TEST(StateHash, DifferencesNameDevicesAndFields) {
  Machine a(small()), b(small());
  StateHasher ha(a), hb(b);
  EXPECT_TRUE(describe_differences(ha.digest(), hb.digest()).empty());
  b.io().write(0xCF9, 1, 0x02);  // the reset control register's hard-reset bit, no reset
  b.cpu().seg[cpu::FS].base = 0x1000;
  std::vector<std::string> diff = describe_differences(ha.digest(), hb.digest());
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_EQ(diff[0], "register fs.base: recorded 0x0, replayed 0x1000");
  EXPECT_EQ(diff[1], "device reset-control: state differs");
}

TEST(StateHash, MalformedEventsAreRejected) {
  StateDigest d;
  Event e;
  e.kind = EventKind::kStateHash;
  EXPECT_FALSE(StateDigest::from_event(e, HashAlgorithm::kXxh3, d));
  e.data = {5, 1, 2};
  EXPECT_FALSE(StateDigest::from_event(e, HashAlgorithm::kXxh3, d));
  e.data = {1, 7, 99, 3};  // device count past the end
  EXPECT_FALSE(StateDigest::from_event(e, HashAlgorithm::kXxh3, d));
  e.data = {1, 7, 0, 3};
  EXPECT_TRUE(StateDigest::from_event(e, HashAlgorithm::kXxh3, d));
}

}  // namespace
}  // namespace rw::journal
