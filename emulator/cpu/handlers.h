// Handler selectors: the decoder asks each instruction family for the handler of an
// exact form. Templates stay inside the family's .cpp file.
#pragma once

#include <cstdint>

#include "cpu/insn.h"

namespace rw::cpu {

// --- alu.cpp ---
enum class AluOp : uint8_t { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };
enum class Form : uint8_t { EG, GE, EI };  // r/m <- reg, reg <- r/m, r/m <- imm
Handler select_alu(AluOp op, Form form, unsigned size, bool mem);
enum class UnaryOp : uint8_t { Inc, Dec, Not, Neg };
Handler select_unary(UnaryOp op, unsigned size, bool mem);
Handler select_xadd(unsigned size, bool mem);
Handler select_cmpxchg(unsigned size, bool mem);
Handler select_cmpxchg_double(unsigned size);  // CMPXCHG8B / CMPXCHG16B, memory only

// --- data.cpp ---
Handler select_mov(Form form, unsigned size, bool mem);
Handler select_movx(bool sign, unsigned dst_size, unsigned src_size, bool mem);
Handler select_lea(unsigned size);
Handler select_xchg(unsigned size, bool mem);
Handler select_cmov(unsigned cc, unsigned size, bool mem);
Handler select_setcc(unsigned cc, bool mem);
Handler select_bswap(unsigned size);
Handler select_sign_extend_acc(unsigned size);  // CBW / CWDE / CDQE
Handler select_sign_split_acc(unsigned size);   // CWD / CDQ / CQO
Handler select_xlat(unsigned asize);
extern const Handler op_nop, op_lahf, op_sahf, op_cmc, op_clc, op_stc, op_cld, op_std;

// --- shift.cpp ---
enum class ShiftOp : uint8_t { Rol, Ror, Rcl, Rcr, Shl, Shr, Sal, Sar };
enum class Count : uint8_t { One, Cl, Imm };
Handler select_shift(ShiftOp op, Count count, unsigned size, bool mem);
Handler select_shift_double(bool right, Count count, unsigned size, bool mem);  // SHLD / SHRD

// --- muldiv.cpp ---
enum class MulOp : uint8_t { Mul, Imul, Div, Idiv };
Handler select_muldiv(MulOp op, unsigned size, bool mem);
Handler select_imul2(unsigned size, bool mem);  // IMUL Gv, Ev
Handler select_imul3(unsigned size, bool mem);  // IMUL Gv, Ev, imm

// --- bit.cpp ---
enum class BitOp : uint8_t { Bt, Bts, Btr, Btc };
Handler select_bit_test(BitOp op, bool imm, unsigned size, bool mem);
enum class ScanOp : uint8_t { Bsf, Bsr, Tzcnt, Lzcnt, Popcnt };
Handler select_scan(ScanOp op, unsigned size, bool mem);

// --- string.cpp ---
enum class StrOp : uint8_t { Movs, Cmps, Stos, Lods, Scas, Ins, Outs };
enum Rep : uint8_t { kNoRep = 0, kRepE = 1, kRepNE = 2 };
Handler select_string(StrOp op, unsigned size, unsigned asize, Rep rep);

// --- stack.cpp ---
Handler select_push_reg(unsigned size);
Handler select_pop_reg(unsigned size);
Handler select_push_mem(unsigned size);
Handler select_pop_mem(unsigned size);
Handler select_push_imm(unsigned size);
Handler select_push_seg(unsigned size);  // ext = SegReg
Handler select_pop_seg(unsigned size);   // ext = SegReg
Handler select_pushf(unsigned size);
Handler select_popf(unsigned size);
Handler select_pusha(unsigned size);
Handler select_popa(unsigned size);
Handler select_enter(unsigned size);
Handler select_leave(unsigned size);

// --- control.cpp ---
Handler select_jmp();                         // imm = target
Handler select_jcc(unsigned cc);
Handler select_jcxz(unsigned asize);
Handler select_loop(unsigned kind, unsigned asize);  // kind: 0 LOOPNE, 1 LOOPE, 2 LOOP
Handler select_call(unsigned size);
Handler select_call_indirect(unsigned size, bool mem);
Handler select_jmp_indirect(unsigned size, bool mem);
Handler select_ret(unsigned size, bool imm);
Handler select_far_ptr(bool call, unsigned size);  // imm = offset, imm2 = selector
Handler select_far_mem(bool call, unsigned size);  // m16:16/32/64
Handler select_retf(unsigned size, bool imm);
Handler select_iret(unsigned size);
extern const Handler op_int, op_int3, op_into, op_int1;

// --- system.cpp ---
extern const Handler op_hlt, op_cli, op_sti, op_cpuid, op_rdtsc, op_rdtscp, op_rdmsr, op_wrmsr, op_swapgs,
    op_syscall, op_sysenter, op_clts, op_wbinvd, op_invlpg, op_ltr, op_lldt, op_lmsw, op_invalid,
    op_unimplemented, op_verr, op_verw, op_gp0;
Handler select_sysret(unsigned size);
Handler select_sysexit(unsigned size);
Handler select_descriptor_table(bool store, bool idt);  // LGDT/LIDT/SGDT/SIDT, memory only
Handler select_store_selector(unsigned which, unsigned size, bool mem);  // 0 SLDT, 1 STR, 2 SMSW
Handler select_mov_cr(bool to_cr);   // ext = CR number, rm = GPR
Handler select_mov_dr(bool to_dr);   // ext = DR number
Handler select_mov_to_seg(bool mem);             // reg = SegReg
Handler select_mov_from_seg(unsigned size, bool mem);
Handler select_load_far_pointer(unsigned size);  // LDS/LES/LSS/LFS/LGS; ext = SegReg
Handler select_lar_lsl(bool lsl, unsigned size, bool mem);

// --- sse_fp.cpp, sse_int.cpp: SSE, SSE2 and SSE3 ---
// By opcode (0F op) and mandatory prefix (0 none, 1 66, 2 F3, 3 F2); nullptr when the
// encoding is not an SSE, SSE2 or SSE3 instruction (MMX: not implemented), op_invalid
// when it is an invalid form of one. `wide`: REX.W; `imm`: the immediate (CMPPS's predicate);
// `group`: ModRM.reg (the shift groups 0F 71-73).
Handler select_sse_fp(uint8_t op, unsigned prefix, bool mem, bool wide, uint8_t imm);
Handler select_sse_int(uint8_t op, unsigned prefix, bool mem, bool wide, unsigned group);
Handler select_mxcsr(bool store);                 // 0F AE /2 /3: LDMXCSR, STMXCSR
Handler select_fxsave(bool restore, bool wide);   // 0F AE /0 /1: FXSAVE, FXRSTOR (fxsave.cpp)
// --- xsave.cpp: the XSAVE feature set ---
Handler select_xsave(unsigned digit, bool wide);  // 0F AE /4 /5 /6 (memory): XSAVE, XRSTOR, XSAVEOPT
extern const Handler op_xgetbv, op_xsetbv;        // 0F 01 D0, 0F 01 D1
Handler select_clflush();
// sse4.cpp: SSSE3, SSE4.1, SSE4.2 on XMM registers, 0F 38 op (map 0x38) and 0F 3A op ib (map
// 0x3A); nullptr when rewind has no such instruction (the MMX forms, MOVBE, AES...). CRC32
// (F2 0F 38 F0/F1): `size` the source's, 1 to 8.
Handler select_sse4(uint8_t map, uint8_t op, unsigned prefix, bool mem, bool wide);
Handler select_crc32(unsigned size, bool mem);

// --- x87.cpp, x87_env.cpp: the x87 FPU ---
namespace x87 {
// D8-DF by the ModRM byte (register forms: ST(i) in Insn::rm, FCMOVcc's condition in ext;
// Insn::imm2 holds the 11-bit opcode FOP records). `osize`: the environment formats' operand
// size. nullptr: not implemented.
Handler select(uint8_t op, uint8_t modrm, bool mem, unsigned osize);
extern const Handler op_fwait;
}  // namespace x87

// --- io.cpp ---
Handler select_in(unsigned size, bool imm_port);
Handler select_out(unsigned size, bool imm_port);

}  // namespace rw::cpu
