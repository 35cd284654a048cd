#include "session/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include "block/base_image.h"
#include "block/disks.h"
#include "block/fault_spec.h"
#include "block/input_file.h"
#include "block/overlay.h"
#include "journal/image_hasher.h"
#include "journal/recording_error.h"
#include "journal/sessions.h"
#include "loader/load_error.h"
#include "loader/multiboot_loader.h"
#include "session/exit_codes.h"

namespace rw::session {

namespace {

// Instructions between progress reports of run_to_end: a few hundredths of a second.
constexpr uint64_t kProgressSlice = uint64_t{1} << 26;

// Refuses images that cannot be read (kExitBadImage, as `run` would) or are not the
// recorded ones (kExitReplayMismatch, unless forced: then a warning). `recorded` is the
// recording's hash of `path` (0: none to check).
void check_image(const std::string& path, uint64_t recorded, journal::HashAlgorithm algorithm, const char* what,
                 bool force, std::vector<std::string>& warnings) {
  if (path.empty() || recorded == 0) return;
  uint64_t hash;
  try {
    hash = journal::hash_file(path, algorithm);
  } catch (const journal::RecordingError& e) {
    throw SessionError(kExitBadImage, fmt::format("cannot read the recorded {} image for replay: {}", what, e.what()));
  }
  if (hash == recorded) return;
  if (force) {
    warnings.push_back(fmt::format("{} {} differs from the recorded one; replaying anyway (--force)", what, path));
    return;
  }
  throw SessionError(kExitReplayMismatch,
                     fmt::format("{} {} is not the one recorded (content hash {:016x}, recorded {:016x}); use --force "
                                 "to replay anyway",
                                 what, path, hash, recorded));
}

// The images a recording names, checked against its hashes: from its 'HASH' chunk, or its
// header (an older version's). A recording cut short before its hashes cannot be checked:
// a warning says so. So does one whose recorder could not hash an image.
void check_images(const journal::Recording& rec, const std::string& name, bool force,
                  std::vector<std::string>& warnings) {
  const journal::RecordingHeader& h = rec.header;
  if (!rec.image_hashes) {
    warnings.push_back(fmt::format("{}: the recording was cut short before the hashes of its images: the guest and "
                                   "disk images could not be checked",
                                   name));
    return;
  }
  for (const journal::ImageHash& x : *rec.image_hashes) {
    const std::string& path = x.image == 0 ? h.guest.path : h.disks[x.image - 1u].path;
    const char* what = x.image == 0 ? "guest" : "disk";
    if (x.hash == 0)
      warnings.push_back(fmt::format("{} {} was not hashed when recorded (it could not be read, or changed meanwhile): "
                                     "not checked",
                                     what, path));
    check_image(path, x.hash, rec.hash_algorithm(), what, force, warnings);
  }
}

// What a replay needs to rebuild this machine. Image hashes are not here: a recording file
// hashes them beside the run (journal/image_hasher.h); an in-memory journal is replayed by
// this very process, on the same images.
journal::RecordingHeader recording_header(const LiveSpec& spec) {
  journal::RecordingHeader h;
  h.rewind_version = "0.1";
  auto image = [&](const std::string& path) {
    journal::ImageInfo info;
    info.path = path;
    if (path.empty()) return info;
    std::string problem;  // the images were checked when loaded
    if (std::optional<block::InputFile> f = block::InputFile::open(path, block::FileKinds::kRegularOrBlockDevice, problem))
      info.size = f->size();
    return info;
  };
  h.guest = image(spec.guest);
  h.append = spec.append;
  h.memory_bytes = spec.memory_bytes;
  for (const std::string& p : spec.disks.positions) h.disks.push_back(image(p));
  h.rtc_base_unix_seconds = spec.host_time_unix_seconds;
  h.state_hash_interval = journal::kDefaultDigestInterval;
  h.recorded_at_unix_seconds = spec.host_time_unix_seconds;
  return h;
}

}  // namespace

int exit_status_for(const RunResult& result) {
  switch (result.reason) {
    case cpu::StopReason::kExit: return result.exit_code & 0xFF;
    case cpu::StopReason::kShutdown: return kExitTripleFault;
    case cpu::StopReason::kHalted: return kExitHang;
    case cpu::StopReason::kTarget: return kExitInstructionLimit;
    case cpu::StopReason::kReset: return kExitReset;
    case cpu::StopReason::kNoFirmware: return kExitNoFirmware;
    default: return kExitInternal;
  }
}

Session::Session() = default;
Session::~Session() = default;

void Session::build_machine(const std::string& guest, const std::string& append, uint64_t memory_bytes, FILE* serial,
                            int64_t rtc_base, const DiskSpec& disks, bool host_io) {
  MachineConfig config;
  config.memory_bytes = memory_bytes;
  config.serial_out = serial;
  config.rtc_base_unix_seconds = rtc_base;
  machine_ = std::make_unique<Machine>(config);
  block::Disks::Images images;
  bool any = false;
  try {
    for (int i = 0; i < block::Disks::kPositions; ++i) {
      if (disks.positions[i].empty()) continue;
      images[i] = block::BaseImage::open(disks.positions[i]);
      any = true;
    }
  } catch (const block::ImageError& e) {
    throw SessionError(kExitBadImage, e.what());
  }
  if (guest.empty()) {
    boot_from_disk(images[0].get(), disks.positions[0]);
  } else {
    try {
      const loader::BootImage boot = loader::load_multiboot_file(machine_->memory(), guest, append);
      machine_->enter_multiboot(boot.entry, boot.multiboot_info);
      is64_ = boot.format == loader::ImageFormat::kElf64;
    } catch (const LoadError& e) {
      throw SessionError(kExitBadImage, e.what());
    }
  }
  if (!any) return;
  // Replaying, requests complete only when the journal says so: no host I/O, no faults.
  const block::FaultSpec faults =
      host_io && !disks.io_faults.empty() ? block::parse_fault_spec(disks.io_faults) : block::FaultSpec{};
  machine_->attach_disks(std::make_unique<block::Disks>(machine_->host_wakeup(), std::move(images), faults, host_io));
}

void Session::boot_from_disk(const block::BaseImage* disk, const std::string& path) {
  if (!disk)
    throw SessionError(kExitUsage, "no guest to run: give a kernel image, or a boot disk with -hda to boot from it");
  uint8_t sector[512];
  if (!disk->read(0, 1, sector))
    throw SessionError(kExitBadImage, fmt::format("{}: cannot read its boot sector", path));
  // As a PC's BIOS does: a disk is bootable when its first sector ends with 55 AA.
  if (sector[510] != 0x55 || sector[511] != 0xAA)
    throw SessionError(kExitBadImage,
                       fmt::format("{}: not a bootable disk (its first sector does not end with the signature 55 AA)", path));
  machine_->enter_boot_sector(sector);
  is64_ = false;
}

void Session::make_timeline(const TimelineOptions& options) {
  try {
    if (replay_)
      timeline_.emplace(*machine_, *replay_, options);
    else
      timeline_.emplace(*machine_, *recording_, options);
  } catch (const std::invalid_argument& e) {
    throw SessionError(kExitUsage, fmt::format("--snapshot-memory: {}", e.what()));
  } catch (const std::runtime_error& e) {  // a trimmed recording without its start
    if (!replay_) throw;
    throw SessionError(kExitBadRecording, e.what());
  }
  for (const std::string& w : timeline_->warnings()) warnings_.push_back(w);
}

std::unique_ptr<Session> Session::live(const LiveSpec& spec) {
  std::unique_ptr<Session> s(new Session());
  s->disks_ = spec.disks;
  s->end_limit_ = spec.max_instructions;
  s->build_machine(spec.guest, spec.append, spec.memory_bytes, spec.serial_out, spec.host_time_unix_seconds,
                   spec.disks, /*host_io=*/true);
  if (std::string error; !s->serial_in_.connect(spec.serial_in, *s->machine_, error)) throw SessionError(kExitUsage, error);
  if (!spec.record) return s;
  try {
    s->recording_ = std::make_unique<journal::RecordingSession>(*s->machine_, recording_header(spec), spec.record_path,
                                                                s->machine_->disks(), s->serial_in_.input());
  } catch (const journal::RecordingError& e) {
    throw SessionError(kExitUsage, e.what());
  }
  s->make_timeline(spec.snapshots);
  return s;
}

std::unique_ptr<Session> Session::replay(const ReplaySpec& spec) {
  std::unique_ptr<Session> s(new Session());
  journal::Recording& rec = s->recording_file_;
  try {
    rec = journal::read_recording(spec.recording);
  } catch (const journal::RecordingError& e) {
    throw SessionError(kExitBadRecording, e.what());
  }
  if (rec.version < journal::kOldestReplayableVersion)
    throw SessionError(kExitBadRecording,
                       fmt::format("{}: recorded by an older rewind (format version {}), on {}: a replay on this "
                                   "rewind's machine would diverge (`rewind info` still reads it; record it again)",
                                   spec.recording, rec.version, journal::older_machine(rec.version)));
  if (!rec.end) {
    s->warnings_.push_back(fmt::format("{}: the recording was cut short; {} events recovered{}", spec.recording,
                                       rec.events.size(), rec.damage.empty() ? "" : " (" + rec.damage + ")"));
  } else if (!rec.damage.empty()) {
    s->warnings_.push_back(fmt::format("{}: {}", spec.recording, rec.damage));
  }
  for (const std::string& w : rec.warnings) s->warnings_.push_back(fmt::format("{}: {}", spec.recording, w));
  const journal::RecordingHeader& h = rec.header;
  if (h.memory_bytes < (2u << 20) || h.memory_bytes > (3ull << 30) || h.disks.size() > 4)
    throw SessionError(kExitBadRecording, fmt::format("{}: implausible machine configuration in the header", spec.recording));
  check_images(rec, spec.recording, spec.force, s->warnings_);
  DiskSpec disks;
  for (size_t i = 0; i < h.disks.size(); ++i) disks.positions[i] = h.disks[i].path;
  s->build_machine(h.guest.path, h.append, h.memory_bytes, spec.serial_out, h.rtc_base_unix_seconds, disks,
                   /*host_io=*/false);
  s->replay_ = std::make_unique<journal::ReplaySession>(*s->machine_, rec, s->machine_->disks());

  const uint64_t last_event = rec.events.empty() ? 0 : rec.events.back().icount;
  s->replay_length_ = rec.end ? rec.end->final_icount : last_event;
  // A complete recording ends by itself (or at the instruction limit it was recorded with:
  // status 14, which no guest exit can have); one cut short ends where its events end.
  // A trimmed window that is not the original's end ends there likewise.
  s->ended_at_limit_ =
      rec.end && (rec.end->exit_status == kExitInstructionLimit || rec.end->exit_status == kExitWindowEnd);
  s->end_limit_ = rec.end ? (s->ended_at_limit_ ? s->replay_length_ : s->replay_length_ + 1) : last_event;
  s->make_timeline(spec.snapshots);
  // The timeline's store holds the stored snapshots now: their bytes once is enough.
  for (journal::StoredSnapshot& stored : rec.snapshots) std::string().swap(stored.payload);
  return s;
}

RunResult Session::run_to(uint64_t icount) {
  const uint64_t target = end_limit_ ? std::min(icount, end_limit_) : icount;
  if (timeline_) return timeline_->run_to(target);
  return machine_->run(target);
}

RunResult Session::run_to_end(const std::function<void()>& progress) {
  const uint64_t stop = end_limit_ ? end_limit_ : UINT64_MAX;
  for (;;) {
    const uint64_t now = machine_->cpu().icount;
    if (now >= stop) {
      RunResult result;
      result.reason = cpu::StopReason::kTarget;
      result.message = fmt::format("instruction limit reached ({} instructions)", now);
      return result;
    }
    RunResult result = run_to(now + std::min(kProgressSlice, stop - now));
    if (progress) progress();
    if (machine_->host_stop_requested() && result.reason == cpu::StopReason::kTarget) {
      // Ctrl-C: the run ends here as at an instruction limit, so its recording replays to here.
      result.message = fmt::format("interrupted (Ctrl-C) at instruction {}", machine_->cpu().icount);
      return result;
    }
    if (result.reason != cpu::StopReason::kTarget || (timeline_ && timeline_->diverged())) return result;
    // Replaying, the history ends at the recorded end, whatever the guest does there.
    if (replay_ && machine_->cpu().icount >= replay_length_) {
      if (ended_at_limit_ && result.reason == cpu::StopReason::kTarget) result.message = recording_file_.end->stop_message;
      return result;
    }
  }
}

int Session::exit_status(const RunResult& result) const {
  if (replay_ && recording_file_.end) return recording_file_.end->exit_status;
  return exit_status_for(result);
}

Outcome Session::finish(const RunResult& result, bool straight) {
  Outcome out;
  machine_->flush_output();
  if (!replay_) {
    out.status = exit_status_for(result);
    // Left in the run's past (gdb killed or gone there): the run ends where it had got to,
    // so the recording and the disks are the frontier's. Replaying up to it goes live again.
    if (timeline_ && timeline_->parked()) timeline_->seek(timeline_->frontier());
    if (timeline_ && timeline_->diverged()) {
      out.divergence = timeline_->divergence();
      out.status = kExitDivergence;
    }
    if (recording_) {
      try {
        recording_->finish(result, out.status);
      } catch (const journal::RecordingError& e) {
        out.errors.push_back(e.what());
      }
      out.warnings = recording_->image_hash_problems();
    }
    // The guest's writes reach the image files or new ones only when asked for, and only now.
    if (block::Disks* disks = machine_->disks()) {
      size_t save_index = 0;
      for (int i = 0; i < block::Disks::kPositions; ++i) {
        const block::BlockDevice* d = disks->device(i);
        if (!d) continue;
        try {
          if (save_index < disks_.save.size()) block::save_as(d->base(), d->overlay(), disks_.save[save_index]);
          if (disks_.writeback) block::write_back(d->base(), d->overlay());
        } catch (const block::ImageError& e) {
          out.errors.push_back(e.what());
          out.status = kExitDiskSave;
        }
        ++save_index;
      }
    }
    return out;
  }

  journal::Replayer& replayer = replay_->replayer();
  if (replayer.diverged()) {
    out.divergence = replayer.divergence();
    out.status = kExitDivergence;
    return out;
  }
  const journal::Recording& rec = recording_file_;
  if (!rec.end) {
    out.notes.push_back(fmt::format("replayed the recovered part of a recording that was cut short: {} of {} events, "
                                    "up to instruction {}",
                                    replayer.events_replayed(), rec.events.size(), machine_->cpu().icount));
    out.status = kExitRecordingCutShort;
    return out;
  }
  out.status = exit_status(result);
  if (!straight) return out;  // where the debugger left it: only divergence can be judged
  const bool overran = result.reason == cpu::StopReason::kTarget && !ended_at_limit_;
  if (!replayer.finished())
    out.divergence.push_back(fmt::format("the run ended with {} recorded events not delivered",
                                         rec.events.size() - replayer.events_replayed()));
  if (overran) out.divergence.push_back(fmt::format("the guest did not stop at instruction {} as recorded", replay_length_));
  // Stopped at a trimmed window's end as the window says: its status.
  const int status = ended_at_limit_ && result.reason == cpu::StopReason::kTarget ? rec.end->exit_status
                                                                                  : exit_status_for(result);
  if (out.divergence.empty()) out.divergence = replay_->compare_end(result, status);
  if (!out.divergence.empty()) out.status = kExitDivergence;
  return out;
}

const journal::Recorder* Session::recorder() const { return recording_ ? &recording_->recorder() : nullptr; }
uint64_t Session::recording_bytes_written() const { return recording_ ? recording_->bytes_written() : 0; }
uint64_t Session::recording_snapshot_bytes_written() const {
  return recording_ ? recording_->snapshot_bytes_written() : 0;
}
journal::Replayer* Session::replayer() { return replay_ ? &replay_->replayer() : nullptr; }

}  // namespace rw::session
