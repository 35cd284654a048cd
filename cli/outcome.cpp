#include "cli/outcome.h"

#include <fmt/format.h>

#include <new>

#include "block/output_file.h"
#include "devices/cga.h"
#include "devices/kbc8042.h"
#include "cpu/engine.h"
#include "machine/machine.h"
#include "session/exit_codes.h"

namespace rw::cli {

FILE* open_serial_output(const std::string& spec, OwnedFile& owned) {
  if (spec == "stdio") return stdout;
  std::string problem;
  owned.reset(block::open_output_file(spec, problem));
  if (!owned) fmt::print(stderr, "rewind: error: --serial {}: {}\n", spec, problem);
  return owned.get();
}

bool write_screen(const std::string& path, Machine& machine) {
  std::string problem;
  OwnedFile file(block::open_output_file(path, problem));
  if (!file) {
    fmt::print(stderr, "rewind: error: --screen {}: {}\n", path, problem);
    return false;
  }
  const std::string text = machine.screen_text();
  if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() || std::fflush(file.get()) != 0) {
    fmt::print(stderr, "rewind: error: --screen {}: cannot write it\n", path);
    return false;
  }
  return true;
}

bool screen_output_ok(const std::string& path) {
  std::string problem;
  OwnedFile file(block::open_output_file(path, problem));
  if (!file) fmt::print(stderr, "rewind: error: --screen {}: {}\n", path, problem);
  return file != nullptr;
}

void print_device_stats(Machine& machine) {
  fmt::print(stderr, "rewind: stats: engine: {}\n", cpu::engine_name(machine.engine()));
  fmt::print(stderr, "rewind: stats: devices: {}\n", kPcDevices);
  fmt::print(stderr, "rewind: stats: device register (MMIO) accesses: {}\n", machine.mmio().accesses());
  const Kbc8042& k = machine.kbc();
  fmt::print(stderr, "rewind: stats: 8042 keyboard controller: command byte {:02x}, output port {:02x}, A20 {}\n",
             k.command_byte(), k.output_port(), k.a20() ? "on" : "off");
  const Cga& c = machine.cga();
  fmt::print(stderr, "rewind: stats: CGA text mode 80x25: cursor at row {}, column {}; start address {}\n",
             c.cursor() / Cga::kColumns, c.cursor() % Cga::kColumns, c.start_address());
}

int run_guarded(const std::function<int()>& body, const std::string& memory_note) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "rewind: error: out of host memory{}\n", memory_note.empty() ? "" : " (" + memory_note + ")");
    return session::kExitInternal;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rewind: error: internal error: {}\n", e.what());
    return session::kExitInternal;
  }
}

}  // namespace rw::cli
