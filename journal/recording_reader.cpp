// Reading a recording: piece by piece (the header, then one chunk at a time, each with a
// size limit), checking everything, keeping whole chunks up to the first damaged one.
#include <lz4.h>

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <sstream>

#include "block/input_file.h"
#include "journal/checksum.h"
#include "journal/event_rules.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace rw::journal {
namespace {

constexpr uint32_t kMaxHeaderBytes = 1u << 20;
constexpr uint64_t kFixedHeaderBytes = 20;  // magic, version, length, crc

template <class T>
bool deserialize(const uint8_t* data, size_t len, T& value) {
  try {
    payload_bytes_limit = len;
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), len), std::ios::binary);
    cereal::PortableBinaryInputArchive archive(in);
    archive(value);
    payload_bytes_limit = ~uint64_t{0};
    return true;
  } catch (const std::exception&) {  // cereal::Exception, std::bad_alloc, std::length_error
    payload_bytes_limit = ~uint64_t{0};
    return false;
  }
}

uint32_t get32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

// Where the bytes come from: a file (pread) or a buffer. `read` is only asked for bytes
// within `size`; false on a host read error.
struct ByteSource {
  uint64_t size;
  std::function<bool(uint64_t offset, uint8_t* out, size_t len)> read;
};

// The header's fields, then (version 4, a trimmed recording's) the window's if there is
// more: a version 4 header without them is not a window.
struct HeaderAndWindow {
  RecordingHeader& header;
  RecordingWindow& window;
  std::istream* in = nullptr;
  template <class A> void serialize(A& a) {
    a(header);
    if (in->peek() != std::char_traits<char>::eof()) a(window);
  }
};

bool deserialize_header(const uint8_t* data, size_t len, RecordingHeader& header, RecordingWindow& window) {
  try {
    payload_bytes_limit = len;
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), len), std::ios::binary);
    cereal::PortableBinaryInputArchive archive(in);
    HeaderAndWindow both{header, window, &in};
    archive(both);
    payload_bytes_limit = ~uint64_t{0};
    return in.peek() == std::char_traits<char>::eof();
  } catch (const std::exception&) {
    payload_bytes_limit = ~uint64_t{0};
    return false;
  }
}

RecordingHeader read_header(const ByteSource& src, const std::string& name, uint64_t& pos, uint32_t& version_read,
                            RecordingWindow& window) {
  uint8_t fixed[kFixedHeaderBytes];
  if (src.size < kFixedHeaderBytes) throw RecordingError(name + ": not a rewind recording (bad magic)");
  if (!src.read(0, fixed, sizeof fixed)) throw RecordingError(name + ": read error");
  if (std::memcmp(fixed, kMagic, sizeof kMagic) != 0) throw RecordingError(name + ": not a rewind recording (bad magic)");
  const uint32_t version = get32(fixed + 8);
  // An older recording's state digests cover other state, laid out otherwise: this rewind
  // could replay it but not check it, so it is refused rather than reported as diverging.
  if (version > 0 && version < kOldestReadableVersion)
    throw RecordingError(fmt::format("{}: recording format version {} is not supported (this rewind reads versions {} "
                                     "to {}): it was made by an older rewind, whose state digests differ; record it again",
                                     name, version, kOldestReadableVersion, kFormatVersion));
  if (version == 0 || version > kFormatVersion)
    throw RecordingError(fmt::format("{}: recording format version {} is not supported (this rewind reads versions {} "
                                     "to {})",
                                     name, version, kOldestReadableVersion, kFormatVersion));
  version_read = version;
  const uint32_t len = get32(fixed + 12), crc = get32(fixed + 16);
  if (len > kMaxHeaderBytes || len > src.size - kFixedHeaderBytes)
    throw RecordingError(name + ": truncated or corrupted header");
  std::vector<uint8_t> payload(len);
  if (!src.read(kFixedHeaderBytes, payload.data(), len)) throw RecordingError(name + ": read error");
  if (checksum32(hash_algorithm_for(version), payload.data(), len) != crc)
    throw RecordingError(name + ": header checksum mismatch");
  RecordingHeader header;
  if (version >= 4) {
    if (!deserialize_header(payload.data(), len, header, window)) throw RecordingError(name + ": malformed header");
    if (window.trimmed() && window.from > window.to)
      throw RecordingError(fmt::format("{}: malformed header (a window from instruction {} to {})", name, window.from,
                                       window.to));
  } else if (!deserialize(payload.data(), len, header)) {
    throw RecordingError(name + ": malformed header");
  }
  if (header.state_hash_interval == 0 || header.state_hash_interval > kMaxDigestInterval)
    throw RecordingError(fmt::format("{}: malformed header (state digest interval {}, not 1 to {})", name,
                                     header.state_hash_interval, kMaxDigestInterval));
  pos = kFixedHeaderBytes + len;
  return header;
}

// The request index's rules: at most kEventsPerChunk to a chunk, in issue order
// (non-decreasing instruction count), each a read or write of at least one sector on a
// drive position 0-3.
std::string check_requests(const std::vector<RequestStart>& chunk, const std::vector<RequestStart>& before) {
  if (chunk.empty() || chunk.size() > RecordingWriter::kEventsPerChunk)
    return fmt::format("{} requests (1 to {} in a chunk)", chunk.size(), RecordingWriter::kEventsPerChunk);
  uint64_t last = before.empty() ? 0 : before.back().icount;
  for (const RequestStart& r : chunk) {
    if (r.icount < last) return fmt::format("request at instruction {} after one at {}", r.icount, last);
    if (r.drive > 3 || r.op > 1 || r.count == 0 || r.id == 0)
      return fmt::format("malformed request at instruction {}", r.icount);
    last = r.icount;
  }
  return {};
}

// An 'OUTS' chunk against the index read so far: entries in instruction order, none after
// the index said it was full, within its bounds. Empty, or why it is damaged.
std::string check_outputs(const OutputIndex& chunk, const OutputIndex& before) {
  if (chunk.empty() || chunk.serial.size() + chunk.cpu.size() > RecordingWriter::kOutputsPerChunk)
    return fmt::format("{} entries (1 to {} in a chunk)", chunk.serial.size() + chunk.cpu.size(),
                       RecordingWriter::kOutputsPerChunk);
  if (before.serial.size() + chunk.serial.size() > OutputIndex::kMaxSerialBytes ||
      before.cpu.size() + chunk.cpu.size() > OutputIndex::kMaxCpuEvents)
    return "more entries than an index holds";
  if ((!chunk.serial.empty() && before.serial_full_from != kNotFull) ||
      (!chunk.cpu.empty() && before.cpu_full_from != kNotFull))
    return "entries after the index was full";
  uint64_t last = before.serial.empty() ? 0 : before.serial.back().icount;
  for (const SerialByte& b : chunk.serial) {
    if (b.icount < last) return fmt::format("serial byte at instruction {} after one at {}", b.icount, last);
    last = b.icount;
  }
  if (chunk.serial_full_from != kNotFull && chunk.serial_full_from < last) return "full before its last serial byte";
  last = before.cpu.empty() ? 0 : before.cpu.back().icount;
  for (const CpuEvent& e : chunk.cpu) {
    if (e.icount < last) return fmt::format("CPU event at instruction {} after one at {}", e.icount, last);
    if (e.kind > CpuEventKind::kExternal) return fmt::format("malformed CPU event at instruction {}", e.icount);
    last = e.icount;
  }
  if (chunk.cpu_full_from != kNotFull && chunk.cpu_full_from < last) return "full before its last CPU event";
  return {};
}

// The last instruction count the output index names (0 if none).
uint64_t last_output_icount(const OutputIndex& x) {
  uint64_t last = 0;
  if (!x.serial.empty()) last = x.serial.back().icount;
  if (!x.cpu.empty()) last = std::max(last, x.cpu.back().icount);
  for (uint64_t full : {x.serial_full_from, x.cpu_full_from})
    if (full != kNotFull) last = std::max(last, full);
  return last;
}

// A 'HASH' chunk's payload: one per file, listing 1 to kMaxImages images the header names,
// each once, in image order. Empty, or why it is damaged.
std::string accept_image_hashes(const std::string& raw, Recording& rec) {
  if (rec.image_hashes) return "damaged image hash chunk: a second one";
  std::vector<ImageHash> hashes;
  auto bounded_hashes = bounded<17>(hashes);  // an image's hash takes 17 bytes
  if (!deserialize(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), bounded_hashes))
    return "malformed image hash chunk";
  if (hashes.empty() || hashes.size() > kMaxImages)
    return fmt::format("damaged image hash chunk: {} images (1 to {})", hashes.size(), kMaxImages);
  const RecordingHeader& h = rec.header;
  int last = -1;
  for (const ImageHash& x : hashes) {
    const size_t disk = x.image - size_t{1};  // for image >= 1
    const bool named = x.image == 0 ? !h.guest.path.empty() : disk < h.disks.size() && !h.disks[disk].path.empty();
    if (!named || x.image >= kMaxImages || x.image <= last)
      return fmt::format("damaged image hash chunk: image {} is not one the header names, once, in order", x.image);
    last = x.image;
  }
  rec.image_hashes = std::move(hashes);
  return {};
}

// Versions 2 and 3 hashed the images before the run, into the header.
std::vector<ImageHash> header_image_hashes(const RecordingHeader& h) {
  std::vector<ImageHash> out;
  if (!h.guest.path.empty()) out.push_back({0, h.guest.size, h.guest.hash});
  for (size_t i = 0; i < h.disks.size() && i + 1 < kMaxImages; ++i)
    if (!h.disks[i].path.empty()) out.push_back({static_cast<uint8_t>(i + 1), h.disks[i].size, h.disks[i].hash});
  return out;
}

uint64_t get64(const uint8_t* p) { return get32(p) | uint64_t{get32(p + 4)} << 32; }

// A 'SNAP' chunk whose framing is intact (sizes within the file and the limits): its
// checksum, its data and its place. Empty, `snap` filled, or why it is unusable.
std::string read_snapshot_chunk(const ByteSource& src, uint64_t pos, const uint8_t* head, uint64_t last_event,
                                const Recording& rec, StoredSnapshot& snap) {
  const uint32_t clen = get32(head + 4), rlen = get32(head + 8), crc = get32(head + 12);
  std::vector<uint8_t> compressed(clen);
  if (!src.read(pos + 16, compressed.data(), clen)) return "read error";
  if (checksum32(rec.hash_algorithm(), compressed.data(), clen) != crc) return "checksum mismatch";
  std::string raw(rlen, '\0');
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(compressed.data()), raw.data(),
                                    static_cast<int>(clen), static_cast<int>(rlen));
  if (n < 0 || static_cast<uint32_t>(n) != rlen) return "does not decompress";
  if (rlen < 16) return "too short";
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  snap.icount = get64(p);
  snap.cursor = get64(p + 8);
  snap.file_offset = pos;
  // Written right after the events delivered before it: those the file has so far.
  if (snap.cursor != rec.events.size())
    return fmt::format("its position (event {}) is not where it lies in the file (after {} events)", snap.cursor,
                       rec.events.size());
  if (last_event > snap.icount)
    return fmt::format("it is at instruction {}, before events it says were delivered", snap.icount);
  if (!rec.snapshots.empty() && rec.snapshots.back().icount >= snap.icount)
    return fmt::format("it is at instruction {}, not after the snapshot before it", snap.icount);
  if (rec.snapshots.empty() && snap.icount != (rec.window.trimmed() ? rec.window.from : 0))
    return fmt::format("the first snapshot is at instruction {}, not at the start", snap.icount);
  snap.payload = raw.substr(16);
  return {};
}

// After the whole file: no snapshot past the recorded history (a file cut short), and what
// was left out said once.
void check_snapshots(Recording& rec, std::optional<std::string>& damage, uint64_t left_out) {
  const uint64_t last = rec.end ? rec.end->final_icount : (rec.events.empty() ? 0 : rec.events.back().icount);
  while (!rec.snapshots.empty() && (rec.snapshots.back().icount > last || rec.snapshots.back().cursor > rec.events.size())) {
    rec.snapshots.pop_back();
    ++left_out;
  }
  if (damage)
    rec.warnings.push_back(fmt::format("{}; it and the {} stored snapshots after it are not used (the replay goes "
                                       "on from the journal)",
                                       *damage, left_out));
  else if (left_out)
    rec.warnings.push_back(fmt::format("{} stored snapshots lie past the recorded history and are not used", left_out));
}

Recording parse_pieces(const ByteSource& src, const std::string& name, std::optional<std::string>& snapshot_damage,
                       uint64_t& snapshots_left_out) {
  Recording rec;
  rec.file_bytes = src.size;
  uint64_t pos = 0;
  rec.header = read_header(src, name, pos, rec.version, rec.window);
  if (rec.version < 4) rec.image_hashes = header_image_hashes(rec.header);

  // A window's events start where it does.
  EventRules rules(rec.header.state_hash_interval, rec.window.trimmed() ? rec.window.from : 0);
  struct ChunkStart {
    size_t first_event;
    uint64_t offset;
  };
  std::vector<ChunkStart> starts;
  uint64_t image_hashes_at = 0;  // where the 'HASH' chunk is
  const uint64_t size = src.size;
  auto damaged = [&](const std::string& what) {
    rec.damage = what + " at byte " + std::to_string(pos);
    return rec;
  };
  std::vector<uint8_t> compressed;
  std::string raw;
  while (pos < size) {
    uint8_t head[16];
    if (size - pos < 12) return damaged("truncated chunk header");
    if (!src.read(pos, head, static_cast<size_t>(std::min<uint64_t>(sizeof head, size - pos))))
      return damaged("read error");
    const uint32_t tag = get32(head);
    if (tag == kEndTag) {
      const uint32_t len = get32(head + 4), crc = get32(head + 8);
      if (len > kMaxHeaderBytes || len > size - pos - 12) return damaged("truncated end record");
      std::vector<uint8_t> payload(len);
      if (!src.read(pos + 12, payload.data(), len)) return damaged("read error");
      if (checksum32(rec.hash_algorithm(), payload.data(), len) != crc) return damaged("end record checksum mismatch");
      RecordingEnd end;
      if (!deserialize(payload.data(), len, end)) return damaged("malformed end record");
      if (rec.window.trimmed() && end.final_icount != rec.window.to)
        return damaged(fmt::format("damaged end record: the window ends at instruction {}, the record says {}",
                                   rec.window.to, end.final_icount));
      if (end.final_icount < rules.last_icount()) {
        // The chunks holding events past the recorded end are the damaged ones: the first of
        // them goes, with everything after it (the end record too).
        const auto past = std::upper_bound(rec.events.begin(), rec.events.end(), end.final_icount,
                                           [](uint64_t icount, const Event& e) { return icount < e.icount; });
        const auto first_event = static_cast<size_t>(past - rec.events.begin());
        auto chunk = std::upper_bound(starts.begin(), starts.end(), first_event,
                                      [](size_t i, const ChunkStart& c) { return i < c.first_event; }) - 1;
        const uint64_t icount = past->icount;
        rec.events.resize(chunk->first_event);
        rec.chunks = static_cast<uint64_t>(chunk - starts.begin());
        pos = chunk->offset;
        if (image_hashes_at > pos) rec.image_hashes.reset();
        return damaged(fmt::format("damaged chunk: event at instruction {} lies past the recorded end (instruction {})",
                                   icount, end.final_icount));
      }
      if (std::string why = rules.check_end(end.final_icount); !why.empty()) return damaged("damaged end record: " + why);
      if (!rec.requests.empty() && rec.requests.back().icount > end.final_icount)
        return damaged(fmt::format("damaged end record: a disk request starts at instruction {}, after it",
                                   rec.requests.back().icount));
      if (last_output_icount(rec.outputs) > end.final_icount)
        return damaged(fmt::format("damaged end record: the output index goes on to instruction {}, after it",
                                   last_output_icount(rec.outputs)));
      rec.end = end;
      pos += 12 + len;
      if (pos != size) return damaged("data after the end record");
      return rec;
    }
    if (tag == kSnapshotTag && rec.version >= 4) {
      if (size - pos < 16) return damaged("truncated chunk header");
      const uint32_t clen = get32(head + 4), rlen = get32(head + 8);
      if (clen > kMaxSnapshotChunkBytes || rlen > kMaxSnapshotChunkBytes || rlen > uint64_t{clen} * 255 + 16)
        return damaged("implausible chunk size");
      if (clen > size - pos - 16) return damaged("truncated chunk");
      // The framing holds: whatever is wrong inside costs only the snapshots from here on.
      StoredSnapshot snap;
      if (snapshot_damage) {
        ++snapshots_left_out;
      } else if (std::string why = read_snapshot_chunk(src, pos, head, rules.last_icount(), rec, snap); !why.empty()) {
        snapshot_damage = fmt::format("snapshot chunk at byte {}: {}", pos, why);
      } else {
        rec.snapshots.push_back(std::move(snap));
      }
      ++rec.chunks;
      pos += 16 + clen;
      continue;
    }
    const bool requests_chunk = tag == kRequestsTag && rec.version >= 4;
    const bool hashes_chunk = tag == kImageHashesTag && rec.version >= 4;
    const bool outputs_chunk = tag == kOutputsTag && rec.version >= 5;
    if (tag != kChunkTag && !requests_chunk && !hashes_chunk && !outputs_chunk) return damaged("unknown chunk tag");
    if (size - pos < 16) return damaged("truncated chunk header");
    const uint32_t clen = get32(head + 4), rlen = get32(head + 8), crc = get32(head + 12);
    if (clen > kMaxChunkBytes || rlen > kMaxChunkBytes) return damaged("implausible chunk size");
    if (clen > size - pos - 16) return damaged("truncated chunk");
    // lz4 expands a block at most about 255 times: a chunk that claims more is damaged, and
    // no buffer is sized from its claim.
    if (rlen > uint64_t{clen} * 255 + 16) return damaged("implausible chunk size");
    compressed.resize(clen);
    if (!src.read(pos + 16, compressed.data(), clen)) return damaged("read error");
    if (checksum32(rec.hash_algorithm(), compressed.data(), clen) != crc) return damaged("chunk checksum mismatch");
    raw.assign(rlen, '\0');
    const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(compressed.data()), raw.data(),
                                      static_cast<int>(clen), static_cast<int>(rlen));
    if (n < 0 || static_cast<uint32_t>(n) != rlen) return damaged("chunk does not decompress");
    if (hashes_chunk) {
      if (std::string why = accept_image_hashes(raw, rec); !why.empty()) return damaged(why);
      image_hashes_at = pos;
      ++rec.chunks;
      pos += 16 + clen;
      continue;
    }
    if (outputs_chunk) {
      OutputIndex outputs;
      if (!deserialize(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), outputs))
        return damaged("malformed output index chunk");
      if (std::string why = check_outputs(outputs, rec.outputs); !why.empty())
        return damaged("damaged output index chunk: " + why);
      OutputIndex& to = rec.outputs;
      to.serial.insert(to.serial.end(), outputs.serial.begin(), outputs.serial.end());
      to.cpu.insert(to.cpu.end(), outputs.cpu.begin(), outputs.cpu.end());
      if (outputs.serial_full_from != kNotFull) to.serial_full_from = outputs.serial_full_from;
      if (outputs.cpu_full_from != kNotFull) to.cpu_full_from = outputs.cpu_full_from;
      ++rec.chunks;
      pos += 16 + clen;
      continue;
    }
    if (requests_chunk) {
      std::vector<RequestStart> requests;
      auto bounded_requests = bounded<26>(requests);  // a request takes 26 bytes
      if (!deserialize(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), bounded_requests))
        return damaged("malformed request chunk");
      if (std::string why = check_requests(requests, rec.requests); !why.empty())
        return damaged("damaged request chunk: " + why);
      std::move(requests.begin(), requests.end(), std::back_inserter(rec.requests));
      ++rec.chunks;
      pos += 16 + clen;
      continue;
    }
    std::vector<Event> events;
    auto bounded_events = bounded<30>(events);  // an event takes at least 30 bytes
    if (!deserialize(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), bounded_events))
      return damaged("malformed chunk");
    // All or nothing: a chunk that breaks a rule is dropped whole.
    if (std::string why = rules.accept(events); !why.empty()) return damaged("damaged chunk: " + why);
    if (rec.version < 3 && std::any_of(events.begin(), events.end(),
                                       [](const Event& e) { return e.kind == EventKind::kDebuggerWrite; }))
      return damaged("damaged chunk: a debugger write in a version 2 recording");
    starts.push_back({rec.events.size(), pos});
    std::move(events.begin(), events.end(), std::back_inserter(rec.events));
    ++rec.chunks;
    pos += 16 + clen;
  }
  return rec;
}

Recording parse(const ByteSource& src, const std::string& name) {
  // Snapshots after a damaged one are stored relative to it: unusable.
  std::optional<std::string> snapshot_damage;
  uint64_t snapshots_left_out = 0;
  Recording rec = parse_pieces(src, name, snapshot_damage, snapshots_left_out);
  check_snapshots(rec, snapshot_damage, snapshots_left_out);
  return rec;
}

}  // namespace

Recording parse_recording(const std::vector<uint8_t>& bytes, const std::string& name) {
  ByteSource src{bytes.size(), [&bytes](uint64_t offset, uint8_t* out, size_t len) {
                   if (len) std::memcpy(out, bytes.data() + offset, len);  // out may be null when len is 0
                   return true;
                 }};
  return parse(src, name);
}

Recording read_recording(const std::string& path) {
  std::string problem;
  std::optional<block::InputFile> file = block::InputFile::open(path, block::FileKinds::kRegular, problem);
  if (!file) throw RecordingError(path + ": " + problem);
  // The size when opened: a file still growing is read as far as it was then.
  ByteSource src{file->size(),
                 [&file](uint64_t offset, uint8_t* out, size_t len) { return file->read_at(offset, out, len); }};
  return parse(src, path);
}

}  // namespace rw::journal
