#include "devices/io_apic.h"

#include "devices/local_apic.h"

namespace rw {

namespace {
constexpr uint64_t kActiveLow = 1u << 13, kRemoteIrr = 1u << 14, kLevel = 1u << 15,
                   kMask = 1u << 16, kLogical = 1u << 11;
// Writable bits of an entry: all but delivery status and remote IRR (bits 17-55 reserved).
constexpr uint64_t kWritable = 0xFF00000000000000ull | 0x1AFFF;
}  // namespace

void IoApic::attach(MmioBus& mmio) {
  mmio.map(kBase, kSize,
           {this,
            [](void* d, uint64_t offset, unsigned size) -> uint64_t {
              const uint32_t v = static_cast<IoApic*>(d)->read(static_cast<uint32_t>(offset & ~uint64_t{3}));
              const uint64_t shifted = uint64_t{v} >> ((offset & 3) * 8);
              return size >= 4 ? shifted : shifted & ((uint64_t{1} << (size * 8)) - 1);
            },
            [](void* d, uint64_t offset, unsigned size, uint64_t value) {
              auto* io = static_cast<IoApic*>(d);
              if (offset == 0) io->select_ = static_cast<uint8_t>(value);  // IOREGSEL takes a byte write too
              else if ((offset & 3) == 0 && size >= 4) io->write(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
            },
            [](void* d, uint64_t offset, unsigned size, uint64_t& value) {
              const uint32_t v = static_cast<IoApic*>(d)->read(static_cast<uint32_t>(offset & ~uint64_t{3}));
              value = uint64_t{v} >> ((offset & 3) * 8);
              if (size < 4) value &= (uint64_t{1} << (size * 8)) - 1;
              return true;
            }});
}

uint32_t IoApic::read(uint32_t offset) const {
  if (offset == 0x00) return select_;
  if (offset == 0x10) return read_register(select_);
  return 0;
}

void IoApic::write(uint32_t offset, uint32_t value) {
  if (offset == 0x00) select_ = static_cast<uint8_t>(value);
  else if (offset == 0x10) write_register(select_, value);
  else if (offset == 0x40) eoi(static_cast<uint8_t>(value));
}

uint32_t IoApic::read_register(uint8_t index) const {
  if (index == 0) return id_;
  if (index == 1) return kVersion;
  if (index == 2) return id_;  // arbitration ID
  if (index >= 0x10 && index < 0x10 + 2 * kPins) {
    const uint64_t e = redirection_[(index - 0x10) / 2];
    return (index & 1) ? static_cast<uint32_t>(e >> 32) : static_cast<uint32_t>(e);
  }
  return 0;
}

void IoApic::write_register(uint8_t index, uint32_t value) {
  if (index == 0) {
    id_ = value & 0x0F000000;
    return;
  }
  if (index < 0x10 || index >= 0x10 + 2 * kPins) return;
  const unsigned pin = (index - 0x10) / 2;
  uint64_t& e = redirection_[pin];
  const uint64_t half = (index & 1) ? uint64_t{value} << 32 : value;
  const uint64_t half_mask = (index & 1) ? 0xFFFFFFFF00000000ull : 0xFFFFFFFFull;
  e = (e & ~(half_mask & kWritable)) | (half & half_mask & kWritable);
  if (!(e & kLevel)) e &= ~kRemoteIrr;
  service(pin);  // unmasking an asserted level-triggered pin sends it
}

bool IoApic::asserted(unsigned pin) const {
  const bool level = (levels_ >> pin) & 1;
  return (redirection_[pin] & kActiveLow) ? !level : level;
}

bool IoApic::can_interrupt(unsigned pin) const {
  if (pin >= kPins) return false;
  const uint64_t e = redirection_[pin];
  const unsigned mode = (e >> 8) & 7;
  return !(e & kMask) && (mode == 0 || mode == 1);
}

void IoApic::service(unsigned pin) {
  const uint64_t e = redirection_[pin];
  if (!(e & kLevel) || (e & kRemoteIrr) || !asserted(pin) || !can_interrupt(pin)) return;
  redirection_[pin] |= kRemoteIrr;
  lapic_.deliver(static_cast<uint8_t>(e & 0xFF), true, e & kLogical, static_cast<uint8_t>(e >> 56));
}

void IoApic::set_pin(unsigned pin, bool level) {
  if (pin >= kPins) return;
  const bool was = asserted(pin);
  levels_ = level ? levels_ | (1u << pin) : levels_ & ~(1u << pin);
  const uint64_t e = redirection_[pin];
  if (e & kLevel) {
    service(pin);
  } else if (!was && asserted(pin) && can_interrupt(pin)) {
    lapic_.deliver(static_cast<uint8_t>(e & 0xFF), false, e & kLogical, static_cast<uint8_t>(e >> 56));
  }
}

void IoApic::eoi(uint8_t vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& e = redirection_[pin];
    if ((e & kLevel) && (e & kRemoteIrr) && (e & 0xFF) == vector) {
      e &= ~kRemoteIrr;
      service(pin);
    }
  }
}

}  // namespace rw
