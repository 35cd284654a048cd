// Incremental snapshots restore exactly what a full copy of the machine state holds, in any
// order, after any amount of scribbling, and after snapshots in between were dropped.
#include <gtest/gtest.h>

#include <cstdio>
#include <algorithm>
#include <random>
#include <vector>

#include "machine/machine.h"
#include "snapshots/snapshot_store.h"

namespace rw::snapshots {
namespace {

constexpr uint64_t kMemory = 8 << 20;
constexpr uint64_t kPages = kMemory / 4096;

class SnapshotStoreTest : public ::testing::Test {
 protected:
  SnapshotStoreTest() : machine_(config()) { machine_.enter_multiboot(0x100000, 0x9500); }
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = kMemory;
    c.serial_out = stdout;
    return c;
  }
  // What running would do: registers, time and some pages change (some back to zero, some
  // rewritten with what they held).
  void scribble(int pages) {
    cpu::Cpu& c = machine_.cpu();
    c.icount += 1 + rng_() % 1000;
    c.gpr[cpu::RAX] = rng_();
    c.rip = 0x100000 + rng_() % 0x1000;
    std::vector<uint8_t> bytes(4096);
    for (int i = 0; i < pages; ++i) {
      const uint64_t page = rng_() % kPages;
      switch (rng_() % 4) {
        case 0: std::fill(bytes.begin(), bytes.end(), 0); break;                           // back to zero
        case 1: machine_.memory().read(page * 4096, bytes.data(), 4096); break;           // the same again
        case 2: for (auto& b : bytes) b = static_cast<uint8_t>(rng_()); break;            // incompressible
        default: std::fill(bytes.begin(), bytes.end(), static_cast<uint8_t>(rng_())); break;
      }
      const uint64_t offset = rng_() % 4096, len = 1 + rng_() % (4096 - offset);
      machine_.memory().write(page * 4096 + offset, bytes.data() + offset, len);
    }
  }
  void take(std::vector<MachineState>& reference) {
    store_.take(machine_);
    reference.push_back(machine_.save_state());
  }

  Machine machine_;
  SnapshotStore store_;
  std::mt19937_64 rng_{20261129};
};

TEST_F(SnapshotStoreTest, RestoresEverySnapshotExactlyInAnyOrder) {
  std::vector<MachineState> reference;
  scribble(200);
  take(reference);
  for (int i = 0; i < 30; ++i) {
    scribble(1 + static_cast<int>(rng_() % 60));
    take(reference);
  }
  for (int round = 0; round < 300; ++round) {
    const size_t k = rng_() % store_.size();
    if (rng_() % 2) scribble(static_cast<int>(rng_() % 40));  // running on from wherever it was
    store_.restore(machine_, k);
    ASSERT_EQ(machine_.save_state(), reference[k]) << "round " << round << ", snapshot " << k;
  }
}

TEST_F(SnapshotStoreTest, SnapshotsAfterARestoreAreExactToo) {
  std::vector<MachineState> reference;
  scribble(100);
  take(reference);
  for (int i = 0; i < 5; ++i) {
    scribble(20);
    take(reference);
  }
  // Back to the middle, then on past the newest (as a seek and a forward run do).
  store_.restore(machine_, 2);
  machine_.cpu().icount = reference.back().icount;
  scribble(30);
  take(reference);
  for (size_t k = store_.size(); k-- > 0;) {
    store_.restore(machine_, k);
    ASSERT_EQ(machine_.save_state(), reference[k]) << "snapshot " << k;
  }
}

TEST_F(SnapshotStoreTest, OnlyPagesWhoseContentChangedAreStored) {
  std::vector<uint8_t> a(4096, 0xAA), b(4096, 0xBB);
  for (uint64_t p = 10; p < 20; ++p) machine_.memory().write(p * 4096, a.data(), 4096);
  store_.take(machine_);
  EXPECT_EQ(store_.pages_stored(0), 10u);
  machine_.memory().write(11 * 4096, a.data(), 4096);  // written, but the same
  machine_.memory().write(12 * 4096, b.data(), 4096);  // changed
  machine_.memory().write(30 * 4096, b.data(), 1);      // a new page
  std::vector<uint8_t> zero(4096, 0);
  machine_.memory().write(13 * 4096, zero.data(), 4096);  // back to zero: stored (as zeros)
  machine_.cpu().icount += 10;
  store_.take(machine_);
  EXPECT_EQ(store_.pages_stored(1), 3u);
  // Nothing changed at all: nothing stored.
  machine_.cpu().icount += 10;
  store_.take(machine_);
  EXPECT_EQ(store_.pages_stored(2), 0u);
  // Compressed: ten pages of one byte value take a few hundred bytes, not 40 KiB.
  EXPECT_LT(store_.bytes(), 16u * 1024);
}

TEST_F(SnapshotStoreTest, DroppingSnapshotsKeepsTheOthersExact) {
  std::vector<MachineState> reference;
  scribble(150);
  take(reference);
  for (int i = 0; i < 20; ++i) {
    scribble(1 + static_cast<int>(rng_() % 50));
    take(reference);
  }
  store_.restore(machine_, 7);  // memory matches a snapshot that is about to go
  size_t bytes_before = store_.bytes();
  while (store_.size() > 3) {
    const size_t k = 1 + rng_() % (store_.size() - 2);
    store_.drop(k);
    reference.erase(reference.begin() + static_cast<std::ptrdiff_t>(k));
    EXPECT_LE(store_.bytes(), bytes_before);
    bytes_before = store_.bytes();
    for (size_t j = 0; j < store_.size(); ++j) {
      store_.restore(machine_, j);
      ASSERT_EQ(machine_.save_state(), reference[j]) << "snapshot " << j << " of " << store_.size();
    }
  }
  EXPECT_THROW(store_.drop(0), std::invalid_argument);
  EXPECT_THROW(store_.drop(store_.size() - 1), std::invalid_argument);
}

TEST_F(SnapshotStoreTest, SnapshotsInsertedBetweenOthersKeepEveryoneExact) {
  // Snapshots at 0, 1000, 2000, ...; then, as seeks arrive in the past, more in between.
  std::vector<std::pair<uint64_t, MachineState>> reference;  // by icount
  auto remember = [&] { reference.emplace_back(machine_.cpu().icount, machine_.save_state()); };
  scribble(100);
  machine_.cpu().icount = 0;
  store_.take(machine_);
  remember();
  std::vector<MachineState> runs;  // the state at 500, 1500, ... on the way
  for (uint64_t t = 1; t <= 8; ++t) {
    scribble(20);
    machine_.cpu().icount = t * 1000 - 500;
    runs.push_back(machine_.save_state());
    scribble(20);
    machine_.cpu().icount = t * 1000;
    store_.take(machine_);
    remember();
  }
  for (size_t i : {3u, 0u, 6u, 4u}) {  // restore a "mid-interval" state and snapshot it there
    store_.restore(machine_, 0);
    machine_.restore_state(runs[i]);  // as a replay to that point would leave it
    const size_t index = store_.take(machine_);
    EXPECT_EQ(store_.icount(index), runs[i].icount);
    reference.emplace_back(runs[i].icount, runs[i]);
  }
  std::sort(reference.begin(), reference.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ASSERT_EQ(store_.size(), reference.size());
  for (int round = 0; round < 100; ++round) {
    const size_t k = rng_() % store_.size();
    if (rng_() % 2) scribble(static_cast<int>(rng_() % 30));
    store_.restore(machine_, k);
    ASSERT_EQ(machine_.save_state(), reference[k].second) << "snapshot " << k;
  }
  // One at the instruction count of an existing snapshot is that snapshot.
  store_.restore(machine_, 2);
  EXPECT_EQ(store_.take(machine_), 2u);
  EXPECT_EQ(store_.size(), reference.size());
}

}  // namespace
}  // namespace rw::snapshots
