// x86 instruction decoder: bytes at CS:RIP -> Insn with its handler chosen.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/insn.h"

namespace rw::cpu {

struct DecodeInfo {
  bool ends_trace = false;   // control transfer or state change: the trace stops after it
  bool crosses_page = false; // instruction bytes span two pages
  uint64_t last_byte_lin = 0;
};

// Decodes the instruction at `rip` in the current mode. Raises #PF if its bytes cannot
// be fetched. Invalid or unimplemented encodings decode to handlers that raise #UD.
DecodeInfo decode(Cpu& cpu, uint64_t rip, Insn& out);

}  // namespace rw::cpu
