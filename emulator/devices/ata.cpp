#include "devices/ata.h"

#include <cstring>

#include "core/io_bus.h"

namespace rw {

namespace {

using namespace ata;

enum Register : unsigned { kData = 0, kError = 1, kCount = 2, kLbaLow = 3, kLbaMid = 4, kLbaHigh = 5, kDevice = 6, kCommand = 7 };
constexpr uint8_t kIdle = kDrdy | kDsc;  // a drive ready for the next command
constexpr uint8_t kLbaMode = 0x40;
constexpr unsigned kHeads = 16, kSectorsPerTrack = 63;  // CHS translation, as IDENTIFY reports it

uint32_t command_read(void* device, uint16_t port, unsigned size) {
  auto* ch = static_cast<AtaChannel*>(device);
  return ch->read_register(port - ch->base(), size);
}

void command_write(void* device, uint16_t port, unsigned size, uint32_t value) {
  auto* ch = static_cast<AtaChannel*>(device);
  ch->write_register(port - ch->base(), size, value);
}

uint32_t control_read(void* device, uint16_t, unsigned) { return static_cast<AtaChannel*>(device)->alternate_status(); }

void control_write(void* device, uint16_t, unsigned, uint32_t value) {
  static_cast<AtaChannel*>(device)->write_device_control(static_cast<uint8_t>(value));
}

}  // namespace

AtaChannel::AtaChannel(IrqLine irq, int channel)
    : irq_(irq),
      base_(channel == 0 ? 0x1F0 : 0x170),
      control_(channel == 0 ? 0x3F6 : 0x376) {}

void AtaChannel::attach(IoBus& io) {
  io.map(base_, 8, PortHandler{this, command_read, command_write});
  io.map(control_, 1, PortHandler{this, control_read, control_write});
}

void AtaChannel::set_drive(int unit, block::BlockDevice* disk) {
  Drive& d = drives_[unit];
  d.disk = disk;
  d.status = disk ? kIdle : 0;
  d.error = disk ? 0x01 : 0;  // "no error detected" diagnostic code
  if (disk) disk->set_client(this);
  count_.cur = lba_low_.cur = 1;  // the ATA signature of the power-on reset
  lba_mid_.cur = lba_high_.cur = 0;
}

uint8_t AtaChannel::visible_status() const {
  if (channel_empty() || !selected().disk) return 0;
  return selected().status;
}

uint8_t AtaChannel::alternate_status() const { return visible_status(); }

uint32_t AtaChannel::read_register(unsigned reg, unsigned size) {
  if (reg == kData) {
    if (size == 4) {
      const uint32_t lo = read_data16();
      return lo | (uint32_t{read_data16()} << 16);
    }
    return read_data16();
  }
  if (channel_empty()) return 0;
  const bool hob = control_reg_ & kHob;
  auto pick = [&](const Reg& r) -> uint8_t { return hob ? r.prev : r.cur; };
  switch (reg) {
    case kError: return selected().disk ? selected().error : 0;
    case kCount: return pick(count_);
    case kLbaLow: return pick(lba_low_);
    case kLbaMid: return pick(lba_mid_);
    case kLbaHigh: return pick(lba_high_);
    case kDevice: return device_;
    case kCommand: {
      // Reading status acknowledges the interrupt.
      const uint8_t status = visible_status();
      if (interrupt_pending_) {
        interrupt_pending_ = false;
        update_irq();
      }
      return status;
    }
  }
  return 0;
}

void AtaChannel::write_register(unsigned reg, unsigned size, uint32_t value) {
  if (reg == kData) {
    write_data16(static_cast<uint16_t>(value));
    if (size == 4) write_data16(static_cast<uint16_t>(value >> 16));
    return;
  }
  const auto v = static_cast<uint8_t>(value);
  if (reg == kCommand) {
    execute(v);
    return;
  }
  // The host may not change the taskfile while the device is busy (ATA8-ACS, 7.1); drives ignore it.
  if (phase_ == Phase::kWaiting || (control_reg_ & kSrst)) return;
  control_reg_ &= static_cast<uint8_t>(~kHob);  // any taskfile write clears HOB
  switch (reg) {
    case kError: feature_.write(v); break;
    case kCount: count_.write(v); break;
    case kLbaLow: lba_low_.write(v); break;
    case kLbaMid: lba_mid_.write(v); break;
    case kLbaHigh: lba_high_.write(v); break;
    case kDevice: device_ = v; break;
  }
}

void AtaChannel::write_device_control(uint8_t value) {
  const bool was_reset = control_reg_ & kSrst;
  control_reg_ = value;
  if (value & kSrst) {
    if (!was_reset) {
      // Abandon the command in progress; a late completion of its request is ignored.
      phase_ = Phase::kIdle;
      request_id_ = 0;
      interrupt_pending_ = false;
      for (Drive& d : drives_)
        if (d.disk) d.status = kBsy | kDsc;
    }
  } else if (was_reset) {
    reset_drives();
  }
  update_irq();
}

void AtaChannel::reset_drives() {
  for (Drive& d : drives_) {
    if (!d.disk) continue;
    d.status = kIdle;
    d.error = 0x01;
    d.multiple = kMaxMultiple;
  }
  count_ = {1, 0};
  lba_low_ = {1, 0};
  lba_mid_ = {};
  lba_high_ = {};
  device_ = 0;
  phase_ = Phase::kIdle;
  request_id_ = 0;
}

void AtaChannel::raise_interrupt() {
  interrupt_pending_ = true;
  update_irq();
}

void AtaChannel::update_irq() {
  const bool level = interrupt_pending_ && !(control_reg_ & (kNien | kSrst));
  if (level == irq_line_) return;
  irq_line_ = level;
  irq_.set(level);
}

void AtaChannel::complete(uint8_t status) {
  Drive& d = drives_[busy_unit_];
  d.status = status;
  phase_ = Phase::kIdle;
  request_id_ = 0;
  raise_interrupt();
}

void AtaChannel::abort(uint8_t error) {
  drives_[busy_unit_].error = error;
  complete(kIdle | kErr);
}

void AtaChannel::execute(uint8_t command) {
  if (control_reg_ & kSrst) return;
  if (command == 0x90) {  // EXECUTE DEVICE DIAGNOSTIC: addressed to both devices
    if (phase_ == Phase::kWaiting) return;
    reset_drives();
    busy_unit_ = 0;
    if (drives_[0].disk) complete(kIdle);
    else raise_interrupt();
    return;
  }
  Drive& d = selected();
  if (!d.disk) return;  // commands to a missing device go nowhere (QEMU does the same)
  if ((d.status & kBsy) || phase_ == Phase::kWaiting) return;
  busy_unit_ = (device_ >> 4) & 1;
  phase_ = Phase::kIdle;
  request_id_ = 0;
  d.error = 0;
  interrupt_pending_ = false;
  update_irq();

  switch (command) {
    case 0x20: case 0x21: start_transfer(command, false, false, false); return;  // READ SECTORS
    case 0x24: start_transfer(command, false, true, false); return;              // READ SECTORS EXT
    case 0xC4: start_transfer(command, false, false, true); return;              // READ MULTIPLE
    case 0x29: start_transfer(command, false, true, true); return;               // READ MULTIPLE EXT
    case 0x30: case 0x31: start_transfer(command, true, false, false); return;   // WRITE SECTORS
    case 0x34: start_transfer(command, true, true, false); return;               // WRITE SECTORS EXT
    case 0xC5: start_transfer(command, true, false, true); return;               // WRITE MULTIPLE
    case 0x39: start_transfer(command, true, true, true); return;                // WRITE MULTIPLE EXT
    case 0x40: case 0x41: case 0x42: {  // READ VERIFY SECTORS (EXT): a range check
      start_transfer(command, false, command == 0x42, false);
      return;
    }
    case 0xEC: {  // IDENTIFY DEVICE
      const auto words = identify_words(d.disk->sectors(), d.disk->index(), d.multiple);
      buffer_.resize(512);
      for (int i = 0; i < 256; ++i) {
        buffer_[2 * i] = static_cast<uint8_t>(words[i]);
        buffer_[2 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
      }
      sectors_ = block_sectors_ = 1;
      pos_ = 0;
      phase_ = Phase::kDataIn;
      begin_block();
      return;
    }
    case 0xC6: {  // SET MULTIPLE MODE: a power of two up to kMaxMultiple; 0 disables it
      const uint8_t n = count_.cur;
      if (n > kMaxMultiple || (n & (n - 1))) return abort(kAbrt);
      d.multiple = n;
      return complete(kIdle);
    }
    case 0xE7: case 0xEA:  // FLUSH CACHE (EXT): writes reach the overlay when they complete; nothing is cached
      return complete(kIdle);
    case 0xEF:  // SET FEATURES
      switch (feature_.cur) {
        case 0x02: case 0x82: case 0x03: case 0x55: case 0xAA: case 0x66: case 0xCC: return complete(kIdle);
        default: return abort(kAbrt);
      }
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: the CHS translation stays the one IDENTIFY reports
      return complete(kIdle);
    case 0xE5: case 0x98:  // CHECK POWER MODE: always active
      count_.cur = 0xFF;
      return complete(kIdle);
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0x94: case 0x95: case 0x96: case 0x97:  // power management
      return complete(kIdle);
    default:  // IDENTIFY PACKET DEVICE, PACKET, DEVICE RESET (ATAPI only) and everything else
      return abort(kAbrt);
  }
}

void AtaChannel::start_transfer(uint8_t command, bool write, bool lba48, bool multiple) {
  Drive& d = drives_[busy_unit_];
  uint64_t lba;
  uint32_t count;
  if (lba48) {
    lba = uint64_t{lba_low_.cur} | uint64_t{lba_mid_.cur} << 8 | uint64_t{lba_high_.cur} << 16 |
          uint64_t{lba_low_.prev} << 24 | uint64_t{lba_mid_.prev} << 32 | uint64_t{lba_high_.prev} << 40;
    count = uint32_t{count_.cur} | uint32_t{count_.prev} << 8;
    if (count == 0) count = 65536;
  } else {
    count = count_.cur ? count_.cur : 256;
    if (device_ & kLbaMode) {
      lba = uint64_t{lba_low_.cur} | uint64_t{lba_mid_.cur} << 8 | uint64_t{lba_high_.cur} << 16 |
            uint64_t{device_ & 0x0Fu} << 24;
    } else {
      const uint32_t cylinder = lba_mid_.cur | lba_high_.cur << 8, head = device_ & 0x0F, sector = lba_low_.cur;
      if (sector == 0 || sector > kSectorsPerTrack) return abort(kIdnf);
      lba = (uint64_t{cylinder} * kHeads + head) * kSectorsPerTrack + sector - 1;
    }
  }
  if (multiple && d.multiple == 0) return abort(kAbrt);
  if (lba >= d.disk->sectors() || count > d.disk->sectors() - lba) return abort(kIdnf);
  const bool verify = command >= 0x40 && command <= 0x42;
  if (verify) return complete(kIdle);

  lba_ = lba;
  sectors_ = count;
  block_sectors_ = multiple ? d.multiple : 1;
  error_is_write_ = write;
  pos_ = 0;
  if (write) {
    // PIO out: the host sends the first block at once, without an interrupt.
    buffer_.resize(size_t{count} * block::kSectorSize);
    phase_ = Phase::kDataOut;
    begin_block();
  } else {
    d.status = kBsy | kDrdy | kDsc;
    phase_ = Phase::kWaiting;
    request_id_ = d.disk->submit(block::Op::kRead, lba, count);
  }
}

void AtaChannel::begin_block() {
  const size_t block_bytes = size_t{block_sectors_} * block::kSectorSize;
  block_end_ = std::min(buffer_.size(), pos_ + block_bytes);
  drives_[busy_unit_].status = kIdle | kDrq;
  if (phase_ == Phase::kDataIn || pos_ != 0) raise_interrupt();
}

void AtaChannel::end_of_block() {
  Drive& d = drives_[busy_unit_];
  if (pos_ < buffer_.size()) {
    begin_block();  // the next block is already here (reads) or has room (writes)
    return;
  }
  if (phase_ == Phase::kDataIn) {
    // PIO in ends without an interrupt after the last block.
    d.status = kIdle;
    phase_ = Phase::kIdle;
    return;
  }
  d.status = kBsy | kDrdy | kDsc;
  phase_ = Phase::kWaiting;
  request_id_ = d.disk->submit(block::Op::kWrite, lba_, sectors_, buffer_.data());
}

uint16_t AtaChannel::read_data16() {
  if (phase_ != Phase::kDataIn) return 0;
  const uint16_t v = static_cast<uint16_t>(buffer_[pos_] | buffer_[pos_ + 1] << 8);
  pos_ += 2;
  if (pos_ >= block_end_) end_of_block();
  return v;
}

void AtaChannel::write_data16(uint16_t value) {
  if (phase_ != Phase::kDataOut) return;
  buffer_[pos_] = static_cast<uint8_t>(value);
  buffer_[pos_ + 1] = static_cast<uint8_t>(value >> 8);
  pos_ += 2;
  if (pos_ >= block_end_) end_of_block();
}

void AtaChannel::block_completed(int device, uint32_t id, block::Status status, const uint8_t* data) {
  if (phase_ != Phase::kWaiting || id != request_id_ || !drives_[busy_unit_].disk ||
      drives_[busy_unit_].disk->index() != device)
    return;  // a request abandoned by a reset
  request_id_ = 0;
  if (status != block::Status::kOk) return abort(error_is_write_ ? kAbrt : kUnc);
  if (error_is_write_) return complete(kIdle);
  buffer_.assign(data, data + size_t{sectors_} * block::kSectorSize);
  pos_ = 0;
  phase_ = Phase::kDataIn;
  begin_block();
}

std::string AtaChannel::check_state(const std::array<const block::BlockDevice::Snapshot*, 2>& disks) const {
  if (phase_ > Phase::kWaiting || (busy_unit_ != 0 && busy_unit_ != 1)) return "ata: command phase or unit out of range";
  if (buffer_.size() > size_t{block::BlockDevice::kMaxRequestSectors} * block::kSectorSize || buffer_.size() % 2 ||
      pos_ > buffer_.size() || block_end_ > buffer_.size() || pos_ % 2 || block_end_ % 2)
    return "ata: data buffer position out of range";
  if (block_sectors_ == 0 || block_sectors_ > block::BlockDevice::kMaxRequestSectors)
    return "ata: sectors per data block out of range";
  if (phase_ == Phase::kIdle) return {};
  const Drive& d = drives_[busy_unit_];
  if (!d.disk) return "ata: a command in progress on a missing drive";
  if ((phase_ == Phase::kDataIn || phase_ == Phase::kDataOut) && pos_ >= block_end_)
    return "ata: data buffer position out of range";
  if (phase_ == Phase::kDataOut &&
      (sectors_ == 0 || buffer_.size() != size_t{sectors_} * block::kSectorSize || lba_ > d.disk->sectors() ||
       sectors_ > d.disk->sectors() - lba_))
    return "ata: a write in progress beyond its buffer or the disk";
  if (phase_ == Phase::kWaiting && request_id_ != 0 && !error_is_write_) {
    // The completion hands over the request's data, sectors_ of them.
    const block::BlockDevice::Snapshot* disk = disks[busy_unit_];
    if (!disk) return "ata: a command in progress on a missing drive";
    for (const block::BlockDevice::Request& r : disk->in_flight)
      if (r.id == request_id_ && r.count != sectors_) return "ata: the read in progress does not match its request";
  }
  return {};
}

AtaController::AtaController(IrqLine primary_irq, IrqLine secondary_irq)
    : primary_(primary_irq, 0), secondary_(secondary_irq, 1) {}

void AtaController::attach(IoBus& io) {
  primary_.attach(io);
  secondary_.attach(io);
}

void AtaController::set_drive(int position, block::BlockDevice* disk) {
  channel(position / 2).set_drive(position % 2, disk);
}

}  // namespace rw
