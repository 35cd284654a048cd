#include "cli/run_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>

#include "cli/disk_options.h"
#include "cli/exit_codes.h"
#include "cli/outcome.h"
#include "cli/serial_in.h"
#include "journal/checksum.h"
#include "journal/recording_error.h"
#include "journal/sessions.h"
#include "block/base_image.h"
#include "block/input_file.h"
#include "loader/load_error.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "stub/machine_target.h"
#include "stub/server.h"

namespace rw::cli {

namespace {

// The machine runs in slices so that later features (a debugger, the web monitor, snapshots)
// can interleave between them without the CPU loop knowing.
constexpr uint64_t kSliceInstructions = uint64_t{1} << 30;


void print_stats(const cpu::Cpu& cpu, std::chrono::duration<double> wall) {
  const double seconds = wall.count();
  const double mips = seconds > 0 ? static_cast<double>(cpu.icount) / seconds / 1e6 : 0.0;
  fmt::print(stderr, "rewind: stats: instructions retired: {}\n", cpu.icount);
  fmt::print(stderr, "rewind: stats: wall time: {:.3f} s\n", seconds);
  fmt::print(stderr, "rewind: stats: speed: {:.1f} MIPS\n", mips);
  fmt::print(stderr, "rewind: stats: unimplemented-opcode #UDs: {}\n", cpu.unimplemented_count);
}

RunResult run_to_end(Machine& machine, uint64_t max_instructions) {
  const uint64_t limit = max_instructions != 0 ? max_instructions : UINT64_MAX;
  for (;;) {
    const uint64_t now = machine.cpu().icount;
    const uint64_t target = now < limit - std::min(limit, kSliceInstructions) ? now + kSliceInstructions : limit;
    RunResult result = machine.run(target);
    if (result.reason == cpu::StopReason::kTarget && machine.cpu().icount < limit) continue;
    return result;
  }
}

// With --gdb: serve the debugger until the guest ends, or until gdb detaches (the guest then
// runs on to its end, as without a debugger). nullopt when there is no run result to report
// (gdb killed the guest, the server could not listen); `status` is then the exit status.
std::optional<RunResult> run_under_gdb(Machine& machine, const loader::BootImage& boot, const RunOptions& options,
                                       int& status) {
  const bool is64 = boot.format == loader::ImageFormat::kElf64;
  stub::MachineTarget target(machine, is64, options.max_instructions, exit_status_for);
  stub::ServeResult served;
  if (!serve_gdb(target, options.gdb, options.wait_gdb, served)) {
    status = kExitGdbListen;
    return std::nullopt;
  }
  switch (served.kind) {
    case stub::ServeResult::Kind::kEnded: return target.final_result();
    case stub::ServeResult::Kind::kDetached: return run_to_end(machine, options.max_instructions);
    case stub::ServeResult::Kind::kKilled:
      fmt::print(stderr, "rewind: killed by the debugger\n");
      status = kExitKilled;
      return std::nullopt;
  }
  return std::nullopt;
}

// What a replay needs to rebuild this machine. Image hashes only for a recording file
// (an in-memory journal is replayed by this very process, on the same images).
journal::RecordingHeader recording_header(const RunOptions& options, Machine& machine) {
  journal::RecordingHeader h;
  h.rewind_version = "0.1";
  const bool file = !options.record_path.empty();
  auto image = [&](const std::string& path) {
    journal::ImageInfo info;
    info.path = path;
    if (path.empty()) return info;
    std::string problem;  // the images were checked when loaded; hash_file reports a change since
    if (std::optional<block::InputFile> f = block::InputFile::open(path, block::FileKinds::kRegularOrBlockDevice, problem))
      info.size = f->size();
    if (file) info.hash = journal::hash_file(path);
    return info;
  };
  h.guest = image(options.guest);
  h.append = options.append;
  h.memory_bytes = options.memory_bytes;
  for (const std::string& p : options.disks.positions) h.disks.push_back(image(p));
  h.rtc_base_unix_seconds = machine.config().rtc_base_unix_seconds.value_or(0);
  h.state_hash_interval = journal::kDefaultDigestInterval;
  h.recorded_at_unix_seconds = static_cast<int64_t>(std::time(nullptr));
  return h;
}

int run_machine(const RunOptions& options, FILE* serial) {
  MachineConfig config;
  config.memory_bytes = options.memory_bytes;
  config.serial_out = serial;
  // The guest's clock starts at the host's time: the run's one read of the wall clock, an
  // input the recording stores.
  config.rtc_base_unix_seconds = static_cast<int64_t>(std::time(nullptr));
  Machine machine(config);
  loader::BootImage boot;

  try {
    boot = loader::load_multiboot_file(machine.memory(), options.guest, options.append);
    machine.enter_multiboot(boot.entry, boot.multiboot_info);
  } catch (const LoadError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return kExitBadImage;
  }
  try {
    attach_disks(machine, options.disks);
  } catch (const block::ImageError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return kExitBadImage;
  }
  SerialIn serial_in;
  if (std::string error; !serial_in.connect(options.serial_in, machine, error)) {
    fmt::print(stderr, "rewind: error: {}\n", error);
    return kExitUsage;
  }

  // Every run is recorded (in memory, or to the file of `rewind record`) unless --no-record.
  std::optional<journal::RecordingSession> recording;
  if (options.record) {
    try {
      recording.emplace(machine, recording_header(options, machine), options.record_path, machine.disks(),
                        serial_in.input());
    } catch (const journal::RecordingError& e) {
      fmt::print(stderr, "rewind: error: {}\n", e.what());
      return kExitUsage;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  RunResult result;
  if (!options.gdb.empty()) {
    int status = 0;
    std::optional<RunResult> debugged = run_under_gdb(machine, boot, options, status);
    if (!debugged) return status;
    result = *debugged;
  } else {
    result = run_to_end(machine, options.max_instructions);
  }
  const auto wall = std::chrono::steady_clock::now() - start;
  machine.flush_output();

  if (result.reason != cpu::StopReason::kExit) fmt::print(stderr, "rewind: {}\n", result.message);
  if (options.stats) print_stats(machine.cpu(), wall);
  const int status = exit_status_for(result);
  if (recording) {
    try {
      recording->finish(result, status);
    } catch (const journal::RecordingError& e) {
      fmt::print(stderr, "rewind: error: {}\n", e.what());
    }
    if (options.stats)
      fmt::print(stderr, "rewind: stats: journal: {} events, {} state digests, {} bytes written\n",
                 recording->recorder().events().size(), recording->recorder().digests(), recording->bytes_written());
  }
  if (!finish_disks(machine, options.disks, options.stats)) return kExitDiskSave;
  return status;
}

}  // namespace

int run_command(const RunOptions& options) {
  if (std::string problem = disk_save_problem(options.disks); !problem.empty()) {
    fmt::print(stderr, "rewind: error: {}\n", problem);
    return kExitUsage;
  }
  OwnedFile serial_file;
  FILE* serial = open_serial_output(options.serial, serial_file);
  if (!serial) return kExitUsage;

  try {
    return run_machine(options, serial);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "rewind: error: out of host memory (guest memory is {} MiB)\n", options.memory_bytes >> 20);
    return kExitInternal;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rewind: error: internal error: {}\n", e.what());
    return kExitInternal;
  }
}

}  // namespace rw::cli
