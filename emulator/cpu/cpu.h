// The architectural state of one x86-64 CPU, plus the caches that make it fast
// (software TLB, decoded-trace cache). Instruction handlers live in per-family files;
// this header holds only state and the inline fast paths every handler needs.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu/flags.h"
#include "cpu/tlb.h"

namespace rw {
class PhysicalMemory;
class IoBus;
class MmioBus;
}

namespace rw::cpu {

enum Gpr : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, kZeroReg = 16 };
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS, kNoSeg = 6 };

// Hidden part of a segment register, loaded from its descriptor.
struct Segment {
  uint16_t selector = 0;
  uint64_t base = 0;
  uint32_t limit = 0xFFFF;
  uint16_t attr = 0;  // descriptor bits 40-47 in 0-7, bits 52-55 (AVL, L, D/B, G) in 12-15
  bool long_mode() const { return attr & 0x2000; }
  bool default_big() const { return attr & 0x4000; }
  unsigned dpl() const { return (attr >> 5) & 3; }
  bool present() const { return attr & 0x80; }
};

// An XMM register, as two little-endian quadwords: q[0] holds bytes 0-7.
struct alignas(16) Xmm {
  uint64_t q[2] = {};
  bool operator==(const Xmm&) const = default;
};

// An x87 register's 80 bits: the 64-bit significand (explicit integer bit) and sign:exponent.
struct F80 {
  uint64_t significand = 0;
  uint16_t sign_exponent = 0;
};

// The x87 FPU's state (x87.cpp). Values after FNINIT (as QEMU starts a PC).
struct X87State {
  uint16_t fcw = 0x37F;  // control word
  uint16_t fsw = 0;      // status word (TOP in bits 11-13)
  uint8_t ftw = 0;       // abridged tag word: bit i set = physical register i not empty
  uint16_t fop = 0;      // last non-control instruction's opcode (11 bits)
  uint64_t fip = 0, fdp = 0;  // its instruction and operand pointers (offsets)
  uint16_t fcs = 0, fds = 0;  // and their selectors
  F80 regs[8];                // the physical registers R0-R7: ST(i) is regs[(TOP + i) & 7]
};

namespace mxcsr {
constexpr uint32_t IE = 1u << 0, DE = 1u << 1, ZE = 1u << 2, OE = 1u << 3, UE = 1u << 4, PE = 1u << 5,
                   DAZ = 1u << 6, IM = 1u << 7, DM = 1u << 8, ZM = 1u << 9, OM = 1u << 10, UM = 1u << 11,
                   PM = 1u << 12, FZ = 1u << 15, kFlags = 0x3F, kMasks = 0x1F80, kRc = 3u << 13;
// The bits a guest may set (FXSAVE's MXCSR_MASK): all of 0-15, DAZ included.
constexpr uint32_t kWritable = 0xFFFF;
constexpr uint32_t kReset = 0x1F80;
}  // namespace mxcsr

struct TableRegister {
  uint64_t base = 0;
  uint32_t limit = 0xFFFF;
};

// Code size of the current code segment: what the decoder needs to know.
enum class CodeSize : uint8_t { k16 = 0, k32 = 1, k64 = 2 };

// Why the CPU loop stopped.
enum class StopReason : uint8_t {
  kNone,
  kTarget,        // reached the requested instruction count
  kHalted,        // HLT with nothing that can ever wake it
  kShutdown,      // triple fault
  kReset,         // guest asked for a reset
  kExit,          // isa-debug-exit
  kRequested,     // something outside asked the loop to stop (a device, a debugger)
  kBreakpoint,    // about to execute an instruction at a debugger breakpoint
  kWatchpoint,    // an instruction touched a debugger watchpoint (it has completed)
  kException,     // an exception the debugger wants to see, not yet delivered
  kNoFirmware,    // booted from a disk, the guest called a BIOS service (there is no BIOS)
};

namespace rflags {
constexpr uint64_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7, TF = 1u << 8,
                   IF = 1u << 9, DF = 1u << 10, OF = 1u << 11, IOPL = 3u << 12, NT = 1u << 14, RF = 1u << 16,
                   VM = 1u << 17, AC = 1u << 18, VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
constexpr uint64_t kArith = CF | PF | AF | ZF | SF | OF;
}  // namespace rflags

namespace msr {
constexpr uint32_t kTsc = 0x10, kApicBase = 0x1B, kMtrrCap = 0xFE, kSysenterCs = 0x174, kSysenterEsp = 0x175,
                   kSysenterEip = 0x176, kMiscEnable = 0x1A0, kPat = 0x277, kEfer = 0xC0000080, kStar = 0xC0000081,
                   kLstar = 0xC0000082, kCstar = 0xC0000083, kSfmask = 0xC0000084, kFsBase = 0xC0000100,
                   kGsBase = 0xC0000101, kKernelGsBase = 0xC0000102, kTscAux = 0xC0000103;
}
namespace efer {
constexpr uint64_t SCE = 1u << 0, LME = 1u << 8, LMA = 1u << 10, NXE = 1u << 11;
}
namespace cr0 {
constexpr uint64_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4, NE = 1u << 5,
                   WP = 1u << 16, AM = 1u << 18, NW = 1u << 29, CD = 1u << 30, PG = 1u << 31;
}
namespace cr4 {
constexpr uint64_t PSE = 1u << 4, PAE = 1u << 5, PGE = 1u << 7, OSFXSR = 1u << 9, OSXMMEXCPT = 1u << 10,
                   FSGSBASE = 1u << 16, OSXSAVE = 1u << 18;
}
// XCR0, the state components XSAVE manages (SDM vol. 1, 13.3): x87 and SSE, nothing else.
namespace xcr0 {
constexpr uint64_t X87 = 1u << 0, SSE = 1u << 1;
constexpr uint64_t kSupported = X87 | SSE;
constexpr uint64_t kReset = X87;
}

class CodeCache;
struct Insn;
struct DebugState;

// What delivered an exception or interrupt (cpu/interrupts.h).
enum class EventKind : uint8_t {
  kException,  // a fault: returns to the faulting instruction
  kSoftware,   // INT n, INT3, INTO: gate DPL is checked, returns after the instruction
  kExternal,   // a hardware interrupt
};

// An exception or interrupt the CPU took, as Cpu::event_taken hears of it once its delivery
// has succeeded (a delivery that faults is not taken: the fault it raised is delivered next).
struct TakenEvent {
  uint64_t icount = 0;      // the instruction boundary where it was taken
  uint64_t return_rip = 0;  // the RIP its frame returns to (a fault: the faulting instruction)
  uint32_t error = 0;       // the error code pushed, if has_error
  uint8_t vector = 0;
  EventKind kind = EventKind::kException;
  bool has_error = false;
};

struct Cpu {
  // --- hot state first ---
  uint64_t gpr[17] = {};  // gpr[16] is always zero: the "no register" of address forms
  // While a trace runs, rip stays at its first instruction (an instruction's own RIP is
  // rip + Insn::off) and next_rip holds the fall-through after the trace's last
  // instruction; control transfers, which always end a trace, overwrite next_rip.
  uint64_t rip = 0;
  uint64_t next_rip = 0;
  LazyFlags lf;
  uint64_t rflags_stored = 0x2;  // non-arithmetic bits always; arithmetic bits when lf.op == kNone
  uint64_t seg_base[8] = {};  // effective base per SegReg for address computation (0 for ES-DS in 64-bit)
  uint64_t lin_mask = 0xFFFFFFFF;  // linear addresses wrap at 4 GiB outside 64-bit mode
  Tlb tlb;

  uint64_t icount = 0;   // instructions retired (exact at trace boundaries, see exec.cpp)
  uint64_t target = 0;   // the loop stops when icount reaches this
  // Reasons for the loop to look up from its hot path, side by side so one load
  // checks them all (see Cpu::signals()).
  bool stop_requested = false;
  bool halted = false;
  bool intr = false;  // sampled between traces
  bool signal_spare = false;
  uint32_t signals() const {
    uint32_t s;
    std::memcpy(&s, &stop_requested, sizeof s);
    return s;
  }
  static constexpr uint32_t kIntrSignal = 0x00FF0000;  // `intr` in signals()
  // Whether the loop must look up between two traces: a stop, HLT, or an interrupt the
  // CPU would take (a pending interrupt while IF is clear changes nothing).
  bool needs_attention() const {
    const uint32_t s = signals();
    return s != 0 && ((s & ~kIntrSignal) != 0 || (rflags_stored & rflags::IF));
  }

  // --- the rest of the architectural state ---
  Segment seg[6];
  Segment ldtr, tr;
  TableRegister gdtr, idtr;
  uint64_t cr0 = cr0::ET, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  uint64_t xcr0 = xcr0::kReset;  // XSETBV, XGETBV: what XSAVE and XRSTOR manage (xsave.cpp)
  uint64_t dr[8] = {0, 0, 0, 0, 0, 0, 0xFFFF0FF0, 0x400};
  uint64_t efer = 0, star = 0, lstar = 0, cstar = 0, sfmask = 0, kernel_gs_base = 0;
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0, pat = 0x0007040600070406ull, tsc_aux = 0;
  uint64_t apic_base = 0xFEE00900;
  int64_t tsc_offset = 0;
  // SSE (sse.cpp): xmm0-15 and MXCSR. The x87 state, which FXSAVE and FXRSTOR carry.
  Xmm xmm[16];
  uint32_t mxcsr = mxcsr::kReset;
  X87State x87;
  uint8_t cpl = 0;
  CodeSize code_size = CodeSize::k32;
  // External interrupts: the interrupt controller drives `intr` (the INTR pin, next
  // to stop_requested) and hands out the vector when the CPU acknowledges it.
  uint8_t (*acknowledge_interrupt)(void* controller) = nullptr;
  void* interrupt_controller = nullptr;
  uint64_t interrupt_shadow_until = 0;  // no interrupt delivered while icount < this (STI, MOV SS)

  // --- what the loop reports ---
  StopReason stop_reason = StopReason::kNone;
  uint64_t unimplemented_count = 0;  // #UD raised for opcodes we do not implement
  // The exceptions that led to the last triple fault, oldest first, and where it started.
  uint8_t fault_chain[4] = {};
  uint8_t fault_chain_len = 0;
  uint64_t fault_rip = 0;
  // The instruction count at which an exception or interrupt was last delivered. Equal to
  // icount when the state is past a delivery at this boundary: not the state a run to
  // icount gives (that stops before a boundary's deliveries). Not architectural.
  uint64_t delivered_at = ~uint64_t{0};
  // Told of every exception and interrupt taken (interrupts.h), off the hot path; null when
  // nobody listens (Machine::set_event_taken_observer).
  void (*event_taken)(void* context, const TakenEvent& event) = nullptr;
  void* event_taken_context = nullptr;
  // The x87's FERR# output (an unmasked x87 exception reported with CR0.NE clear): the PC
  // raises IRQ 13 with it. Null: not wired.
  void (*raise_ferr)(void* context) = nullptr;
  void* ferr_context = nullptr;

  // --- wiring ---
  PhysicalMemory* mem = nullptr;
  // The A20 gate (the 8042's output port, port 0x92): ~0, or all but bit 20 while the gate
  // is off. Applied where physical addresses are formed (translate(), the page walk's table
  // reads); whoever changes it flushes the TLB and the code cache. Device state, not the CPU's.
  uint64_t a20_mask = ~uint64_t{0};
  IoBus* io = nullptr;
  MmioBus* mmio = nullptr;  // device registers outside RAM (slow path only); may be null
  CodeCache* code = nullptr;
  DebugState* debug = nullptr;  // only while a debugger has something set
  // The instruction running now (set by each handler as it starts): where a fault or a
  // side exit happened. Current-trace bookkeeping, to stop a trace whose code was
  // just overwritten.
  const Insn* current = nullptr;
  Insn* trace_begin = nullptr;
  Insn* trace_end = nullptr;
  // A device register write inside a trace ends the trace after its instruction: the
  // instruction after it runs a stand-in that leaves the trace, and its handler is put
  // back here when the trace is left (stop_trace_after_current, code_cache.cpp).
  Insn* stand_in = nullptr;
  void (*stand_in_saved)(Cpu&, const Insn&) = nullptr;

  bool long_mode() const { return efer & efer::LMA; }
  bool paging() const { return cr0 & cr0::PG; }
};

}  // namespace rw::cpu
