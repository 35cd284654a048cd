// Machine state save and restore times (docs/PERFORMANCE.md, "Machine state save and restore").
//
//   snapshot_bench [guest.elf] [--memory MiB] [--repeat N]
//
// Boots the guest (default: a few instructions of machine code that store to one page) in a
// machine of 128 MiB, runs it for a while, then times Machine::save_state and
// Machine::restore_state: once after boot, once after every page of RAM has been written
// with non-zero data. Prints the median and best of N runs of each, and the state's size.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "loader/multiboot_loader.h"
#include "machine/machine.h"

using rw::Machine;
using rw::MachineConfig;
using rw::MachineState;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Timing {
  double median, best;
};
Timing summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front()};
}

void measure(Machine& m, const char* label, int repeat) {
  std::vector<double> save, restore, restore_same;
  MachineState s;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    s = m.save_state();
    save.push_back(ms_since(t0));
  }
  for (int i = 0; i < repeat; ++i) {
    // Restoring over a machine whose memory differs everywhere (the worst case), then over
    // a machine already in that state (only what differs is copied).
    for (uint64_t p = 0; p < m.memory().page_count(); ++p) {
      m.memory().host(p << 12)[8] ^= 0x5A;
      m.memory().mark_page_written(p);  // as the CPU's writes would
    }
    auto t0 = Clock::now();
    m.restore_state(s);
    restore.push_back(ms_since(t0));
    t0 = Clock::now();
    m.restore_state(s);
    restore_same.push_back(ms_since(t0));
  }
  const Timing a = summarize(save), b = summarize(restore), c = summarize(restore_same);
  std::printf("%-28s state %8.1f MiB (%6zu pages)  save %7.2f ms (best %7.2f)  restore %7.2f ms (best %7.2f)  "
              "restore unchanged %7.2f ms (best %7.2f)\n",
              label, s.bytes() / 1048576.0, s.pages.size(), a.median, a.best, b.median, b.best, c.median, c.best);
}

}  // namespace

int main(int argc, char** argv) {
  std::string guest;
  uint64_t mib = 128;
  int repeat = 7;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--memory") && i + 1 < argc)
      mib = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else
      guest = argv[i];
  }
  MachineConfig c;
  c.memory_bytes = mib << 20;
  c.serial_out = nullptr;
  c.rtc_base_unix_seconds = 0;
  Machine m(c);
  if (!guest.empty()) {
    const rw::loader::BootImage boot = rw::loader::load_multiboot_file(m.memory(), guest, "");
    m.enter_multiboot(boot.entry, boot.multiboot_info);
  } else {
    // mov dword [0x200010], eax ; inc eax ; jmp back
    const uint8_t code[] = {0xA3, 0x10, 0, 0x20, 0, 0x40, 0xEB, 0xF8};
    m.memory().write(0x100000, code, sizeof code);
    m.enter_multiboot(0x100000, 0x9500);
  }
  const rw::RunResult r = m.run(5'000'000);
  std::printf("%s, %llu MiB, after %llu instructions (%s)\n", guest.empty() ? "store loop" : guest.c_str(),
              static_cast<unsigned long long>(mib), static_cast<unsigned long long>(m.cpu().icount), r.message.c_str());
  measure(m, "after boot", repeat);
  // Every page written with non-zero data (as the CPU would: marked written).
  for (uint64_t p = 0; p < m.memory().page_count(); ++p) {
    uint64_t words[512];
    for (int w = 0; w < 512; ++w) words[w] = (p << 12 | static_cast<uint64_t>(w)) * 0x9E3779B97F4A7C15ull | 1;
    m.memory().write(p << 12, words, sizeof words);
  }
  measure(m, "all memory touched", repeat);
  return 0;
}
