// Instruction forms for the differential tests and the loop that runs them natively
// and emulated and compares what the SDM defines.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "encoder.h"
#include "harness.h"

namespace rw::cputest {

namespace fl {
using namespace cpu::rflags;
constexpr uint64_t kAll = kArith;
}  // namespace fl

// What to compare for one case. Defined results are compared bit for bit with the
// host; what the SDM leaves undefined, or what the vendors do differently, is compared
// with rewind's table instead (Form::table, docs/cpu.md). RSP is never compared.
struct Check {
  uint64_t flags = fl::kAll;            // the arithmetic flags the SDM defines
  std::array<uint64_t, 16> undefined{};  // per GPR, the bits that are not defined
  std::array<cpu::Xmm, 16> xmm_undefined{};  // per XMM register (SIMD forms)
};

// The memory operand's first 16 bytes before the instruction; as an integer, its first 8.
struct Operand {
  uint64_t q[2] = {};
  operator uint64_t() const { return q[0]; }
};

struct Form {
  std::string name;
  Bytes bytes;
  unsigned count = 1;  // instructions in `bytes`
  std::function<void(Regs&, Rng&)> fixup;      // bias the inputs (shift counts, divisors)
  std::function<bool(const Regs&)> skip;       // inputs that fault natively (#DE)
  std::function<Check(const Regs&)> check;     // defined flags and registers for these inputs
  // rewind's values for what `check` leaves undefined: from the emulator's inputs and
  // the memory operand's first bytes, sets those flags and register bits in `expect`
  // (which starts as the inputs). A case with undefined parts and no table fails,
  // unless `undefined_unread`.
  std::function<void(const Regs& in, const Operand& operand, Regs& expect)> table;
  // A sequence whose later instructions never read what an earlier one left undefined,
  // and whose undefined flags at the end are a setter's, tabled in its own group.
  bool undefined_unread = false;
  // A memory operand: its address registers are set per case so that it points into
  // the data window (natively and in the guest), and the window is compared too.
  std::optional<Mem> mem;
  unsigned mem_bytes = 8;  // bytes the operand may touch beyond its address
  int mem_reach = 0;       // extra bytes on either side (BT with a register bit offset)
  bool addr32 = false;     // the form has a 67 prefix
  unsigned mem_align = 1;  // the operand's address is a multiple of this
  // Called with the operand's initial bytes after the window is filled, to make inputs
  // depend on memory (CMPXCHG success); runs on the native and the emulated inputs
  // with the same random value.
  std::function<void(Regs&, const uint8_t* operand, uint64_t random)> mem_fixup;
  // A second register that points into the window (string instructions: RDI).
  int pointer2 = -1;
  // Place the bytes across a code page boundary, `page_split` bytes before it (0: no).
  unsigned page_split = 0;
  // A taken branch skips an instruction, so the count runs into the HLT after the
  // bytes: the emulator may end one byte past them.
  bool ends_early = false;
  // Only for the harness's own test: the emulator runs these bytes instead (same length).
  Bytes emu_bytes;

  // SSE: XMM0-15 and MXCSR are inputs (random_simd of `lanes`; the memory operand too)
  // and results, compared bit for bit. A fault the bytes raise natively (#XM, #GP, #UD)
  // must be the same exception in the emulator, with the same state.
  bool simd = false;
  Lanes lanes = Lanes::Int;
  // With mem_align > 1: one case in `misalign` puts the operand off that alignment (0: none).
  unsigned misalign = 0;
  // Writes the memory operand's initial bytes (after the window is filled), natively and
  // emulated alike.
  std::function<void(uint8_t* operand, Rng&)> operand_fixup;
  // Where the host's memory result is vendor-dependent (FXSAVE's MXCSR_MASK): writes
  // rewind's value over the host's before the windows are compared.
  std::function<void(uint8_t* operand)> vendor_operand;
  // The XMM registers the instruction names: a report shows them.
  std::vector<int> xmm_named;

  // x87 (implies `simd`): the x87 state is an input (random_x87, then `fixup`) and a result,
  // compared bit for bit: FCW, FSW, the abridged tag word and all eight registers (empty
  // ones too). FOP, FIP and FDP only where an exception is pending afterwards (FSW.ES), the
  // one case where both vendors keep them alike: FIP as an offset into the bytes when it
  // points there, FDP only for forms with a memory operand or an exception already pending
  // on input (a register form leaves it vendor-dependent).
  bool x87 = false;
  // Called after the run on both memory operands (native and emulated, with each run's
  // inputs, `native` saying which): clears the bytes that hold run-dependent addresses
  // (FNSTENV's instruction pointer and selectors) in both, and writes rewind's value over
  // the host's where the SDM leaves the bytes to the vendor (FNSTENV's reserved halves).
  std::function<void(const Regs& in, uint8_t* operand, bool native)> unchecked_operand;
  // Where the x87 results of Intel and AMD differ (x87_test.cpp's table): writes rewind's
  // values over the host's in `native_out` before the comparison, from the inputs, the
  // host's exception vector (or kNoFault) and the offset of its fault in the bytes.
  std::function<void(const Regs& in, Regs& native_out, int native_vector, unsigned fault_offset)> vendor_state;
};

struct RunStats {
  uint64_t cases = 0;
  uint64_t skipped = 0;
  uint64_t failures = 0;
  uint64_t faulted = 0;  // cases that raised an exception natively (SIMD forms)
  uint64_t by_vector[32] = {};  // of those, per vector
};

// Runs every form `iterations` times with random inputs; reports mismatches through
// GoogleTest (the first few in detail, unless !report) and returns the counts.
RunStats run_forms(const std::vector<Form>& forms, unsigned iterations, uint64_t seed, bool report = true);

// A seed for a group of forms: test_seed() mixed with the group's name.
uint64_t group_seed(const char* group);

// Runs a group (prints its name and counts): no mismatch, and some cases.
void run_group(const char* group, const std::vector<Form>& forms, unsigned iterations);

// Registers for an operand of `size` bytes. `legacy`: encodable without REX
// (byte: AL..BL and AH..BH; wider: RAX..RDI); otherwise any but RSP (byte: AL..R15B
// with SPL..DIL via REX, never SPL).
int pick(Rng& r, unsigned size, bool legacy);

// A random memory operand: [base + disp], [base + index*s + disp] (RBP, R12, R13 bases
// among them), [index*s + disp32] when allow_no_base; every displacement size.
Mem random_mem(Rng& r, bool allow_no_base);

// One for Form::mem: no register of `avoid` (a bit per GPR) as base or index, base and
// index distinct, a base when `need_base` (an aligned operand: the base absorbs disp).
Mem random_operand_address(Rng& r, bool a32, uint32_t avoid, bool need_base);

// A SIMD form of fixed bytes whose XMM operands are xmm0 and xmm1 (edge values).
Form simd_form(std::string name, Bytes bytes, Lanes lanes);
// Its memory operand: 16 bytes at [base] (with `align`: a multiple of it, but in one case
// in `misalign`).
void simd_operand_at(Form& f, int base, unsigned align = 1, unsigned misalign = 0);

// Operand access by register spec (see encoder.h) at an operand size.
uint64_t size_mask(unsigned size);
uint64_t get_op(const Regs& s, int spec, unsigned size);
void set_op(Regs& s, int spec, unsigned size, uint64_t v);

}  // namespace rw::cputest
