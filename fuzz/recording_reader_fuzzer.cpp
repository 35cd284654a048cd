// The recording reader (journal/recording_file.h) on arbitrary files, from memory.
//
// Random bytes almost never carry a right checksum, and a reader that stops at the first
// checksum is all a fuzzer would ever see. So before parsing, the harness walks the input
// as the format lays it out and rewrites every checksum that guards bytes present in the
// input: what the reader then meets is well-framed data with damaged contents (lengths,
// counts, lz4 streams, cereal archives), the part worth fuzzing. Checksum mismatches have
// their own unit and CLI tests.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "journal/checksum.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"

namespace {

namespace journal = rw::journal;

uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

// The checksum of the file's version (CRC-32 before version 4, XXH3 from it on).
void put_checksum(std::vector<uint8_t>& b, journal::HashAlgorithm algorithm, size_t at, size_t data_at, size_t len) {
  const uint32_t sum = journal::checksum32(algorithm, b.data() + data_at, len);
  std::memcpy(b.data() + at, &sum, 4);
}

// header := magic u32 version u32 length u32 checksum payload; then chunks and an end record.
void repair_checksums(std::vector<uint8_t>& b) {
  const size_t size = b.size();
  if (size < 20) return;
  const journal::HashAlgorithm algorithm = journal::hash_algorithm_for(get32(b, 8));
  auto repair = [&](size_t at, size_t data_at, size_t len) { put_checksum(b, algorithm, at, data_at, len); };
  const size_t header_len = get32(b, 12);
  if (header_len > size - 20) return;
  repair(16, 20, header_len);
  for (size_t pos = 20 + header_len; size - pos >= 12;) {
    const uint32_t tag = get32(b, pos);
    if (tag == journal::kEndTag) {
      const size_t len = get32(b, pos + 4);
      if (len <= size - pos - 12) repair(pos + 8, pos + 12, len);
      return;
    }
    const bool chunk = tag == journal::kChunkTag || tag == journal::kRequestsTag || tag == journal::kImageHashesTag ||
                       tag == journal::kSnapshotTag;
    if (!chunk || size - pos < 16) return;
    const size_t clen = get32(b, pos + 4);
    if (clen > size - pos - 16) return;
    repair(pos + 12, pos + 16, clen);
    pos += 16 + clen;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  repair_checksums(file);
  journal::Recording rec;
  try {
    rec = journal::parse_recording(file, "fuzz.rwr");
  } catch (const journal::RecordingError& e) {
    const std::string why = e.what();
    FUZZ_CHECK(why.starts_with("fuzz.rwr: ") && why.find('\n') == std::string::npos);  // one line, names the file
    return 0;
  }
  // What the reader promises to whoever replays it.
  FUZZ_CHECK(rec.file_bytes == size);
  for (size_t i = 1; i < rec.events.size(); ++i) FUZZ_CHECK(rec.events[i - 1].icount <= rec.events[i].icount);
  FUZZ_CHECK(rec.chunks * 16 <= size);
  FUZZ_CHECK(rec.damage.find('\n') == std::string::npos);
  // Image hashes name images of the header, each once, in order.
  if (rec.image_hashes) {
    FUZZ_CHECK(rec.image_hashes->size() <= journal::kMaxImages);
    for (size_t i = 0; i < rec.image_hashes->size(); ++i) {
      const journal::ImageHash& x = (*rec.image_hashes)[i];
      const std::vector<journal::ImageInfo>& disks = rec.header.disks;
      FUZZ_CHECK(x.image == 0 ? !rec.header.guest.path.empty()
                              : x.image - size_t{1} < disks.size() && !disks[x.image - 1u].path.empty());
      FUZZ_CHECK(i == 0 || (*rec.image_hashes)[i - 1].image < x.image);
    }
  }
  for (size_t i = 0; i < rec.snapshots.size(); ++i) {  // in order, each at its place among the events
    FUZZ_CHECK(rec.snapshots[i].cursor <= rec.events.size());
    FUZZ_CHECK(i == 0 || rec.snapshots[i - 1].icount < rec.snapshots[i].icount);
  }
  for (const std::string& w : rec.warnings) FUZZ_CHECK(w.find('\n') == std::string::npos);
  return 0;
}
