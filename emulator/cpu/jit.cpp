// The translator (jit.h): decoded traces to host x86-64 code.
#include "cpu/jit.h"

#include <cpuid.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <unordered_map>

#include "cpu/code_cache.h"
#include "cpu/engine.h"
#include "cpu/handlers.h"
#include "cpu/mmu.h"
#include "cpu/operands.h"
#include "cpu/x64_emitter.h"

extern "C" void __register_frame(void*);
extern "C" void __deregister_frame(void*);

namespace rw::cpu {

// --- which engine ---

namespace {
std::optional<Engine> g_engine;
}

std::optional<Engine> parse_engine(std::string_view name) {
  if (name == "interp") return Engine::kInterpreter;
  if (name == "jit") return Engine::kTranslator;
  return std::nullopt;
}

const char* engine_name(Engine engine) { return engine == Engine::kTranslator ? "jit" : "interp"; }

Engine default_engine() {
  if (g_engine) return *g_engine;  // set (by the command line) before any machine is made
  static const Engine from_environment = [] {
    const char* env = std::getenv("REWIND_ENGINE");
    return env ? parse_engine(env).value_or(Engine::kTranslator) : Engine::kTranslator;
  }();
  return from_environment;
}

void set_default_engine(Engine engine) { g_engine = engine; }

namespace {

using namespace x64;

// --- what the host code calls ---

template <class T>
uint64_t read_helper(Cpu* c, uint64_t lin) { return read_slow<T>(*c, lin, user_mode(*c)); }
template <class T>
void write_helper(Cpu* c, uint64_t lin, uint64_t v) { write_slow<T>(*c, lin, static_cast<T>(v), user_mode(*c)); }
bool condition_helper(Cpu* c, unsigned cc) { return condition(*c, cc); }
uint64_t cf_helper(Cpu* c) { return get_cf(*c); }
uint64_t arith_flags_helper(Cpu* c) { return lazy_arith_bits(c->lf, c->rflags_stored); }
// The marker after each instruction's copy: notes the boundary (cpu.current), as the
// interpreter's trace sentinel does.
void marker(Cpu& c, const Insn& i) { c.current = &i; }
// Leaves the trace before instruction `copy` (not run: it runs again from the new code).
[[noreturn]] void leave_before(Cpu* c, const Insn* copy) {
  c->current = copy;
  throw TraceStop{};
}

const void* read_fn(unsigned size) {
  switch (size) {
    case 1: return reinterpret_cast<const void*>(&read_helper<uint8_t>);
    case 2: return reinterpret_cast<const void*>(&read_helper<uint16_t>);
    case 4: return reinterpret_cast<const void*>(&read_helper<uint32_t>);
    default: return reinterpret_cast<const void*>(&read_helper<uint64_t>);
  }
}
const void* write_fn(unsigned size) {
  switch (size) {
    case 1: return reinterpret_cast<const void*>(&write_helper<uint8_t>);
    case 2: return reinterpret_cast<const void*>(&write_helper<uint16_t>);
    case 4: return reinterpret_cast<const void*>(&write_helper<uint32_t>);
    default: return reinterpret_cast<const void*>(&write_helper<uint64_t>);
  }
}

// LAHF in 64-bit mode (CPUID 80000001h ECX bit 0): every x86-64 processor since 2005 has
// it; without it rotates take the guest's flags from a call.
bool host_has_lahf() {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & 1);
  }();
  return has;
}

// --- what each handler is: the decoder's own selectors, asked once ---

enum class Kind : uint8_t { kNone, kMov, kAlu, kLea, kMovx, kUnary, kShift, kJcc, kJmp, kCall, kRet, kPush, kPop };

struct Op {
  Kind kind = Kind::kNone;
  uint8_t op = 0;    // AluOp, UnaryOp, condition code; kMovx: 1 if signed
  uint8_t size = 0;  // operand size (kMovx: the destination's)
  uint8_t form = 0;  // Form; kMovx: the source's size; kRet: 1 with imm16; kShift: Count
  bool mem = false;
  bool operator==(const Op&) const = default;
};

class OpTable {
 public:
  OpTable() {
    for (unsigned size : {1u, 2u, 4u, 8u}) {
      for (bool mem : {false, true}) {
        for (Form f : {Form::EG, Form::GE, Form::EI})
          add(select_mov(f, size, mem), {Kind::kMov, 0, u8(size), u8(f), mem});
        for (AluOp a : {AluOp::Add, AluOp::Or, AluOp::And, AluOp::Sub, AluOp::Xor, AluOp::Cmp, AluOp::Test})
          for (Form f : {Form::EG, Form::GE, Form::EI}) add(select_alu(a, f, size, mem), {Kind::kAlu, u8(a), u8(size), u8(f), mem});
      }
      for (bool mem : {false, true})
        for (ShiftOp sh : {ShiftOp::Rol, ShiftOp::Ror, ShiftOp::Shl, ShiftOp::Shr, ShiftOp::Sal, ShiftOp::Sar})
          for (Count n : {Count::One, Count::Imm, Count::Cl})
            if (n != Count::Cl || (sh != ShiftOp::Rol && sh != ShiftOp::Ror))
              add(select_shift(sh, n, size, mem),
                  {Kind::kShift, u8(sh == ShiftOp::Sal ? ShiftOp::Shl : sh), u8(size), u8(n), mem});
      for (UnaryOp u : {UnaryOp::Inc, UnaryOp::Dec, UnaryOp::Not, UnaryOp::Neg})
        add(select_unary(u, size, false), {Kind::kUnary, u8(u), u8(size), 0, false});
      if (size > 1) add(select_lea(size), {Kind::kLea, 0, u8(size), 0, false});
      for (unsigned src : {1u, 2u, 4u})
        for (bool sign : {false, true})
          for (bool mem : {false, true})
            if (src < size) add(select_movx(sign, size, src, mem), {Kind::kMovx, u8(sign), u8(size), u8(src), mem});
    }
    for (unsigned cc = 0; cc < 16; ++cc) add(select_jcc(cc), {Kind::kJcc, u8(cc), 0, 0, false});
    add(select_jmp(), {Kind::kJmp});
    for (uint8_t size : {4, 8}) {
      add(select_call(size), {Kind::kCall, 0, size});
      add(select_ret(size, false), {Kind::kRet, 0, size, 0});
      add(select_ret(size, true), {Kind::kRet, 0, size, 1});
      add(select_push_reg(size), {Kind::kPush, 0, size});
      add(select_pop_reg(size), {Kind::kPop, 0, size});
    }
  }
  Op find(Handler h) const {
    auto it = map_.find(h);
    return it == map_.end() ? Op{} : it->second;
  }

 private:
  static uint8_t u8(auto v) { return static_cast<uint8_t>(v); }
  // One handler for two different meanings would be a decoder detail the translator
  // cannot see through: such handlers are called, never inlined.
  void add(Handler h, Op op) {
    if (!h) return;
    auto [it, fresh] = map_.try_emplace(h, op);
    if (!fresh && !(it->second == op)) it->second = Op{};
  }
  std::unordered_map<Handler, Op> map_;
};

const OpTable& op_table() {
  static const OpTable table;
  return table;
}

// --- the code ---

// Host registers: rbx the Cpu for the whole translation; r12 and r13 what an instruction
// keeps across a call (a memory operand's address, a rotate's flags); r14 what a slow path
// keeps across its calls; the rest scratch within one instruction.
constexpr int kCpu = rbx;
constexpr int32_t off(size_t v) { return static_cast<int32_t>(v); }
const int32_t kGpr = off(offsetof(Cpu, gpr));
const int32_t kNextRip = off(offsetof(Cpu, next_rip));
const int32_t kLfRes = off(offsetof(Cpu, lf) + offsetof(LazyFlags, res));
const int32_t kLfDst = off(offsetof(Cpu, lf) + offsetof(LazyFlags, dst));
const int32_t kLfSrc = off(offsetof(Cpu, lf) + offsetof(LazyFlags, src));
const int32_t kLfKind = off(offsetof(Cpu, lf) + offsetof(LazyFlags, kind));
const int32_t kSegBase = off(offsetof(Cpu, seg_base));
const int32_t kTlbCurrent = off(offsetof(Cpu, tlb) + offsetof(Tlb, current));
const int32_t kCurrent = off(offsetof(Cpu, current));
const int32_t kRflags = off(offsetof(Cpu, rflags_stored));
const int32_t kIcount = off(offsetof(Cpu, icount));
const int32_t kTarget = off(offsetof(Cpu, target));
const int32_t kSignals = off(offsetof(Cpu, stop_requested));  // Cpu::signals()
const int32_t kGeneration = off(offsetof(Cpu, tlb) + offsetof(Tlb, generation));
static_assert(offsetof(LazyFlags, bits) == offsetof(LazyFlags, kind) + 1, "kind and bits are stored together");
static_assert(sizeof(TlbEntry) == 24 && offsetof(TlbEntry, tag) == 0 && offsetof(TlbEntry, host) == 8);

// A guest register operand: gpr[r], or for byte operands the byte at offset r.
M gpr(unsigned r, unsigned size) { return M{kCpu, kGpr + static_cast<int32_t>(size == 1 ? r : r * 8)}; }
M cpu_field(int32_t offset) { return M{kCpu, offset}; }

bool fits32(int64_t v) { return v == static_cast<int32_t>(v); }

class Compiler {
 public:
  // Trace `t`, decoded as `insns`, in `mode`; its instructions' copies at `copies`; the
  // common exit at `exit_at` in the code buffer.
  Compiler(const TraceEntry& t, const Insn* insns, Insn* copies, CodeSize mode, size_t exit_at)
      : insns_(insns),
        copies_(copies),
        n_(t.count),
        mode_(mode),
        exit_at_(exit_at),
        trace_rip_(t.rip),
        trace_bytes_(t.bytes),
        loops_(!t.breakpoint) {}

  // Emits the translation; false if some instruction cannot be.
  bool compile(Emitter& e, size_t base) {
    base_ = base;
    flags_needed();
    // Branch targets inside the trace: taken, a branch goes straight there (jcc()).
    targets_.assign(n_, false);
    for (unsigned k = 0; k < n_; ++k) {
      const Op op = op_table().find(insns_[k].fn);
      if (op.kind == Kind::kJcc)
        if (const int j = index_of(insns_[k].imm); j >= 0) targets_[j] = true;
    }
    labels_.assign(n_, 0);
    for (unsigned k = 0; k < n_; ++k) {
      k_ = k;
      labels_[k] = e.size();
      if (targets_[k]) flags_ = HostFlags::kNone;  // reached from elsewhere too
      if (!instruction(e, insns_[k], op_table().find(insns_[k].fn))) return false;
    }
    // The end of the trace: on at next_rip.
    leave(e, &copies_[2 * (n_ - 1)]);
    for (auto& c : cold_) c(e);
    return true;
  }

 private:
  // What the host's flags hold after the last instruction: the guest's (all six, AF
  // aside after a logic operation, whose AF the host leaves undefined and the guest
  // clears), the guest's but CF (INC, DEC), or nothing of use.
  enum class HostFlags { kNone, kAll, kAllButCf, kLogic };

  void set_current(Emitter& e, const Insn* insn) {
    e.mov_imm(rax, reinterpret_cast<uint64_t>(insn));
    e.store(8, cpu_field(kCurrent), rax);
  }
  // Leave the trace through `exit` (the copy of the instruction that ends it).
  void leave(Emitter& e, const Insn* exit) {
    e.mov_imm(rax, reinterpret_cast<uint64_t>(exit));
    jump_to(e, exit_at_);
  }
  // jmp to an absolute position in the code buffer (offset from its start).
  void jump_to(Emitter& e, size_t target) {
    size_t at = e.jmp();
    const int64_t rel = static_cast<int64_t>(target) - static_cast<int64_t>(base_ + at + 4);
    const uint32_t r = static_cast<uint32_t>(rel);
    std::memcpy(&e.code[at], &r, 4);
  }
  // After a call that may have written memory: the next instruction's marker (which
  // leaves the trace if the code was overwritten or a device asked to).
  void call_marker(Emitter& e, unsigned k) {
    e.mov(8, rdi, kCpu);
    e.mov_imm(rsi, reinterpret_cast<uint64_t>(&copies_[2 * k + 1]));
    e.rm(8, {0xFF}, 2, M{rsi});  // call [rsi]: Insn::fn
  }

  // rsi <- the linear address of the memory operand.
  void linear(Emitter& e, const Insn& i) {
    const bool has_base = i.base != kZeroReg, has_index = i.index != kZeroReg;
    const uint64_t amask = kAddrMask[i.asize];
    int64_t disp = i.disp;
    if (!has_base && !has_index) {
      e.mov_imm(rsi, static_cast<uint64_t>(disp) & amask);
    } else {
      if (!fits32(disp)) {
        e.mov_imm(rdx, static_cast<uint64_t>(disp));
        disp = 0;
      }
      if (has_base) e.load(8, rsi, gpr(i.base, 8));
      else e.mov_imm(rsi, 0);
      if (has_index) {
        e.load(8, rcx, gpr(i.index, 8));
        e.lea(rsi, M{rsi, static_cast<int32_t>(disp), rcx, i.scale});
      } else if (disp) {
        e.lea(rsi, M{rsi, static_cast<int32_t>(disp)});
      }
      if (!fits32(i.disp)) e.alu_rr(kAdd, 8, rsi, rdx);
      if (i.asize == kAddr32) e.zero_extend(4, rsi);
      else if (i.asize == kAddr16) e.zero_extend(2, rsi);
    }
    const bool zero_base = i.seg >= 6 || (mode_ == CodeSize::k64 && i.seg < FS);
    if (!zero_base) {
      e.rm(8, {0x03}, rsi, cpu_field(kSegBase + 8 * i.seg));  // add rsi, seg_base[seg]
    }
    if (mode_ != CodeSize::k64) e.zero_extend(4, rsi);  // lin_mask outside 64-bit mode
  }

  // The TLB hit path for an access of `size` at rsi: rdi <- host page, rcx <- page
  // offset; a miss (or a page-crossing access) jumps to the returned patch position.
  size_t tlb(Emitter& e, unsigned size, Access access) {
    const int32_t table = static_cast<int32_t>(access) * Tlb::kSize * static_cast<int32_t>(sizeof(TlbEntry));
    e.mov(4, rcx, rsi);
    e.shr_ri(4, rcx, 12);
    e.rr(4, {0x0F, 0xB6}, rcx, rcx);  // movzx ecx, cl: the index
    e.lea(rcx, M{rcx, 0, rcx, 1});     // * 3
    e.load(8, rdi, cpu_field(kTlbCurrent));
    e.lea(rdx, M{rsi, static_cast<int32_t>(size - 1)});
    e.shr_ri(8, rdx, 12);  // the page of the last byte: equal to the tag only if no crossing
    e.rm(8, {0x3B}, rdx, M{rdi, table, rcx, 3});  // cmp rdx, tag
    const size_t miss = e.jcc(0x5);               // jne
    e.load(8, rdi, M{rdi, table + 8, rcx, 3});    // host page
    e.mov(4, rcx, rsi);
    e.alu_ri(kAnd, 4, rcx, 4095);
    return miss;
  }

  // Whether instruction k's marker was replaced (by a code-cache flush or a device write
  // in the call just made): ZF clear if so.
  void marker_replaced(Emitter& c, unsigned k) {
    c.mov_imm(rdx, reinterpret_cast<uint64_t>(&copies_[2 * k + 1]));
    c.mov_imm(rcx, reinterpret_cast<uint64_t>(&marker));
    c.rm(8, {0x3B}, rcx, M{rdx});  // cmp rcx, [rdx]: Insn::fn
  }

  // rax <- the `size`-byte value at linear address rsi (zero-extended). Every read comes
  // before its instruction changes anything, so when its slow path flushed the code cache
  // (a page walk's accessed bit written over code) the instruction is left undone, to run
  // again from the new code: reading RAM twice changes nothing (a device register read,
  // which might, never flushes and never replaces the marker).
  void read(Emitter& e, unsigned size) {
    const size_t miss = tlb(e, size, kRead);
    e.load(size, rax, M{rdi, 0, rcx, 0});
    const size_t resume = e.size();
    const Insn* copy = &copies_[2 * k_];
    const unsigned k = k_;
    cold_.push_back([this, miss, resume, copy, size, k](Emitter& c) {
      c.patch(miss, c.size());
      set_current(c, copy);
      c.mov(8, rdi, kCpu);
      c.call_abs(read_fn(size));
      c.mov(8, r14, rax);  // the value (r12, r13 are the instruction's)
      marker_replaced(c, k);
      const size_t undone = c.jcc(0x5);
      c.mov(8, rax, r14);
      c.patch(c.jmp(), resume);
      c.patch(undone, c.size());
      c.mov(8, rdi, kCpu);
      c.mov_imm(rsi, reinterpret_cast<uint64_t>(copy));
      c.call_abs(reinterpret_cast<const void*>(&leave_before));
    });
  }

  // [rsi] <- the low `size` bytes of rax. When the slow path replaced the marker (a write
  // over code, or to a device register), the rest of the instruction (`rest`: what the
  // caller emits after the write, if anything) runs and the marker leaves the trace.
  void write(Emitter& e, unsigned size, std::function<void(Emitter&)> rest = {}) {
    const size_t miss = tlb(e, size, kWrite);
    e.store(size, M{rdi, 0, rcx, 0}, rax);
    const size_t resume = e.size();
    const Insn* copy = &copies_[2 * k_];
    const unsigned k = k_;
    cold_.push_back([this, miss, resume, copy, size, k, rest](Emitter& c) {
      c.patch(miss, c.size());
      c.mov(8, rdx, rax);  // the value, before set_current takes rax
      set_current(c, copy);
      c.mov(8, rdi, kCpu);
      c.call_abs(write_fn(size));
      marker_replaced(c, k);
      const size_t replaced = c.jcc(0x5);
      c.patch(c.jmp(), resume);
      c.patch(replaced, c.size());
      if (rest) rest(c);
      call_marker(c, k);  // leaves
    });
  }

  // Guest register `r` of `size` <- rax (zero-extended for 32 bits, merged below).
  void set_gpr(Emitter& e, unsigned r, unsigned size, int reg = rax) {
    if (size == 4) {
      e.zero_extend(4, reg);
      e.store(8, gpr(r, 8), reg);
    } else {
      e.store(size, gpr(r, size), reg);
    }
  }

  // Which instructions' flags anything can see (needed_[k]): a later instruction reads
  // them, the trace is left (a branch, its end, a fault: every memory access and every
  // called handler may fault) before something overwrites all six. An instruction that
  // overwrites all six and can neither fault nor read them ends their life: the register
  // forms of the ALU operations, NEG, and shifts by a constant other than 0. MOV, LEA,
  // MOVZX/MOVSX and NOT between registers leave them alone.
  void flags_needed() {
    needed_.assign(n_, true);
    bool live = true;  // at the trace's end
    for (unsigned k = n_; k-- > 0;) {
      needed_[k] = live;
      const Op op = op_table().find(insns_[k].fn);
      const Insn& i = insns_[k];
      bool kills = false, transparent = false;
      switch (op.kind) {
        case Kind::kAlu: kills = !op.mem; break;
        case Kind::kUnary:
          kills = !op.mem && static_cast<UnaryOp>(op.op) == UnaryOp::Neg;
          transparent = !op.mem && static_cast<UnaryOp>(op.op) == UnaryOp::Not;
          break;
        case Kind::kShift: {
          const ShiftOp sh = static_cast<ShiftOp>(op.op);
          const Count c = static_cast<Count>(op.form);
          const unsigned n = c == Count::One ? 1u : static_cast<unsigned>(i.imm & 0xFF) & (op.size == 8 ? 63u : 31u);
          kills = !op.mem && c != Count::Cl && n != 0 && sh != ShiftOp::Rol && sh != ShiftOp::Ror;
          break;
        }
        case Kind::kMov:
        case Kind::kMovx: transparent = !op.mem; break;
        case Kind::kLea: transparent = true; break;
        default: break;
      }
      if (kills) live = false;
      else if (!transparent) live = true;
    }
  }

  void lazy(Emitter& e, FlagKind kind, unsigned size, bool operands) {
    if (!needed_[k_]) return;
    e.store(8, cpu_field(kLfRes), rax);
    if (operands) {
      e.store(8, cpu_field(kLfDst), rdx);
      e.store(8, cpu_field(kLfSrc), rcx);
    }
    e.store_imm(2, cpu_field(kLfKind), static_cast<uint32_t>(kind | (size * 8) << 8));
  }

  bool instruction(Emitter& e, const Insn& i, const Op& op) {
    const HostFlags flags_before = flags_;
    flags_ = HostFlags::kNone;
    switch (op.kind) {
      case Kind::kMov: return mov(e, i, op);
      case Kind::kAlu: return alu(e, i, op);
      case Kind::kLea:
        linear_ea(e, i);
        set_gpr(e, i.reg, op.size, rsi);
        return true;
      case Kind::kMovx: return movx(e, i, op);
      case Kind::kUnary: return unary(e, i, op);
      case Kind::kShift: return shift(e, i, op, flags_before);
      case Kind::kJcc: flags_ = flags_before; return jcc(e, i, op.op);
      case Kind::kJmp: e.mov_imm(rax, i.imm); e.store(8, cpu_field(kNextRip), rax); return true;
      case Kind::kCall:
      case Kind::kRet:
      case Kind::kPush:
      case Kind::kPop: return stack(e, i, op);
      default: return fallback(e, i);
    }
  }

  // rsi <- the effective address (LEA: no segment, masked to the address size).
  void linear_ea(Emitter& e, const Insn& i) {
    const CodeSize saved = mode_;
    Insn plain = i;
    plain.seg = kNoSeg;
    mode_ = CodeSize::k64;  // no 32-bit wrap: LEA keeps the address size's bits
    linear(e, plain);
    mode_ = saved;
  }

  bool mov(Emitter& e, const Insn& i, const Op& op) {
    const unsigned size = op.size;
    const Form form = static_cast<Form>(op.form);
    if (form == Form::GE) {
      if (op.mem) {
        linear(e, i);
        read(e, size);
      } else {
        e.load(size, rax, gpr(i.rm, size));
      }
      set_gpr(e, i.reg, size);
      return true;
    }
    // EG, EI: r/m <- reg or imm.
    if (op.mem) linear(e, i);
    if (form == Form::EG) e.load(size, rax, gpr(i.reg, size));
    else e.mov_imm(rax, size == 8 ? i.imm : i.imm & (~uint64_t{0} >> (64 - 8 * size)));
    if (op.mem) write(e, size);
    else set_gpr(e, i.rm, size);
    return true;
  }

  bool movx(Emitter& e, const Insn& i, const Op& op) {
    const unsigned src = op.form;
    if (op.mem) {
      linear(e, i);
      read(e, src);
    } else {
      e.load(src, rax, gpr(i.rm, src));
    }
    if (op.op) e.sign_extend(src, rax);
    set_gpr(e, i.reg, op.size);
    return true;
  }

  // ALU: rdx <- dst, rcx <- src, rax <- result; the host instruction sets the host's
  // flags exactly as the guest's (same operation, same size), so a Jcc right after can
  // test them.
  bool alu(Emitter& e, const Insn& i, const Op& op) {
    const unsigned size = op.size;
    const AluOp a = static_cast<AluOp>(op.op);
    const Form form = static_cast<Form>(op.form);
    const bool writes = a != AluOp::Cmp && a != AluOp::Test;
    const bool dst_mem = op.mem && form != Form::GE;
    if (op.mem) {
      linear(e, i);
      if (dst_mem && writes) e.mov(8, r12, rsi);
      read(e, size);
    }
    // rdx: dst, rcx: src.
    if (form == Form::GE) {
      if (op.mem) e.mov(8, rcx, rax);
      else e.load(size, rcx, gpr(i.rm, size));
      e.load(size, rdx, gpr(i.reg, size));
    } else {
      if (op.mem) e.mov(8, rdx, rax);
      else e.load(size, rdx, gpr(i.rm, size));
      if (form == Form::EG) e.load(size, rcx, gpr(i.reg, size));
      else e.mov_imm(rcx, size == 8 ? i.imm : i.imm & (~uint64_t{0} >> (64 - 8 * size)));
    }
    e.mov(8, rax, rdx);
    switch (a) {
      case AluOp::Add: e.alu_rr(kAdd, size, rax, rcx); break;
      case AluOp::Or: e.alu_rr(kOr, size, rax, rcx); break;
      case AluOp::And: e.alu_rr(kAnd, size, rax, rcx); break;
      case AluOp::Sub: e.alu_rr(kSub, size, rax, rcx); break;
      case AluOp::Xor: e.alu_rr(kXor, size, rax, rcx); break;
      case AluOp::Cmp: e.alu_rr(kSub, size, rax, rcx); break;
      case AluOp::Test: e.alu_rr(kAnd, size, rax, rcx); break;
      default: return false;
    }
    e.zero_extend(size, rax);  // no flags change
    const bool arith = a == AluOp::Add || a == AluOp::Sub || a == AluOp::Cmp;
    lazy(e, a == AluOp::Add ? kFlagsAdd : arith ? kFlagsSub : kFlagsLogic, size, arith);
    if (writes) {
      if (dst_mem) {
        e.mov(8, rsi, r12);
        write(e, size);
        return true;  // the write's TLB check changed the host's flags
      }
      set_gpr(e, form == Form::GE ? i.reg : i.rm, size);
    }
    flags_ = arith ? HostFlags::kAll : HostFlags::kLogic;
    return true;
  }

  // SHL/SAL SHR SAR (lazy flags, as the interpreter) and ROL ROR (CF and OF computed, the
  // other flags kept) by 1, an immediate, or (shifts) CL; register or memory. The host
  // instruction gives the result (x86's own masking of the count included).
  bool shift(Emitter& e, const Insn& i, const Op& op, HostFlags before) {
    const unsigned size = op.size, bits = size * 8;
    const ShiftOp sh = static_cast<ShiftOp>(op.op);
    const Count count = static_cast<Count>(op.form);
    const bool rotate = sh == ShiftOp::Rol || sh == ShiftOp::Ror;
    const unsigned n = count == Count::One ? 1u : static_cast<unsigned>(i.imm & 0xFF) & (size == 8 ? 63u : 31u);
    const unsigned digit = sh == ShiftOp::Rol ? 0 : sh == ShiftOp::Ror ? 1 : sh == ShiftOp::Sar ? 7 : sh == ShiftOp::Shr ? 5 : 4;
    // A rotate keeps SF ZF AF PF: the guest's flags as they are (R13).
    if (rotate && n != 0) {
      if ((before == HostFlags::kAll || before == HostFlags::kLogic) && host_has_lahf()) {
        e.lahf();
        e.rr(4, {0x0F, 0xB6}, rdx, 4);  // movzx edx, ah (no REX: with one, 4 is SPL)
        e.seto(rcx);
        e.rr(4, {0x0F, 0xB6}, rcx, rcx);
        e.shift_ri(4, 4, rcx, 11);
        e.alu_rr(kOr, 4, rdx, rcx);
        e.alu_ri(kAnd, 4, rdx, before == HostFlags::kLogic ? 0x8C5 : 0x8D5);
        e.mov(8, r13, rdx);  // survives the memory read
      } else {
        e.mov(8, rdi, kCpu);
        e.call_abs(reinterpret_cast<const void*>(&arith_flags_helper));
        e.mov(8, r13, rax);
      }
    }
    if (op.mem) {
      linear(e, i);
      e.mov(8, r12, rsi);
      read(e, size);
      e.mov(8, rdx, rax);
    } else {
      e.load(size, rdx, gpr(i.rm, size));
    }
    e.mov(8, rax, rdx);
    size_t skip = 0;
    if (count == Count::Cl) {
      e.load(1, rcx, gpr(RCX, 8));  // CL: the low byte of gpr[RCX]
      e.alu_ri(kAnd, 4, rcx, size == 8 ? 63 : 31);
      skip = e.jcc(0x4);  // a count of 0 changes nothing (but a 32-bit register's top half)
      e.shift_cl(digit, size, rax);
      e.zero_extend(size, rax);
      lazy(e, sh == ShiftOp::Shr ? kFlagsShr : sh == ShiftOp::Sar ? kFlagsSar : kFlagsShl, size, true);
      e.patch(skip, e.size());
    } else if (n != 0) {
      e.shift_ri(digit, size, rax, static_cast<uint8_t>(n));
      e.zero_extend(size, rax);
      if (!rotate) {
        e.mov_imm(rcx, n);
        lazy(e, sh == ShiftOp::Shr ? kFlagsShr : sh == ShiftOp::Sar ? kFlagsSar : kFlagsShl, size, true);
      } else {
        // CF: ROL the result's bit 0, ROR its top bit. OF: the top bit XOR (ROL) CF, (ROR)
        // the bit below the top.
        e.mov(8, rcx, rax);
        e.shr_ri(8, rcx, static_cast<uint8_t>(bits - 1));  // the top bit
        e.mov(8, rdx, rax);
        if (sh == ShiftOp::Ror) e.shr_ri(8, rdx, static_cast<uint8_t>(bits - 2));
        e.alu_ri(kAnd, 4, rdx, 1);  // ROL: bit 0; ROR: the bit below the top
        e.mov(8, r9, rcx);
        e.alu_rr(kXor, 4, r9, rdx);
        e.shift_ri(4, 4, r9, 11);  // OF
        e.alu_ri(kAnd, 4, r13, ~0x801);
        e.alu_rr(kOr, 4, r13, r9);
        e.alu_rr(kOr, 4, r13, sh == ShiftOp::Rol ? rdx : rcx);  // CF
        // rflags_stored's arithmetic bits <- r13; the flags are stored now.
        e.load(8, rcx, cpu_field(kRflags));
        e.alu_ri(kAnd, 8, rcx, ~static_cast<int32_t>(rflags::kArith));
        e.alu_rr(kOr, 8, rcx, r13);
        e.store(8, cpu_field(kRflags), rcx);
        e.store_imm(1, cpu_field(kLfKind), kFlagsStored);
      }
    }
    if (op.mem) {
      e.mov(8, rsi, r12);
      write(e, size);
    } else {
      set_gpr(e, i.rm, size);
    }
    return true;
  }

  bool unary(Emitter& e, const Insn& i, const Op& op) {
    const unsigned size = op.size;
    const UnaryOp u = static_cast<UnaryOp>(op.op);
    if (u == UnaryOp::Inc || u == UnaryOp::Dec) {
      e.mov(8, rdi, kCpu);
      e.call_abs(reinterpret_cast<const void*>(&cf_helper));
      e.mov(8, rcx, rax);  // src: the preserved CF
    }
    e.load(size, rdx, gpr(i.rm, size));
    e.mov(8, rax, rdx);
    switch (u) {
      case UnaryOp::Inc: e.inc(size, rax); break;
      case UnaryOp::Dec: e.dec(size, rax); break;
      case UnaryOp::Not: e.not_(size, rax); break;
      case UnaryOp::Neg: e.neg(size, rax); break;
    }
    e.zero_extend(size, rax);
    if (u == UnaryOp::Neg) {
      // res = 0 - v: dst 0, src v.
      if (needed_[k_]) {
        e.store_imm(8, cpu_field(kLfDst), 0);
        e.store(8, cpu_field(kLfSrc), rdx);
        e.store(8, cpu_field(kLfRes), rax);
        e.store_imm(2, cpu_field(kLfKind), static_cast<uint32_t>(kFlagsSub | (size * 8) << 8));
      }
      flags_ = HostFlags::kAll;
    } else if (u != UnaryOp::Not) {
      lazy(e, u == UnaryOp::Inc ? kFlagsInc : kFlagsDec, size, true);
      flags_ = HostFlags::kAllButCf;
    }
    set_gpr(e, i.rm, size);
    return true;
  }

  bool jcc(Emitter& e, const Insn& i, unsigned cc) {
    const bool uses_cf = (cc >> 1) == 1 || (cc >> 1) == 3;
    size_t taken;
    if (flags_ == HostFlags::kAll || (flags_ == HostFlags::kAllButCf && !uses_cf)) {
      taken = e.jcc(cc);
    } else {
      e.mov(8, rdi, kCpu);
      e.mov_imm(rsi, cc);
      e.call_abs(reinterpret_cast<const void*>(&condition_helper));
      e.test_rr(1, rax, rax);
      taken = e.jcc(0x5);  // jnz
      flags_ = HostFlags::kNone;  // the test above took the host's flags
    }
    side_exit(taken, i.imm, true);
    return true;
  }

  // A taken branch leaves the trace: next_rip <- target (if set_target), cpu.current <-
  // the branch's copy (the loop counts it and links from it).
  // The instruction of this trace at `rip`, or -1.
  int index_of(uint64_t rip) const {
    for (unsigned j = 0; j < n_; ++j)
      if (trace_rip_ + insns_[j].off == rip) return static_cast<int>(j);
    return -1;
  }

  // A taken branch (instruction k) to `target`: within the trace when the target is one of
  // its instructions (forwards: skip to it; backwards: loop_back), else leave the trace.
  // Skipping forwards from k to j, instructions k+1..j-1 do not run: cpu.icount, to which
  // each instruction adds its index, goes down by their number (modulo 2^64, as all
  // instruction counting here), so that j counts as instruction k + 1 of this run.
  void side_exit(size_t patch_at, uint64_t target, bool set_target) {
    const Insn* copy = &copies_[2 * k_];
    const unsigned k = k_;
    cold_.push_back([this, patch_at, target, set_target, copy, k](Emitter& c) {
      c.patch(patch_at, c.size());
      const int j = set_target ? index_of(target) : -1;
      if (j > static_cast<int>(k)) {
        c.load(8, rax, cpu_field(kIcount));
        c.alu_ri(kSub, 8, rax, j - static_cast<int>(k) - 1);
        c.store(8, cpu_field(kIcount), rax);
        c.patch(c.jmp(), labels_[j]);
        return;
      }
      if (j >= 0 && loops_) loop_back(c, k, static_cast<unsigned>(j));
      if (set_target) {
        c.mov_imm(rax, target);
        c.store(8, cpu_field(kNextRip), rax);
      }
      leave(c, copy);
    });
  }

  // A branch back to the trace's start (a loop within one trace) goes round again
  // without leaving, when the loop would link the trace to itself and run it (exec.cpp's
  // run_linked, and the exit in the constructor below): nothing signalled, no TF, the
  // translations of this generation (R15, loaded where the trace was entered), budget for
  // all of it. Otherwise it falls through to an ordinary exit.
  // Going back to instruction j (0: the start), its index counts from the new icount: the
  // k + 1 instructions run count, less j; the budget must hold instructions j..n-1.
  void loop_back(Emitter& c, unsigned k, unsigned j) {
    std::vector<size_t> out;
    c.load(8, rax, cpu_field(kIcount));
    c.lea(rax, M{rax, static_cast<int32_t>(k + 1)});
    c.rm(4, {0x3B}, r15, cpu_field(kGeneration));  // cmp r15d, generation
    out.push_back(c.jcc(0x5));
    c.load(4, rdx, cpu_field(kSignals));
    c.test_rr(4, rdx, rdx);
    out.push_back(c.jcc(0x5));
    c.test_mi(4, cpu_field(kRflags), rflags::TF);
    out.push_back(c.jcc(0x5));
    c.load(8, rdx, cpu_field(kTarget));
    c.alu_rr(kSub, 8, rdx, rax);
    c.alu_ri(kCmp, 8, rdx, static_cast<int32_t>(n_ - j));
    out.push_back(c.jcc(0x2));  // jb
    if (j) c.alu_ri(kSub, 8, rax, static_cast<int32_t>(j));
    c.store(8, cpu_field(kIcount), rax);
    c.mov_imm(rax, trace_rip_ + trace_bytes_);
    c.store(8, cpu_field(kNextRip), rax);
    c.patch(c.jmp(), labels_[j]);
    for (size_t at : out) c.patch(at, c.size());
  }

  // PUSH, POP, CALL, RET: in 64-bit code (8 bytes; the stack pointer all of RSP, SS's base
  // 0), and in 32-bit code with a 32-bit stack (4 bytes; ESP, SS's base, addresses wrapping
  // at 4 GiB; RSP's top half kept). Whether SS is 32-bit is checked as the instruction runs
  // (MOV SS does not end a trace): with a 16-bit stack the handler is called instead.
  bool stack(Emitter& e, const Insn& i, const Op& op) {
    const unsigned size = op.size;
    if ((mode_ == CodeSize::k64) != (size == 8) || mode_ == CodeSize::k16) return fallback(e, i);
    size_t small_stack = 0;
    if (mode_ == CodeSize::k32) {
      e.test_mi(2, cpu_field(off(offsetof(Cpu, seg) + SS * sizeof(Segment) + offsetof(Segment, attr))), 0x4000);
      small_stack = e.jcc(0x4);  // jz: SS.B clear
    }
    const bool wide = size == 8;
    // The stack address of `sp` (in RSI) -> RSI.
    auto stack_linear = [&] {
      if (!wide) {
        e.rm(8, {0x03}, rsi, cpu_field(kSegBase + 8 * SS));  // add rsi, seg_base[SS]
        e.zero_extend(4, rsi);
      }
    };
    switch (op.kind) {
      case Kind::kPush:
      case Kind::kCall: {
        if (op.kind == Kind::kPush) e.load(size, rax, gpr(i.reg, 8));
        else e.mov_imm(rax, wide ? next_rip_of(i) : static_cast<uint32_t>(next_rip_of(i)));
        e.load(size, rsi, gpr(RSP, 8));
        e.lea(rsi, M{rsi, -static_cast<int32_t>(size)});
        if (!wide) e.zero_extend(4, rsi);
        e.mov(8, r12, rsi);  // the new stack pointer
        stack_linear();
        // After the write: the stack pointer, and a call's target.
        const bool call = op.kind == Kind::kCall;
        const uint64_t target = i.imm;
        auto rest = [size, call, target](Emitter& c) {
          c.store(size, gpr(RSP, 8), r12);
          if (call) {
            c.mov_imm(rax, target);
            c.store(8, cpu_field(kNextRip), rax);
          }
        };
        write(e, size, rest);
        rest(e);
        break;
      }
      case Kind::kPop:
      case Kind::kRet:
        e.load(size, rsi, gpr(RSP, 8));
        e.mov(8, r12, rsi);
        stack_linear();
        read(e, size);
        e.lea(r12, M{r12, static_cast<int32_t>(size) + (op.form ? static_cast<int32_t>(i.imm2) : 0)});
        e.store(size, gpr(RSP, 8), r12);
        if (op.kind == Kind::kPop) set_gpr(e, i.reg, size);
        else e.store(8, cpu_field(kNextRip), rax);
        break;
      default: return false;
    }
    if (small_stack) {
      // A 16-bit stack: the handler, out of line.
      const size_t resume = e.size();
      const Insn* copy = &copies_[2 * k_];
      const Handler fn = i.fn;
      cold_.push_back([small_stack, resume, copy, fn](Emitter& c) {
        c.patch(small_stack, c.size());
        c.mov(8, rdi, kCpu);
        c.mov_imm(rsi, reinterpret_cast<uint64_t>(copy));
        c.call_abs(reinterpret_cast<const void*>(fn));
        c.patch(c.jmp(), resume);
      });
    }
    return true;
  }

  // The fall-through RIP after instruction i (its RIP + length): only the last
  // instruction of a trace transfers control, so this is the trace's next_rip.
  uint64_t next_rip_of(const Insn& i) const { return trace_rip_ + i.off + i.len; }

  // Any other instruction: its handler, on its copy, then (from the handler) its marker.
  // A conditional branch taken (JCXZ, LOOP) returns without running the marker, leaving
  // cpu.current at its copy: the trace is left there.
  bool fallback(Emitter& e, const Insn& i) {
    e.mov(8, rdi, kCpu);
    e.mov_imm(rsi, reinterpret_cast<uint64_t>(&copies_[2 * k_]));
    e.call_abs(reinterpret_cast<const void*>(i.fn));
    if (k_ + 1 < n_) {
      e.mov_imm(rax, reinterpret_cast<uint64_t>(&copies_[2 * k_]));
      e.rm(8, {0x3B}, rax, cpu_field(kCurrent));  // cmp rax, [current]
      side_exit(e.jcc(0x4), 0, false);            // je
    }
    return true;
  }

  const Insn* insns_;
  Insn* copies_;
  unsigned n_;
  CodeSize mode_;
  size_t exit_at_;
  uint64_t trace_rip_;
  uint64_t trace_bytes_;
  bool loops_;  // whether loop_back may be used (not with a breakpoint on the trace)
  size_t base_ = 0;
  unsigned k_ = 0;
  HostFlags flags_ = HostFlags::kNone;
  std::vector<bool> needed_;
  std::vector<bool> targets_;   // instructions a branch of the trace goes to
  std::vector<size_t> labels_;  // where each instruction's code starts
  std::vector<std::function<void(Emitter&)>> cold_;
};

// --- the unwinder's description of the translations' frame ---

// One CIE and one FDE for the whole buffer: inside translated code (after the entry's
// pushes) the frame is always the same, and exceptions only leave it from calls.
std::vector<uint8_t> eh_frame(const uint8_t* begin, size_t size) {
  std::vector<uint8_t> f;
  auto u32 = [&](uint32_t v) { for (int k = 0; k < 4; ++k) f.push_back(static_cast<uint8_t>(v >> (8 * k))); };
  auto u64 = [&](uint64_t v) { for (int k = 0; k < 8; ++k) f.push_back(static_cast<uint8_t>(v >> (8 * k))); };
  auto pad = [&](size_t start) {
    while ((f.size() - start) % 8) f.push_back(0);  // DW_CFA_nop
    const uint32_t len = static_cast<uint32_t>(f.size() - start - 4);
    std::memcpy(&f[start], &len, 4);
  };
  // CIE: version 1, augmentation "zR", code align 1, data align -8, return address r16,
  // FDE pointers absolute; CFA = rsp + 8, return address at CFA - 8.
  const size_t cie = f.size();
  u32(0);
  u32(0);
  for (int b : {1, int('z'), int('R'), 0, 1, 0x78, 16, 1, 0x00, 0x0c, 7, 8, 0x90, 1}) f.push_back(static_cast<uint8_t>(b));
  pad(cie);
  // FDE: CFA = rsp + 64; rbx, rbp, r12-r15 saved below the return address.
  const size_t fde = f.size();
  u32(0);
  u32(static_cast<uint32_t>(f.size() - cie));
  u64(reinterpret_cast<uint64_t>(begin));
  u64(size);
  f.push_back(0);  // augmentation data length
  for (int b : {0x0e, 64, 0x83, 2, 0x86, 3, 0x8c, 4, 0x8d, 5, 0x8e, 6, 0x8f, 7}) f.push_back(static_cast<uint8_t>(b));
  pad(fde);
  u32(0);  // terminator
  return f;
}

constexpr size_t kCodeSize = 32u << 20;
constexpr size_t kChunk = 8192;  // copies per chunk: at least two of the longest trace
constexpr size_t kMaxChunks = 64;

// False if the system refuses (no executable memory for this process, say).
bool protect(uint8_t* begin, size_t size, int prot) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin) & ~(page - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(begin) + size + page - 1) & ~(page - 1);
  return mprotect(reinterpret_cast<void*>(b), e - b, prot) == 0;
}

}  // namespace

Translator::Translator() {
  void* p = mmap(nullptr, kCodeSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  code_ = static_cast<uint8_t*>(p);
  // The entry: save the callee-saved registers, RBX <- the Cpu, jump to the translation.
  Emitter e;
  for (int r : {rbx, rbp, r12, r13, r14, r15}) e.push(r);
  e.alu_ri(kSub, 8, rsp, 8);
  e.mov(8, rbx, rdi);
  e.load(4, r15, cpu_field(kGeneration));  // the translations' generation (loop_back)
  e.jmp_reg(rsi);
  // Leaving a translation, with RAX the copy of the instruction it was left through and
  // next_rip set: account for the trace (cpu.rip, cpu.icount), then go on to the next
  // translation while the loop would (run_linked in exec.cpp: nothing signalled, no
  // TF, a link of this generation to a trace at next_rip, no breakpoint there, budget
  // for all of it), else return to the loop.
  exit_ = e.size();
  e.store(8, cpu_field(kCurrent), rax);
  e.load(8, rcx, cpu_field(kNextRip));
  e.store(8, cpu_field(off(offsetof(Cpu, rip))), rcx);
  e.load(1, rdx, M{rax, off(offsetof(Insn, idx))});
  e.lea(rdx, M{rdx, 1});
  e.alu_mr(kAdd, 8, cpu_field(off(offsetof(Cpu, icount))), rdx);
  std::vector<size_t> out;
  // Cpu::needs_attention(), and TF.
  e.load(4, rdx, cpu_field(off(offsetof(Cpu, stop_requested))));
  e.test_rr(4, rdx, rdx);
  const size_t signalled = e.jcc(0x5);
  const size_t signals_checked = e.size();
  e.test_mi(4, cpu_field(off(offsetof(Cpu, rflags_stored))), rflags::TF);
  out.push_back(e.jcc(0x5));
  e.load(8, rdx, M{rax, off(offsetof(Insn, link))});
  e.test_rr(8, rdx, rdx);
  out.push_back(e.jcc(0x4));
  e.load(4, rsi, M{rax, off(offsetof(Insn, link_generation))});
  e.rm(4, {0x3B}, rsi, cpu_field(off(offsetof(Cpu, tlb) + offsetof(Tlb, generation))));
  out.push_back(e.jcc(0x5));
  e.rm(8, {0x3B}, rcx, M{rdx, off(offsetof(TraceEntry, rip))});
  out.push_back(e.jcc(0x5));
  e.cmp_mi(1, M{rdx, off(offsetof(TraceEntry, breakpoint))}, 0);
  out.push_back(e.jcc(0x5));
  e.load(8, rdi, M{rdx, off(offsetof(TraceEntry, native))});
  e.test_rr(8, rdi, rdi);
  out.push_back(e.jcc(0x4));
  e.load(2, rsi, M{rdx, off(offsetof(TraceEntry, count))});
  e.load(8, r8, cpu_field(off(offsetof(Cpu, target))));
  e.rm(8, {0x2B}, r8, cpu_field(off(offsetof(Cpu, icount))));  // sub r8, icount
  e.alu_rr(kCmp, 8, r8, rsi);
  out.push_back(e.jcc(0x2));  // jb: the budget ends inside it
  // Enter it as execute() would: next_rip, the copies as the running trace.
  e.load(2, r8, M{rdx, off(offsetof(TraceEntry, bytes))});
  e.alu_rr(kAdd, 8, r8, rcx);
  e.store(8, cpu_field(kNextRip), r8);
  e.load(8, r8, M{rdx, off(offsetof(TraceEntry, copies))});
  e.store(8, cpu_field(off(offsetof(Cpu, trace_begin))), r8);
  e.lea(rsi, M{rsi, -1, rsi, 0});  // 2 * count - 1 copies
  e.imul_ri(rsi, rsi, static_cast<int32_t>(sizeof(Insn)));
  e.alu_rr(kAdd, 8, rsi, r8);
  e.store(8, cpu_field(off(offsetof(Cpu, trace_end))), rsi);
  e.load(4, r15, cpu_field(kGeneration));
  e.jmp_reg(rdi);
  // Something is signalled: only a pending interrupt while IF is clear lets it go on.
  e.patch(signalled, e.size());
  e.alu_ri(kAnd, 4, rdx, static_cast<int32_t>(~Cpu::kIntrSignal));
  out.push_back(e.jcc(0x5));
  e.test_mi(4, cpu_field(off(offsetof(Cpu, rflags_stored))), rflags::IF);
  out.push_back(e.jcc(0x5));
  e.patch(e.jmp(), signals_checked);
  for (size_t at : out) e.patch(at, e.size());
  e.alu_ri(kAdd, 8, rsp, 8);
  for (int r : {r15, r14, r13, r12, rbp, rbx}) e.pop(r);
  e.ret();
  std::memcpy(code_, e.code.data(), e.size());
  code_start_ = code_used_ = (e.size() + 63) & ~size_t{63};
  if (!protect(code_, kCodeSize, PROT_READ | PROT_EXEC)) {
    munmap(code_, kCodeSize);
    throw std::runtime_error("no executable memory for the translator");
  }
  entry_ = reinterpret_cast<void (*)(Cpu*, const void*)>(code_);
  eh_frame_ = eh_frame(code_, kCodeSize);
  __register_frame(eh_frame_.data());
}

Translator::~Translator() {
  __deregister_frame(eh_frame_.data());
  munmap(code_, kCodeSize);
}

void Translator::reset_now() {
  code_used_ = code_start_;
  chunk_ = 0;
  chunk_used_ = 0;
  reset_pending_ = false;
  full_ = false;
}

bool Translator::translate(TraceEntry& t, const Insn* insns, CodeSize mode) {
  if (reset_pending_) reset_now();
  const unsigned n = t.count;
  if (n == 0) return false;
  if (chunk_used_ + 2 * n > kChunk) {
    ++chunk_;
    chunk_used_ = 0;
  }
  full_ = chunk_ >= kMaxChunks;
  if (full_) return false;
  if (chunk_ == copy_chunks_.size()) copy_chunks_.push_back(std::make_unique<Insn[]>(kChunk));
  Insn* copies = &copy_chunks_[chunk_][chunk_used_];
  Compiler compiler(t, insns, copies, mode, exit_);
  Emitter e;
  if (!compiler.compile(e, code_used_)) return false;
  full_ = code_used_ + e.size() > kCodeSize;
  if (full_) return false;
  for (unsigned k = 0; k < n; ++k) {
    copies[2 * k] = insns[k];
    copies[2 * k].link = nullptr;
    copies[2 * k].link_generation = 0;
    copies[2 * k + 1] = Insn{};
    copies[2 * k + 1].fn = marker;
    copies[2 * k + 1].idx = static_cast<uint8_t>(k + 1);
    copies[2 * k + 1].off = static_cast<uint8_t>(k + 1 < n ? insns[k + 1].off : insns[k].off + insns[k].len);
  }
  uint8_t* at = code_ + code_used_;
  // Writable, then executable again; if the system refuses either, the trace stays
  // interpreted (nothing of it runs translated).
  if (!protect(at, e.size(), PROT_READ | PROT_WRITE)) return false;
  std::memcpy(at, e.code.data(), e.size());
  if (!protect(at, e.size(), PROT_READ | PROT_EXEC)) return false;
  chunk_used_ += 2 * n;
  code_used_ = (code_used_ + e.size() + 15) & ~size_t{15};
  t.native = at;
  t.copies = copies;
  return true;
}

}  // namespace rw::cpu
