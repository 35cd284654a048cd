#include "cpu/mmu.h"

#include "core/mmio_bus.h"
#include "cpu/debug.h"
#include "cpu/fault.h"
#include "memory/physical_memory.h"

namespace rw::cpu {
namespace {

constexpr uint64_t kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80;
constexpr uint64_t kNX = uint64_t{1} << 63;
constexpr uint64_t kAddrBits = 0x000FFFFFFFFFF000ull;

bool canonical(uint64_t lin) { return static_cast<uint64_t>(static_cast<int64_t>(lin << 16) >> 16) == lin; }

[[noreturn]] void page_fault(Cpu& cpu, uint64_t lin, Access access, bool user, bool present, bool rsvd = false) {
  uint32_t code = (present ? 1u : 0u) | (access == kWrite ? 2u : 0u) | (user ? 4u : 0u) | (rsvd ? 8u : 0u);
  if (access == kExec && (cpu.efer & efer::NXE)) code |= 16u;
  cpu.cr2 = lin;
  raise_fault(vec::PF, code);
}

uint64_t read_entry(Cpu& cpu, uint64_t pa, bool wide) {
  pa &= cpu.a20_mask;
  if (wide) return phys_read<uint64_t>(cpu, pa);
  return phys_read<uint32_t>(cpu, pa);
}

void write_entry(Cpu& cpu, uint64_t pa, uint64_t value, bool wide) {
  pa &= cpu.a20_mask;
  if (wide)
    phys_write<uint64_t>(cpu, pa, value);
  else
    phys_write<uint32_t>(cpu, pa, static_cast<uint32_t>(value));
}

struct Walk {
  uint64_t phys_page;
  bool writable;    // every level allows writes
  bool user_ok;     // every level allows user access
  bool executable;  // no level has NX
};

// Walk the guest page tables. Sets accessed bits (and dirty on writes) only once the
// access is known to be allowed.
uint64_t walk(Cpu& cpu, uint64_t lin, Access access, bool user) {
  const bool long_mode = cpu.long_mode();
  const bool pae = cpu.cr4 & cr4::PAE;
  const bool nxe = cpu.efer & efer::NXE;
  const bool wide = pae || long_mode;

  uint64_t entries_pa[4];
  uint64_t entries[4];
  int levels = 0;
  uint64_t page_size;
  uint64_t frame;

  uint64_t table;
  int first_shift;
  if (long_mode) {
    table = cpu.cr3 & kAddrBits;
    first_shift = 39;
  } else if (pae) {
    uint64_t pdpte_pa = (cpu.cr3 & 0xFFFFFFE0) + ((lin >> 30) & 3) * 8;
    uint64_t pdpte = phys_read<uint64_t>(cpu, pdpte_pa & cpu.a20_mask);
    if (!(pdpte & kP)) page_fault(cpu, lin, access, user, false);
    table = pdpte & kAddrBits;
    first_shift = 21;
  } else {
    table = cpu.cr3 & 0xFFFFF000;
    first_shift = 22;
  }

  bool writable = true, user_ok = true, executable = true;
  for (int shift = first_shift;; shift -= wide ? 9 : 10) {
    uint64_t index = wide ? (lin >> shift) & 511 : (lin >> shift) & 1023;
    uint64_t pa = table + index * (wide ? 8 : 4);
    uint64_t e = read_entry(cpu, pa, wide);
    if (!(e & kP)) page_fault(cpu, lin, access, user, false);
    if ((e & kNX) && !nxe && wide) page_fault(cpu, lin, access, user, true, true);
    entries_pa[levels] = pa;
    entries[levels] = e;
    ++levels;
    writable &= (e & kRW) != 0;
    user_ok &= (e & kUS) != 0;
    if (nxe && (e & kNX)) executable = false;
    bool leaf = shift == 12;
    if (!leaf && (e & kPS)) {
      if (shift == 39) page_fault(cpu, lin, access, user, true, true);
      if (!wide && !(cpu.cr4 & cr4::PSE)) {
        // PS is ignored without CR4.PSE: this is a page table.
      } else {
        leaf = true;
      }
    }
    if (leaf) {
      page_size = uint64_t{1} << shift;
      if (wide) {
        frame = (e & kAddrBits) & ~(page_size - 1);
      } else if (shift == 22) {
        frame = (e & 0xFFC00000) | ((e & 0x001FE000) << 19);  // PSE-36 high bits
      } else {
        frame = e & 0xFFFFF000;
      }
      break;
    }
    table = wide ? (e & kAddrBits) : (e & 0xFFFFF000);
  }

  // Permission checks.
  if (user && !user_ok) page_fault(cpu, lin, access, user, true);
  if (access == kWrite && !writable && (user || (cpu.cr0 & cr0::WP))) page_fault(cpu, lin, access, user, true);
  if (access == kExec && !executable) page_fault(cpu, lin, access, user, true);

  // Accessed bits on every level, dirty on the leaf for writes.
  for (int l = 0; l < levels; ++l) {
    uint64_t e = entries[l];
    uint64_t want = e | kA;
    if (l == levels - 1 && access == kWrite) want |= kD;
    if (want != e) write_entry(cpu, entries_pa[l], want, wide);
  }
  return (frame + (lin & (page_size - 1))) & ~uint64_t{4095};
}

}  // namespace

uint64_t translate(Cpu& cpu, uint64_t lin, Access access, bool user) {
  uint64_t phys_page;
  if (cpu.long_mode()) {
    if (!canonical(lin)) raise_fault(vec::GP, 0);
  } else {
    lin &= 0xFFFFFFFF;
  }
  if (cpu.paging()) {
    phys_page = walk(cpu, lin, access, user);
  } else {
    phys_page = lin & ~uint64_t{4095};
  }
  phys_page &= cpu.a20_mask;  // the A20 gate: only here and in the walk, off the TLB's hit path
  PhysicalMemory& mem = *cpu.mem;
  if (mem.contains(phys_page, 4096)) {
    bool install = access != kWrite || mem.code_chunks(phys_page >> 12) == 0;
    // Pages with a watchpoint stay out of the TLB so that every access is checked.
    if (cpu.debug && access != kExec && cpu.debug->page_watched(lin >> 12)) install = false;
    if (access == kWrite) mem.mark_page_written(phys_page >> 12);
    if (install) {
      TlbEntry& e = cpu.tlb.entries[user ? 1 : 0][access][Tlb::index(lin)];
      e.tag = lin >> 12;
      e.host = mem.host(phys_page);
      e.phys = phys_page;
    }
  }
  return phys_page | (lin & 4095);
}

template <class T>
T phys_read(Cpu& cpu, uint64_t pa) {
  PhysicalMemory& mem = *cpu.mem;
  if (mem.contains(pa, sizeof(T))) {
    T v;
    std::memcpy(&v, mem.host(pa), sizeof(T));
    return v;
  }
  // Device registers (never in the TLB, so only this slow path gets here).
  if (cpu.mmio) return static_cast<T>(cpu.mmio->read(pa, sizeof(T)));
  return static_cast<T>(~T{0});
}

template <class T>
void phys_write(Cpu& cpu, uint64_t pa, T value) {
  PhysicalMemory& mem = *cpu.mem;
  if (!mem.contains(pa, sizeof(T))) {
    // A device register: what the write changes (an interrupt raised by an EOI or a self
    // IPI, a timer armed) is seen at the next instruction boundary.
    if (cpu.mmio && cpu.mmio->write(pa, sizeof(T), value)) stop_trace_after_current(cpu);
    return;
  }
  std::memcpy(mem.host(pa), &value, sizeof(T));
  mem.mark_page_written(pa >> 12);
  uint64_t off = pa & 4095;
  uint32_t chunks = mem.code_chunks(pa >> 12);
  if (chunks && (off + sizeof(T) <= 4096 ? (chunks & PhysicalMemory::chunk_mask(off, sizeof(T))) : true))
    invalidate_code(cpu, pa, sizeof(T));
}

template <class T>
T read_slow(Cpu& cpu, uint64_t lin, bool user) {
  if (!cpu.long_mode()) lin &= 0xFFFFFFFF;
  if ((lin & 4095) + sizeof(T) <= 4096) {
    T v = phys_read<T>(cpu, translate(cpu, lin, kRead, user));
    if (cpu.debug) [[unlikely]] check_watchpoints(cpu, lin, sizeof(T), false);
    return v;
  }
  // Crosses a page: translate both pages before reading anything.
  uint64_t first = translate(cpu, lin, kRead, user);
  uint64_t next_lin = (lin & cpu.lin_mask) + sizeof(T) - 1;
  uint64_t second = translate(cpu, next_lin & ~uint64_t{4095}, kRead, user);
  unsigned n1 = 4096 - (lin & 4095);
  uint8_t bytes[sizeof(T)];
  for (unsigned i = 0; i < sizeof(T); ++i)
    bytes[i] = i < n1 ? phys_read<uint8_t>(cpu, first + i) : phys_read<uint8_t>(cpu, second + (i - n1));
  T v;
  std::memcpy(&v, bytes, sizeof(T));
  if (cpu.debug) [[unlikely]] check_watchpoints(cpu, lin, sizeof(T), false);
  return v;
}

template <class T>
void write_slow(Cpu& cpu, uint64_t lin, T value, bool user) {
  if (!cpu.long_mode()) lin &= 0xFFFFFFFF;
  if ((lin & 4095) + sizeof(T) <= 4096) {
    phys_write<T>(cpu, translate(cpu, lin, kWrite, user), value);
    if (cpu.debug) [[unlikely]] check_watchpoints(cpu, lin, sizeof(T), true);
    return;
  }
  uint64_t first = translate(cpu, lin, kWrite, user);
  uint64_t next_lin = (lin & cpu.lin_mask) + sizeof(T) - 1;
  uint64_t second = translate(cpu, next_lin & ~uint64_t{4095}, kWrite, user);
  unsigned n1 = 4096 - (lin & 4095);
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  for (unsigned i = 0; i < sizeof(T); ++i) {
    if (i < n1)
      phys_write<uint8_t>(cpu, first + i, bytes[i]);
    else
      phys_write<uint8_t>(cpu, second + (i - n1), bytes[i]);
  }
  if (cpu.debug) [[unlikely]] check_watchpoints(cpu, lin, sizeof(T), true);
}

void probe_write(Cpu& cpu, uint64_t lin, unsigned size) {
  if (!cpu.long_mode()) lin &= 0xFFFFFFFF;
  const TlbEntry& e = cpu.tlb.current[kWrite][Tlb::index(lin)];
  if (e.tag == (lin >> 12) && (lin & 4095) + size <= 4096) return;
  translate(cpu, lin, kWrite, user_mode(cpu));
  if ((lin & 4095) + size > 4096) translate(cpu, ((lin + size - 1) & cpu.lin_mask) & ~uint64_t{4095}, kWrite, user_mode(cpu));
}

void fetch_code(Cpu& cpu, uint64_t lin, uint8_t* dst, unsigned len) {
  while (len > 0) {
    if (!cpu.long_mode()) lin &= 0xFFFFFFFF;
    unsigned n = std::min<unsigned>(len, 4096 - (lin & 4095));
    uint64_t pa = translate(cpu, lin, kExec, user_mode(cpu));
    for (unsigned i = 0; i < n; ++i) dst[i] = phys_read<uint8_t>(cpu, pa + i);
    dst += n;
    lin += n;
    len -= n;
  }
}

#define REWIND_MMU_INSTANTIATE(T)                             \
  template T read_slow<T>(Cpu&, uint64_t, bool);              \
  template void write_slow<T>(Cpu&, uint64_t, T, bool);       \
  template T phys_read<T>(Cpu&, uint64_t);                    \
  template void phys_write<T>(Cpu&, uint64_t, T);
REWIND_MMU_INSTANTIATE(uint8_t)
REWIND_MMU_INSTANTIATE(uint16_t)
REWIND_MMU_INSTANTIATE(uint32_t)
REWIND_MMU_INSTANTIATE(uint64_t)

}  // namespace rw::cpu
