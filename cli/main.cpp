// rewind's command line: parses the subcommand and its options, then hands over.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "session/exit_codes.h"
#include "cli/memory_size.h"
#include "cli/info_command.h"
#include "cli/replay_command.h"
#include "cli/run_command.h"
#include "cli/trim_command.h"
#include "cpu/engine.h"
#include "stub/server.h"
#include "web/server.h"

namespace {

int usage_error(const std::string& message) {
  fmt::print(stderr, "rewind: error: {} (see rewind --help)\n", message);
  return rw::session::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rewind: a deterministic, recording x86 PC emulator", "rewind"};
  app.require_subcommand(1);

  rw::cli::RunOptions run_options;
  std::string memory_text = "128M";
  std::string max_instructions_text = "0";
  CLI::App* run =
      app.add_subcommand("run", "Boot a Multiboot v1 kernel (or, with none, the disk -hda) and run it until it stops");
  CLI::App* record = app.add_subcommand("record", "As run, and keep the recording in a file (-o) for replay");
  bool gdb_short = false;
  // `record` takes every option of `run`.
  for (CLI::App* cmd : {run, record}) {
    cmd->add_option("guest", run_options.live.guest,
                    "The kernel image (ELF32, ELF64 or a.out-kludge multiboot); without one, the boot sector of -hda "
                    "runs in real mode at 0000:7C00, with no BIOS");
    cmd->add_option("--append", run_options.live.append, "Kernel command line (the guest sees: PATH APPEND)");
    cmd->add_option("--memory", memory_text, "Guest RAM, 2M to 3G, e.g. 128M, 1G, 65536K (default 128M)");
    cmd->add_option("--serial", run_options.serial, "Where COM1 output goes: stdio (default) or a file");
    cmd->add_option("--serial-in", run_options.live.serial_in,
                    "What COM1 receives: stdin (default, as QEMU's -serial stdio), none, or a file");
    cmd->add_option("--max-instructions", max_instructions_text, "Stop after this many instructions (0: no limit)");
    cmd->add_flag("--stats", run_options.stats, "Print instruction count, time and speed to stderr at the end");
    cmd->add_option("--screen", run_options.screen,
                    "Write the CGA text screen (80x25, UTF-8, trailing spaces trimmed) to this file at the end");
    cmd->add_option("--gdb", run_options.gdb, "Serve the gdb remote protocol on [HOST]:PORT (default host 127.0.0.1)");
    cmd->add_flag("--wait-gdb", run_options.wait_gdb,
                  "With --gdb: stop before the first instruction until gdb connects");
    cmd->add_flag("-s", gdb_short, "Shorthand for --gdb :1234 (as QEMU)");
    cmd->add_flag("-S", run_options.wait_gdb, "Shorthand for --wait-gdb (as QEMU)");
    cmd->add_option("--web", run_options.web,
                    "Serve the web timeline on [HOST]:PORT (default host 127.0.0.1); rewind then stays up after the "
                    "guest ends, until Ctrl-C");
    rw::cli::add_disk_options(*cmd, run_options.disks);
  }
  bool no_record = false;
  run->add_flag("--no-record", no_record, "Do not journal the run (it is recorded in memory by default)");
  record->add_option("-o,--output", run_options.live.record_path, "The recording file to write")->required();
  bool store_snapshots = rw::cli::kStoreSnapshotsByDefault;
  record->add_flag("--snapshots,!--no-snapshots", store_snapshots,
                   "Store the snapshots taken at the frontier (every --snapshot-interval) in the recording, so that "
                   "a replay of it can seek anywhere at once (default: no)");

  rw::cli::ReplayOptions replay_options;
  CLI::App* replay = app.add_subcommand("replay", "Run a recording again, instruction for instruction");
  replay->add_option("recording", replay_options.replay.recording, "A file written by rewind record")->required();
  replay->add_option("--serial", replay_options.serial, "Where COM1 output goes: stdio (default) or a file");
  replay->add_flag("--force", replay_options.replay.force, "Replay even if the guest or disk images are not the recorded ones");
  replay->add_flag("--stats", replay_options.stats, "Print instructions, time, speed and events at the end");
  replay->add_option("--screen", replay_options.screen,
                     "Write the CGA text screen (80x25, UTF-8, trailing spaces trimmed) to this file at the end");
  replay->add_flag("!--no-progress", replay_options.progress, "No progress bar on a terminal");
  bool replay_gdb_short = false;
  replay->add_option("--gdb", replay_options.gdb,
                     "Serve the gdb remote protocol on [HOST]:PORT over the replay, with reverse execution");
  replay->add_flag("--wait-gdb", replay_options.wait_gdb, "With --gdb: stop at instruction 0 until gdb connects");
  replay->add_flag("-s", replay_gdb_short, "Shorthand for --gdb :1234 (as QEMU)");
  replay->add_flag("-S", replay_options.wait_gdb, "Shorthand for --wait-gdb (as QEMU)");
  replay->add_option("--web", replay_options.web,
                     "Serve the web timeline on [HOST]:PORT over the replay (it stays at instruction 0 until the page "
                     "or gdb moves it); Ctrl-C ends rewind with status 0");
  // With gdb, the guest's end is a place too: a stop first, the end on the next resume.
  for (auto [cmd, flag] : {std::pair{run, &run_options.end_stop}, std::pair{record, &run_options.end_stop},
                           std::pair{replay, &replay_options.end_stop}})
    cmd->add_option("--end-stop", *flag,
                    "With --gdb: stop at the guest's end (exit, reset, triple fault, instruction limit) before "
                    "it ends, so that you can look and go back; `continue` then ends it: yes (default) or no");

  // Snapshots, for time travel: taken whenever the guest runs forward, with or without gdb.
  std::string snapshot_interval_text = "50000000", snapshot_memory_text = "1G";
  for (CLI::App* cmd : {run, record, replay}) {
    cmd->add_option("--snapshot-interval", snapshot_interval_text,
                    "Instructions between snapshots (default 50000000, about 0.1 s of replay here; 0: only the "
                    "one at instruction 0)");
    cmd->add_option("--snapshot-memory", snapshot_memory_text,
                    "Host memory snapshots may take, e.g. 256M (default 1G; older snapshots are thinned to stay "
                    "within it)");
  }

  rw::session::TrimSpec trim_spec;
  std::string trim_from_text, trim_to_text;
  bool trim_snapshots = rw::cli::kStoreSnapshotsByDefault;
  CLI::App* trim = app.add_subcommand("trim", "Write a recording of the window [A, B] of a recording, starting from a "
                                              "snapshot at A (it needs the same guest and disk images)");
  trim->add_option("recording", trim_spec.recording, "A file written by rewind record (or trim)")->required();
  trim->add_option("--from", trim_from_text, "The window's first instruction count A")->required();
  trim->add_option("--to", trim_to_text, "The window's last instruction count B (A <= B, within the recording)")->required();
  trim->add_option("-o,--output", trim_spec.output, "The recording file to write")->required();
  trim->add_flag("--force", trim_spec.force, "Trim even if the guest or disk images are not the recorded ones");
  trim->add_flag("--snapshots,!--no-snapshots", trim_snapshots,
                 "Store snapshots in the window every --snapshot-interval as well as at its start (default: no)");
  trim->add_option("--snapshot-interval", snapshot_interval_text, "Instructions between snapshots (default 50000000)");

  std::string engine_text;
  for (CLI::App* cmd : {run, record, replay, trim})
    cmd->add_option("--engine", engine_text,
                    "What runs guest code: jit (translated to host code) or interp (the interpreter); the results "
                    "are the same, instruction for instruction (default: $REWIND_ENGINE, else jit)");

  rw::cli::InfoOptions info_options;
  std::string info_from_text, info_to_text;
  CLI::App* info = app.add_subcommand("info", "Describe a recording: machine, images, events, length");
  info->add_option("recording", info_options.recording, "A file written by rewind record")->required();
  info->add_flag("--events", info_options.events,
                 "List the events (disk completions with their requests, serial input, debugger writes), numbered as "
                 "`monitor events` numbers them");
  info->add_option("--from", info_from_text, "With --events: from this instruction count (default 0)");
  info->add_option("--to", info_to_text, "With --events: up to this instruction count (default the end)");
  info->add_flag("--json", info_options.json, "Print JSON, for scripts");

  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    rw::cli::translate_qemu_disk_flags(args);
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return usage_error(e.what());
  }

  if (const char* env = std::getenv("REWIND_ENGINE"); env && engine_text.empty() && !rw::cpu::parse_engine(env))
    return usage_error(fmt::format("bad REWIND_ENGINE value '{}': interp or jit", env));
  if (!engine_text.empty()) {
    const auto engine = rw::cpu::parse_engine(engine_text);
    if (!engine) return usage_error(fmt::format("bad --engine value '{}': interp or jit", engine_text));
    rw::cpu::set_default_engine(*engine);
  }
  try {
    run_options.live.memory_bytes = rw::cli::parse_memory_size(memory_text);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  try {
    run_options.live.max_instructions = rw::cli::parse_count(max_instructions_text);
  } catch (const std::invalid_argument& e) {
    return usage_error(fmt::format("bad --max-instructions value '{}': {}", max_instructions_text, e.what()));
  }

  if (gdb_short && run_options.gdb.empty()) run_options.gdb = ":1234";
  if (!run_options.gdb.empty()) {
    try {
      std::string host;
      uint16_t port = 0;
      rw::stub::parse_listen_address(run_options.gdb, host, port);
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
  } else if (run_options.wait_gdb) {
    return usage_error("--wait-gdb (-S) needs --gdb [HOST]:PORT (or -s)");
  }

  for (const std::string* web : {&run_options.web, &replay_options.web}) {
    if (web->empty()) continue;
    try {
      std::string host;
      uint16_t port = 0;
      rw::web::parse_web_address(*web, host, port);
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
  }
  if (!run_options.web.empty() && no_record)
    return usage_error("--web shows the run's recorded history: it does not go with --no-record");

  try {
    rw::cli::resolve_disk_options(run_options.disks);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }

  rw::TimelineOptions snapshots;
  try {
    const uint64_t interval = rw::cli::parse_count(snapshot_interval_text);
    snapshots.interval = interval ? interval : ~uint64_t{0};
  } catch (const std::invalid_argument& e) {
    return usage_error(fmt::format("bad --snapshot-interval value '{}': {}", snapshot_interval_text, e.what()));
  }
  try {
    snapshots.budget_bytes = rw::cli::parse_byte_size(snapshot_memory_text, "--snapshot-memory");
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }

  if (replay->parsed()) {
    if (replay_gdb_short && replay_options.gdb.empty()) replay_options.gdb = ":1234";
    if (!replay_options.gdb.empty()) {
      try {
        std::string host;
        uint16_t port = 0;
        rw::stub::parse_listen_address(replay_options.gdb, host, port);
      } catch (const std::invalid_argument& e) {
        return usage_error(e.what());
      }
    } else if (replay_options.wait_gdb) {
      return usage_error("--wait-gdb (-S) needs --gdb [HOST]:PORT (or -s)");
    }
    replay_options.replay.snapshots = snapshots;
    return rw::cli::replay_command(replay_options);
  }
  if (info->parsed()) {
    if ((!info_from_text.empty() || !info_to_text.empty()) && !info_options.events)
      return usage_error("--from and --to go with --events");
    auto count = [&](const std::string& text, const char* what, uint64_t& out) {
      if (text.empty()) return true;
      try {
        out = rw::cli::parse_count(text);
      } catch (const std::exception& e) {
        usage_error(fmt::format("bad {} value '{}': {}", what, text, e.what()));
        return false;
      }
      return true;
    };
    if (!count(info_from_text, "--from", info_options.from) || !count(info_to_text, "--to", info_options.to)) return 2;
    if (info_options.from > info_options.to) return usage_error("--from is after --to");
    return rw::cli::info_command(info_options);
  }
  if (trim->parsed()) {
    try {
      trim_spec.from = rw::cli::parse_count(trim_from_text);
      trim_spec.to = rw::cli::parse_count(trim_to_text);
    } catch (const std::invalid_argument& e) {
      return usage_error(fmt::format("bad --from or --to value: {}", e.what()));
    }
    if (trim_spec.from > trim_spec.to)
      return usage_error(fmt::format("the window starts (--from {}) after it ends (--to {})", trim_spec.from, trim_spec.to));
    trim_spec.snapshots = snapshots;
    trim_spec.snapshot_interval = trim_snapshots && snapshots.interval != ~uint64_t{0} ? snapshots.interval : 0;
    return rw::cli::trim_command(trim_spec);
  }
  run_options.live.record = !no_record;
  run_options.live.snapshots = snapshots;
  run_options.live.snapshots.store_in_recording = record->parsed() && store_snapshots;
  if (run->parsed() || record->parsed()) return rw::cli::run_command(run_options);
  return usage_error("no command given");
}
