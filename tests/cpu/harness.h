// Differential testing of the emulated CPU against the host CPU: the same instruction
// bytes on the same inputs, run natively (a generated stub on an RWX page) and in a
// long-mode guest (one instruction, then compare GPRs, defined flags and memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io_bus.h"
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "memory/physical_memory.h"

namespace rw::cpu {
class CodeCache;
}

namespace rw::cputest {

// The x87 state as the x87 part of an FXSAVE64 image (SDM vol. 1, table 10-2): FCW, FSW
// (TOP in bits 11-13), the abridged tag word (a bit per physical register, set = not
// empty), FOP, the 64-bit FIP and FDP, then ST(0)-ST(7) in stack order, 16 bytes each
// (10 used). Bytes 24-31 (MXCSR's) are not part of it and stay zero.
struct X87Regs {
  struct Reg {
    uint64_t significand = 0;  // with the explicit integer bit (63)
    uint16_t sign_exponent = 0;
    uint16_t pad[3] = {};
    bool operator==(const Reg&) const = default;
  };
  uint16_t fcw = 0x37F;
  uint16_t fsw = 0;
  uint8_t ftw = 0;
  uint8_t reserved = 0;
  uint16_t fop = 0;
  uint64_t fip = 0;
  uint64_t fdp = 0;
  uint32_t unused[2] = {};
  Reg st[8];
  unsigned top() const { return (fsw >> 11) & 7; }
  // Whether ST(i) is empty (its physical register's tag).
  bool empty(unsigned i) const { return !((ftw >> ((top() + i) & 7)) & 1); }
  void set_empty(unsigned i, bool e) {
    const unsigned bit = (top() + i) & 7;
    ftw = static_cast<uint8_t>(e ? ftw & ~(1u << bit) : ftw | (1u << bit));
  }
};
static_assert(sizeof(X87Regs) == 160);

// FSW and FCW bits.
namespace x87b {
constexpr uint16_t IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5, SF = 1 << 6,
                   ES = 1 << 7, C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, B = 1 << 15,
                   kFlags = 0x3F, kTop = 7 << 11, kCc = C0 | C1 | C2 | C3;
constexpr uint16_t kPc = 3 << 8, kRc = 3 << 10;
}  // namespace x87b

// The state both runners take and return: RAX..R15 in encoding order (RSP is ignored
// on input and not compared), RFLAGS, then MXCSR and XMM0-15 (loaded and stored only by
// the runs that ask for them: NativeRunner::load(code, true); the emulator always), then
// the x87 state (only by the runs that ask for it: NativeRunner::load(code, true, true)).
struct Regs {
  uint64_t gpr[16] = {};
  uint64_t rflags = 0x2;
  uint32_t mxcsr = cpu::mxcsr::kReset;
  uint32_t unused = 0;
  cpu::Xmm xmm[16];
  X87Regs x87;
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

// Copies the GPRs and RFLAGS, with `simd` MXCSR, XMM0-15 and the x87 state too.
inline void copy_regs(Regs& to, const Regs& from, bool simd) {
  std::memcpy(static_cast<void*>(&to), &from, simd ? sizeof(Regs) : offsetof(Regs, mxcsr));
}

// Random register file and arithmetic flags (fill_random_regs: the GPRs and RFLAGS of `s`).
Regs random_regs(Rng& rng);
void fill_random_regs(Regs& s, Rng& rng);

// What an XMM value is made of: integer lanes of a random width, single or double
// precision floats, or a shift count in the low quadword (PSRLW xmm, xmm/m128 ...).
enum class Lanes : uint8_t { Int, F32, F64, Count };

// Floating-point values biased to the edges: ±0, ±denormals (smallest, largest, random),
// the smallest and largest normals, ±infinity, QNaN and SNaN with random payloads and
// signs, 1.0 and its neighbours, halves and the integer limits that conversions round
// at, tiny and huge exponents, values of the magnitude `exponent` (unbiased: operands
// of one case share it, so sums cancel and round), random bits.
uint32_t edge_f32(Rng& rng, int exponent);
uint64_t edge_f64(Rng& rng, int exponent);

// An XMM value of `lanes` (Lanes::F32 and F64 with the case's shared exponent).
cpu::Xmm random_xmm(Rng& rng, Lanes lanes, int exponent);

// An MXCSR: any rounding mode, FTZ and DAZ on or off, random sticky flags, all
// exceptions masked in most cases and a random subset unmasked in the others.
uint32_t random_mxcsr(Rng& rng);

// MXCSR, and XMM0-15: those of `operands` (a bit per register) edge values, mostly of
// `lanes`, some of another kind, the first two alike or nearly now and then; the others
// random bits.
void random_simd(Regs& s, Rng& rng, Lanes lanes, uint16_t operands);

// An 80-bit extended-precision value biased to the edges as edge_f32 and edge_f64 are
// (zeros, denormals and pseudo-denormals, the smallest and largest normals, infinities,
// QNaNs and SNaNs with payloads, the real indefinite), plus the encodings the x87 refuses as
// operands (unnormals, pseudo-NaNs, pseudo-infinities), integers and halves near 2^15, 2^31
// and 2^63 (where FIST rounds and overflows), values exactly representable in single or
// double precision and values half an ulp of them away (FST and precision control round
// there), and values of the magnitude `exponent`.
X87Regs::Reg edge_f80(Rng& rng, int exponent);

// A random x87 state: FCW of any rounding and (valid) precision control, all exceptions
// masked in most cases, some unmasked in the others; FSW with random condition codes, TOP
// and sticky flags of masked exceptions (ES and B clear), or, in one case in
// `pending_one_in` (0: never), an unmasked flag set with ES and B (an exception pending:
// the next waiting instruction raises #MF); a register in eight empty; edge values
// (edge_f80) of one magnitude, ST(1) like ST(0) or nearly now and then; FOP, FIP and FDP
// random where an exception is pending (only then are they loaded alike on every vendor),
// zero otherwise.
void random_x87(X87Regs& x, Rng& rng, unsigned pending_one_in = 24);

// ES and B as the unmasked flags of `fsw` under `fcw` say.
uint16_t x87_consistent_fsw(uint16_t fsw, uint16_t fcw);

// A data window that straddles a page boundary, both natively and in the guest.
constexpr unsigned kWindowBytes = 512;
constexpr unsigned kWindowBefore = 256;  // bytes of the window below the page boundary

// No exception: what NativeRunner::run returns when the bytes ran to their end.
constexpr int kNoFault = -1;

// Runs instruction bytes on the host CPU. One stub per encoding, reused for any
// number of inputs. The stub loads every GPR but RSP and RFLAGS, executes the bytes,
// and stores every GPR but RSP and RFLAGS back. With `simd` it loads and stores
// XMM0-15 and MXCSR too, and keeps the host's x87/SSE state (FXSAVE at entry, FXRSTOR
// at exit): the test process's MXCSR is its own again afterwards.
class NativeRunner {
 public:
  NativeRunner();
  ~NativeRunner();
  NativeRunner(const NativeRunner&) = delete;
  NativeRunner& operator=(const NativeRunner&) = delete;

  void load(std::span<const uint8_t> code, bool simd = false, bool x87 = false);
  // A stub loaded without `simd` leaves out's MXCSR and XMM0-15 as they were.
  // With `x87` (implies `simd`) the stub loads in.x87 with FXRSTOR64 before the bytes (in
  // place of FNINIT) and stores out.x87 with FXSAVE64 after them (at a fault, from the
  // signal frame, which holds the state at the fault).
  // Returns kNoFault, or, while a NativeFaultCatcher is alive, the vector of the
  // exception the bytes raised (the kernel's trap number: 19 for #XM (SIGFPE), 13 for
  // #GP, 6 for #UD ...); `out` is then the state at the fault, from the signal context,
  // and last_fault() says where it was and its error code.
  int run(const Regs& in, Regs& out);

  struct Fault {
    unsigned offset = 0;  // of the faulting instruction in the bytes
    uint64_t error = 0;   // the error code (the kernel's: 0 for #GP(0))
  };
  const Fault& last_fault() const { return fault_; }

  // The native data window: kWindowBytes with a page boundary kWindowBefore bytes in;
  // below 4 GiB, so 32-bit address forms can reach it.
  uint8_t* window() { return data_ + 4096 - kWindowBefore; }
  uint64_t window_address() const { return reinterpret_cast<uint64_t>(data_) + 4096 - kWindowBefore; }
  // Where the bytes under test start in the stub (the FIP an x87 exception of theirs leaves).
  uint64_t code_address() const { return reinterpret_cast<uint64_t>(code_) + code_begin_; }

 private:
  uint8_t* code_ = nullptr;
  uint8_t* data_ = nullptr;
  uint8_t* host_state_ = nullptr;  // the host's FXSAVE image while a simd stub runs
  uint8_t* x87_in_ = nullptr;      // the FXSAVE images an x87 stub loads and stores
  uint8_t* x87_out_ = nullptr;
  void (*entry_)(Regs*) = nullptr;
  unsigned code_begin_ = 0, code_end_ = 0;  // where the bytes under test sit in the stub
  bool simd_ = false;
  bool x87_ = false;
  Fault fault_;
};

// While one is alive, a fault raised by the bytes under test (SIGFPE, SIGSEGV, SIGBUS,
// SIGILL with the faulting RIP inside them) does not kill the process: NativeRunner::run
// returns its vector. The same signals from anywhere else put the previous handlers back
// and happen again under them. The destructor restores the previous handlers.
class NativeFaultCatcher {
 public:
  NativeFaultCatcher();
  ~NativeFaultCatcher();
  NativeFaultCatcher(const NativeFaultCatcher&) = delete;
  NativeFaultCatcher& operator=(const NativeFaultCatcher&) = delete;
};

// A bare CPU in 64-bit long mode over 4 MiB of identity-mapped RAM (2 MiB pages), a
// flat 64-bit code segment, and an IDT whose every exception vector v goes to a HLT at
// kHandlerBase + 16 * v. SSE is enabled as an OS enables it: CR4.OSFXSR and
// CR4.OSXMMEXCPT set, CR0.EM and CR0.TS clear.
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

  // Runs `count` instructions from `rip`; RSP is set to kStackTop, RFLAGS from `in`;
  // with `simd` MXCSR and XMM0-15 too, and the x87 state is FNINIT's (as the native
  // stub's), and `out` gets them back; without, they stay as the CPU has them, and as
  // `out` has them. With `x87` (and `simd`) the x87 state is in.x87 (loaded as FXRSTOR64
  // loads an image, save_area.h) and out.x87 gets it back as FXSAVE64 stores it. Returns RIP
  // afterwards (in a handler at kHandlerBase if an exception was raised: the handler's
  // HLT retired, so kHandlerBase + 16 * vector + 1).
  uint64_t run(uint64_t rip, unsigned count, const Regs& in, Regs& out, bool simd = false, bool x87 = false);

  // The vector of the exception handler `rip` (as run returns it) is in, or kNoFault.
  static int vector_at(uint64_t rip) {
    return rip >= kHandlerBase && rip < kHandlerBase + 32 * 16 ? static_cast<int>((rip - kHandlerBase) / 16) : kNoFault;
  }
  // Whether exception `vector` pushes an error code.
  static bool has_error_code(int vector) { return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17; }
  // After run ended in the handler of `vector`: the frame's RIP and error code (0 if none).
  NativeRunner::Fault frame(int vector, const Regs& out, uint64_t rip);

  uint8_t* window() { return memory_.host(window_address()); }
  static constexpr uint64_t window_address() { return kWindowPage - kWindowBefore; }

  cpu::Cpu& cpu() { return cpu_; }
  PhysicalMemory& memory() { return memory_; }

 private:
  PhysicalMemory memory_;
  IoBus io_;
  cpu::Cpu cpu_;
  std::unique_ptr<cpu::CodeCache> cache_;
  // With the translator: a breakpoint at the end of the code run (see the constructor).
  cpu::DebugState debug_;
  std::unordered_map<uint64_t, uint64_t> code_end_;  // slot address -> its HLT
  uint64_t next_slot_ = kCodeBase;
};

std::string hex_bytes(std::span<const uint8_t> bytes);
std::string flags_string(uint64_t f);

}  // namespace rw::cputest
