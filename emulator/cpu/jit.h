// The translator: a decoded trace (code_cache.h) compiled to host code that does what the
// interpreter's handlers would, instruction for instruction. The common integer forms
// (MOV, the ALU, LEA, MOVZX/MOVSX, INC/DEC/NEG/NOT, Jcc, JMP, and in 64-bit code PUSH,
// POP, CALL, RET) are inline, with the software TLB's hit path for memory operands; every
// other instruction calls its interpreter handler. Guest registers stay in Cpu.
//
// Precise state at a fault: the host code keeps, for each instruction k, a copy of its
// Insn (copies[2k]) and after it a marker (copies[2k+1], which stands for the next
// instruction: its idx and off). Before anything that may raise, the code sets
// cpu.current to the copy; the exception (GuestFault, TraceStop) unwinds through the
// host code (its frame is described to the unwinder) into the CPU loop, which finds the
// instruction from cpu.current as it does for the interpreter. A code overwrite
// (CodeCache::flush) or a device write (stop_trace_after_current) replaces the marker of
// the next instruction with one that leaves the trace, as it does in the interpreter's
// trace: a called handler runs its marker at its end; after a memory access's slow path
// the code looks whether the marker was replaced, and then finishes the instruction and
// leaves (a write), or leaves before it, to run it again from the new code (a read, which
// always comes before its instruction changes anything).
//
// Executable memory is never writable at the same time: it is mapped read-write to
// write a translation and read-execute to run it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/insn.h"

namespace rw::cpu {

struct TraceEntry;

class Translator {
 public:
  Translator();
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Compile trace `t` (decoded as `insns`, in `mode`): sets t.native and t.copies, or
  // returns false when the trace cannot be translated (it is then interpreted).
  bool translate(TraceEntry& t, const Insn* insns, CodeSize mode);

  // Forget every translation. Called when the code cache is flushed, possibly from inside
  // a running translation: the memory is reused only at the next translate().
  void reset() { reset_pending_ = true; }

  // Run translated code `native` (from translate()) on `cpu`.
  void run(Cpu& cpu, const void* native) const { entry_(&cpu, native); }

  // The last translate() failed for want of room (reset() makes room).
  bool full() const { return full_; }

 private:
  void reset_now();
  uint8_t* code_ = nullptr;  // kCodeSize bytes: the entry and exit, then translations
  size_t code_used_ = 0;
  size_t code_start_ = 0;  // where translations begin
  void (*entry_)(Cpu*, const void*) = nullptr;
  size_t exit_ = 0;  // offset of the common exit
  // The instructions' copies, in chunks allocated as translations need them (a chunk's
  // address never changes: the code holds pointers into it).
  std::vector<std::unique_ptr<Insn[]>> copy_chunks_;
  size_t chunk_ = 0;        // the chunk in use
  size_t chunk_used_ = 0;   // copies used in it
  bool reset_pending_ = false;
  bool full_ = false;
  std::vector<uint8_t> eh_frame_;  // registered with the unwinder
};

}  // namespace rw::cpu
