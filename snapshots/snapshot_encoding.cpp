// A snapshot as bytes, for recording files (docs/recording-format.md, "Stored snapshots"):
//
//   snapshot := u32 version(1)  u64 icount  u64 memory_bytes  u32 n cpu[n]  u32 n devices[n]
//               u32 parts(5)  part[5]
//   part     := u64 blocks  (u64 key  u32 length  lz4[length])*
//
// little-endian; `cpu` and `devices` are MachineState's archives, parts are memory then the
// overlays of disk positions 0-3, blocks in ascending key order exactly as the store keeps
// them. Reading trusts nothing: every count, key, length and decompressed size is checked
// against the machine before anything is kept.
#include <lz4.h>

#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

#include "snapshots/snapshot_store.h"

namespace rw::snapshots {

namespace {

constexpr uint32_t kEncodingVersion = 1;
constexpr size_t kMaxBlockBytes = 1 + block::Overlay::kGroupSectors * block::kSectorSize;  // >= a page

void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// Reads what is there, or throws std::invalid_argument naming what was cut short.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint64_t get(size_t n, const char* what) {
    need(n, what);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(bytes_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view take(uint64_t n, const char* what) {
    need(n, what);
    std::string_view v = bytes_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > left()) throw std::invalid_argument(std::string("stored snapshot cut short in ") + what);
  }
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string SnapshotStore::encode(size_t index) const {
  const Snapshot& s = snapshots_.at(index);
  std::string out;
  out.reserve(s.bytes() + 64);
  put32(out, kEncodingVersion);
  put64(out, s.state.icount);
  put64(out, s.state.memory_bytes);
  put32(out, static_cast<uint32_t>(s.state.cpu.size()));
  out += s.state.cpu;
  put32(out, static_cast<uint32_t>(s.state.devices.size()));
  out += s.state.devices;
  put32(out, static_cast<uint32_t>(kParts));
  for (const Part& p : s.parts) {
    put64(out, p.blocks.size());
    for (const StoredBlock& b : p.blocks) {
      put64(out, b.key);
      put32(out, b.length);
      out.append(p.data.data() + b.offset, b.length);
    }
  }
  return out;
}

void SnapshotStore::append_encoded(std::string_view bytes, Machine& machine) {
  Reader in(bytes);
  if (in.get(4, "its version") != kEncodingVersion) throw std::invalid_argument("stored snapshot of an unknown version");
  Snapshot s;
  s.state.icount = in.get(8, "its instruction count");
  s.state.memory_bytes = in.get(8, "its memory size");
  if (s.state.memory_bytes != machine.memory().size())
    throw std::invalid_argument("stored snapshot of a machine with another memory size");
  if (!snapshots_.empty() && s.state.icount <= snapshots_.back().state.icount)
    throw std::invalid_argument("stored snapshot not after the one before it");
  s.state.cpu = std::string(in.take(in.get(4, "its CPU state"), "its CPU state"));
  s.state.devices = std::string(in.take(in.get(4, "its device state"), "its device state"));
  s.state.memory_included = false;
  s.state.overlays_included = false;
  if (in.get(4, "its parts") != kParts) throw std::invalid_argument("stored snapshot with another number of parts");

  uint8_t buf[kMaxBlockBytes];
  for (size_t part = 0; part < kParts; ++part) {
    // How many keys the part has: pages, or sector groups of the disk at that position.
    uint64_t keys = 0, sectors = 0;
    if (part == kMemoryPart) {
      keys = machine.memory().page_count();
    } else if (const block::BlockDevice* d = machine.disks() ? machine.disks()->device(static_cast<int>(part - 1)) : nullptr) {
      sectors = d->sectors();
      keys = (sectors + block::Overlay::kGroupSectors - 1) / block::Overlay::kGroupSectors;
    }
    const uint64_t count = in.get(8, "a block count");
    if (count > keys || count > in.left() / 12) throw std::invalid_argument("stored snapshot with too many blocks");
    Part& p = s.parts[part];
    p.blocks.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t key = in.get(8, "a block key");
      const uint64_t length = in.get(4, "a block length");
      if (key >= keys || (!p.blocks.empty() && key <= p.blocks.back().key))
        throw std::invalid_argument(part == kMemoryPart ? "stored snapshot with a page beyond memory or out of order"
                                                        : "stored snapshot with sectors beyond the disk or out of order");
      if (length == 0 || length > static_cast<uint64_t>(LZ4_COMPRESSBOUND(kMaxBlockBytes)))
        throw std::invalid_argument("stored snapshot with a block of an implausible size");
      const std::string_view data = in.take(length, "a block");
      const int n = LZ4_decompress_safe(data.data(), reinterpret_cast<char*>(buf), static_cast<int>(length), sizeof buf);
      if (part == kMemoryPart) {
        if (n != static_cast<int>(MachineState::kPageSize))
          throw std::invalid_argument("stored snapshot with a page that does not decompress to a page");
      } else {
        if (n < 1 || static_cast<size_t>(n) != 1 + size_t(std::popcount(buf[0])) * block::kSectorSize)
          throw std::invalid_argument("stored snapshot with a sector group that does not decompress to its sectors");
        for (unsigned bit = 0; bit < 8; ++bit)
          if ((buf[0] >> bit & 1) && key * block::Overlay::kGroupSectors + bit >= sectors)
            throw std::invalid_argument("stored snapshot with sectors beyond the disk");
      }
      add_compressed(p, key, data.data(), static_cast<uint32_t>(length));
    }
  }
  if (in.left() != 0) throw std::invalid_argument("stored snapshot with bytes after its end");
  // Last, the state itself: a machine of this configuration must be able to run from it.
  if (std::string why = machine.check_state(s.state); !why.empty())
    throw std::invalid_argument("stored snapshot with a state this machine cannot take: " + why);
  bytes_ += s.bytes();
  snapshots_.push_back(std::move(s));
}

}  // namespace rw::snapshots
