#include "devices/uart16550.h"

#include "machine/io_bus.h"

namespace rw {

namespace {

enum Register : unsigned { kData = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };
constexpr uint8_t kLsrDataReady = 0x01, kLsrThrEmpty = 0x20, kLsrTransmitterEmpty = 0x40;
constexpr uint8_t kIerReceivedData = 0x01, kIerThrEmpty = 0x02;
constexpr size_t kFlushThreshold = 4096;

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

uint8_t Uart16550::interrupt_id() const {
  if ((ier_ & kIerReceivedData) && rx_full_) return kIirReceivedData;
  if ((ier_ & kIerThrEmpty) && thr_interrupt_) return kIirThrEmpty;
  return kIirNoInterrupt;
}

uint8_t Uart16550::modem_status() const {
  if (loopback()) {
    // Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    return static_cast<uint8_t>(((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5) | ((mcr_ & 0x04) << 4) |
                                ((mcr_ & 0x08) << 4));
  }
  return 0xB0;  // DCD, DSR, CTS: a cable with someone listening, as QEMU reports
}

uint8_t Uart16550::read(unsigned offset) {
  switch (offset) {
    case kData:
      if (dlab()) return static_cast<uint8_t>(divisor_);
      rx_full_ = false;
      return rbr_;
    case kIer:
      return dlab() ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
    case kIirFcr: {
      const uint8_t id = interrupt_id();
      if (id == kIirThrEmpty) thr_interrupt_ = false;  // reading IIR acknowledges THR empty
      return static_cast<uint8_t>(id | ((fcr_ & 0x01) ? 0xC0 : 0x00));
    }
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr:
      return static_cast<uint8_t>(kLsrThrEmpty | kLsrTransmitterEmpty | (rx_full_ ? kLsrDataReady : 0));
    case kMsr:
      return modem_status();
    case kScr:
      return scr_;
  }
  return 0xFF;
}

void Uart16550::write(unsigned offset, uint8_t value) {
  switch (offset) {
    case kData:
      if (dlab()) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0xFF00) | value);
      } else {
        transmit(value);
      }
      return;
    case kIer:
      if (dlab()) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00FF) | (value << 8));
      } else {
        // Enabling the THR-empty interrupt while THR is empty raises it at once.
        if ((value & kIerThrEmpty) && !(ier_ & kIerThrEmpty)) thr_interrupt_ = true;
        ier_ = value & 0x0F;
      }
      return;
    case kIirFcr:
      fcr_ = value & 0xC9;  // FIFO enable, DMA mode, trigger level; the reset bits self-clear
      if (value & 0x02) rx_full_ = false;
      return;
    case kLcr:
      lcr_ = value;
      return;
    case kMcr:
      mcr_ = value & 0x1F;
      return;
    case kScr:
      scr_ = value;
      return;
    default:
      return;  // LSR and MSR are read-only
  }
}

void Uart16550::transmit(uint8_t byte) {
  if (loopback()) {
    rbr_ = byte;
    rx_full_ = true;
  } else if (out_) {
    pending_output_.push_back(static_cast<char>(byte));
    if (byte == '\n' || pending_output_.size() >= kFlushThreshold) flush();
  }
  thr_interrupt_ = true;  // sent instantly, so THR is empty again
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
