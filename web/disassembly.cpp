#include "web/disassembly.h"

#include <Zydis/Zydis.h>
#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "cpu/cpu.h"
#include "cpu/registers.h"
#include "machine/machine.h"

namespace rw::web {

namespace {

ZydisMachineMode machine_mode(const cpu::Cpu& c) {
  switch (c.code_size) {
    case cpu::CodeSize::k64: return ZYDIS_MACHINE_MODE_LONG_64;
    case cpu::CodeSize::k32: return c.long_mode() ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 : ZYDIS_MACHINE_MODE_LEGACY_32;
    case cpu::CodeSize::k16: break;
  }
  if (c.long_mode()) return ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
  const bool real = !(c.cr0 & cpu::cr0::PE) || (cpu::get_rflags(c) & cpu::rflags::VM);
  return real ? ZYDIS_MACHINE_MODE_REAL_16 : ZYDIS_MACHINE_MODE_LEGACY_16;
}

// Zydis's AT&T output lacks the '*' that gdb and objdump put before the operand of an
// indirect call or jump ("call *%eax", "jmp *0x1000(,%eax,4)"): without it the text reads
// as a direct branch. Two hooks add it, then call Zydis's own operand printers, which
// travel in the formatting call's user data (no global state).
struct Formatter {
  ZydisFormatter zydis;
  ZydisFormatterFunc print_register = nullptr;
  ZydisFormatterFunc print_memory = nullptr;
};

ZyanStatus star_if_indirect_branch(ZydisFormatterBuffer* buffer, const ZydisFormatterContext* context) {
  const ZydisInstructionCategory category = context->instruction->meta.category;
  const bool branch = category == ZYDIS_CATEGORY_CALL || category == ZYDIS_CATEGORY_UNCOND_BR ||
                      category == ZYDIS_CATEGORY_COND_BR;
  if (!branch || context->operand->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT) return ZYAN_STATUS_SUCCESS;
  ZYAN_CHECK(ZydisFormatterBufferAppend(buffer, ZYDIS_TOKEN_USER));
  ZyanString* text;
  ZYAN_CHECK(ZydisFormatterBufferGetString(buffer, &text));
  ZyanStringView star;
  ZYAN_CHECK(ZyanStringViewInsideBuffer(&star, "*"));
  return ZyanStringAppend(text, &star);
}

ZyanStatus print_register(const ZydisFormatter* zydis, ZydisFormatterBuffer* buffer, ZydisFormatterContext* context) {
  ZYAN_CHECK(star_if_indirect_branch(buffer, context));
  return static_cast<const Formatter*>(context->user_data)->print_register(zydis, buffer, context);
}

ZyanStatus print_memory(const ZydisFormatter* zydis, ZydisFormatterBuffer* buffer, ZydisFormatterContext* context) {
  ZYAN_CHECK(star_if_indirect_branch(buffer, context));
  return static_cast<const Formatter*>(context->user_data)->print_memory(zydis, buffer, context);
}

// Installs `hook`; returns the function it replaces (SetHook swaps them through its
// argument, a function passed as `const void*`).
ZydisFormatterFunc set_hook(ZydisFormatter& f, ZydisFormatterFunction which, ZydisFormatterFunc hook) {
  const void* callback = reinterpret_cast<const void*>(hook);
  ZydisFormatterSetHook(&f, which, &callback);
  return reinterpret_cast<ZydisFormatterFunc>(const_cast<void*>(callback));
}

// AT&T as gdb prints it: lowercase hex without leading zeros, immediates unsigned
// ("$0xffffffff"), displacements signed ("-0x8(%ebp)"), RIP-relative operands as
// "0x2f0e(%rip)", branch targets absolute.
void init_formatter(Formatter& f) {
  ZydisFormatterInit(&f.zydis, ZYDIS_FORMATTER_STYLE_ATT);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE, ZYDIS_PADDING_DISABLED);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_IMM_SIGNEDNESS, ZYDIS_SIGNEDNESS_UNSIGNED);
  ZydisFormatterSetProperty(&f.zydis, ZYDIS_FORMATTER_PROP_FORCE_RELATIVE_RIPREL, ZYAN_TRUE);
  f.print_register = set_hook(f.zydis, ZYDIS_FORMATTER_FUNC_FORMAT_OPERAND_REG, print_register);
  f.print_memory = set_hook(f.zydis, ZYDIS_FORMATTER_FUNC_FORMAT_OPERAND_MEM, print_memory);
}

// gdb (GNU) names six conditions otherwise than Zydis does: "je", "setne", "cmova", where
// Zydis prints "jz", "setnz", "cmovnbe". The listing uses gdb's names.
std::string gnu_condition_names(std::string text) {
  static constexpr std::string_view kFamilies[] = {"j", "set", "cmov"};
  static constexpr std::pair<std::string_view, std::string_view> kConditions[] = {
      {"z", "e"}, {"nz", "ne"}, {"nbe", "a"}, {"nb", "ae"}, {"nle", "g"}, {"nl", "ge"}};
  const std::string_view mnemonic = std::string_view(text).substr(0, text.find(' '));
  for (std::string_view family : kFamilies) {
    if (!mnemonic.starts_with(family)) continue;
    for (const auto& [zydis, gnu] : kConditions)
      if (mnemonic.substr(family.size()) == zydis) return text.replace(family.size(), zydis.size(), gnu);
  }
  return text;
}

}  // namespace

Disassembly disassemble_at_pc(Machine& machine, size_t count) {
  const cpu::Cpu& c = machine.cpu();
  // rip, and so the addresses shown, wrap at the code size's width; linear addresses at
  // lin_mask (4 GiB outside 64-bit mode). A 16-bit IP wrapping inside the listing is not
  // followed: the bytes are read on from CS's base + 64 KiB.
  const uint64_t ip_mask = c.code_size == cpu::CodeSize::k64   ? ~uint64_t{0}
                           : c.code_size == cpu::CodeSize::k32 ? 0xFFFFFFFF
                                                               : 0xFFFF;
  const uint64_t start = (c.seg_base[cpu::CS] + c.rip) & c.lin_mask;

  // What `count` instructions can span, read a page at a time up to the first page that
  // is not mapped to RAM.
  std::vector<uint8_t> code(count * ZYDIS_MAX_INSTRUCTION_LENGTH);
  size_t readable = 0;
  while (readable < code.size()) {
    const uint64_t at = (start + readable) & c.lin_mask;
    const size_t n = std::min<uint64_t>(code.size() - readable, 4096 - (at & 4095));
    if (!machine.read_virtual(at, code.data() + readable, n)) break;
    readable += n;
  }

  const bool is64 = c.code_size == cpu::CodeSize::k64;
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, machine_mode(c),
                   is64                            ? ZYDIS_STACK_WIDTH_64
                   : c.seg[cpu::SS].default_big() ? ZYDIS_STACK_WIDTH_32
                                                   : ZYDIS_STACK_WIDTH_16);
  Formatter formatter;
  init_formatter(formatter);

  Disassembly out;
  size_t offset = 0;
  while (out.instructions.size() < count) {
    DisassembledInstruction insn;
    insn.address = (c.rip + offset) & ip_mask;
    ZydisDecodedInstruction decoded;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    const ZyanStatus status =
        offset < readable ? ZydisDecoderDecodeFull(&decoder, code.data() + offset, readable - offset, &decoded, operands)
                          : ZYDIS_STATUS_NO_MORE_DATA;
    // `code` has room for 15 bytes (the longest instruction) per instruction still to
    // list: running out of bytes means running into memory that could not be read.
    if (status == ZYDIS_STATUS_NO_MORE_DATA) {
      out.note = fmt::format("cannot access memory at 0x{:x}", (c.rip + readable) & ip_mask);
      break;
    }
    char text[256];
    if (ZYAN_SUCCESS(status) &&
        ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter.zydis, &decoded, operands,
                                                     decoded.operand_count_visible, text, sizeof text,
                                                     insn.address, &formatter))) {
      insn.bytes.assign(code.begin() + offset, code.begin() + offset + decoded.length);
      insn.text = gnu_condition_names(text);
    } else {
      // As objdump does: one byte shown as not an instruction, and decoding goes on after it.
      insn.bytes = {code[offset]};
      insn.text = "(bad)";
    }
    offset += insn.bytes.size();
    out.instructions.push_back(std::move(insn));
  }
  return out;
}

}  // namespace rw::web
