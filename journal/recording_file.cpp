// The writer; the reader, which checks everything it reads, is recording_reader.cpp.
#include "journal/recording_file.h"

#include <lz4.h>

#include <cereal/archives/portable_binary.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "block/output_file.h"
#include "journal/checksum.h"
#include "journal/recording_error.h"

namespace rw::journal {
namespace {

constexpr HashAlgorithm kHashAlgorithm = hash_algorithm_for(kFormatVersion);

template <class T>
std::string serialize(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(value);
  }
  return std::move(out).str();
}

void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// The header payload: the header's fields, then (a trimmed recording's) the window's.
std::string header_payload(const RecordingHeader& header, const RecordingWindow& window) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(header);
    if (window.trimmed()) archive(window);
  }
  return std::move(out).str();
}

void put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

RecordingWriter::RecordingWriter(const std::string& path, const RecordingHeader& header, const RecordingWindow& window)
    : path_(path), file_(nullptr, &std::fclose) {
  std::string problem;
  file_.reset(block::open_output_file(path, problem));
  if (!file_) throw RecordingError(path + ": " + problem);
  std::string payload = header_payload(header, window);
  std::string out(kMagic, sizeof kMagic);
  put32(out, kFormatVersion);
  put32(out, static_cast<uint32_t>(payload.size()));
  put32(out, checksum32(kHashAlgorithm, payload.data(), payload.size()));
  out += payload;
  write_bytes(out.data(), out.size());
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
}

RecordingWriter::~RecordingWriter() {
  // An unfinished recording keeps what was buffered: it reads as cut short.
  try {
    if (!finished_) flush();
  } catch (const RecordingError&) {
  }
}

void RecordingWriter::write_bytes(const void* data, size_t len) {
  if (std::fwrite(data, 1, len, file_.get()) != len)
    throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  bytes_written_ += len;
}

void RecordingWriter::append(Event event) {
  pending_.push_back(std::move(event));
  if (pending_.size() >= kEventsPerChunk) flush();
}

void RecordingWriter::append_request(const RequestStart& request) {
  pending_requests_.push_back(request);
  if (pending_requests_.size() >= kEventsPerChunk) flush();
}

void RecordingWriter::append_serial(const SerialByte& b) {
  pending_outputs_.serial.push_back(b);
  flush_outputs_if_large();
}

void RecordingWriter::append_cpu_event(const CpuEvent& e) {
  pending_outputs_.cpu.push_back(e);
  flush_outputs_if_large();
}

void RecordingWriter::append_outputs_full(uint64_t serial_full_from, uint64_t cpu_full_from) {
  if (serial_full_from != kNotFull) pending_outputs_.serial_full_from = serial_full_from;
  if (cpu_full_from != kNotFull) pending_outputs_.cpu_full_from = cpu_full_from;
}

void RecordingWriter::flush_outputs_if_large() {
  if (pending_outputs_.serial.size() + pending_outputs_.cpu.size() >= kOutputsPerChunk) flush();
}

void RecordingWriter::write_chunk(uint32_t tag, const std::string& raw) {
  std::string compressed(LZ4_compressBound(static_cast<int>(raw.size())), '\0');
  int n = LZ4_compress_default(raw.data(), compressed.data(), static_cast<int>(raw.size()),
                               static_cast<int>(compressed.size()));
  if (n <= 0) throw RecordingError(path_ + ": compression failed");
  compressed.resize(n);
  std::string out;
  put32(out, tag);
  put32(out, static_cast<uint32_t>(compressed.size()));
  put32(out, static_cast<uint32_t>(raw.size()));
  put32(out, checksum32(kHashAlgorithm, compressed.data(), compressed.size()));
  out += compressed;
  write_bytes(out.data(), out.size());
}

void RecordingWriter::flush() {
  write_image_hashes(/*wait=*/false);
  if (pending_.empty() && pending_requests_.empty() && pending_outputs_.empty()) return;
  // Requests first: a request starts before its completion is delivered, so a file cut
  // short between the two chunks still describes every completion it holds.
  if (!pending_requests_.empty()) write_chunk(kRequestsTag, serialize(bounded<26>(pending_requests_)));
  if (!pending_outputs_.empty()) write_chunk(kOutputsTag, serialize(pending_outputs_));
  if (!pending_.empty()) write_chunk(kChunkTag, serialize(bounded<30>(pending_)));
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  events_written_ += pending_.size();
  pending_.clear();
  pending_requests_.clear();
  pending_outputs_ = {};
}

void RecordingWriter::append_snapshot(uint64_t icount, uint64_t cursor, const std::string& payload) {
  if (payload.size() > kMaxSnapshotChunkBytes - 16) throw RecordingError(path_ + ": a snapshot too large for the file");
  flush();  // the events before it come first in the file
  const uint64_t before = bytes_written_;
  std::string raw;
  raw.reserve(16 + payload.size());
  put64(raw, icount);
  put64(raw, cursor);
  raw += payload;
  write_chunk(kSnapshotTag, raw);
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  snapshot_bytes_written_ += bytes_written_ - before;
}

void RecordingWriter::finish(const RecordingEnd& end) {
  write_image_hashes(/*wait=*/true);
  flush();
  std::string payload = serialize(end);
  std::string out;
  put32(out, kEndTag);
  put32(out, static_cast<uint32_t>(payload.size()));
  put32(out, checksum32(kHashAlgorithm, payload.data(), payload.size()));
  out += payload;
  write_bytes(out.data(), out.size());
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  finished_ = true;
}

void RecordingWriter::write_image_hashes_from(std::unique_ptr<ImageHasher> hasher) {
  image_hasher_ = std::move(hasher);
  image_hashes_written_ = false;
}

void RecordingWriter::write_known_image_hashes(std::vector<ImageHash> hashes) {
  if (image_hasher_ || image_hashes_written_) throw RecordingError(path_ + ": the image hashes are written once");
  image_hashes_written_ = true;
  if (hashes.empty()) return;
  write_chunk(kImageHashesTag, serialize(bounded<17>(hashes)));
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
}

void RecordingWriter::write_image_hashes(bool wait) {
  if (!image_hasher_ || image_hashes_written_ || (!wait && !image_hasher_->ready())) return;
  std::vector<ImageHash> hashes = image_hasher_->wait();
  image_hashes_written_ = true;
  if (hashes.empty()) return;  // no image named (a reader takes 1 to kMaxImages)
  write_chunk(kImageHashesTag, serialize(bounded<17>(hashes)));
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
}

}  // namespace rw::journal
