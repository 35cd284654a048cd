#include "machine/mp_tables.h"

#include <cstring>
#include <vector>

#include "devices/io_apic.h"
#include "devices/local_apic.h"
#include "memory/physical_memory.h"

namespace rw {

namespace {

constexpr uint16_t kBaseMemoryKiB = 639;
constexpr uint16_t kEbdaSegment = 0x9FC0;

struct Bytes {
  std::vector<uint8_t> v;
  void u8(uint8_t x) { v.push_back(x); }
  void u16(uint16_t x) { u8(x & 0xFF), u8(static_cast<uint8_t>(x >> 8)); }
  void u32(uint32_t x) { u16(x & 0xFFFF), u16(static_cast<uint16_t>(x >> 16)); }
  void text(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) u8(static_cast<uint8_t>(s[i]));
  }
  // Sets the byte at `at` so that all bytes sum to zero.
  void checksum(size_t at) {
    uint8_t sum = 0;
    for (uint8_t b : v) sum = static_cast<uint8_t>(sum + b);
    v[at] = static_cast<uint8_t>(v[at] - sum);
  }
};

// An I/O (type 3) or local (type 4) interrupt assignment entry, conforming polarity and trigger.
void interrupt_entry(Bytes& t, uint8_t type, uint8_t irq_type, uint8_t bus_irq, uint8_t apic, uint8_t pin) {
  t.u8(type);
  t.u8(irq_type);
  t.u16(0);
  t.u8(0);  // source bus: ISA
  t.u8(bus_irq);
  t.u8(apic);
  t.u8(pin);
}

}  // namespace

void write_mp_tables(PhysicalMemory& memory, uint32_t cpu_signature, uint32_t cpu_features) {
  if (!memory.contains(0, 0x100000)) return;  // no BIOS area to write to
  // BIOS data area and the EBDA.
  const uint16_t bda_ebda = kEbdaSegment, bda_base = kBaseMemoryKiB;
  memory.write(0x40E, &bda_ebda, 2);
  memory.write(0x413, &bda_base, 2);
  const uint8_t ebda_kib = 1;
  memory.write(uint64_t{kEbdaSegment} << 4, &ebda_kib, 1);

  Bytes t;
  t.text("PCMP", 4);
  t.u16(0);  // base table length, set below
  t.u8(4);   // specification revision 1.4
  t.u8(0);   // checksum
  t.text("BOCHSCPU", 8);
  t.text("0.1         ", 12);
  t.u32(0);  // OEM table pointer
  t.u16(0);  // OEM table size
  t.u16(0);  // entry count, set below
  t.u32(static_cast<uint32_t>(LocalApic::kBase));
  t.u16(0);  // extended table length
  t.u8(0);   // extended table checksum
  t.u8(0);
  uint16_t entries = 0;

  // Processor: LAPIC 0, enabled, the bootstrap processor.
  t.u8(0);
  t.u8(0);
  t.u8(LocalApic::kVersion & 0xFF);
  t.u8(0x03);
  t.u32(cpu_signature);
  t.u32(cpu_features);
  t.u32(0);
  t.u32(0);
  ++entries;
  // Bus 0: ISA.
  t.u8(1);
  t.u8(0);
  t.text("ISA   ", 6);
  ++entries;
  // The I/O APIC.
  t.u8(2);
  t.u8(kMpIoApicId);
  t.u8(0x11);
  t.u8(0x01);  // usable
  t.u32(static_cast<uint32_t>(IoApic::kBase));
  ++entries;
  for (uint8_t irq = 0; irq < 16; ++irq) {
    if (irq == 2 || irq == 5 || irq == 9 || irq == 10 || irq == 11) continue;
    interrupt_entry(t, 3, 0 /* INT */, irq, kMpIoApicId, static_cast<uint8_t>(IoApic::pin_of_isa_irq(irq)));
    ++entries;
  }
  interrupt_entry(t, 4, 3 /* ExtINT */, 0, 0, 0);
  interrupt_entry(t, 4, 1 /* NMI */, 0, 0xFF, 1);
  entries += 2;
  const auto length = static_cast<uint16_t>(t.v.size());
  std::memcpy(&t.v[4], &length, 2);
  std::memcpy(&t.v[34], &entries, 2);
  t.checksum(7);

  Bytes fp;
  fp.text("_MP_", 4);
  fp.u32(static_cast<uint32_t>(kMpConfigTable));
  fp.u8(1);  // length in 16-byte paragraphs
  fp.u8(4);  // revision 1.4
  fp.u8(0);  // checksum
  fp.u8(0);  // feature 1: a configuration table is present
  fp.u8(0);  // feature 2: bit 7 clear, virtual wire mode (no IMCR needed), as SeaBIOS says
  fp.u8(0), fp.u8(0), fp.u8(0);
  fp.checksum(10);

  memory.write(kMpFloatingPointer, fp.v.data(), fp.v.size());
  memory.write(kMpConfigTable, t.v.data(), t.v.size());
}

}  // namespace rw
