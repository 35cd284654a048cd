#include "journal/debugger_write.h"

#include <fmt/format.h>

#include <vector>

#include "machine/machine.h"

namespace rw::journal {
namespace {

// The registers cpu::write_register takes (selectors and control registers it refuses).
bool writable(uint64_t reg) {
  return reg < static_cast<uint64_t>(cpu::Reg::kCount) && cpu::writable_register(static_cast<cpu::Reg>(reg));
}

}  // namespace

Event memory_write_event(uint64_t phys, std::span<const uint8_t> bytes) {
  Event e;
  e.kind = EventKind::kDebuggerWrite;
  e.device = static_cast<uint8_t>(DebuggerWriteTarget::kMemory);
  e.id = phys;
  e.status = static_cast<int32_t>(bytes.size());
  e.data.assign((bytes.size() + 7) / 8, 0);
  for (size_t i = 0; i < bytes.size(); ++i) e.data[i / 8] |= uint64_t{bytes[i]} << (8 * (i % 8));
  return e;
}

Event register_write_event(cpu::Reg reg, uint64_t value) {
  Event e;
  e.kind = EventKind::kDebuggerWrite;
  e.device = static_cast<uint8_t>(DebuggerWriteTarget::kRegister);
  e.id = static_cast<uint64_t>(reg);
  e.data = {value};
  return e;
}

std::string check_debugger_write(const Event& e) {
  switch (static_cast<DebuggerWriteTarget>(e.device)) {
    case DebuggerWriteTarget::kMemory: {
      if (e.status < 1 || static_cast<uint64_t>(e.status) > kMaxDebuggerWriteBytes)
        return fmt::format("a debugger's memory write of {} bytes", e.status);
      const auto len = static_cast<uint64_t>(e.status);
      if ((e.id & 4095) + len > 4096)
        return fmt::format("a debugger's memory write at {:#x} crossing a page boundary", e.id);
      // Exactly the words the bytes need, and nothing in the padding: one way to write it.
      if (e.data.size() != (len + 7) / 8 || (len % 8 && e.data.back() >> (8 * (len % 8))))
        return fmt::format("a debugger's memory write whose data does not hold its {} bytes", len);
      return {};
    }
    case DebuggerWriteTarget::kRegister:
      if (!writable(e.id)) return fmt::format("a debugger's write to register {}, which it cannot write", e.id);
      if (e.status != 0 || e.data.size() != 1) return "a debugger's register write without exactly its value";
      return {};
  }
  return fmt::format("a debugger's write to target {}", e.device);
}

bool apply_debugger_write(Machine& machine, const Event& e) {
  if (!check_debugger_write(e).empty()) return false;
  if (static_cast<DebuggerWriteTarget>(e.device) == DebuggerWriteTarget::kRegister)
    return cpu::write_register(machine.cpu(), static_cast<cpu::Reg>(e.id), e.data[0]);
  const auto len = static_cast<size_t>(e.status);
  std::vector<uint8_t> bytes(len);
  for (size_t i = 0; i < len; ++i) bytes[i] = static_cast<uint8_t>(e.data[i / 8] >> (8 * (i % 8)));
  return machine.write_physical(e.id, bytes.data(), len);
}

}  // namespace rw::journal
