#include "devices/pic8259.h"

#include "core/io_bus.h"

namespace rw {

namespace {

constexpr uint8_t kElcrWritable[2] = {0xF8, 0xDE};  // IRQ 0, 1, 2, 8 and 13 are always edge

// Priority 0 (highest) to 7 of the set bits in `mask`, given the rotation; 8 if none.
int priority_of(const Pic8259::Chip& c, uint8_t mask) {
  for (int p = 0; p < 8; ++p)
    if (mask & (1u << ((p + c.lowest_first) & 7))) return p;
  return 8;
}

int ir_of_priority(const Pic8259::Chip& c, int priority) { return (priority + c.lowest_first) & 7; }

uint32_t port_read(void* device, uint16_t port, unsigned size) {
  auto* pic = static_cast<Pic8259*>(device);
  uint32_t v = pic->read(port);
  for (unsigned i = 1; i < size; ++i) v |= 0xFFu << (8 * i);
  return v;
}

void port_write(void* device, uint16_t port, unsigned, uint32_t value) {
  static_cast<Pic8259*>(device)->write(port, static_cast<uint8_t>(value));
}

}  // namespace

void Pic8259::attach(IoBus& io) {
  io.map(0x20, 2, PortHandler{this, port_read, port_write});
  io.map(0xA0, 2, PortHandler{this, port_read, port_write});
  io.map(0x4D0, 2, PortHandler{this, port_read, port_write});
}

void Pic8259::set_input(Chip& c, unsigned line, bool level) {
  const uint8_t bit = static_cast<uint8_t>(1u << line);
  const bool was = c.lines & bit;
  if (level) {
    c.lines |= bit;
    // Edge mode latches a rising edge; level mode requests while the line is high.
    if (!was || c.level_mode || (c.elcr & bit)) c.irr |= bit;
  } else {
    c.lines &= static_cast<uint8_t>(~bit);
    // In both modes the request must still be there at the acknowledge (8259A datasheet:
    // "the IR input must remain high until the first INTA"); otherwise it is gone.
    c.irr &= static_cast<uint8_t>(~bit);
  }
}

void Pic8259::set_irq(unsigned irq, bool level) {
  if (irq >= 16) return;
  set_input(chips_[irq >> 3], irq & 7, level);
  update();
}

// The IR the chip would interrupt for now, or -1: the highest-priority unmasked request,
// if it beats everything in service (except what special mask mode hides).
int Pic8259::pending_irq(const Chip& c, bool is_master) const {
  const int request = priority_of(c, static_cast<uint8_t>(c.irr & ~c.imr));
  if (request == 8) return -1;
  uint8_t in_service = c.isr;
  if (c.special_mask) in_service &= static_cast<uint8_t>(~c.imr);
  // Special fully nested mode: a slave in service does not block its other requests.
  if (is_master && c.special_fully_nested) in_service &= static_cast<uint8_t>(~c.cascade);
  return request < priority_of(c, in_service) ? ir_of_priority(c, request) : -1;
}

// The acknowledge cycle for `irq` on one chip: the request becomes in service.
void Pic8259::take(Chip& c, int irq) {
  const uint8_t bit = static_cast<uint8_t>(1u << irq);
  if (!(c.level_mode || (c.elcr & bit))) c.irr &= static_cast<uint8_t>(~bit);
  if (c.auto_eoi) {
    if (c.rotate_on_auto_eoi) c.lowest_first = static_cast<uint8_t>((irq + 1) & 7);
  } else {
    c.isr |= bit;
  }
}

void Pic8259::update() {
  // The slave's INT output drives the master's IR2.
  if (pending_irq(chips_[kSlave], false) >= 0) int_out_[kSlave] = true;
  set_input(chips_[kMaster], 2, int_out_[kSlave]);
  if (pending_irq(chips_[kMaster], true) >= 0) int_out_[kMaster] = true;
  intr_ = int_out_[kMaster];
  if (listener_) listener_(listener_context_);
}

uint8_t Pic8259::acknowledge() {
  Chip& master = chips_[kMaster];
  Chip& slave = chips_[kSlave];
  uint8_t vector;
  const int irq = pending_irq(master, true);
  if (irq < 0) {
    vector = static_cast<uint8_t>(master.vector_base + 7);  // spurious IRQ 7
  } else {
    take(master, irq);
    if (irq == 2 && !master.single) {
      const int slave_irq = pending_irq(slave, false);
      int_out_[kSlave] = false;
      if (slave_irq < 0) {
        vector = static_cast<uint8_t>(slave.vector_base + 7);  // spurious IRQ 15
      } else {
        take(slave, slave_irq);
        vector = static_cast<uint8_t>(slave.vector_base + slave_irq);
      }
    } else {
      vector = static_cast<uint8_t>(master.vector_base + irq);
    }
  }
  int_out_[kMaster] = false;
  update();
  return vector;
}

// Poll mode (OCW3 P bit): the next read of the command port acknowledges the highest
// request and returns 0x80 | IR, or 0 if there is none.
uint8_t Pic8259::poll_read(int n) {
  Chip& c = chips_[n];
  c.poll = false;
  const int irq = pending_irq(c, n == kMaster);
  if (irq < 0) return 0;
  take(c, irq);
  int_out_[n] = false;
  update();
  return static_cast<uint8_t>(0x80 | irq);
}

void Pic8259::bios_setup(uint8_t master_mask, uint8_t slave_mask) {
  for (uint8_t v : {0x11, 0x08, 0x04, 0x01}) write(v == 0x11 ? 0x20 : 0x21, v);
  for (uint8_t v : {0x11, 0x70, 0x02, 0x01}) write(v == 0x11 ? 0xA0 : 0xA1, v);
  write(0x21, master_mask);
  write(0xA1, slave_mask);
}

bool Pic8259::can_interrupt(unsigned irq) const {
  if (irq >= 16) return false;
  if (irq < 8) return !(chips_[kMaster].imr & (1u << irq));
  return !(chips_[kSlave].imr & (1u << (irq - 8))) && !(chips_[kMaster].imr & 0x04);
}

uint8_t Pic8259::read(uint16_t port) {
  if (port == 0x4D0 || port == 0x4D1) return chips_[port & 1].elcr;
  const int n = port >= 0xA0 ? kSlave : kMaster;
  Chip& c = chips_[n];
  if (c.poll) return poll_read(n);
  if (port & 1) return c.imr;
  return c.read_isr ? c.isr : c.irr;
}

void Pic8259::write(uint16_t port, uint8_t value) {
  if (port == 0x4D0 || port == 0x4D1) {
    Chip& c = chips_[port & 1];
    c.elcr = value & kElcrWritable[port & 1];
  } else {
    Chip& c = chips_[port >= 0xA0 ? kSlave : kMaster];
    if (port & 1)
      write_data(c, value);
    else
      write_command(c, value);
  }
  update();
}

void Pic8259::write_command(Chip& c, uint8_t value) {
  if (value & 0x10) {  // ICW1: start initialization
    const uint8_t lines = c.lines, elcr = c.elcr;
    c = Chip{};
    c.lines = lines;  // the inputs stay as they are; only a new edge requests
    c.elcr = elcr;
    c.needs_icw4 = value & 0x01;
    c.single = value & 0x02;
    c.level_mode = value & 0x08;
    c.init_step = 1;
    int_out_[&c == &chips_[kMaster] ? kMaster : kSlave] = false;
    return;
  }
  if (value & 0x08) {  // OCW3
    if (value & 0x04) c.poll = true;
    if (value & 0x02) c.read_isr = value & 0x01;
    if (value & 0x40) c.special_mask = value & 0x20;
    return;
  }
  // OCW2: EOI and rotation. R (bit 7), SL (bit 6), EOI (bit 5), level in bits 0-2.
  const unsigned level = value & 7;
  switch (value >> 5) {
    case 0:  // rotate in automatic EOI mode: clear
    case 4:  // ... set
      c.rotate_on_auto_eoi = value & 0x80;
      break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      const int p = priority_of(c, c.isr);
      if (p == 8) break;
      const int irq = ir_of_priority(c, p);
      c.isr &= static_cast<uint8_t>(~(1u << irq));
      if (value & 0x80) c.lowest_first = static_cast<uint8_t>((irq + 1) & 7);
      break;
    }
    case 3:  // specific EOI
    case 7:  // rotate on specific EOI
      c.isr &= static_cast<uint8_t>(~(1u << level));
      if (value & 0x80) c.lowest_first = static_cast<uint8_t>((level + 1) & 7);
      break;
    case 6:  // set priority: `level` becomes the lowest
      c.lowest_first = static_cast<uint8_t>((level + 1) & 7);
      break;
    default:  // 2: no operation
      break;
  }
}

void Pic8259::write_data(Chip& c, uint8_t value) {
  switch (c.init_step) {
    case 1:  // ICW2
      c.vector_base = value & 0xF8;
      c.init_step = c.single ? (c.needs_icw4 ? 3 : 0) : 2;
      return;
    case 2:  // ICW3
      c.cascade = value;
      c.init_step = c.needs_icw4 ? 3 : 0;
      return;
    case 3:  // ICW4: bit 1 AEOI, bit 4 SFNM; 8086 mode and buffering do not matter here
      c.auto_eoi = value & 0x02;
      c.special_fully_nested = value & 0x10;
      c.init_step = 0;
      return;
    default:  // OCW1
      c.imr = value;
      return;
  }
}

}  // namespace rw
