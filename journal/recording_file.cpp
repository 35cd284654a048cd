#include "journal/recording_file.h"

#include <lz4.h>

#include <cereal/archives/portable_binary.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "journal/checksum.h"
#include "journal/recording_error.h"

namespace rw::journal {
namespace {

constexpr uint32_t kMaxHeaderBytes = 1u << 20;

template <class T>
std::string serialize(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(value);
  }
  return std::move(out).str();
}

template <class T>
bool deserialize(const char* data, size_t len, T& value) {
  try {
    payload_bytes_limit = len;
    std::istringstream in(std::string(data, len), std::ios::binary);
    cereal::PortableBinaryInputArchive archive(in);
    archive(value);
    payload_bytes_limit = ~uint64_t{0};
    return true;
  } catch (const std::exception&) {  // cereal::Exception, std::bad_alloc, std::length_error
    payload_bytes_limit = ~uint64_t{0};
    return false;
  }
}

void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint32_t get32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

}  // namespace

RecordingWriter::RecordingWriter(const std::string& path, const RecordingHeader& header)
    : path_(path), file_(std::fopen(path.c_str(), "wb"), &std::fclose) {
  if (!file_) throw RecordingError(path + ": cannot create: " + std::strerror(errno));
  std::string payload = serialize(header);
  std::string out(kMagic, sizeof kMagic);
  put32(out, kFormatVersion);
  put32(out, static_cast<uint32_t>(payload.size()));
  put32(out, crc32(payload.data(), payload.size()));
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

void RecordingWriter::flush() {
  if (pending_.empty()) return;
  std::string raw = serialize(bounded<30>(pending_));
  std::string compressed(LZ4_compressBound(static_cast<int>(raw.size())), '\0');
  int n = LZ4_compress_default(raw.data(), compressed.data(), static_cast<int>(raw.size()),
                               static_cast<int>(compressed.size()));
  if (n <= 0) throw RecordingError(path_ + ": compression failed");
  compressed.resize(n);
  std::string out;
  put32(out, kChunkTag);
  put32(out, static_cast<uint32_t>(compressed.size()));
  put32(out, static_cast<uint32_t>(raw.size()));
  put32(out, crc32(compressed.data(), compressed.size()));
  out += compressed;
  write_bytes(out.data(), out.size());
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  events_written_ += pending_.size();
  pending_.clear();
}

void RecordingWriter::finish(const RecordingEnd& end) {
  flush();
  std::string payload = serialize(end);
  std::string out;
  put32(out, kEndTag);
  put32(out, static_cast<uint32_t>(payload.size()));
  put32(out, crc32(payload.data(), payload.size()));
  out += payload;
  write_bytes(out.data(), out.size());
  if (std::fflush(file_.get()) != 0) throw RecordingError(path_ + ": write failed: " + std::strerror(errno));
  finished_ = true;
}

Recording parse_recording(const std::vector<uint8_t>& bytes, const std::string& name) {
  Recording rec;
  rec.file_bytes = bytes.size();
  const uint8_t* p = bytes.data();
  const size_t size = bytes.size();
  if (size < 20 || std::memcmp(p, kMagic, sizeof kMagic) != 0)
    throw RecordingError(name + ": not a rewind recording (bad magic)");
  uint32_t version = get32(p + 8);
  if (version != kFormatVersion)
    throw RecordingError(name + ": recording format version " + std::to_string(version) +
                         " is not supported (this rewind reads version " + std::to_string(kFormatVersion) + ")");
  uint32_t header_len = get32(p + 12);
  uint32_t header_crc = get32(p + 16);
  if (header_len > kMaxHeaderBytes || header_len > size - 20)
    throw RecordingError(name + ": truncated or corrupted header");
  if (crc32(p + 20, header_len) != header_crc) throw RecordingError(name + ": header checksum mismatch");
  if (!deserialize(reinterpret_cast<const char*>(p + 20), header_len, rec.header))
    throw RecordingError(name + ": malformed header");

  size_t pos = 20 + header_len;
  auto damaged = [&](const std::string& what) {
    rec.damage = what + " at byte " + std::to_string(pos);
    return rec;
  };
  while (pos < size) {
    if (size - pos < 12) return damaged("truncated chunk header");
    uint32_t tag = get32(p + pos);
    if (tag == kEndTag) {
      uint32_t len = get32(p + pos + 4), crc = get32(p + pos + 8);
      if (len > kMaxHeaderBytes || len > size - pos - 12) return damaged("truncated end record");
      if (crc32(p + pos + 12, len) != crc) return damaged("end record checksum mismatch");
      RecordingEnd end;
      if (!deserialize(reinterpret_cast<const char*>(p + pos + 12), len, end)) return damaged("malformed end record");
      rec.end = end;
      pos += 12 + len;
      if (pos != size) return damaged("data after the end record");
      return rec;
    }
    if (tag != kChunkTag) return damaged("unknown chunk tag");
    if (size - pos < 16) return damaged("truncated chunk header");
    uint32_t clen = get32(p + pos + 4), rlen = get32(p + pos + 8), crc = get32(p + pos + 12);
    if (clen > kMaxChunkBytes || rlen > kMaxChunkBytes) return damaged("implausible chunk size");
    if (clen > size - pos - 16) return damaged("truncated chunk");
    if (crc32(p + pos + 16, clen) != crc) return damaged("chunk checksum mismatch");
    std::string raw(rlen, '\0');
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(p + pos + 16), raw.data(), static_cast<int>(clen),
                                static_cast<int>(rlen));
    if (n < 0 || static_cast<uint32_t>(n) != rlen) return damaged("chunk does not decompress");
    std::vector<Event> events;
    auto bounded_events = bounded<30>(events);  // an event takes at least 30 bytes
    if (!deserialize(raw.data(), raw.size(), bounded_events)) return damaged("malformed chunk");
    for (size_t i = 0; i < events.size(); ++i) {
      uint64_t prev = rec.events.empty() ? 0 : rec.events.back().icount;
      if (events[i].icount < prev) return damaged("events out of order");
      rec.events.push_back(std::move(events[i]));
    }
    ++rec.chunks;
    pos += 16 + clen;
  }
  return rec;
}

Recording read_recording(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw RecordingError(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get())) throw RecordingError(path + ": read error");
  return parse_recording(bytes, path);
}

}  // namespace rw::journal
