// The block layer: read-only base image, overlay, delivery-time data, host failures, ids.
#include <gtest/gtest.h>

#include <stdexcept>

#include "block/base_image.h"
#include "block/block_device.h"
#include "block/completion_source.h"
#include "block/fault_spec.h"
#include "block/host_backend.h"
#include "block/overlay.h"
#include "core/external_source.h"
#include "disk_fixture.h"

namespace rw::block {
namespace {

using test::pattern_sector;
using test::TempDir;

// Records what the device model would see.
struct Recorder : BlockClient {
  struct Seen {
    int device;
    uint32_t id;
    Status status;
    std::vector<uint8_t> data;
  };
  std::vector<Seen> seen;
  uint32_t sectors = 1;  // how many sectors the test's reads have
  void block_completed(int device, uint32_t id, Status status, const uint8_t* data) override {
    seen.push_back({device, id, status, {}});
    if (data) seen.back().data.assign(data, data + 512 * sectors);
  }
};

std::vector<uint8_t> sector_of(const std::vector<uint8_t>& data, size_t i) {
  return std::vector<uint8_t>(data.begin() + i * 512, data.begin() + (i + 1) * 512);
}

TEST(BaseImage, RejectsMissingEmptyAndPartialImages) {
  TempDir dir;
  EXPECT_THROW(BaseImage::open(dir.file("missing.img")), ImageError);
  EXPECT_THROW(BaseImage::open(dir.raw("empty.img", 0)), ImageError);
  EXPECT_THROW(BaseImage::open(dir.raw("small.img", 100)), ImageError);
  EXPECT_THROW(BaseImage::open(dir.raw("partial.img", 513)), ImageError);
  EXPECT_THROW(BaseImage::open(dir.file("")), ImageError);  // the directory itself
  try {
    BaseImage::open(dir.raw("small2.img", 100));
  } catch (const ImageError& e) {
    EXPECT_NE(std::string(e.what()).find("small2.img"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos);
  }
  auto image = BaseImage::open(dir.raw("one.img", 512));
  EXPECT_EQ(image->sectors(), 1u);
}

TEST(BlockDevice, RequestIdsCountPerDevice) {
  TempDir dir;
  BlockDevice a(0, BaseImage::open(dir.image("a.img", 16)), nullptr);
  BlockDevice b(1, BaseImage::open(dir.image("b.img", 16)), nullptr);
  EXPECT_EQ(a.submit(Op::kRead, 0, 1), 1u);
  EXPECT_EQ(a.submit(Op::kRead, 1, 1), 2u);
  EXPECT_EQ(b.submit(Op::kRead, 0, 1), 1u);
  EXPECT_EQ(a.in_flight_count(), 2u);
  EXPECT_THROW(a.submit(Op::kRead, 16, 1), std::logic_error);
  EXPECT_THROW(a.submit(Op::kRead, 15, 2), std::logic_error);
}

TEST(BlockDevice, ReadSeesWritesDeliveredBeforeItNotAfter) {
  TempDir dir;
  const std::string path = dir.image("disk.img", 16);
  const auto before = test::read_file(path);
  BlockDevice disk(0, BaseImage::open(path), nullptr);
  Recorder client;
  client.sectors = 2;
  disk.set_client(&client);
  std::vector<uint8_t> mine(2 * 512, 0xAB);

  // Issued in the order read, write, read; delivered as read2, write, read1... the data is
  // what the disk holds at each delivery.
  const uint32_t read1 = disk.submit(Op::kRead, 4, 2);
  const uint32_t write = disk.submit(Op::kWrite, 5, 2, mine.data());
  const uint32_t read2 = disk.submit(Op::kRead, 4, 2);
  disk.deliver(read2, Status::kOk);
  disk.deliver(write, Status::kOk);
  disk.deliver(read1, Status::kOk);
  ASSERT_EQ(client.seen.size(), 3u);
  EXPECT_EQ(sector_of(client.seen[0].data, 1), pattern_sector(1, 5));  // read2: before the write
  EXPECT_EQ(client.seen[2].id, read1);
  EXPECT_EQ(sector_of(client.seen[2].data, 0), pattern_sector(1, 4));
  EXPECT_EQ(sector_of(client.seen[2].data, 1), std::vector<uint8_t>(512, 0xAB));  // read1: after it
  EXPECT_EQ(disk.overlay().sectors(), 2u);
  disk.deliver(read1, Status::kOk);  // delivered already: ignored
  EXPECT_EQ(client.seen.size(), 3u);
  EXPECT_EQ(test::read_file(path), before);  // the base image is untouched
}

TEST(BlockDevice, FailedWriteChangesNothing) {
  TempDir dir;
  BlockDevice disk(0, BaseImage::open(dir.image("disk.img", 8)), nullptr);
  Recorder client;
  disk.set_client(&client);
  std::vector<uint8_t> mine(512, 0xCD);
  disk.deliver(disk.submit(Op::kWrite, 3, 1, mine.data()), Status::kIoError);
  disk.deliver(disk.submit(Op::kRead, 3, 1), Status::kOk);
  ASSERT_EQ(client.seen.size(), 2u);
  EXPECT_EQ(client.seen[0].status, Status::kIoError);
  EXPECT_EQ(sector_of(client.seen[1].data, 0), pattern_sector(1, 3));
  EXPECT_EQ(disk.overlay().sectors(), 0u);
}

TEST(HostBackend, CompletionsComeBackThroughTheSourceInAnyOrder) {
  TempDir dir;
  HostWakeup wakeup;
  FaultSpec faults = parse_fault_spec("seed=3,delay=0-3000");
  HostBackend backend(wakeup, faults, 2);
  BlockDevice a(0, BaseImage::open(dir.image("a.img", 64, 1)), &backend);
  BlockDevice b(2, BaseImage::open(dir.image("b.img", 64, 2)), &backend);
  Recorder client;
  a.set_client(&client);
  b.set_client(&client);
  BlockCompletionSource source(backend);
  source.set_device(0, &a);
  source.set_device(2, &b);
  for (int i = 0; i < 8; ++i) {
    a.submit(Op::kRead, i, 1);
    b.submit(Op::kRead, 63 - i, 1);
  }
  EXPECT_TRUE(source.busy());
  uint64_t seen = 0;
  for (uint64_t now = 0; client.seen.size() < 16; now += 100) {
    wakeup.wait_for(seen, std::chrono::milliseconds(50));
    source.poll(now);
  }
  EXPECT_FALSE(source.busy());
  for (const auto& s : client.seen) {
    ASSERT_EQ(s.status, Status::kOk);
    const uint64_t lba = s.device == 0 ? s.id - 1 : 63 - (s.id - 1);
    EXPECT_EQ(sector_of(s.data, 0), pattern_sector(s.device == 0 ? 1 : 2, lba)) << s.device << " " << s.id;
  }
  EXPECT_EQ(source.stats().requests, 16u);
  EXPECT_EQ(source.stats().sectors_read, 16u);
}

TEST(HostBackend, InjectedFailuresReachTheClientAsIoErrors) {
  TempDir dir;
  HostWakeup wakeup;
  HostBackend backend(wakeup, parse_fault_spec("fail=100%,ops=read"), 2);
  BlockDevice disk(0, BaseImage::open(dir.image("a.img", 8)), &backend);
  Recorder client;
  disk.set_client(&client);
  BlockCompletionSource source(backend);
  source.set_device(0, &disk);
  std::vector<uint8_t> mine(512, 0x11);
  disk.submit(Op::kRead, 0, 1);
  disk.submit(Op::kWrite, 1, 1, mine.data());  // writes do not fail with ops=read
  backend.wait_all_finished();
  source.poll(10);
  ASSERT_EQ(client.seen.size(), 2u);
  for (const auto& s : client.seen) EXPECT_EQ(s.status, s.id == 1 ? Status::kIoError : Status::kOk);
  EXPECT_EQ(source.stats().failed, 1u);
  EXPECT_EQ(disk.overlay().sectors(), 1u);
}

TEST(FaultSpec, ParsesAndDecidesDeterministically) {
  FaultSpec s = parse_fault_spec("seed=42,delay=100-200,fail=50%");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.min_delay_us, 100u);
  EXPECT_EQ(s.max_delay_us, 200u);
  EXPECT_EQ(s.fail_percent, 50u);
  int failed = 0;
  for (uint32_t id = 1; id <= 1000; ++id) {
    auto d = s.decide(0, id, false);
    EXPECT_GE(d.delay_us, 100u);
    EXPECT_LE(d.delay_us, 200u);
    EXPECT_EQ(d.fail, s.decide(0, id, false).fail);
    failed += d.fail;
  }
  EXPECT_GT(failed, 400);
  EXPECT_LT(failed, 600);
  EXPECT_EQ(parse_fault_spec("delay=300").max_delay_us, 300u);
  EXPECT_FALSE(parse_fault_spec("fail=10,ops=write").fail_reads);
  for (const char* bad : {"seed", "bogus=1", "fail=101", "delay=5-2", "delay=x", "ops=none", "fail=-1"})
    EXPECT_THROW(parse_fault_spec(bad), std::invalid_argument) << bad;
}

TEST(Overlay, WriteBackAndSaveAs) {
  TempDir dir;
  const std::string path = dir.image("disk.img", 8);
  auto base = BaseImage::open(path);
  Overlay overlay;
  std::vector<uint8_t> mine(2 * 512, 0x77);
  overlay.write(2, 2, mine.data());

  save_as(*base, overlay, dir.file("saved.img"));
  const auto saved = test::read_file(dir.file("saved.img"));
  ASSERT_EQ(saved.size(), 8u * 512);
  EXPECT_EQ(sector_of(saved, 1), pattern_sector(1, 1));
  EXPECT_EQ(sector_of(saved, 2), std::vector<uint8_t>(512, 0x77));
  EXPECT_EQ(sector_of(saved, 4), pattern_sector(1, 4));
  EXPECT_EQ(sector_of(test::read_file(path), 2), pattern_sector(1, 2));  // the original is untouched

  write_back(*base, overlay);
  EXPECT_EQ(test::read_file(path), saved);
  EXPECT_THROW(save_as(*base, overlay, dir.file("no/such/dir.img")), ImageError);
}

TEST(Overlay, WriteEpochsNameTheGroupsWrittenSince) {
  Overlay overlay;
  std::vector<uint8_t> a(24 * 512, 0x11), b(24 * 512, 0x22);
  overlay.write(6, 4, a.data());  // sectors 6-9: groups 0 and 1
  overlay.write(40, 1, a.data());  // group 5
  EXPECT_EQ(overlay.groups_written_since(1), (std::vector<uint64_t>{0, 1, 5}));
  const uint32_t epoch = overlay.new_write_epoch();
  EXPECT_TRUE(overlay.groups_written_since(epoch).empty());
  overlay.write(41, 1, b.data());
  overlay.write(17, 1, b.data());  // a group never written before: 2
  overlay.write(41, 1, a.data());  // again in the same epoch
  EXPECT_EQ(overlay.groups_written_since(epoch), (std::vector<uint64_t>{2, 5}));
  EXPECT_EQ(overlay.groups(), (std::vector<uint64_t>{0, 1, 2, 5}));

  // A group read and written whole: the mask names the sectors held, in order.
  uint8_t group[8 * 512];
  EXPECT_EQ(overlay.read_group(0, group), 0xC0);  // sectors 6 and 7
  EXPECT_EQ(group[0], 0x11);
  EXPECT_EQ(overlay.read_group(3, group), 0);
  const uint32_t later = overlay.new_write_epoch();
  std::vector<uint8_t> two(2 * 512, 0x33);
  overlay.write_group(1, 0x81, two.data());  // sectors 8 and 15; 9 goes
  EXPECT_EQ(overlay.read_group(1, group), 0x81);
  EXPECT_EQ(overlay.contents().count(9), 0u);
  EXPECT_EQ(overlay.contents().at(15)[0], 0x33);
  EXPECT_EQ(overlay.groups_written_since(later), (std::vector<uint64_t>{1}));

  // A whole restore counts only the groups whose sectors appear, vanish or change.
  auto copy = overlay.contents();
  copy.erase(40);             // group 5 loses a sector
  copy[17].fill(0x44);        // group 2 changes
  copy[100] = copy[8];        // group 12 appears
  const uint32_t last = overlay.new_write_epoch();
  overlay.restore(copy);
  EXPECT_EQ(overlay.groups_written_since(last), (std::vector<uint64_t>{2, 5, 12}));
  EXPECT_EQ(overlay.contents(), copy);
}

}  // namespace
}  // namespace rw::block
