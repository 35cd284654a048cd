#include "journal/sessions.h"

#include <fmt/format.h>

#include "block/completion_source.h"
#include "block/disks.h"
#include "devices/serial_input.h"
#include "devices/uart16550.h"
#include "machine/machine.h"

namespace rw::journal {

RecordingSession::RecordingSession(Machine& machine, const RecordingHeader& header, const std::string& path,
                                   block::Disks* disks, SerialInput* serial)
    : machine_(machine) {
  if (!path.empty()) file_ = std::make_unique<RecordingWriter>(path, header);
  recorder_ = std::make_unique<Recorder>(machine, header.state_hash_interval, file_.get());
  Recorder* rec = recorder_.get();
  if (disks) {
    disks->source().set_delivery_observer([rec](const block::Completion& c) {
      rec->record(EventKind::kBlockCompletion, static_cast<uint8_t>(c.device), c.id, static_cast<int32_t>(c.status));
    });
  }
  if (serial) serial->set_delivery_observer([rec](uint8_t b) { rec->record(EventKind::kSerialInput, 0, b, 0); });
  machine.uart().set_output_observer([this](uint8_t b) { serial_hash_.update(&b, 1); });
  machine.add_external_source(rec);  // last: digests see the events delivered at their boundary
}

RecordingSession::~RecordingSession() { machine_.uart().set_output_observer(nullptr); }

void RecordingSession::finish(const RunResult& result, int exit_status) {
  RecordingEnd end;
  end.final_icount = machine_.cpu().icount;
  end.exit_status = exit_status;
  end.stop_message = result.message;
  end.serial_output_hash = serial_hash_.digest();
  end.final_state = recorder_->record_digest().combined();
  if (file_) file_->finish(end);
}

ReplaySession::ReplaySession(Machine& machine, const Recording& recording, block::Disks* disks)
    : machine_(machine), recording_(recording) {
  replayer_ = std::make_unique<Replayer>(machine, recording.events);
  if (disks) {
    replayer_->on(EventKind::kBlockCompletion, [disks, &machine](const Event& e) {
      block::Completion c{};
      c.device = e.device;
      c.id = static_cast<uint32_t>(e.id);
      c.status = static_cast<block::Status>(e.status);
      disks->source().deliver(c, machine.cpu().icount);
    });
  }
  replayer_->on(EventKind::kSerialInput, [&machine](const Event& e) { machine.uart().receive(static_cast<uint8_t>(e.id)); });
  replayer_->on(EventKind::kIdleWake, [](const Event&) {});
  machine.uart().set_output_observer([this](uint8_t b) { serial_hash_.update(&b, 1); });
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
