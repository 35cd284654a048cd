// The I/O APIC (Intel 82093AA datasheet) at 0xFEC00000: 24 pins, each with a redirection
// entry (vector, delivery mode, destination, polarity, edge or level trigger, mask). The
// ISA IRQ lines reach it as SeaBIOS's MP table declares: IRQ 0 on pin 2, the others on
// the pin of their number. It sends its messages to the one local APIC.
//
// Edge-triggered pins send on a rising (asserted) edge while unmasked; an edge on a masked
// pin is lost, as the datasheet says. Level-triggered pins send while asserted and unmasked
// with the remote IRR clear, set it, and send again after the LAPIC's EOI for their vector
// if still asserted. Fixed and lowest-priority delivery go to the LAPIC; SMI, NMI, INIT and
// ExtINT delivery modes are not modelled (nothing is sent).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/mmio_bus.h"

namespace rw {

class LocalApic;

class IoApic {
 public:
  static constexpr uint64_t kBase = 0xFEC00000, kSize = 0x1000;
  static constexpr unsigned kPins = 24;
  // 24 entries, version 0x20 as QEMU's (the ICH's I/O APIC: it has the EOI register at
  // 0x40); the MP table's entry says 0x11, as SeaBIOS writes it.
  static constexpr uint32_t kVersion = 0x00170020;

  explicit IoApic(LocalApic& lapic) : lapic_(lapic) { redirection_.fill(kMaskedEntry); }
  IoApic(const IoApic&) = delete;
  IoApic& operator=(const IoApic&) = delete;

  void attach(MmioBus& mmio);
  // The pin an ISA IRQ line is wired to.
  static unsigned pin_of_isa_irq(unsigned irq) { return irq == 0 ? 2 : irq; }
  // Input pin `pin` is now at `level` (high: asserted, unless the entry says active low).
  void set_pin(unsigned pin, bool level);
  // The LAPIC's EOI for a level-triggered `vector`.
  void eoi(uint8_t vector);
  static void eoi_thunk(void* ioapic, uint8_t vector) { static_cast<IoApic*>(ioapic)->eoi(vector); }
  // Whether an interrupt on `pin` would be sent now (unmasked, a delivery mode that is modelled).
  bool can_interrupt(unsigned pin) const;

  // Register access: IOREGSEL (offset 0x00), IOWIN (0x10) and the EOI register (0x40: the
  // vector whose level-triggered pins get their remote IRR cleared).
  uint32_t read(uint32_t offset) const;
  void write(uint32_t offset, uint32_t value);
  uint32_t read_register(uint8_t index) const;
  void write_register(uint8_t index, uint32_t value);

  // As SeaBIOS leaves it: the ID of the MP table's I/O APIC entry.
  void bios_setup(uint8_t id) { id_ = uint32_t{id} << 24; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(id_, select_, redirection_, levels_);
  }
  std::string check_state() const { return {}; }

 private:
  static constexpr uint64_t kMaskedEntry = 1u << 16;
  bool asserted(unsigned pin) const;
  void service(unsigned pin);  // send a level-triggered pin's interrupt if it is due

  uint32_t id_ = 0;
  uint8_t select_ = 0;
  std::array<uint64_t, kPins> redirection_;
  uint32_t levels_ = 0;  // input pin levels
  LocalApic& lapic_;
};

}  // namespace rw
