// Incremental snapshots restore exactly what a full copy of the machine state holds, in any
// order, after any amount of scribbling, and after snapshots in between were dropped; with
// disks, their overlays too, each snapshot storing only the sector groups that changed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "block/disks.h"
#include "block/fault_spec.h"
#include "machine/machine.h"
#include "machine/word_archive.h"
#include "snapshots/snapshot_store.h"

namespace rw::snapshots {
namespace {

constexpr uint64_t kMemory = 8 << 20;
constexpr uint64_t kPages = kMemory / 4096;
constexpr uint64_t kDiskSectors = 4096;  // 2 MiB each, at positions 0 and 2

// Zero-filled raw images in a temporary directory (sparse files).
class TempImages {
 public:
  TempImages() {
    char tmpl[] = "/tmp/rewind-snapshot-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempImages() {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string image(uint64_t sectors) {
    files_.push_back(dir_ + "/disk" + std::to_string(files_.size()) + ".img");
    const int fd = ::open(files_.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(sectors * 512)) != 0) ADD_FAILURE() << "cannot create " << files_.back();
    if (fd >= 0) ::close(fd);
    return files_.back();
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

class SnapshotStoreTest : public ::testing::Test {
 protected:
  SnapshotStoreTest() : machine_(config()) { machine_.enter_multiboot(0x100000, 0x9500); }
  static MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = kMemory;
    c.serial_out = stdout;
    return c;
  }
  // Disks without host I/O (as in replay): the test delivers their requests.
  void attach_disks() {
    block::Disks::Images images;
    images[0] = block::BaseImage::open(images_.image(kDiskSectors));
    images[2] = block::BaseImage::open(images_.image(kDiskSectors));
    machine_.attach_disks(std::make_unique<block::Disks>(machine_.host_wakeup(), std::move(images),
                                                         block::parse_fault_spec(""), /*host_io=*/false));
  }
  block::BlockDevice* disk(int position) { return machine_.disks()->device(position); }
  // What running would do: registers, time and some pages change (some back to zero, some
  // rewritten with what they held); with disks, as many disk writes (the same kinds) and
  // sometimes a request left in flight.
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
    if (machine_.disks()) scribble_disks(pages);
  }
  void scribble_disks(int writes) {
    for (int p : {0, 2}) deliver_in_flight(*disk(p));
    std::vector<uint8_t> data;
    for (int i = 0; i < writes; ++i) {
      block::BlockDevice& d = *disk(rng_() % 2 ? 2 : 0);
      const uint32_t count = 1 + static_cast<uint32_t>(rng_() % 20);  // across group boundaries too
      const uint64_t lba = rng_() % (kDiskSectors - count);
      data.resize(size_t{count} * 512);
      switch (rng_() % 4) {
        case 0: std::fill(data.begin(), data.end(), 0); break;
        case 1:  // the same again
          ASSERT_TRUE(d.base().read(lba, count, data.data()));
          d.overlay().apply(lba, count, data.data());
          break;
        case 2: for (auto& b : data) b = static_cast<uint8_t>(rng_()); break;
        default: std::fill(data.begin(), data.end(), static_cast<uint8_t>(rng_())); break;
      }
      const uint32_t id = d.submit(block::Op::kWrite, lba, count, data.data());
      if (i + 1 < writes || rng_() % 3) d.deliver(id, rng_() % 8 ? block::Status::kOk : block::Status::kIoError);
    }
  }
  // Completes what a snapshot left in flight (ids below next_id()).
  static void deliver_in_flight(block::BlockDevice& d) {
    for (uint32_t id = 1; id < d.next_id(); ++id)
      if (d.in_flight(id)) d.deliver(id, block::Status::kOk);
  }
  void write_sectors(int position, uint64_t lba, uint32_t count, uint8_t value) {
    std::vector<uint8_t> data(size_t{count} * 512, value);
    block::BlockDevice& d = *disk(position);
    d.deliver(d.submit(block::Op::kWrite, lba, count, data.data()), block::Status::kOk);
  }
  void take(std::vector<MachineState>& reference) {
    store_.take(machine_);
    reference.push_back(machine_.save_state());
  }

  TempImages images_;
  Machine machine_;
  SnapshotStore store_;
  std::mt19937_64 rng_{20261129};
};

// The chain's exactness, without disks and with them.
class SnapshotChainTest : public SnapshotStoreTest, public ::testing::WithParamInterface<bool> {
 protected:
  SnapshotChainTest() {
    if (GetParam()) attach_disks();
  }
};

INSTANTIATE_TEST_SUITE_P(, SnapshotChainTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "WithDisks" : "MemoryOnly"; });

TEST_P(SnapshotChainTest, RestoresEverySnapshotExactlyInAnyOrder) {
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

TEST_P(SnapshotChainTest, SnapshotsAfterARestoreAreExactToo) {
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
  // The ten, and the three the machine's BIOS tables occupy (the BIOS data area, the EBDA, the
  // MP tables: machine/mp_tables.h).
  EXPECT_EQ(store_.pages_stored(0), 13u);
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

TEST_F(SnapshotStoreTest, OnlyDiskSectorsWrittenSinceThePreviousSnapshotAreStored) {
  attach_disks();
  std::vector<MachineState> reference;
  take(reference);
  EXPECT_EQ(store_.groups_stored(0), 0u);
  // 64 groups of 8 sectors on the first disk, 8 on the other.
  for (uint64_t g = 0; g < 64; ++g) write_sectors(0, 8 * g, 8, static_cast<uint8_t>(g + 1));
  write_sectors(2, 800, 64, 0xEE);
  machine_.cpu().icount += 10;
  take(reference);
  EXPECT_EQ(store_.groups_stored(1), 72u);
  EXPECT_EQ(store_.sectors_stored(1), 576u);
  EXPECT_EQ(store_.pages_stored(1), 0u);
  // Rewritten with the same content: nothing; changed: its group; a sector in a new group:
  // that group, with just that sector.
  write_sectors(0, 8, 8, 2);
  write_sectors(0, 16, 8, 3);
  write_sectors(0, 24, 8, 0x99);
  write_sectors(2, 804, 1, 0x01);
  write_sectors(2, 2001, 1, 0x55);
  machine_.cpu().icount += 10;
  take(reference);
  EXPECT_EQ(store_.groups_stored(2), 3u);
  EXPECT_EQ(store_.sectors_stored(2), 17u);
  // Nothing written: nothing stored, and the state kept beside does not carry the overlays
  // (about 300 KiB by now).
  const size_t bytes_before = store_.bytes();
  machine_.cpu().icount += 10;
  take(reference);
  EXPECT_EQ(store_.groups_stored(3), 0u);
  EXPECT_LT(store_.bytes() - bytes_before, 4u * 1024);
  // Compressed: sectors of one byte value take far less than their 300 KiB.
  EXPECT_LT(store_.bytes(), 48u * 1024);
  for (size_t k : {1u, 3u, 0u, 2u}) {
    store_.restore(machine_, k);
    ASSERT_EQ(machine_.save_state(), reference[k]) << "snapshot " << k;
  }
}

TEST_F(SnapshotStoreTest, StatesWithoutMemoryLeaveTheOverlaysToTheStore) {
  attach_disks();
  write_sectors(0, 0, 256, 0xAB);
  const MachineState bare = machine_.save_state(/*with_memory=*/false);
  const MachineState full = machine_.save_state();
  EXPECT_FALSE(bare.overlays_included);
  EXPECT_TRUE(full.overlays_included);
  EXPECT_GT(full.devices.size(), bare.devices.size() + 256 * 512);
  write_sectors(0, 256, 8, 0xCD);
  machine_.restore_state(bare);
  EXPECT_EQ(disk(0)->overlay().sectors(), 264u);  // left alone
  machine_.restore_state(full);
  EXPECT_EQ(disk(0)->overlay().sectors(), 256u);
}

TEST_P(SnapshotChainTest, DroppingSnapshotsKeepsTheOthersExact) {
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

TEST_P(SnapshotChainTest, DroppingTheSnapshotTheMachineMatchesKeepsRestoresExact) {
  std::vector<MachineState> reference;
  scribble(100);
  take(reference);
  for (int i = 0; i < 4; ++i) {
    scribble(30);
    take(reference);
  }
  // The store no longer knows which snapshot the machine matches: restores look wider.
  store_.restore(machine_, 3);
  store_.drop(3);
  reference.erase(reference.begin() + 3);
  store_.restore(machine_, 1);
  ASSERT_EQ(machine_.save_state(), reference[1]);
  store_.restore(machine_, 2);
  store_.drop(2);
  reference.erase(reference.begin() + 2);
  scribble(10);
  store_.restore(machine_, 2);
  ASSERT_EQ(machine_.save_state(), reference[2]);
}

TEST_P(SnapshotChainTest, AChangeUndoneBeforeTheNextSnapshotStaysUndoneAfterAnInsert) {
  // A page and a sector group hold X at 0, Y at 500 and X again at 1000: the snapshot at
  // 1000 stores neither, so one inserted at 500 must give it X back.
  std::vector<uint8_t> x(4096, 0x11), y(4096, 0x22);
  auto write = [&](const std::vector<uint8_t>& v) {
    machine_.memory().write(5 * 4096, v.data(), 4096);
    if (machine_.disks()) write_sectors(2, 96, 8, v[0]);
  };
  std::vector<std::pair<uint64_t, MachineState>> reference;
  write(x);
  store_.take(machine_);
  reference.emplace_back(0, machine_.save_state());
  write(y);
  machine_.cpu().icount = 500;
  const MachineState mid = machine_.save_state();
  write(x);
  machine_.cpu().icount = 1000;
  store_.take(machine_);
  reference.emplace_back(1000, machine_.save_state());
  EXPECT_EQ(store_.pages_stored(1) + store_.groups_stored(1), 0u);
  machine_.restore_state(mid);  // as a replay to 500 would leave it
  EXPECT_EQ(store_.take(machine_), 1u);
  reference.insert(reference.begin() + 1, {500, mid});
  for (size_t k : {2u, 1u, 2u, 0u, 2u}) {
    store_.restore(machine_, k);
    ASSERT_EQ(machine_.save_state(), reference[k].second) << "snapshot " << k;
  }
}

TEST_P(SnapshotChainTest, SnapshotsInsertedBetweenOthersKeepEveryoneExact) {
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


// --- snapshots in recording files (snapshot_encoding.cpp) ---

// A second machine of the same configuration, as a replay of a recording builds it.
class EncodedChainTest : public SnapshotChainTest {
 protected:
  EncodedChainTest() : other_(config()) {
    other_.enter_multiboot(0x100000, 0x9500);
    if (GetParam()) {
      block::Disks::Images images;
      images[0] = block::BaseImage::open(images_.image(kDiskSectors));
      images[2] = block::BaseImage::open(images_.image(kDiskSectors));
      other_.attach_disks(std::make_unique<block::Disks>(other_.host_wakeup(), std::move(images),
                                                         block::parse_fault_spec(""), /*host_io=*/false));
    }
  }
  // The file's chain: each snapshot encoded when it is the newest, as record --snapshots does.
  std::vector<std::string> record_chain(std::vector<MachineState>& reference, int snapshots) {
    std::vector<std::string> encoded;
    scribble(150);
    for (int i = 0; i < snapshots; ++i) {
      take(reference);
      encoded.push_back(store_.encode(store_.size() - 1));
      scribble(1 + static_cast<int>(rng_() % 50));
    }
    return encoded;
  }
  Machine other_;
};

INSTANTIATE_TEST_SUITE_P(, EncodedChainTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "WithDisks" : "MemoryOnly"; });

TEST_P(EncodedChainTest, AChainReadBackRestoresEverySnapshotExactly) {
  std::vector<MachineState> reference;
  const std::vector<std::string> encoded = record_chain(reference, 12);
  SnapshotStore loaded;
  for (const std::string& bytes : encoded) loaded.append_encoded(bytes, other_);
  ASSERT_EQ(loaded.size(), encoded.size());
  for (int round = 0; round < 60; ++round) {
    const size_t k = rng_() % loaded.size();
    loaded.restore(other_, k);
    ASSERT_EQ(other_.save_state(), reference[k]) << "round " << round << ", snapshot " << k;
  }
  // Encoding what was read gives the same bytes (nothing recompressed).
  for (size_t k = 0; k < loaded.size(); ++k) EXPECT_EQ(loaded.encode(k), encoded[k]);
}

// Damaged bytes are refused with a reason (std::invalid_argument) and change nothing, or, if
// the damage happens to leave a well-formed snapshot, are taken: never anything else.
TEST_P(EncodedChainTest, DamagedBytesAreRefusedCleanly) {
  std::vector<MachineState> reference;
  const std::vector<std::string> encoded = record_chain(reference, 3);
  const MachineState before = other_.save_state();
  size_t refused = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string bytes = encoded[rng_() % encoded.size()];
    switch (round % 3) {
      case 0: bytes.resize(rng_() % bytes.size()); break;  // cut short
      case 1:                                               // a byte changed
        bytes[rng_() % std::min<size_t>(bytes.size(), 2048)] ^= static_cast<char>(1 + rng_() % 255);
        break;
      default:  // a word of random bytes somewhere in its first kilobyte (counts, keys, lengths)
        for (int i = 0, at = static_cast<int>(rng_() % std::min<size_t>(bytes.size() - 8, 1024)); i < 8; ++i)
          bytes[at + i] = static_cast<char>(rng_());
        break;
    }
    SnapshotStore store;
    try {
      store.append_encoded(bytes, other_);
    } catch (const std::invalid_argument& e) {
      ++refused;
      EXPECT_EQ(store.size(), 0u);
      EXPECT_NE(std::string(e.what()), "");
    }
    ASSERT_EQ(other_.save_state(), before) << "round " << round << ": the machine changed";
  }
  EXPECT_GE(refused, 500u);  // every cut, and some changes (most bytes are page contents: taken)
}

TEST_P(EncodedChainTest, RefusesSnapshotsOfAnotherMachineOrOutOfOrder) {
  std::vector<MachineState> reference;
  const std::vector<std::string> encoded = record_chain(reference, 2);
  MachineConfig c = config();
  c.memory_bytes = kMemory * 2;
  Machine bigger(c);
  SnapshotStore store;
  EXPECT_THROW(store.append_encoded(encoded[0], bigger), std::invalid_argument);
  store.append_encoded(encoded[1], other_);
  EXPECT_THROW(store.append_encoded(encoded[0], other_), std::invalid_argument);  // before the newest
  EXPECT_EQ(store.size(), 1u);
}

// States from files are checked before the machine takes them: an index beyond its buffer
// is refused with the device named, and the machine is unchanged.
TEST_F(SnapshotStoreTest, CheckStateRefusesDeviceIndicesBeyondTheirBuffers) {
  const MachineState good = machine_.save_state(/*with_memory=*/false);
  EXPECT_EQ(machine_.check_state(good), "");
  // The UART's receive FIFO head: its part ends ..., rx_head_ (u32), rx_count_ (u32),
  // overrun_, timeout_, irq_level_; the word descriptions give each field's place in the
  // archive.
  std::vector<WordDescription> described;
  machine_.device_states(&described);
  size_t at = 4;  // the format version
  std::vector<std::pair<size_t, unsigned>> uart;  // (offset, bytes) of the UART's words
  for (const WordDescription& d : described) {
    if (d.name == "uart") uart.push_back({at, d.binary_bytes});
    at += d.binary_bytes;
  }
  ASSERT_EQ(at, good.devices.size());
  ASSERT_GE(uart.size(), 5u);
  const auto [rx_head, rx_head_bytes] = uart[uart.size() - 5];
  ASSERT_EQ(rx_head_bytes, 4u);
  MachineState bad = good;
  bad.devices[rx_head] = static_cast<char>(200);
  const MachineState before = machine_.save_state();
  const std::string why = machine_.check_state(bad);
  EXPECT_NE(why.find("uart"), std::string::npos) << why;
  EXPECT_EQ(machine_.save_state(), before);
  // Another instruction count in the CPU than the state says: refused too.
  MachineState moved = good;
  moved.icount += 1;
  EXPECT_NE(machine_.check_state(moved), "");
}

}  // namespace
}  // namespace rw::snapshots
