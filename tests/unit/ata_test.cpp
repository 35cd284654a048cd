// ATA register behaviour, through the machine's port bus.
#include <gtest/gtest.h>

#include "block/disks.h"
#include "devices/ata.h"
#include "disk_fixture.h"
#include "machine/machine.h"

namespace rw {
namespace {

using test::pattern_sector;

constexpr uint16_t kPrimary = 0x1F0, kSecondary = 0x170;
constexpr uint16_t kPrimaryControl = 0x3F6, kSecondaryControl = 0x376;

class AtaTest : public ::testing::Test {
 protected:
  MachineConfig config() {
    MachineConfig c;
    c.memory_bytes = 4ull << 20;
    c.serial_out = nullptr;
    return c;
  }
  // Disks at the given positions (sectors per image, 0 = none).
  void attach(std::array<uint64_t, 4> sectors, const char* faults = "") {
    block::Disks::Images images;
    for (int i = 0; i < 4; ++i)
      if (sectors[i]) images[i] = block::BaseImage::open(dir.image("d" + std::to_string(i) + ".img", sectors[i], uint16_t(i + 1)));
    machine.attach_disks(std::make_unique<block::Disks>(machine.host_wakeup(), std::move(images),
                                                        block::parse_fault_spec(faults)));
  }
  // What the CPU loop does at an instruction boundary, once the host has finished.
  void deliver() {
    machine.disks()->backend().wait_all_finished();
    machine.disks()->source().poll(machine.cpu().icount);
  }
  uint8_t in8(uint16_t port) { return static_cast<uint8_t>(machine.io().read(port, 1)); }
  uint16_t in16(uint16_t port) { return static_cast<uint16_t>(machine.io().read(port, 2)); }
  void out8(uint16_t port, uint8_t v) { machine.io().write(port, 1, v); }
  void out16(uint16_t port, uint16_t v) { machine.io().write(port, 2, v); }
  void command28(uint16_t base, int unit, uint32_t lba, uint8_t count, uint8_t cmd) {
    out8(base + 6, static_cast<uint8_t>(0xE0 | unit << 4 | (lba >> 24 & 0x0F)));
    out8(base + 2, count);
    out8(base + 3, static_cast<uint8_t>(lba));
    out8(base + 4, static_cast<uint8_t>(lba >> 8));
    out8(base + 5, static_cast<uint8_t>(lba >> 16));
    out8(base + 7, cmd);
  }
  std::vector<uint8_t> read_block(uint16_t base, size_t bytes) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < bytes; i += 2) {
      const uint16_t w = in16(base);
      out.push_back(static_cast<uint8_t>(w));
      out.push_back(static_cast<uint8_t>(w >> 8));
    }
    return out;
  }
  AtaChannel& primary() { return machine.ata().channel(0); }

  test::TempDir dir;
  Machine machine{config()};
};

TEST_F(AtaTest, NoDrivesReadAsAbsentAndIgnoreCommands) {
  for (uint16_t base : {kPrimary, kSecondary}) {
    EXPECT_EQ(in8(base + 7), 0u);
    out8(base + 2, 0x55);
    EXPECT_EQ(in8(base + 2), 0u);
    out8(base + 7, 0xEC);
    EXPECT_EQ(in8(base + 7), 0u);
  }
  EXPECT_EQ(in8(kPrimaryControl), 0u);
}

TEST_F(AtaTest, MissingSlaveReadsZeroStatus) {
  attach({16, 0, 0, 0});
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);
  out8(kPrimary + 6, 0xB0);  // slave
  EXPECT_EQ(in8(kPrimary + 7), 0u);
  out8(kPrimary + 7, 0xEC);  // ignored
  EXPECT_EQ(in8(kPrimary + 7), 0u);
  EXPECT_FALSE(primary().irq_line());
  EXPECT_EQ(in8(kSecondary + 7), 0u);  // no drive on the secondary channel
}

TEST_F(AtaTest, IdentifyReportsCapacityModelAndFeatures) {
  attach({0, 0, 0, 70000});
  out8(kSecondaryControl, 0);  // nIEN clear: interrupts on
  out8(kSecondary + 6, 0xB0);
  out8(kSecondary + 7, 0xEC);
  EXPECT_EQ(in8(kSecondaryControl), 0x58u);  // DRDY DSC DRQ
  EXPECT_TRUE(machine.ata().channel(1).irq_line());
  EXPECT_EQ(in8(kSecondary + 7), 0x58u);
  EXPECT_FALSE(machine.ata().channel(1).irq_line());  // reading status acknowledges
  std::array<uint16_t, 256> w;
  uint8_t sum = 0;
  for (auto& word : w) {
    word = in16(kSecondary);
    sum = static_cast<uint8_t>(sum + (word & 0xFF) + (word >> 8));
  }
  EXPECT_EQ(in8(kSecondary + 7), 0x50u);  // no interrupt, no DRQ after the last word
  EXPECT_EQ(sum, 0u);                      // integrity word
  EXPECT_EQ(w[255] & 0xFF, 0xA5u);
  std::string model;
  for (int i = 27; i < 47; ++i) model += {char(w[i] >> 8), char(w[i] & 0xFF)};
  EXPECT_EQ(model, "REWIND HARDDISK                         ");
  std::string serial;
  for (int i = 10; i < 20; ++i) serial += {char(w[i] >> 8), char(w[i] & 0xFF)};
  EXPECT_EQ(serial.substr(0, 7), "RW00004");
  EXPECT_EQ(w[60] | uint32_t(w[61]) << 16, 70000u);
  EXPECT_EQ(w[100] | uint64_t(w[101]) << 16 | uint64_t(w[102]) << 32 | uint64_t(w[103]) << 48, 70000u);
  EXPECT_TRUE(w[49] & (1 << 9));   // LBA
  EXPECT_TRUE(w[83] & (1 << 10));  // LBA48
  EXPECT_TRUE(w[86] & (1 << 10));
  EXPECT_EQ(w[47], 0x8010u);
  EXPECT_EQ(w[59], 0x0110u);
}

TEST_F(AtaTest, ReadSectorsWaitsForTheCompletionThenInterruptsPerSector) {
  attach({64, 0, 0, 0});
  out8(kPrimaryControl, 0);
  command28(kPrimary, 0, 10, 2, 0x20);
  EXPECT_EQ(in8(kPrimaryControl) & 0x88, 0x80u);  // BSY until the completion is delivered
  EXPECT_EQ(in16(kPrimary), 0u);                   // no data yet
  deliver();
  EXPECT_TRUE(primary().irq_line());
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  EXPECT_EQ(read_block(kPrimary, 512), pattern_sector(1, 10));
  EXPECT_TRUE(primary().irq_line());  // the second sector's DRQ block
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  EXPECT_EQ(read_block(kPrimary, 512), pattern_sector(1, 11));
  EXPECT_FALSE(primary().irq_line());
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);
}

TEST_F(AtaTest, WriteThenReadBackThroughTheOverlay) {
  attach({64, 0, 0, 0});
  const auto image_before = test::read_file(dir.file("d0.img"));
  out8(kPrimaryControl, 0);
  command28(kPrimary, 0, 20, 2, 0x30);
  EXPECT_EQ(in8(kPrimaryControl), 0x58u);  // the first block goes without an interrupt
  EXPECT_FALSE(primary().irq_line());
  for (int i = 0; i < 256; ++i) out16(kPrimary, 0x1111);
  EXPECT_TRUE(primary().irq_line());  // ready for the second block
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  for (int i = 0; i < 256; ++i) out16(kPrimary, 0x2222);
  EXPECT_EQ(in8(kPrimaryControl) & 0x80, 0x80u);  // BSY while the write is in flight
  deliver();
  EXPECT_TRUE(primary().irq_line());
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);

  command28(kPrimary, 0, 19, 3, 0xC4);  // READ MULTIPLE: one DRQ block of 3 sectors
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  auto data = read_block(kPrimary, 3 * 512);
  EXPECT_EQ(std::vector<uint8_t>(data.begin(), data.begin() + 512), pattern_sector(1, 19));
  EXPECT_EQ(data[512], 0x11u);
  EXPECT_EQ(data[1024], 0x22u);
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);
  EXPECT_EQ(test::read_file(dir.file("d0.img")), image_before);
}

TEST_F(AtaTest, Lba48UsesTheHighOrderBytesAndHobReadsThemBack) {
  attach({64, 0, 0, 0});
  out8(kPrimary + 6, 0x40);
  out8(kPrimary + 2, 0);      // count high
  out8(kPrimary + 3, 0);      // LBA 24-31
  out8(kPrimary + 4, 0);
  out8(kPrimary + 5, 0);
  out8(kPrimary + 2, 1);      // count low
  out8(kPrimary + 3, 63);     // LBA 0-7: the last sector
  out8(kPrimary + 4, 0);
  out8(kPrimary + 5, 0);
  out8(kPrimaryControl, 0x80);  // HOB
  EXPECT_EQ(in8(kPrimary + 2), 0u);
  out8(kPrimaryControl, 0x00);
  EXPECT_EQ(in8(kPrimary + 3), 63u);
  out8(kPrimary + 7, 0x24);  // READ SECTORS EXT
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  EXPECT_EQ(read_block(kPrimary, 512), pattern_sector(1, 63));
}

TEST_F(AtaTest, OutOfRangeAbortsWithIdnf) {
  attach({64, 0, 0, 0});
  out8(kPrimaryControl, 0);
  command28(kPrimary, 0, 63, 2, 0x20);
  EXPECT_TRUE(primary().irq_line());
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
  EXPECT_EQ(in8(kPrimary + 1), 0x10u);
  command28(kPrimary, 0, 200, 1, 0x30);
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
  command28(kPrimary, 0, 63, 1, 0x20);  // the last sector is fine
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
}

TEST_F(AtaTest, HostFailuresBecomeDeviceErrorsAndNothingChanges) {
  attach({64, 0, 0, 0}, "fail=100%");
  command28(kPrimary, 0, 5, 1, 0x20);
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
  EXPECT_EQ(in8(kPrimary + 1), 0x40u);  // UNC
  command28(kPrimary, 0, 5, 1, 0x30);
  for (int i = 0; i < 256; ++i) out16(kPrimary, 0xFFFF);
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
  EXPECT_EQ(in8(kPrimary + 1), 0x04u);  // ABRT
  EXPECT_EQ(machine.disks()->device(0)->overlay().sectors(), 0u);
}

TEST_F(AtaTest, SetMultipleModeAndReadMultipleBlocks) {
  attach({64, 0, 0, 0});
  out8(kPrimaryControl, 0);
  command28(kPrimary, 0, 0, 3, 0xC6);  // not a power of two
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
  EXPECT_EQ(in8(kPrimary + 1), 0x04u);
  command28(kPrimary, 0, 0, 4, 0xC6);
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);
  command28(kPrimary, 0, 0, 10, 0xC4);  // blocks of 4, 4, 2
  deliver();
  int interrupts = 0;
  size_t bytes = 0;
  while (primary().irq_line()) {
    ++interrupts;
    EXPECT_EQ(in8(kPrimary + 7), 0x58u);
    const size_t block = std::min<size_t>(4 * 512, 10 * 512 - bytes);
    read_block(kPrimary, block);
    bytes += block;
  }
  EXPECT_EQ(interrupts, 3);
  EXPECT_EQ(bytes, 10u * 512);
  command28(kPrimary, 0, 0, 0, 0xC6);  // 0 disables READ MULTIPLE
  command28(kPrimary, 0, 0, 1, 0xC4);
  EXPECT_EQ(in8(kPrimary + 7), 0x51u);
}

TEST_F(AtaTest, NienMasksTheLineAndSoftResetRestoresTheSignature) {
  attach({64, 64, 0, 0});
  out8(kPrimaryControl, 0x02);  // nIEN
  command28(kPrimary, 0, 0, 1, 0xE7);
  EXPECT_FALSE(primary().irq_line());
  out8(kPrimaryControl, 0x00);
  EXPECT_TRUE(primary().irq_line());  // still pending: visible once enabled
  command28(kPrimary, 1, 7, 1, 0x20);  // a read in flight on the slave...
  out8(kPrimaryControl, 0x04);          // ...then SRST
  EXPECT_EQ(in8(kPrimaryControl) & 0x80, 0x80u);
  EXPECT_FALSE(primary().irq_line());
  out8(kPrimaryControl, 0x00);
  deliver();  // the abandoned read completes: ignored
  EXPECT_EQ(in8(kPrimary + 7), 0x50u);
  EXPECT_EQ(in8(kPrimary + 1), 0x01u);
  EXPECT_EQ(in8(kPrimary + 2), 0x01u);
  EXPECT_EQ(in8(kPrimary + 3), 0x01u);
  EXPECT_EQ(in8(kPrimary + 4), 0x00u);
  EXPECT_EQ(in8(kPrimary + 5), 0x00u);
  EXPECT_EQ(in8(kPrimary + 6), 0x00u);
  EXPECT_FALSE(primary().irq_line());
}

TEST_F(AtaTest, BothChannelsHaveRequestsInFlightAtOnce) {
  attach({64, 0, 64, 0}, "seed=5,delay=0-2000");
  out8(kPrimaryControl, 0);
  out8(kSecondaryControl, 0);
  command28(kPrimary, 0, 1, 1, 0x20);
  command28(kSecondary, 0, 2, 1, 0x20);
  EXPECT_EQ(machine.disks()->backend().outstanding(), 2u);
  deliver();
  EXPECT_EQ(in8(kPrimary + 7), 0x58u);
  EXPECT_EQ(in8(kSecondary + 7), 0x58u);
  EXPECT_EQ(read_block(kPrimary, 512), pattern_sector(1, 1));
  EXPECT_EQ(read_block(kSecondary, 512), pattern_sector(3, 2));
}

TEST_F(AtaTest, UnsupportedCommandsAbort) {
  attach({64, 0, 0, 0});
  for (uint8_t cmd : {0xA1, 0xA0, 0x08, 0xFF}) {
    command28(kPrimary, 0, 0, 1, cmd);
    EXPECT_EQ(in8(kPrimary + 7), 0x51u) << int(cmd);
    EXPECT_EQ(in8(kPrimary + 1), 0x04u) << int(cmd);
    EXPECT_EQ(in8(kPrimary + 4), 0u);  // an ATA device, not ATAPI
  }
}

}  // namespace
}  // namespace rw
