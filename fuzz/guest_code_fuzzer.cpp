// Guest code is outside input too: arbitrary bytes run as a guest's code, by the
// interpreter and by the translator (every trace translated the first time it runs, and
// traces that loop), must leave the same machine: the same instruction count, the same way
// of stopping, the same state digest. A fault, a HLT, a triple fault, self-modifying code,
// I/O to every device: whatever the bytes do, both engines do it alike and the host survives.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cpu/engine.h"
#include "fuzz_check.h"
#include "journal/state_hash.h"
#include "machine/machine.h"

namespace {

constexpr uint64_t kMemory = 2u << 20;  // the smallest machine rewind makes
constexpr uint32_t kCode = 0x10000;     // where the bytes go, and the entry
constexpr size_t kMaxCode = 4096;
constexpr uint64_t kBudget = 20000;  // instructions per engine

struct Outcome {
  uint64_t icount;
  rw::cpu::StopReason reason;
  uint64_t digest;
};

Outcome run(rw::cpu::Engine engine, const uint8_t* code, size_t size) {
  rw::MachineConfig config;
  config.memory_bytes = kMemory;
  config.serial_out = nullptr;
  config.engine = engine;
  rw::Machine m(config);
  m.memory().write(kCode, code, size);
  // Some of the code again higher up, so that far branches land in code too.
  m.memory().write(kCode + 0x8000, code, size);
  m.enter_multiboot(kCode, 0x9500);
  rw::RunResult r;
  do {
    r = m.run(std::min<uint64_t>(kBudget, m.cpu().icount + 1000));
  } while (r.reason == rw::cpu::StopReason::kTarget && m.cpu().icount < kBudget);
  return {m.cpu().icount, r.reason, rw::journal::StateHasher(m).digest().combined()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Translate every trace on its first run (read when each machine's code cache is made).
  static const int once = setenv("REWIND_JIT_HOT", "1", 1);
  (void)once;
  if (size > kMaxCode) size = kMaxCode;
  const Outcome a = run(rw::cpu::Engine::kInterpreter, data, size);
  const Outcome b = run(rw::cpu::Engine::kTranslator, data, size);
  FUZZ_CHECK(a.icount == b.icount);
  FUZZ_CHECK(a.reason == b.reason);
  FUZZ_CHECK(a.digest == b.digest);
  return 0;
}
