// The PC/AT pair of 8259A interrupt controllers: master at 0x20/0x21, slave at
// 0xA0/0xA1 cascaded on the master's IR2, and the edge/level control registers
// (ELCR) at 0x4D0/0x4D1. The master's INT output is the CPU's INTR pin.
//
// Like the real part, each chip's INT output stays asserted once raised until its
// acknowledge: if the request has gone by then (an edge-triggered line dropped, the IRQ
// was masked), the acknowledge returns the chip's IR7 vector (spurious IRQ 7, or 15
// with the master's IR2 in service), without setting ISR, as the datasheet says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rw {

class IoBus;

class Pic8259 {
 public:
  // The state of one 8259A. Plain data, so that snapshots can copy it.
  struct Chip {
    uint8_t irr = 0;           // requests latched
    uint8_t isr = 0;           // in service
    uint8_t imr = 0;           // masked
    uint8_t lines = 0;         // input levels now (edge detection)
    uint8_t elcr = 0;          // level-triggered inputs (ELCR)
    uint8_t vector_base = 0;   // ICW2 & 0xF8
    uint8_t cascade = 0;       // ICW3
    uint8_t lowest_first = 0;  // rotation: the IR with the highest priority
    uint8_t init_step = 0;     // 0: operational; 1-3: expecting ICW2-ICW4
    bool needs_icw4 = false, single = false, level_mode = false;  // ICW1 bits
    bool auto_eoi = false, rotate_on_auto_eoi = false, special_fully_nested = false;
    bool special_mask = false, read_isr = false, poll = false;
    template <class Archive>
    void serialize(Archive& ar) {
      ar(irr, isr, imr, lines, elcr, vector_base, cascade, lowest_first, init_step, needs_icw4, single, level_mode,
         auto_eoi, rotate_on_auto_eoi, special_fully_nested, special_mask, read_isr, poll);
    }
  };

  // `intr` is the CPU's INTR pin.
  explicit Pic8259(bool& intr) : intr_(intr) {}
  Pic8259(const Pic8259&) = delete;
  Pic8259& operator=(const Pic8259&) = delete;

  void attach(IoBus& io);

  // ISA IRQ line 0-15 (8-15 on the slave) is now at `level`.
  void set_irq(unsigned irq, bool level);
  // The CPU's interrupt acknowledge cycle: returns the vector to deliver.
  uint8_t acknowledge();

  // Port access (0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1).
  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);

  // As a PC BIOS leaves the pair: vectors 0x08 and 0x70, cascade on IR2, the given masks.
  void bios_setup(uint8_t master_mask, uint8_t slave_mask);
  // Machine state save, restore and digests (machine/machine_state.cpp): every register and latch.
  // The CPU's INTR pin is part of the CPU's state.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(chips_[0], chips_[1], int_out_[0], int_out_[1]);
  }
  // Empty if a restored state is one this controller can run from; else what is wrong.
  std::string check_state() const {
    for (const Chip& c : chips_)
      if (c.init_step > 3) return "pic: initialization step out of range";
    return {};
  }

  // Whether a request on ISA line `irq` could interrupt the CPU now (not masked, and
  // for the slave's lines the cascade not masked either).
  bool can_interrupt(unsigned irq) const;

  // Called whenever the INT output may have changed (the local APIC decides where it goes).
  void set_output_listener(void (*listener)(void*), void* context) {
    listener_ = listener;
    listener_context_ = context;
  }

  const Chip& chip(int n) const { return chips_[n]; }
  bool int_output() const { return int_out_[kMaster]; }

  // Plain-function adapters for Machine::attach_interrupt_controller and Cpu.
  static void set_irq_thunk(void* pic, unsigned irq, bool level) { static_cast<Pic8259*>(pic)->set_irq(irq, level); }
  static uint8_t acknowledge_thunk(void* pic) { return static_cast<Pic8259*>(pic)->acknowledge(); }

 private:
  static constexpr int kMaster = 0, kSlave = 1;
  void set_input(Chip& c, unsigned line, bool level);
  int pending_irq(const Chip& c, bool is_master) const;
  void take(Chip& c, int irq);
  void update();
  void write_command(Chip& c, uint8_t value);
  void write_data(Chip& c, uint8_t value);
  uint8_t poll_read(int n);

  Chip chips_[2];
  bool int_out_[2] = {false, false};  // INT outputs, latched until acknowledged
  bool& intr_;
  void (*listener_)(void*) = nullptr;
  void* listener_context_ = nullptr;
};

}  // namespace rw
