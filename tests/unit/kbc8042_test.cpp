#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/io_bus.h"
#include "devices/kbc8042.h"

namespace rw {
namespace {

class KbcTest : public ::testing::Test {
 protected:
  KbcTest()
      : kbc_(StopRequest{nullptr, [](void* t, const char* how) { static_cast<KbcTest*>(t)->resets_.push_back(how); }, this},
             IrqLine{[](void* t, unsigned, bool level) { static_cast<KbcTest*>(t)->irq(level); }, this, 1},
             A20Line{[](void* t, bool on) { static_cast<KbcTest*>(t)->a20_changes_.push_back(on); }, this}) {
    kbc_.attach(io_);
    kbc_.bios_setup();
  }
  void irq(bool level) {
    if (level && !irq_) ++irq_edges_;
    irq_ = level;
  }
  void out(uint16_t port, uint8_t v) { io_.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io_.read(port, 1)); }
  // Everything in the output buffer, in order.
  std::vector<int> drain() {
    std::vector<int> bytes;
    while (in(0x64) & Kbc8042::kOutputFull) bytes.push_back(in(0x60));
    return bytes;
  }

  IoBus io_;
  std::vector<std::string> resets_;
  std::vector<bool> a20_changes_;
  bool irq_ = false;
  int irq_edges_ = 0;
  Kbc8042 kbc_;
};

TEST_F(KbcTest, AfterTheBiosTheControllerIsIdleWithTheSystemFlagSet) {
  EXPECT_EQ(in(0x64), 0x1C);  // system flag, command flag, not inhibited; buffers empty
  out(0x64, 0x20);
  EXPECT_EQ(drain(), std::vector<int>{0x61});
  EXPECT_TRUE(kbc_.a20());
  EXPECT_EQ(in(0x92), 0x02);
}

TEST_F(KbcTest, SelfTestsAnswer) {
  out(0x64, 0xAA);
  EXPECT_EQ(in(0x64) & 0x05, 0x05);  // output full, system flag
  EXPECT_EQ(drain(), std::vector<int>{0x55});
  out(0x64, 0xAB);
  EXPECT_EQ(drain(), std::vector<int>{0x00});
  out(0x64, 0xA9);
  EXPECT_EQ(drain(), std::vector<int>{0x00});
}

TEST_F(KbcTest, CommandByteReadsBackAndTheCommandFlagFollowsTheLastPort) {
  out(0x64, 0x60);
  EXPECT_TRUE(in(0x64) & Kbc8042::kCommandFlag);
  out(0x60, 0x45);
  EXPECT_FALSE(in(0x64) & Kbc8042::kCommandFlag);
  out(0x64, 0x20);
  EXPECT_EQ(drain(), std::vector<int>{0x45});
  out(0x64, 0xAD);
  out(0x64, 0xA7);
  out(0x64, 0x20);
  EXPECT_EQ(drain(), std::vector<int>{0x45 | 0x10 | 0x20});
  out(0x64, 0xAE);
  out(0x64, 0xA8);
  out(0x64, 0x20);
  EXPECT_EQ(drain(), std::vector<int>{0x45});
}

TEST_F(KbcTest, KeyboardCommandsAreAnsweredInOrder) {
  out(0x60, 0xFF);
  EXPECT_EQ(drain(), (std::vector<int>{0xFA, 0xAA}));
  out(0x60, 0xF2);
  EXPECT_EQ(drain(), (std::vector<int>{0xFA, 0xAB, 0x41}));  // translated (command byte bit 6)
  out(0x60, 0xED);
  EXPECT_EQ(drain(), std::vector<int>{0xFA});
  out(0x60, 0x07);
  EXPECT_EQ(drain(), std::vector<int>{0xFA});
  out(0x60, 0xF0);
  out(0x60, 0x00);
  EXPECT_EQ(drain(), (std::vector<int>{0xFA, 0xFA, 0x41}));  // set 2, translated
  out(0x60, 0xEE);
  EXPECT_EQ(drain(), std::vector<int>{0xEE});
  out(0x60, 0xF5);
  out(0x60, 0xF4);
  EXPECT_EQ(drain(), (std::vector<int>{0xFA, 0xFA}));
  out(0x60, 0x12);
  EXPECT_EQ(drain(), std::vector<int>{0xFE});
  EXPECT_EQ(in(0x60), 0xFE);  // an empty buffer reads the last byte again
}

TEST_F(KbcTest, EachReplyIsAnInterruptEdgeWhenTheCommandByteEnablesIt) {
  out(0x60, 0xFF);  // two replies
  EXPECT_TRUE(irq_);
  EXPECT_EQ(irq_edges_, 1);
  in(0x60);
  EXPECT_EQ(irq_edges_, 2);
  in(0x60);
  EXPECT_FALSE(irq_);
  out(0x64, 0x60);
  out(0x60, 0x60);  // keyboard IRQ off
  out(0x60, 0xF4);
  EXPECT_FALSE(irq_);
  EXPECT_EQ(drain(), std::vector<int>{0xFA});
}

TEST_F(KbcTest, A20ThroughTheOutputPortTheCommandsAndPort92) {
  out(0x64, 0xD0);
  EXPECT_EQ(drain(), std::vector<int>{0xCF});
  out(0x64, 0xD1);
  out(0x60, 0xCD);
  EXPECT_FALSE(kbc_.a20());
  out(0x64, 0xD0);
  EXPECT_EQ(drain(), std::vector<int>{0xCD});
  out(0x64, 0xDF);
  EXPECT_TRUE(kbc_.a20());
  out(0x64, 0xDD);
  EXPECT_FALSE(kbc_.a20());
  out(0x92, 0x02);  // the last write wins, as on QEMU
  EXPECT_TRUE(kbc_.a20());
  out(0x92, 0x00);
  EXPECT_FALSE(kbc_.a20());
  EXPECT_EQ(a20_changes_, (std::vector<bool>{false, true, false, true, false}));
  EXPECT_TRUE(resets_.empty());
}

TEST_F(KbcTest, ResetRequests) {
  out(0x64, 0xFE);
  out(0x64, 0xFF);  // pulses nothing
  out(0x64, 0xD1);
  out(0x60, 0xCE);  // reset line low
  out(0x92, 0x03);  // fast reset
  out(0x92, 0x03);  // bit 0 must rise again
  ASSERT_EQ(resets_.size(), 3u);
  EXPECT_NE(resets_[0].find("0xFE"), std::string::npos);
  EXPECT_NE(resets_[2].find("0x92"), std::string::npos);
}

TEST_F(KbcTest, ReplyQueueIsBounded) {
  for (int i = 0; i < 40; ++i) out(0x60, 0xEE);
  EXPECT_EQ(drain().size(), Kbc8042::kQueueSize);
  EXPECT_TRUE(kbc_.check_state().empty());
}

}  // namespace
}  // namespace rw
