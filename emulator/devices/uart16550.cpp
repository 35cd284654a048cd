#include "devices/uart16550.h"

#include "core/guest_time.h"
#include "core/io_bus.h"
#include "core/scheduler.h"

namespace rw {

namespace {

enum Register : unsigned { kData = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };
constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThrEmpty = 0x20, kLsrTransmitterEmpty = 0x40;
constexpr uint8_t kIerReceivedData = 0x01, kIerThrEmpty = 0x02, kIerLineStatus = 0x04;
constexpr size_t kFlushThreshold = 4096;
constexpr uint64_t kBaseBaud = 115200;

uint32_t port_read(void* device, uint16_t port, unsigned size) {
  auto* uart = static_cast<Uart16550*>(device);
  const unsigned offset = static_cast<uint16_t>(port - uart->base());
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    // A wide access covers consecutive registers, as the ISA bus splits it into bytes.
    const uint32_t byte = offset + i < 8 ? uart->read(offset + i) : 0xFF;
    value |= byte << (8 * i);
  }
  return value;
}

void port_write(void* device, uint16_t port, unsigned size, uint32_t value) {
  auto* uart = static_cast<Uart16550*>(device);
  const unsigned offset = static_cast<uint16_t>(port - uart->base());
  for (unsigned i = 0; i < size && offset + i < 8; ++i) uart->write(offset + i, static_cast<uint8_t>(value >> (8 * i)));
}

}  // namespace

void Uart16550::attach(IoBus& io, uint16_t base) {
  base_ = base;
  io.map(base, 8, PortHandler{this, port_read, port_write});
}

void Uart16550::connect(Scheduler& scheduler, GuestClock clock, IrqLine irq) {
  scheduler_ = &scheduler;
  clock_ = clock;
  irq_ = irq;
  timeout_timer_ = scheduler.add_timer(on_timeout, this, static_cast<int>(irq.irq));
}

unsigned Uart16550::trigger_level() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[fcr_ >> 6];
}

uint8_t Uart16550::interrupt_id() const {
  if ((ier_ & kIerLineStatus) && overrun_) return kIirLineStatus;
  if ((ier_ & kIerReceivedData) && rx_count_ > 0) {
    if (!fifo_enabled() || rx_count_ >= trigger_level()) return kIirReceivedData;
    if (timeout_) return kIirTimeout;
  }
  if ((ier_ & kIerThrEmpty) && thr_interrupt_) return kIirThrEmpty;
  return kIirNoInterrupt;
}

void Uart16550::update_irq() {
  const bool level = interrupt_pending();
  if (level != irq_level_) {
    irq_level_ = level;
    irq_.set(level);
  }
}

uint8_t Uart16550::modem_status() const {
  if (loopback()) {
    // Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    return static_cast<uint8_t>(((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5) | ((mcr_ & 0x04) << 4) |
                                ((mcr_ & 0x08) << 4));
  }
  return 0xB0;  // DCD, DSR, CTS: a cable with someone listening, as QEMU reports
}

void Uart16550::receive(uint8_t byte) {
  if (rx_count_ >= capacity()) {
    overrun_ = true;  // the byte in the shift register is lost; the FIFO keeps its data
  } else {
    rx_[(rx_head_ + rx_count_) % kFifoSize] = byte;
    ++rx_count_;
  }
  restart_timeout();
  update_irq();
}

uint8_t Uart16550::pop_received() {
  if (rx_count_ == 0) return rx_[(rx_head_ + kFifoSize - 1) % kFifoSize];  // RBR keeps the last byte
  const uint8_t byte = rx_[rx_head_];
  rx_head_ = (rx_head_ + 1) % kFifoSize;
  --rx_count_;
  restart_timeout();
  return byte;
}

void Uart16550::clear_receiver() {
  rx_head_ = rx_count_ = 0;
  timeout_ = false;
  if (scheduler_) scheduler_->disarm(timeout_timer_);
}

// The character timeout: four character times after the last byte arrived or was read.
void Uart16550::restart_timeout() {
  timeout_ = false;
  if (rx_count_ == 0 || !fifo_enabled()) {
    if (scheduler_) scheduler_->disarm(timeout_timer_);
    return;
  }
  if (!scheduler_) {
    timeout_ = true;
    return;
  }
  const unsigned bits = 1 + 5 + (lcr_ & 3) + ((lcr_ & 0x08) ? 1 : 0) + ((lcr_ & 0x04) ? 2 : 1);
  const uint64_t divisor = divisor_ ? divisor_ : 0x10000;
  const uint64_t char_time = bits * kInstructionsPerSecond * divisor / kBaseBaud;
  scheduler_->arm(timeout_timer_, clock_.now() + 4 * char_time);
}

void Uart16550::on_timeout(void* device, uint64_t) {
  auto* uart = static_cast<Uart16550*>(device);
  if (uart->rx_count_ > 0) uart->timeout_ = true;
  uart->update_irq();
}

uint8_t Uart16550::read(unsigned offset) {
  uint8_t value = 0xFF;
  switch (offset) {
    case kData:
      value = dlab() ? static_cast<uint8_t>(divisor_) : pop_received();
      break;
    case kIer:
      value = dlab() ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
      break;
    case kIirFcr: {
      const uint8_t id = interrupt_id();
      if (id == kIirThrEmpty) thr_interrupt_ = false;  // reading IIR acknowledges THR empty
      value = static_cast<uint8_t>(id | (fifo_enabled() ? 0xC0 : 0x00));
      break;
    }
    case kLcr:
      value = lcr_;
      break;
    case kMcr:
      value = mcr_;
      break;
    case kLsr:
      value = static_cast<uint8_t>(kLsrThrEmpty | kLsrTransmitterEmpty | (rx_count_ ? kLsrDataReady : 0) |
                                   (overrun_ ? kLsrOverrun : 0));
      overrun_ = false;  // reading LSR clears the error bits
      break;
    case kMsr:
      value = modem_status();
      break;
    case kScr:
      value = scr_;
      break;
  }
  update_irq();
  return value;
}

void Uart16550::write(unsigned offset, uint8_t value) {
  switch (offset) {
    case kData:
      if (dlab()) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0xFF00) | value);
      } else {
        transmit(value);
      }
      break;
    case kIer:
      if (dlab()) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00FF) | (value << 8));
      } else {
        // Enabling the THR-empty interrupt while THR is empty raises it at once.
        if ((value & kIerThrEmpty) && !(ier_ & kIerThrEmpty)) thr_interrupt_ = true;
        ier_ = value & 0x0F;
      }
      break;
    case kIirFcr: {
      const bool was_enabled = fifo_enabled();
      fcr_ = value & 0xC9;  // FIFO enable, DMA mode, trigger level; the reset bits self-clear
      // Switching the FIFOs on or off empties them, as does the receiver reset bit.
      if ((value & 0x02) || was_enabled != fifo_enabled()) clear_receiver();
      break;
    }
    case kLcr:
      lcr_ = value;
      break;
    case kMcr:
      mcr_ = value & 0x1F;
      break;
    case kScr:
      scr_ = value;
      break;
    default:
      break;  // LSR and MSR are read-only
  }
  update_irq();
}

void Uart16550::transmit(uint8_t byte) {
  thr_interrupt_ = true;  // sent instantly, so THR is empty again
  if (loopback()) {
    receive(byte);
    return;
  }
  // Sent on the line whether or not the host shows it.
  if (output_observer_) output_observer_(clock_.read ? clock_.now() : 0, byte);
  if (out_) {
    if (muted_) return;
    pending_output_.push_back(static_cast<char>(byte));
    if (byte == '\n' || pending_output_.size() >= kFlushThreshold) flush();
  }
}

void Uart16550::flush() {
  if (!out_) return;
  if (!pending_output_.empty()) {
    std::fwrite(pending_output_.data(), 1, pending_output_.size(), out_);
    pending_output_.clear();
  }
  std::fflush(out_);
}

}  // namespace rw
