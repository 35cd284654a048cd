// The recording file (docs/recording-format.md describes it byte by byte):
//
//   file   := header chunk* [end]
//   header := "RWNDREC\0" u32 version u32 length u32 checksum(payload) payload
//   chunk  := u32 tag u32 compressed u32 raw u32 checksum(compressed) lz4(payload)
//   end    := u32 'END!' u32 length u32 checksum(payload) payload
//
// The checksum is the low 32 bits of XXH3-64 (CRC-32 before version 4: journal/checksum.h).
// Payloads are cereal portable-binary archives: RecordingHeader, std::vector<Event> ('CHNK'),
// std::vector<RequestStart> ('REQS'), OutputIndex ('OUTS'), std::vector<ImageHash> ('HASH'),
// RecordingEnd. Each
// chunk stands alone, so a file cut short is readable up to its last complete chunk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "journal/checksum.h"

namespace rw::journal {

// Strings and vectors are stored as cereal stores them (a 64-bit element count, then the
// elements), but reading refuses a count that cannot fit in what the payload holds before
// anything is allocated: a damaged count must not make the reader allocate (and zero) a
// terabyte. The reader sets the payload size here; each element takes at least `min` bytes.
inline thread_local uint64_t payload_bytes_limit = ~uint64_t{0};

template <class T, size_t kMinBytes>
struct Bounded {
  T& value;
  template <class A> void save(A& a) const {
    a(cereal::make_size_tag(static_cast<cereal::size_type>(value.size())));
    for (const auto& x : value) a(x);
  }
  template <class A> void load(A& a) {
    cereal::size_type n = 0;
    a(cereal::make_size_tag(n));
    if (n > payload_bytes_limit / kMinBytes) throw cereal::Exception("element count beyond the payload");
    value.resize(static_cast<size_t>(n));
    for (auto& x : value) a(x);
  }
};
template <size_t kMinBytes, class T> Bounded<T, kMinBytes> bounded(T& v) { return {v}; }

inline constexpr char kMagic[8] = {'R', 'W', 'N', 'D', 'R', 'E', 'C', '\0'};
// 2: state digests from the snapshot's own description (every device part named, the CPU's
// fields as cpu/cpu_state.h lists them); 1 is refused. 3: debugger writes (event kind 5);
// a version 2 file is read as it is (it has none). 4: the disk requests' starts ('REQS'
// chunks); a version 2 or 3 file is read as it is (no request index). Also in 4: XXH3 for
// checksums and hashes, and the images' hashes in a 'HASH' chunk written when they are known
// (in the header before). 5: the guest's output index ('OUTS' chunks: serial bytes written,
// exceptions and interrupts taken); a version 2 to 4 file is read as it is (no output index).
// 6: recorded on the PC with a local APIC, an I/O APIC, MP tables, the 8042 and the CGA
// (their state in digests and snapshots, the tables in guest memory): the layout is 5's, but
// a replay of an older file on this machine would diverge, so versions 2 to 5 are read (by
// `rewind info`) and not replayed (kOldestReplayableVersion). 7: recorded on the CPU with SSE
// and SSE2 (CPUID says so, the instructions run; XMM registers, MXCSR and the x87 state FXSAVE
// carries in digests and snapshots): version 6 is read and not replayed.
inline constexpr uint32_t kFormatVersion = 7;
inline constexpr uint32_t kOldestReplayableVersion = 7;

// What the machine a recording of an older version ran on lacked (why it is not replayed).
inline const char* older_machine(uint32_t version) {
  return version < 6 ? "a PC without the local APIC, the I/O APIC, the MP tables, the 8042 and the CGA, and a CPU "
                       "without SSE"
                     : "a CPU without SSE and SSE2";
}
inline constexpr uint32_t kOldestReadableVersion = 2;
inline constexpr uint32_t kChunkTag = 0x4B4E4843;  // "CHNK": events
inline constexpr uint32_t kRequestsTag = 0x53514552;  // "REQS": disk request starts (version 4)
inline constexpr uint32_t kOutputsTag = 0x5354554F;  // "OUTS": the guest's output index (version 5)
inline constexpr uint32_t kImageHashesTag = 0x48534148;  // "HASH": the images' hashes (version 4)
inline constexpr uint32_t kSnapshotTag = 0x50414E53;  // "SNAP": a stored snapshot (version 4)
inline constexpr uint32_t kEndTag = 0x21444E45;    // "END!"
inline constexpr uint32_t kMaxChunkBytes = 64u << 20;
// A snapshot chunk holds a whole machine's changed pages: it may be larger than an event chunk.
inline constexpr uint32_t kMaxSnapshotChunkBytes = 1u << 30;

// The checksums, digests and image hashes of a file of `version`.
constexpr HashAlgorithm hash_algorithm_for(uint32_t version) {
  return version >= 4 ? HashAlgorithm::kXxh3 : HashAlgorithm::kLegacy;
}

struct ImageInfo {
  std::string path;
  uint64_t size = 0;
  uint64_t hash = 0;  // 0: not known here (version 4: in the 'HASH' chunk) or not checked
  template <class A> void serialize(A& a) { a(bounded<1>(path), size, hash); }
};

// Everything needed to rebuild the machine exactly as it was recorded.
struct RecordingHeader {
  std::string rewind_version;
  ImageInfo guest;
  std::string append;            // the --append string
  uint64_t memory_bytes = 0;
  std::vector<ImageInfo> disks;  // in attachment order
  int64_t rtc_base_unix_seconds = 0;
  uint64_t state_hash_interval = 0;  // instructions between state checks: 1 to 2^32 in a file
  int64_t recorded_at_unix_seconds = 0;
  template <class A> void serialize(A& a) {
    a(bounded<1>(rewind_version), guest, bounded<1>(append), memory_bytes, bounded<24>(disks), rtc_base_unix_seconds,
      state_hash_interval,
      recorded_at_unix_seconds);
  }
};

// A trimmed recording (`rewind trim`, version 4): the window [from, to] of another recording,
// starting from a snapshot at `from` (its first 'SNAP' chunk). Not a window: `original` empty.
// Serialized after RecordingHeader's fields in a version 4 header.
struct RecordingWindow {
  std::string original;              // the original recording's file name
  uint64_t original_final_icount = 0;  // its length (its end, or its last event if cut short)
  uint64_t original_final_state = 0;   // its end record's final_state (0: it was cut short)
  uint64_t original_serial_hash = 0;   // its end record's serial_output_hash
  uint64_t from = 0, to = 0;
  bool trimmed() const { return !original.empty(); }
  template <class A> void serialize(A& a) {
    a(bounded<1>(original), original_final_icount, original_final_state, original_serial_hash, from, to);
  }
  bool operator==(const RecordingWindow&) const = default;
};

enum class EventKind : uint8_t {
  kBlockCompletion = 1,  // device = drive, id = request id, status
  kSerialInput = 2,      // device = port, id = the byte
  kStateHash = 3,        // id = combined hash; data = {cpu, devices, memory, page, hash, page, hash...}
  kIdleWake = 4,         // the CPU idled in HLT until here, waiting for the host
  kDebuggerWrite = 5,    // a debugger changed memory or a register here (journal/debugger_write.h)
};
inline constexpr size_t kEventKinds = 6;

// Something the guest saw that its own instructions did not determine, at the
// instruction boundary where it saw it.
struct Event {
  uint64_t icount = 0;
  EventKind kind = EventKind::kBlockCompletion;
  uint8_t device = 0;
  uint64_t id = 0;
  int32_t status = 0;
  std::vector<uint64_t> data;
  template <class A> void serialize(A& a) { a(icount, kind, device, id, status, bounded<8>(data)); }
  bool operator==(const Event&) const = default;
};

// A disk request as the guest started it (the ATA command that issued it), at the count of
// the instruction that issued it. Not an input: a replay issues the same request at the same
// point by itself. Kept as an index, so that a completion can be described (operation, LBA,
// sectors, how long it took) without replaying up to it; matched to its completion by
// (drive, id).
struct RequestStart {
  uint64_t icount = 0;
  uint8_t drive = 0;  // ATA position 0-3
  uint8_t op = 0;     // block::Op: 0 read, 1 write
  uint32_t id = 0;    // per drive, from 1 in issue order (the completion's id)
  uint64_t lba = 0;
  uint32_t count = 0;  // sectors, at least 1
  template <class A> void serialize(A& a) { a(icount, drive, op, id, lba, count); }
  bool operator==(const RequestStart&) const = default;
};

// What the guest did that a replay does again by itself, kept as an index for the timeline
// (its serial and interrupt lanes), so that a recording shows it without being replayed:
// each byte the guest wrote to the serial port, and each exception or interrupt its CPU took,
// at its instruction count. Not an input. An 'OUTS' chunk holds the entries since the one
// before it.
struct SerialByte {
  uint64_t icount = 0;  // of the instruction that wrote it
  uint8_t byte = 0;
  template <class A> void serialize(A& a) { a(icount, byte); }
  bool operator==(const SerialByte&) const = default;
};
enum class CpuEventKind : uint8_t { kException = 0, kSoftware = 1, kExternal = 2 };  // cpu::EventKind's
struct CpuEvent {
  uint64_t icount = 0;      // the boundary where it was taken
  uint64_t return_rip = 0;  // the RIP its frame returns to (a fault: the faulting instruction)
  uint32_t error = 0;       // the error code pushed, if has_error
  uint8_t vector = 0;
  CpuEventKind kind = CpuEventKind::kException;
  bool has_error = false;
  template <class A> void serialize(A& a) { a(icount, return_rip, error, vector, kind, has_error); }
  bool operator==(const CpuEvent&) const = default;
};
inline constexpr uint64_t kNotFull = ~uint64_t{0};
struct OutputIndex {
  std::vector<SerialByte> serial;
  std::vector<CpuEvent> cpu;
  // The index is bounded (a guest that prints or faults without end must not fill the host's
  // memory): past kMaxSerialBytes (kMaxCpuEvents) it lists no more serial bytes (CPU events)
  // from the instruction count here on; kNotFull while it lists them all.
  uint64_t serial_full_from = kNotFull;
  uint64_t cpu_full_from = kNotFull;
  static constexpr size_t kMaxSerialBytes = size_t{4} << 20;
  static constexpr size_t kMaxCpuEvents = size_t{4} << 20;
  // Instruction counts are stored as the difference from the entry before (the first's from
  // 0): small numbers with zero high bytes, which lz4 packs far better than absolute counts.
  template <class A> void save(A& a) const {
    OutputIndex d = *this;
    for (size_t i = d.serial.size(); i-- > 1;) d.serial[i].icount -= d.serial[i - 1].icount;
    for (size_t i = d.cpu.size(); i-- > 1;) d.cpu[i].icount -= d.cpu[i - 1].icount;
    a(bounded<9>(d.serial), bounded<23>(d.cpu), serial_full_from, cpu_full_from);
  }
  template <class A> void load(A& a) {
    a(bounded<9>(serial), bounded<23>(cpu), serial_full_from, cpu_full_from);
    // A sum that wraps is damage the reader's order check sees (an entry before the last).
    for (size_t i = 1; i < serial.size(); ++i) serial[i].icount += serial[i - 1].icount;
    for (size_t i = 1; i < cpu.size(); ++i) cpu[i].icount += cpu[i - 1].icount;
  }
  bool empty() const { return serial.empty() && cpu.empty() && serial_full_from == kNotFull && cpu_full_from == kNotFull; }
};

// The hash of one of the recorded images, as a 'HASH' chunk lists it: computed beside the
// run, so that recording starts without waiting for a multi-gigabyte disk to be read.
struct ImageHash {
  uint8_t image = 0;  // 0: the guest; 1 + i: the header's disks[i]
  uint64_t size = 0;  // the bytes hashed
  uint64_t hash = 0;  // hash_file's; 0: could not be hashed (unreadable, or changed meanwhile)
  template <class A> void serialize(A& a) { a(image, size, hash); }
  bool operator==(const ImageHash&) const = default;
};
inline constexpr size_t kMaxImages = 5;  // the guest and four disks

// Written when a run ends normally; its absence means the recording was cut short.
struct RecordingEnd {
  uint64_t final_icount = 0;
  int exit_status = 0;
  std::string stop_message;
  uint64_t serial_output_hash = 0;
  uint64_t final_state = 0;  // StateDigest::combined() of the machine at the end
  template <class A> void serialize(A& a) {
    a(final_icount, exit_status, bounded<1>(stop_message), serial_output_hash, final_state);
  }
};

}  // namespace rw::journal
