#include "journal/recorder.h"

#include "machine/machine.h"

namespace rw::journal {

Recorder::Recorder(Machine& machine, uint64_t digest_interval, RecordingWriter* file, HashAlgorithm algorithm)
    : machine_(machine),
      interval_(digest_interval),
      next_digest_(digest_interval ? machine.cpu().icount + digest_interval : ~uint64_t{0}),
      file_(file),
      hasher_(machine, algorithm) {
  hasher_.digest();  // the baseline: later digests list pages written after this point
}

void Recorder::append(Event e) {
  if (file_) file_->append(e);
  events_.push_back(std::move(e));
}

void Recorder::record_request(const RequestStart& request) {
  if (file_) file_->append_request(request);
  requests_.push_back(request);
}

void Recorder::record_serial(uint64_t icount, uint8_t byte) {
  if (outputs_.serial_full_from != kNotFull) return;
  if (outputs_.serial.size() >= OutputIndex::kMaxSerialBytes) {
    outputs_.serial_full_from = icount;
    if (file_) file_->append_outputs_full(outputs_.serial_full_from, kNotFull);
    return;
  }
  outputs_.serial.push_back({icount, byte});
  if (file_) file_->append_serial(outputs_.serial.back());
}

void Recorder::record_cpu_event(const CpuEvent& event) {
  if (outputs_.cpu_full_from != kNotFull) return;
  if (outputs_.cpu.size() >= OutputIndex::kMaxCpuEvents) {
    outputs_.cpu_full_from = event.icount;
    if (file_) file_->append_outputs_full(kNotFull, outputs_.cpu_full_from);
    return;
  }
  outputs_.cpu.push_back(event);
  if (file_) file_->append_cpu_event(event);
}

void Recorder::record(EventKind kind, uint8_t device, uint64_t id, int32_t status) {
  Event e;
  e.icount = machine_.cpu().icount;
  e.kind = kind;
  e.device = device;
  e.id = id;
  e.status = status;
  append(std::move(e));
}

void Recorder::record(Event e) {
  e.icount = machine_.cpu().icount;
  append(std::move(e));
}

StateDigest Recorder::record_digest() {
  StateDigest d = hasher_.digest();
  append(d.to_event());
  ++digests_;
  return d;
}

void Recorder::poll(uint64_t now) {
  if (now < next_digest_) return;
  record_digest();
  next_digest_ = now + interval_;
  // A chunk per digest interval at least: a recording cut short (the host process killed)
  // loses no more than the last interval.
  if (file_) file_->flush();
}

}  // namespace rw::journal
