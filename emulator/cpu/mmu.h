// Guest memory access from the CPU: the inline TLB hit path and the out-of-line
// page walk. Linear addresses in, host memory out; #PF and #GP raised as the SDM says.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu/cpu.h"

namespace rw::cpu {

// Page walk for `lin`; raises #PF (or #GP for non-canonical addresses). Returns the
// physical address and installs a TLB entry when the page is RAM.
// `user` selects user-mode permission checks.
uint64_t translate(Cpu& cpu, uint64_t lin, Access access, bool user);

template <class T> T read_slow(Cpu& cpu, uint64_t lin, bool user);
template <class T> void write_slow(Cpu& cpu, uint64_t lin, T value, bool user);

// Physical access with code-cache invalidation for writes; outside RAM reads all
// ones and writes are dropped.
template <class T> T phys_read(Cpu& cpu, uint64_t pa);
template <class T> void phys_write(Cpu& cpu, uint64_t pa, T value);

// Called when a write hits a 128-byte chunk holding decoded code (code_cache.cpp).
void invalidate_code(Cpu& cpu, uint64_t pa, unsigned len);
// Leave the running trace after the current instruction (a device register was written);
// a no-op outside a trace or at its last instruction, where the trace ends anyway.
void stop_trace_after_current(Cpu& cpu);
// Puts back the handler stop_trace_after_current replaced: called where a trace is left early.
void put_back_stand_in(Cpu& cpu);
inline void restore_stand_in(Cpu& cpu) {
  if (cpu.stand_in) [[unlikely]]
    put_back_stand_in(cpu);
}

inline bool user_mode(const Cpu& cpu) { return cpu.cpl == 3; }

template <class T>
inline T mem_read(Cpu& cpu, uint64_t lin) {
  const TlbEntry& e = cpu.tlb.current[kRead][Tlb::index(lin)];
  if (e.tag == (lin >> 12) && (lin & 4095) <= 4096 - sizeof(T)) [[likely]] {
    T v;
    std::memcpy(&v, e.host + (lin & 4095), sizeof(T));
    return v;
  }
  return read_slow<T>(cpu, lin, user_mode(cpu));
}

template <class T>
inline void mem_write(Cpu& cpu, uint64_t lin, T value) {
  const TlbEntry& e = cpu.tlb.current[kWrite][Tlb::index(lin)];
  if (e.tag == (lin >> 12) && (lin & 4095) <= 4096 - sizeof(T)) [[likely]] {
    std::memcpy(e.host + (lin & 4095), &value, sizeof(T));
    return;
  }
  write_slow<T>(cpu, lin, value, user_mode(cpu));
}

// Make sure a write to [lin, lin+size) would succeed, without writing: lets
// multi-step instructions fault before they change anything.
void probe_write(Cpu& cpu, uint64_t lin, unsigned size);

// Supervisor-privilege accesses made by the CPU itself (descriptor tables, TSS).
template <class T> inline T sys_read(Cpu& cpu, uint64_t lin) { return read_slow<T>(cpu, lin, false); }
template <class T> inline void sys_write(Cpu& cpu, uint64_t lin, T v) { write_slow<T>(cpu, lin, v, false); }

// Copy instruction bytes for the decoder; raises #PF if a byte is not executable.
void fetch_code(Cpu& cpu, uint64_t lin, uint8_t* dst, unsigned len);

}  // namespace rw::cpu
