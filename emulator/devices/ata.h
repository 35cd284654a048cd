// ATA/IDE controller, PIO only: two channels (primary 0x1F0-0x1F7/0x3F6 on IRQ 14, secondary
// 0x170-0x177/0x376 on IRQ 15), each with a master and a slave position. Commands that move
// data go to the block layer as one request per command; the channel stays BSY until the
// completion is delivered at an instruction boundary, then hands the data out in DRQ blocks.
// Both channels run independently, so two requests can be in flight at once.
//
// Absent positions read as QEMU's PIIX IDE does: all registers 0 when the channel has no
// drive, status 0 when the selected slave is missing; commands to them are ignored.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "block/block_device.h"
#include "core/irq_line.h"

namespace rw {

class IoBus;

namespace ata {
// Status register bits.
inline constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
// Error register bits.
inline constexpr uint8_t kUnc = 0x40, kIdnf = 0x10, kAbrt = 0x04;
// Device control bits.
inline constexpr uint8_t kNien = 0x02, kSrst = 0x04, kHob = 0x80;
inline constexpr unsigned kMaxMultiple = 16;  // sectors per DRQ block in READ/WRITE MULTIPLE

// The 256 IDENTIFY DEVICE words for a disk of `sectors` sectors at `position` (0-3).
std::array<uint16_t, 256> identify_words(uint64_t sectors, int position, uint8_t multiple);
}  // namespace ata

class AtaChannel : public block::BlockClient {
 public:
  // `irq`: the channel's line (14 for the primary, 15 for the secondary).
  AtaChannel(IrqLine irq, int channel);
  void attach(IoBus& io);
  void set_drive(int unit, block::BlockDevice* disk);  // unit 0 master, 1 slave; null: none

  // Command block registers 0-7 and the control block register (alternate status / device control).
  uint32_t read_register(unsigned reg, unsigned size);
  void write_register(unsigned reg, unsigned size, uint32_t value);
  uint8_t alternate_status() const;
  void write_device_control(uint8_t value);

  void block_completed(int device, uint32_t id, block::Status status, const uint8_t* data) override;
  bool irq_line() const { return irq_line_; }
  uint16_t base() const { return base_; }
  uint16_t control_port() const { return control_; }
  // Machine state save, restore and digests (machine/machine_state.cpp): registers, the command in
  // progress (including the block request it waits for) and its data buffer. Which disks
  // are attached is configuration, not state.
  // Empty if a restored state is one this channel can run from, with `disks` the block
  // devices' restored states for its two units (null: no disk there): buffer positions within
  // the buffer, a drive and request for the command in progress that match it; else what is
  // wrong. Machine::restore_state refuses a state that is not.
  std::string check_state(const std::array<const block::BlockDevice::Snapshot*, 2>& disks) const;
  template <class Archive>
  void serialize(Archive& ar) {
    for (Drive& d : drives_) ar(d.status, d.error, d.multiple);
    for (Reg* r : {&feature_, &count_, &lba_low_, &lba_mid_, &lba_high_}) ar(r->cur, r->prev);
    ar(device_, control_reg_, interrupt_pending_, irq_line_, phase_, busy_unit_, request_id_, lba_, sectors_,
       block_sectors_, error_is_write_, buffer_, pos_, block_end_);
  }

 private:
  struct Drive {
    block::BlockDevice* disk = nullptr;
    uint8_t status = 0, error = 0;
    uint8_t multiple = ata::kMaxMultiple;
  };
  // One byte of each taskfile register and the byte written before it (LBA48 "HOB").
  struct Reg {
    uint8_t cur = 0, prev = 0;
    void write(uint8_t v) { prev = cur; cur = v; }
  };
  enum class Phase : uint8_t { kIdle, kDataIn, kDataOut, kWaiting };

  Drive& selected() { return drives_[(device_ >> 4) & 1]; }
  const Drive& selected() const { return drives_[(device_ >> 4) & 1]; }
  bool channel_empty() const { return !drives_[0].disk && !drives_[1].disk; }
  uint8_t visible_status() const;

  void execute(uint8_t command);
  void start_transfer(uint8_t command, bool write, bool lba48, bool multiple);
  void complete(uint8_t status);  // end the command: status, interrupt
  void abort(uint8_t error);
  void begin_block();
  void end_of_block();
  uint16_t read_data16();
  void write_data16(uint16_t value);
  void reset_drives();
  void raise_interrupt();
  void update_irq();

  IrqLine irq_;
  uint16_t base_, control_;
  std::array<Drive, 2> drives_;
  Reg feature_, count_, lba_low_, lba_mid_, lba_high_;
  uint8_t device_ = 0;
  uint8_t control_reg_ = 0;
  bool interrupt_pending_ = false, irq_line_ = false;

  // The command in progress.
  Phase phase_ = Phase::kIdle;
  int busy_unit_ = 0;
  uint32_t request_id_ = 0;  // the block request it waits for (0: none)
  uint64_t lba_ = 0;
  uint32_t sectors_ = 0;     // in the whole command
  uint32_t block_sectors_ = 1;
  bool error_is_write_ = false;
  std::vector<uint8_t> buffer_;
  size_t pos_ = 0, block_end_ = 0;
};

// Both channels; positions 0-3 map to (channel, unit) = (p / 2, p % 2).
class AtaController {
 public:
  AtaController(IrqLine primary_irq, IrqLine secondary_irq);
  void attach(IoBus& io);
  void set_drive(int position, block::BlockDevice* disk);
  AtaChannel& channel(int c) { return c == 0 ? primary_ : secondary_; }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(primary_, secondary_);
  }

 private:
  AtaChannel primary_, secondary_;
};

}  // namespace rw
