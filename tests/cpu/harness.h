// Differential testing of the emulated CPU against the host CPU: the same instruction
// bytes on the same inputs, run natively (a generated stub on an RWX page) and in a
// long-mode guest (one instruction, then compare GPRs, defined flags and memory).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/io_bus.h"
#include "cpu/cpu.h"
#include "memory/physical_memory.h"

namespace rw::cpu {
class CodeCache;
}

namespace rw::cputest {

// The state both runners take and return: RAX..R15 in encoding order (RSP is ignored
// on input and not compared), then RFLAGS.
struct Regs {
  uint64_t gpr[16] = {};
  uint64_t rflags = 0x2;
};

// Reproducible, fast PRNG (xoshiro256**, seeded by splitmix64).
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(unsigned one_in) { return below(one_in) == 0; }

 private:
  uint64_t s_[4];
};

// The seed for this run: REWIND_CPU_SEED from the environment, else a fixed default.
uint64_t test_seed();

// A value biased toward the edges of some operand width: 0, 1, -1, sign boundaries,
// small numbers (shift counts), powers of two, in random upper-bit garbage.
uint64_t edge_value(Rng& rng);

// Random register file and arithmetic flags.
Regs random_regs(Rng& rng);

// A data window that straddles a page boundary, both natively and in the guest.
constexpr unsigned kWindowBytes = 512;
constexpr unsigned kWindowBefore = 256;  // bytes of the window below the page boundary

// Runs instruction bytes on the host CPU. One stub per encoding, reused for any
// number of inputs. The stub loads every GPR but RSP and RFLAGS, executes the bytes,
// and stores every GPR but RSP and RFLAGS back.
class NativeRunner {
 public:
  NativeRunner();
  ~NativeRunner();
  NativeRunner(const NativeRunner&) = delete;
  NativeRunner& operator=(const NativeRunner&) = delete;

  void load(std::span<const uint8_t> code);
  void run(const Regs& in, Regs& out);

  // The native data window: kWindowBytes with a page boundary kWindowBefore bytes in;
  // below 4 GiB, so 32-bit address forms can reach it.
  uint8_t* window() { return data_ + 4096 - kWindowBefore; }
  uint64_t window_address() const { return reinterpret_cast<uint64_t>(data_) + 4096 - kWindowBefore; }

 private:
  uint8_t* code_ = nullptr;
  uint8_t* data_ = nullptr;
  void (*entry_)(Regs*) = nullptr;
};

// A bare CPU in 64-bit long mode over 4 MiB of identity-mapped RAM (2 MiB pages), a
// flat 64-bit code segment, and an IDT whose every exception vector v goes to a HLT at
// kHandlerBase + 16 * v.
class EmuRunner {
 public:
  static constexpr uint64_t kHandlerBase = 0x6000;
  static constexpr uint64_t kStackTop = 0x80000;
  static constexpr uint64_t kWindowPage = 0x101000;  // page boundary inside the data window
  static constexpr uint64_t kCodeBase = 0x200000;
  static constexpr uint64_t kCodeEnd = 0x400000;
  static constexpr uint64_t kSlotBytes = 32;

  EmuRunner();
  ~EmuRunner();
  EmuRunner(const EmuRunner&) = delete;
  EmuRunner& operator=(const EmuRunner&) = delete;

  // Copies the bytes followed by HLT to a fresh code slot (never decoded before),
  // so the decoded-trace cache never holds stale code. Returns the slot's address.
  // With page_split > 0 the bytes start that many bytes before a page boundary.
  uint64_t place(std::span<const uint8_t> code, unsigned page_split = 0);

  // Runs `count` instructions from `rip`; RSP is set to kStackTop, RFLAGS from `in`.
  // Returns RIP afterwards (in a handler at kHandlerBase if an exception was raised).
  uint64_t run(uint64_t rip, unsigned count, const Regs& in, Regs& out);

  uint8_t* window() { return memory_.host(window_address()); }
  static constexpr uint64_t window_address() { return kWindowPage - kWindowBefore; }

  cpu::Cpu& cpu() { return cpu_; }
  PhysicalMemory& memory() { return memory_; }

 private:
  PhysicalMemory memory_;
  IoBus io_;
  cpu::Cpu cpu_;
  std::unique_ptr<cpu::CodeCache> cache_;
  uint64_t next_slot_ = kCodeBase;
};

std::string hex_bytes(std::span<const uint8_t> bytes);
std::string flags_string(uint64_t f);

}  // namespace rw::cputest
