// A guest from the build booted on a Machine, and recorded as `rewind record` records it
// (host I/O on, state digests every 100,000 instructions): what the timeline and engine
// tests start from. Header only; the including test defines REWIND_TEST_GUEST_DIR and
// REWIND_TEST_DISK_DIR.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "block/disks.h"
#include "cpu/engine.h"
#include "journal/recording_file.h"
#include "journal/sessions.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "session/session.h"

namespace rw::testing {

inline const std::string kGuestDir = REWIND_TEST_GUEST_DIR;
inline const std::string kDiskDir = REWIND_TEST_DISK_DIR;

struct Spec {
  std::string elf;
  std::string append;
  bool disks = false;  // pattern-a.img as the primary master, pattern-b.img as the secondary
  uint64_t max_instructions = 0;  // 0: until the guest stops
  std::string io_faults = "";     // host I/O when recording (block/fault_spec.h)
};

inline bool available(const Spec& s) {
  return std::filesystem::exists(kGuestDir + "/" + s.elf) &&
         (!s.disks || std::filesystem::exists(kDiskDir + "/pattern-a.img"));
}

// 32 MiB, no serial output, a fixed RTC base; `engine` unset: the default one.
inline std::unique_ptr<Machine> boot(const Spec& spec, bool host_io, std::optional<cpu::Engine> engine = {}) {
  MachineConfig c;
  c.memory_bytes = 32ull << 20;
  c.serial_out = nullptr;
  c.rtc_base_unix_seconds = 1'700'000'000;
  c.engine = engine;
  auto m = std::make_unique<Machine>(c);
  if (spec.disks) {
    block::Disks::Images images;
    images[0] = block::BaseImage::open(kDiskDir + "/pattern-a.img");
    images[2] = block::BaseImage::open(kDiskDir + "/pattern-b.img");
    m->attach_disks(std::make_unique<block::Disks>(m->host_wakeup(), std::move(images),
                                                   block::parse_fault_spec(host_io ? spec.io_faults : ""), host_io));
  }
  loader::BootImage b = loader::load_multiboot_file(m->memory(), kGuestDir + "/" + spec.elf, spec.append);
  m->enter_multiboot(b.entry, b.multiboot_info);
  return m;
}

// Records the guest to a file and reads it back.
inline journal::Recording record(const Spec& spec, std::optional<cpu::Engine> engine = {}) {
  auto m = boot(spec, /*host_io=*/true, engine);
  journal::RecordingHeader h;
  h.memory_bytes = 32ull << 20;
  h.rtc_base_unix_seconds = 1'700'000'000;
  h.state_hash_interval = 100'000;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("rewind_test_" + std::to_string(getpid()) + ".rwr")).string();
  RunResult r;
  {
    journal::RecordingSession session(*m, h, path, m->disks(), nullptr);
    const uint64_t limit = spec.max_instructions ? spec.max_instructions : ~uint64_t{0};
    do {
      r = m->run(std::min(limit, m->cpu().icount + (uint64_t{1} << 24)));
    } while (r.reason == cpu::StopReason::kTarget && m->cpu().icount < limit);
    session.finish(r, session::exit_status_for(r));
  }
  journal::Recording rec = journal::read_recording(path);
  std::filesystem::remove(path);
  return rec;
}

}  // namespace rw::testing
