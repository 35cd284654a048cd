#include "stub/x86_registers.h"

#include <fmt/format.h>

namespace rw::stub {

namespace {

// The CPU's numbering (cpu.h): RAX RCX RDX RBX RSP RBP RSI RDI R8..R15; ES CS SS DS FS GS.
enum : uint8_t { kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi };
enum : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs };

std::vector<X86RegInfo> make_layout(bool is64) {
  std::vector<X86RegInfo> r;
  if (is64) {
    // gdb's amd64 order: rax rbx rcx rdx rsi rdi rbp rsp r8-r15.
    const std::pair<const char*, uint8_t> gprs[] = {{"rax", kRax}, {"rbx", kRbx}, {"rcx", kRcx}, {"rdx", kRdx},
                                                    {"rsi", kRsi}, {"rdi", kRdi}, {"rbp", kRbp}, {"rsp", kRsp}};
    for (auto [name, index] : gprs) r.push_back({name, 8, X86Reg::kGpr, index});
    static const char* const kHigh[] = {"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    for (uint8_t i = 0; i < 8; ++i) r.push_back({kHigh[i], 8, X86Reg::kGpr, static_cast<uint8_t>(8 + i)});
    r.push_back({"rip", 8, X86Reg::kPc, 0});
  } else {
    // gdb's i386 order is the hardware order.
    static const char* const kNames[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (uint8_t i = 0; i < 8; ++i) r.push_back({kNames[i], 4, X86Reg::kGpr, i});
    r.push_back({"eip", 4, X86Reg::kPc, 0});
  }
  r.push_back({"eflags", 4, X86Reg::kFlags, 0});
  const std::pair<const char*, uint8_t> segs[] = {{"cs", kCs}, {"ss", kSs}, {"ds", kDs},
                                                  {"es", kEs}, {"fs", kFs}, {"gs", kGs}};
  for (auto [name, index] : segs) r.push_back({name, 4, X86Reg::kSeg, index});
  static const char* const kSt[] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};
  for (uint8_t i = 0; i < 8; ++i) r.push_back({kSt[i], 10, X86Reg::kSt, i});
  static const char* const kFpu[] = {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"};
  for (uint8_t i = 0; i < 8; ++i) r.push_back({kFpu[i], 4, X86Reg::kFpu, i});
  static const char* const kXmm[] = {"xmm0", "xmm1", "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
                                     "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
  for (uint8_t i = 0; i < (is64 ? 16 : 8); ++i) r.push_back({kXmm[i], 16, X86Reg::kXmm, i});
  r.push_back({"mxcsr", 4, X86Reg::kMxcsr, 0});
  const uint8_t base_bytes = is64 ? 8 : 4;
  r.push_back({"fs_base", base_bytes, X86Reg::kSegBase, kFs});
  r.push_back({"gs_base", base_bytes, X86Reg::kSegBase, kGs});
  return r;
}

// Types gdb's own description files define, so that `info registers` looks the same.
constexpr const char* kEflagsType = R"(    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
)";

constexpr const char* kSseTypes = R"(    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
)";

const char* reg_type(const X86RegInfo& r, bool is64) {
  switch (r.kind) {
    case X86Reg::kGpr:
      if (r.index == 4 || r.index == 5) return "data_ptr";  // rsp, rbp
      return is64 ? "int64" : "int32";
    case X86Reg::kPc: return "code_ptr";
    case X86Reg::kFlags: return "i386_eflags";
    case X86Reg::kSeg: return "int32";
    case X86Reg::kSt: return "i387_ext";
    case X86Reg::kFpu: return "int";
    case X86Reg::kXmm: return "vec128";
    case X86Reg::kMxcsr: return "i386_mxcsr";
    case X86Reg::kSegBase: return is64 ? "int" : "int";
  }
  return "int";
}

const char* reg_group(const X86RegInfo& r) {
  switch (r.kind) {
    case X86Reg::kFpu: return "float";
    case X86Reg::kMxcsr: return "vector";
    default: return nullptr;
  }
}

}  // namespace

const std::vector<X86RegInfo>& x86_registers(bool is64) {
  static const std::vector<X86RegInfo> k32 = make_layout(false), k64 = make_layout(true);
  return is64 ? k64 : k32;
}

std::string x86_target_xml(bool is64, bool real_mode) {
  const auto& regs = x86_registers(is64);
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n";
  // i8086 has i386's registers and disassembles 16-bit code. (gdb 13 keeps a description's
  // i386 even after `set architecture i8086`, but switches between the two when the
  // description says i8086.)
  xml += is64 ? "  <architecture>i386:x86-64</architecture>\n"
              : real_mode ? "  <architecture>i8086</architecture>\n" : "  <architecture>i386</architecture>\n";
  // A bare-metal guest: without this, gdb applies its host's default (GNU/Linux) to an ELF
  // that names no OS, and the i386 GNU/Linux register numbering has no room for fs_base.
  xml += "  <osabi>none</osabi>\n";
  const char* features[] = {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments"};
  size_t regnum = 0;
  for (int f = 0; f < 3; ++f) {
    xml += fmt::format("  <feature name=\"{}\">\n", features[f]);
    if (f == 0) xml += kEflagsType;
    if (f == 1) xml += kSseTypes;
    for (; regnum < regs.size(); ++regnum) {
      const X86RegInfo& r = regs[regnum];
      const int feature = r.kind == X86Reg::kXmm || r.kind == X86Reg::kMxcsr ? 1 : r.kind == X86Reg::kSegBase ? 2 : 0;
      if (feature != f) break;
      const char* group = reg_group(r);
      xml += fmt::format("    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"{}/>\n", r.name, r.bytes * 8,
                         reg_type(r, is64), regnum, group ? fmt::format(" group=\"{}\"", group) : "");
    }
    xml += "  </feature>\n";
  }
  xml += "</target>\n";
  return xml;
}

}  // namespace rw::stub
