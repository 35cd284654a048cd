// IN and OUT, and the I/O permission check shared with INS/OUTS.
#include "core/io_bus.h"
#include "cpu/handlers.h"
#include "cpu/operands.h"

namespace rw::cpu {

// Above IOPL, the TSS I/O permission bitmap decides (SDM vol. 1, 19.5).
void check_io_permission(Cpu& c, uint16_t port, unsigned size) {
  if (!(c.cr0 & cr0::PE)) return;
  unsigned iopl = (c.rflags_stored >> 12) & 3;
  if (c.cpl <= iopl) return;
  if ((c.tr.attr & 0x0F) != 0x0B || c.tr.limit < 0x67) raise_fault(vec::GP, 0);
  uint16_t map_base = sys_read<uint16_t>(c, (c.tr.base + 0x66) & c.lin_mask);
  uint32_t byte = map_base + port / 8;
  if (byte + 1 > c.tr.limit) raise_fault(vec::GP, 0);
  uint16_t bits = sys_read<uint16_t>(c, (c.tr.base + byte) & c.lin_mask);
  if ((bits >> (port & 7)) & ((1u << size) - 1)) raise_fault(vec::GP, 0);
}

namespace {

template <class T, bool Imm>
void in(Cpu& c, const Insn& i) {
  uint16_t port = Imm ? static_cast<uint16_t>(i.imm) : static_cast<uint16_t>(c.gpr[RDX]);
  check_io_permission(c, port, sizeof(T));
  T v = static_cast<T>(c.io->read(port, sizeof(T)));
  reg_set<T>(c, sizeof(T) == 1 ? 0 : RAX, v);
}

template <class T, bool Imm>
void out(Cpu& c, const Insn& i) {
  uint16_t port = Imm ? static_cast<uint16_t>(i.imm) : static_cast<uint16_t>(c.gpr[RDX]);
  check_io_permission(c, port, sizeof(T));
  c.io->write(port, sizeof(T), static_cast<T>(c.gpr[RAX]));
}

}  // namespace

Handler select_in(unsigned size, bool imm_port) {
  return by_size(size, [&]<class T>() -> Handler {
    if constexpr (sizeof(T) == 8) return nullptr;
    else return imm_port ? chain<in<T, true>> : chain<in<T, false>>;
  });
}

Handler select_out(unsigned size, bool imm_port) {
  return by_size(size, [&]<class T>() -> Handler {
    if constexpr (sizeof(T) == 8) return nullptr;
    else return imm_port ? chain<out<T, true>> : chain<out<T, false>>;
  });
}

}  // namespace rw::cpu
