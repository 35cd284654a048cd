#include "journal/sessions.h"

#include <fmt/format.h>

#include <stdexcept>

#include "block/completion_source.h"
#include "block/disks.h"
#include "devices/serial_input.h"
#include "devices/uart16550.h"
#include "journal/debugger_write.h"
#include "machine/machine.h"

namespace rw::journal {

static_assert(static_cast<uint8_t>(CpuEventKind::kException) == static_cast<uint8_t>(cpu::EventKind::kException) &&
              static_cast<uint8_t>(CpuEventKind::kSoftware) == static_cast<uint8_t>(cpu::EventKind::kSoftware) &&
              static_cast<uint8_t>(CpuEventKind::kExternal) == static_cast<uint8_t>(cpu::EventKind::kExternal));

void wire_deliveries(Replayer& replayer, Machine& machine, block::Disks* disks, bool through_completion_source) {
  if (disks) {
    replayer.on(EventKind::kBlockCompletion, [disks, &machine, through_completion_source](const Event& e) {
      block::Completion c{};
      c.device = e.device;
      c.id = static_cast<uint32_t>(e.id);
      c.status = static_cast<block::Status>(e.status);
      if (through_completion_source) {
        disks->source().deliver(c, machine.cpu().icount);
      } else if (block::BlockDevice* d = c.device < block::Disks::kPositions ? disks->device(c.device) : nullptr) {
        d->deliver(c.id, c.status);
      }
    });
  }
  replayer.on(EventKind::kSerialInput, [&machine](const Event& e) { machine.uart().receive(static_cast<uint8_t>(e.id)); });
  replayer.on(EventKind::kIdleWake, [](const Event&) {});
  replayer.on(EventKind::kDebuggerWrite, [&replayer, &machine](const Event& e) {
    if (!apply_debugger_write(machine, e))
      replayer.diverge({fmt::format("the recording's debugger write at instruction {} does not fit this machine (at "
                                    "physical address {:#x}, {} bytes)",
                                    e.icount, e.id, e.status)});
  });
}

RecordingSession::RecordingSession(Machine& machine, const RecordingHeader& header, const std::string& path,
                                   block::Disks* disks, SerialInput* serial)
    : machine_(machine), disks_(disks), serial_(serial) {
  if (!path.empty()) {
    file_ = std::make_unique<RecordingWriter>(path, header);
    std::vector<ImageInfo> images = {header.guest};
    images.insert(images.end(), header.disks.begin(), header.disks.end());
    file_->write_image_hashes_from(std::make_unique<ImageHasher>(std::move(images)));
  }
  recorder_ = std::make_unique<Recorder>(machine, header.state_hash_interval, file_.get());
  Recorder* rec = recorder_.get();
  // Paused while parked: what replays there was journaled (and its output hashed) already.
  if (disks) {
    disks->source().set_delivery_observer([this, rec](const block::Completion& c) {
      if (parked_) return;
      rec->record(EventKind::kBlockCompletion, static_cast<uint8_t>(c.device), c.id, static_cast<int32_t>(c.status));
      if (stop_at_deliveries_) machine_.cpu().stop_requested = true;
    });
  }
  if (disks) {
    // The request index: starts the guest makes while live (in the past, a replay makes the
    // same requests again, already indexed).
    disks->set_request_observer([this, rec](int device, uint32_t id, block::Op op, uint64_t lba, uint32_t count) {
      if (!parked_)
        rec->record_request({machine_.exact_icount(), static_cast<uint8_t>(device), static_cast<uint8_t>(op), id, lba,
                             count});
    });
  }
  if (serial)
    serial->set_delivery_observer([this, rec](uint8_t b) {
      if (parked_) return;
      rec->record(EventKind::kSerialInput, 0, b, 0);
      if (stop_at_deliveries_) machine_.cpu().stop_requested = true;
    });
  // The guest's output, hashed and indexed while live (a replay of the past makes it again).
  machine.uart().set_output_observer([this, rec](uint64_t icount, uint8_t b) {
    if (parked_) return;
    serial_hash_.update(&b, 1);
    rec->record_serial(icount, b);
  });
  machine.set_event_taken_observer([this, rec](const cpu::TakenEvent& e) {
    if (!parked_)
      rec->record_cpu_event({e.icount, e.return_rip, e.error, e.vector, static_cast<CpuEventKind>(e.kind), e.has_error});
  });
  machine.add_external_source(rec);  // last: digests see the events delivered at their boundary
}

RecordingSession::~RecordingSession() {
  machine_.uart().set_output_observer(nullptr);
  machine_.set_event_taken_observer(nullptr);
  if (disks_) disks_->set_request_observer(nullptr);
}

void RecordingSession::finish(const RunResult& result, int exit_status) {
  RecordingEnd end;
  end.final_icount = machine_.cpu().icount;
  end.exit_status = exit_status;
  end.stop_message = result.message;
  end.serial_output_hash = serial_hash_.digest();
  end.final_state = recorder_->record_digest().combined();
  if (file_) file_->finish(end);
}

std::vector<std::string> RecordingSession::image_hash_problems() const {
  const ImageHasher* hasher = file_ ? file_->image_hasher() : nullptr;
  return hasher && hasher->ready() ? hasher->problems() : std::vector<std::string>{};
}

bool RecordingSession::debugger_write_memory(uint64_t addr, std::span<const uint8_t> bytes) {
  std::vector<Machine::PhysicalPiece> pieces;
  if (parked_ || machine_.past_delivery() || !machine_.virtual_to_physical(addr, bytes.size(), pieces)) return false;
  for (const Machine::PhysicalPiece& p : pieces) {
    const std::span<const uint8_t> piece = bytes.subspan(p.offset, p.len);
    machine_.write_physical(p.phys, piece.data(), piece.size());
    recorder_->record(memory_write_event(p.phys, piece));
  }
  return true;
}

bool RecordingSession::debugger_write_register(cpu::Reg reg, uint64_t value) {
  if (parked_ || machine_.past_delivery()) return false;
  Event e = register_write_event(reg, value);
  if (!check_debugger_write(e).empty() || !cpu::write_register(machine_.cpu(), reg, value)) return false;
  recorder_->record(std::move(e));
  return true;
}

Replayer& RecordingSession::park() {
  if (parked_) throw std::logic_error("RecordingSession::park: parked already");
  frontier_ = machine_.cpu().icount;
  if (disks_) {
    machine_.remove_external_source(&disks_->source());
    disks_->set_host_io(false);
    stashed_jobs_.assign(block::Disks::kPositions, {});
    for (int i = 0; i < block::Disks::kPositions; ++i)
      if (const block::BlockDevice* d = disks_->device(i)) stashed_jobs_[i] = d->host_jobs();
  }
  if (serial_) machine_.remove_external_source(serial_);
  machine_.remove_external_source(recorder_.get());
  if (!replayer_) {
    replayer_ = std::make_unique<Replayer>(machine_, recorder_->events());
    wire_deliveries(*replayer_, machine_, disks_, /*through_completion_source=*/false);
  }
  replayer_->set_position({recorder_->events().size(), recorder_->digests()});
  replayer_->set_history_end(frontier_);
  machine_.add_external_source(replayer_.get());
  // The past's serial output was shown when it happened: not again while replaying it.
  machine_.uart().flush();
  machine_.uart().set_output_muted(true);
  parked_ = true;
  return *replayer_;
}

bool RecordingSession::unpark() {
  if (!parked_) return true;
  const size_t events = recorder_->events().size();
  if (machine_.cpu().icount != frontier_ || replayer_->diverged()) return false;
  if (!replayer_->finished() || replayer_->digests_checked() != recorder_->digests()) {
    replayer_->diverge({fmt::format("the replay of the live run reached the present (instruction {}) with {} of its "
                                    "{} events delivered",
                                    frontier_, replayer_->events_replayed(), events)});
    return false;
  }
  if (disks_) {
    for (int i = 0; i < block::Disks::kPositions; ++i) {
      block::BlockDevice* d = disks_->device(i);
      if (d && !d->adopt_host_jobs(stashed_jobs_[i])) {
        replayer_->diverge({fmt::format("the replay of the live run reached the present (instruction {}) with other "
                                        "requests in flight on disk {} than the run had",
                                        frontier_, i)});
        return false;
      }
    }
  }
  machine_.remove_external_source(replayer_.get());
  // As the run attached them: the disks' source, the serial input, then the recorder (last,
  // so that digests see the events delivered at their boundary). Completions that finished
  // meanwhile are delivered at the next boundary polled, and journaled there.
  if (disks_) {
    stashed_jobs_.clear();
    disks_->set_host_io(true);
    machine_.add_external_source(&disks_->source());
  }
  if (serial_) machine_.add_external_source(serial_);
  machine_.add_external_source(recorder_.get());
  machine_.uart().set_output_muted(false);
  parked_ = false;
  return true;
}

ReplaySession::ReplaySession(Machine& machine, const Recording& recording, block::Disks* disks)
    : machine_(machine), recording_(recording), serial_hash_(recording.hash_algorithm()) {
  replayer_ = std::make_unique<Replayer>(machine, recording.events, recording.hash_algorithm());
  wire_deliveries(*replayer_, machine, disks, /*through_completion_source=*/true);
  machine.uart().set_output_observer([this](uint64_t, uint8_t b) { serial_hash_.update(&b, 1); });
  machine.add_external_source(replayer_.get());
}

ReplaySession::~ReplaySession() { machine_.uart().set_output_observer(nullptr); }

std::vector<std::string> ReplaySession::compare_end(const RunResult& result, int exit_status) {
  std::vector<std::string> out;
  if (!recording_.end) return out;
  const RecordingEnd& end = *recording_.end;
  const uint64_t icount = machine_.cpu().icount;
  if (icount != end.final_icount)
    out.push_back(fmt::format("the run ended at instruction {}, the recording at {}", icount, end.final_icount));
  if (exit_status != end.exit_status)
    out.push_back(fmt::format("exit status {}, recorded {}", exit_status, end.exit_status));
  if (serial_hash_.digest() != end.serial_output_hash) out.push_back("serial output differs from the recorded output");
  if (replayer_->digest_now().combined() != end.final_state) out.push_back("final machine state differs");
  return out;
}

}  // namespace rw::journal
