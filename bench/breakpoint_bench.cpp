// Debugger requests at scale (docs/PERFORMANCE.md, "GDB stub"): what 10,000 breakpoints,
// and watch ranges of any length, cost through the protocol layer and a real machine.
//
//   breakpoint_bench [--breakpoints N]
//
// The guest is a hand-assembled loop; every request goes through Session::handle as a
// packet from gdb would. Prints wall times (milliseconds).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "machine/machine.h"
#include "stub/machine_target.h"
#include "stub/session.h"

using namespace rw;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// 100000: mov eax, 1 / 100005: mov [0x200000], eax / 10000a: inc eax / 10000b: jmp 100005
const std::vector<uint8_t> kLoop = {0xB8, 1, 0, 0, 0, 0xA3, 0, 0, 0x20, 0, 0x40, 0xEB, 0xF8};

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 10'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--breakpoints") == 0 && i + 1 < argc) {
      count = std::strtoull(argv[++i], nullptr, 0);
    } else {
      std::fprintf(stderr, "usage: breakpoint_bench [--breakpoints N]\n");
      return 2;
    }
  }
  MachineConfig config;
  config.serial_out = stdout;
  Machine machine(config);
  machine.memory().write(0x100000, kLoop.data(), kLoop.size());
  machine.enter_multiboot(0x100000, 0x9500);
  stub::MachineTarget target(machine, false, 0, [](const RunResult&) { return 0; });
  stub::Session session(target);
  target.attach();
  auto ask = [&](const std::string& packet) {
    const std::string reply = session.handle(packet).reply;
    if (reply != "OK") {
      std::fprintf(stderr, "breakpoint_bench: %s -> '%s'\n", packet.c_str(), reply.c_str());
      std::exit(1);
    }
  };
  auto one_slice = [&] {
    target.resume({stub::ResumeKind::kContinue, 0});
    const auto t0 = Clock::now();
    if (target.run_slice()) {
      std::fprintf(stderr, "breakpoint_bench: the loop stopped\n");
      std::exit(1);
    }
    return ms_since(t0);
  };
  one_slice();
  const uint64_t flushes_before = machine.code_cache_flushes();

  auto t0 = Clock::now();
  for (uint64_t i = 0; i < count; ++i) ask(fmt::format("Z0,{:x},1", 0x400000 + 16 * i));
  const double insert_ms = ms_since(t0);
  const double slice_after_insert_ms = one_slice();
  const double slice_plain_ms = one_slice();
  t0 = Clock::now();
  for (uint64_t i = 0; i < count; ++i) ask(fmt::format("z0,{:x},1", 0x400000 + 16 * i));
  const double remove_ms = ms_since(t0);
  one_slice();
  const uint64_t flushes = machine.code_cache_flushes() - flushes_before;

  t0 = Clock::now();
  ask("Z2,1000,1000000000");
  ask("Z4,0,ffffffffffffffff");
  const double watch_ms = ms_since(t0);
  target.resume({stub::ResumeKind::kContinue, 0});
  t0 = Clock::now();
  const bool stopped = target.run_slice().has_value();
  const double watch_slice_ms = ms_since(t0);

  fmt::print("{} breakpoints: insert {:.1f} ms ({:.2f} us each), remove {:.1f} ms\n", count, insert_ms,
             insert_ms * 1000 / static_cast<double>(count), remove_ms);
  fmt::print("2,097,152-instruction slice: {:.1f} ms after the inserts (one code-cache flush), {:.1f} ms "
             "unchanged\n",
             slice_after_insert_ms, slice_plain_ms);
  fmt::print("code-cache flushes over the inserts, removes and three slices: {}\n", flushes);
  fmt::print("watch 64 GiB + access watch of all 2^64 bytes: {:.3f} ms to set, {:.3f} ms to the first hit ({})\n",
             watch_ms, watch_slice_ms, stopped ? "stopped" : "no stop");
  return 0;
}
