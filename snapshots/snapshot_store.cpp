#include "snapshots/snapshot_store.h"

#include <lz4.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace rw::snapshots {

namespace {

constexpr uint64_t kPageSize = MachineState::kPageSize;
// A sector group as stored: its mask (Overlay::read_group), then the sectors it names.
constexpr size_t kMaxGroup = 1 + block::Overlay::kGroupSectors * block::kSectorSize;
constexpr size_t kMaxBlock = std::max<size_t>(kPageSize, kMaxGroup);

const uint8_t kZeroPage[kPageSize] = {};

size_t group_length(uint8_t mask) { return 1 + size_t(std::popcount(mask)) * block::kSectorSize; }

}  // namespace

bool SnapshotStore::Content::operator==(const Content& o) const {
  return length == o.length && std::memcmp(data, o.data, length) == 0;
}

size_t SnapshotStore::Snapshot::bytes() const {
  size_t n = state.bytes();
  for (const Part& p : parts) n += p.bytes();
  return n;
}

size_t SnapshotStore::groups_stored(size_t index) const {
  size_t n = 0;
  for (size_t part = kMemoryPart + 1; part < kParts; ++part) n += snapshots_[index].parts[part].blocks.size();
  return n;
}

size_t SnapshotStore::sectors_stored(size_t index) const {
  size_t n = 0;
  uint8_t buf[kMaxBlock];
  for (size_t part = kMemoryPart + 1; part < kParts; ++part) {
    const Part& p = snapshots_[index].parts[part];
    for (const StoredBlock& b : p.blocks) {
      if (LZ4_decompress_safe(p.data.data() + b.offset, reinterpret_cast<char*>(buf), static_cast<int>(b.length),
                              sizeof buf) <= 0)
        throw std::runtime_error("snapshot: a stored sector group does not decompress");
      n += static_cast<size_t>(std::popcount(buf[0]));
    }
  }
  return n;
}

block::Overlay* SnapshotStore::overlay(Machine& machine, size_t part) {
  if (part == kMemoryPart || !machine.disks()) return nullptr;
  block::BlockDevice* dev = machine.disks()->device(static_cast<int>(part - 1));
  return dev ? &dev->mutable_overlay() : nullptr;
}

SnapshotStore::Content SnapshotStore::current(Machine& machine, size_t part, uint64_t key, uint8_t* buf) {
  if (part == kMemoryPart) return {machine.memory().host(key * kPageSize), kPageSize};
  buf[0] = overlay(machine, part)->read_group(key, buf + 1);
  return {buf, group_length(buf[0])};
}

void SnapshotStore::put(Machine& machine, size_t part, uint64_t key, Content content) {
  if (part == kMemoryPart) {
    std::memcpy(machine.memory().host(key * kPageSize), content.data, kPageSize);
    machine.memory().mark_page_written(key);  // digests and write tracking see the change
    return;
  }
  if (content.length != group_length(content.data[0])) throw std::runtime_error("snapshot: a malformed sector group");
  overlay(machine, part)->write_group(key, content.data[0], content.data + 1);
}

void SnapshotStore::add_compressed(Part& p, uint64_t key, const char* data, uint32_t length) {
  p.blocks.push_back({key, static_cast<uint32_t>(p.data.size()), length});
  p.data.append(data, length);
}

void SnapshotStore::add_block(Part& p, uint64_t key, Content content) {
  char buffer[LZ4_COMPRESSBOUND(kMaxBlock)];
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(content.data), buffer,
                                     static_cast<int>(content.length), sizeof buffer);
  if (n <= 0) throw std::runtime_error("snapshot: lz4 could not compress a block");
  add_compressed(p, key, buffer, static_cast<uint32_t>(n));
}

void SnapshotStore::merge_into(Snapshot& next, size_t part, const std::vector<StoredBlock>& earlier,
                               const std::function<void(Part&, const StoredBlock&)>& add_earlier) {
  const Part& own = next.parts[part];
  Part merged;
  size_t a = 0, b = 0;
  while (a < earlier.size() || b < own.blocks.size()) {
    if (b < own.blocks.size() && (a == earlier.size() || own.blocks[b].key <= earlier[a].key)) {
      if (a < earlier.size() && earlier[a].key == own.blocks[b].key) ++a;  // `next` has its own
      const StoredBlock& sb = own.blocks[b++];
      add_compressed(merged, sb.key, own.data.data() + sb.offset, sb.length);
    } else {
      add_earlier(merged, earlier[a++]);
    }
  }
  bytes_ -= own.bytes();
  bytes_ += merged.bytes();
  next.parts[part] = std::move(merged);
}

SnapshotStore::Content SnapshotStore::content_at(size_t index, size_t part, uint64_t key, uint8_t* buf) const {
  for (size_t j = index + 1; j-- > 0;) {
    const Part& p = snapshots_[j].parts[part];
    auto it = std::lower_bound(p.blocks.begin(), p.blocks.end(), key,
                               [](const StoredBlock& b, uint64_t k) { return b.key < k; });
    if (it == p.blocks.end() || it->key != key) continue;
    const int n = LZ4_decompress_safe(p.data.data() + it->offset, reinterpret_cast<char*>(buf),
                                      static_cast<int>(it->length), kMaxBlock);
    if (n <= 0 || (part == kMemoryPart && n != static_cast<int>(kPageSize)))
      throw std::runtime_error("snapshot: a stored block does not decompress");
    return {buf, static_cast<size_t>(n)};
  }
  return nothing(part);
}

SnapshotStore::Content SnapshotStore::nothing(size_t part) {
  return {kZeroPage, part == kMemoryPart ? kPageSize : 1};  // a zero page; a group without sectors
}

std::vector<uint64_t> SnapshotStore::keys_that_may_differ(Machine& machine, size_t part,
                                                          std::optional<size_t> index) const {
  std::vector<uint64_t> keys;
  // Written since the machine last matched a snapshot (or ever, when that is unknown).
  const bool known = index && synced_;
  if (part == kMemoryPart) {
    const PhysicalMemory& memory = machine.memory();
    const uint32_t since = known ? synced_epochs_[part] : 1;
    for (uint64_t p = 0; p < memory.page_count(); ++p)
      if (memory.page_write_epoch(p) >= since) keys.push_back(p);
  } else {
    const block::Overlay* o = overlay(machine, part);
    if (!o) return keys;
    // Unknown only after the snapshot it matched was dropped: then this costs the overlay's size.
    keys = known ? o->groups_written_since(synced_epochs_[part]) : o->groups();
  }
  if (!index) return keys;
  // Changed between the snapshot the machine matched and `index` (or anything `index` may hold).
  const size_t lo = synced_ ? std::min(*synced_, *index) + 1 : 0;
  const size_t hi = synced_ ? std::max(*synced_, *index) : *index;
  for (size_t j = lo; j <= hi && j < snapshots_.size(); ++j)
    for (const StoredBlock& b : snapshots_[j].parts[part].blocks) keys.push_back(b.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void SnapshotStore::synced_with(Machine& machine, size_t index) {
  synced_ = index;
  synced_epochs_[kMemoryPart] = machine.begin_write_epoch();
  for (size_t part = kMemoryPart + 1; part < kParts; ++part)
    if (block::Overlay* o = overlay(machine, part)) synced_epochs_[part] = o->new_write_epoch();
}

size_t SnapshotStore::take(Machine& machine) {
  const uint64_t now = machine.cpu().icount;
  // The snapshot it follows: the newest at or before now.
  size_t after = snapshots_.size();
  while (after > 0 && snapshots_[after - 1].state.icount > now) --after;
  if (after > 0 && snapshots_[after - 1].state.icount == now) return after - 1;
  if (after == 0 && !snapshots_.empty()) throw std::invalid_argument("snapshot: taken before the first snapshot");
  Snapshot s;
  s.state = machine.save_state(/*with_memory=*/false);
  // Only what changed since the snapshot before (the first: since all zero and empty),
  // compared, not assumed from the epochs.
  const std::optional<size_t> prev = after > 0 ? std::optional<size_t>(after - 1) : std::nullopt;
  uint8_t now_buf[kMaxBlock], before_buf[kMaxBlock];
  for (size_t part = 0; part < kParts; ++part) {
    for (uint64_t key : keys_that_may_differ(machine, part, prev)) {
      const Content content = current(machine, part, key, now_buf);
      const Content before = prev ? content_at(*prev, part, key, before_buf) : nothing(part);
      if (!(content == before)) add_block(s.parts[part], key, content);
    }
  }
  if (after < snapshots_.size()) {
    // Inserted before `next`, which held its changes against `prev`: the blocks this one
    // changed but `next` did not are, in `next`, as they were in `prev`.
    for (size_t part = 0; part < kParts; ++part)
      merge_into(snapshots_[after], part, s.parts[part].blocks, [&](Part& merged, const StoredBlock& b) {
        add_block(merged, b.key, content_at(after - 1, part, b.key, before_buf));
      });
  }
  bytes_ += s.bytes();
  snapshots_.insert(snapshots_.begin() + static_cast<std::ptrdiff_t>(after), std::move(s));
  synced_with(machine, after);
  return after;
}

void SnapshotStore::restore(Machine& machine, size_t index) {
  if (index >= snapshots_.size()) throw std::out_of_range("snapshot: no such snapshot");
  uint8_t now_buf[kMaxBlock], wanted_buf[kMaxBlock];
  for (size_t part = 0; part < kParts; ++part) {
    for (uint64_t key : keys_that_may_differ(machine, part, index)) {
      const Content wanted = content_at(index, part, key, wanted_buf);
      if (!(current(machine, part, key, now_buf) == wanted)) put(machine, part, key, wanted);
    }
  }
  machine.restore_state(snapshots_[index].state);  // the rest; flushes the TLB and code cache
  synced_with(machine, index);
}

void SnapshotStore::drop(size_t index) {
  if (index == 0 || index + 1 >= snapshots_.size())
    throw std::invalid_argument("snapshot: the first and the newest snapshot are always kept");
  // The next snapshot takes over what it did not change itself.
  const Snapshot& gone = snapshots_[index];
  for (size_t part = 0; part < kParts; ++part) {
    const Part& p = gone.parts[part];
    merge_into(snapshots_[index + 1], part, p.blocks, [&](Part& merged, const StoredBlock& b) {
      add_compressed(merged, b.key, p.data.data() + b.offset, b.length);
    });
  }
  bytes_ -= gone.bytes();
  snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(index));
  if (synced_) {
    if (*synced_ == index)
      synced_.reset();  // what the machine matched can no longer be described
    else if (*synced_ > index)
      --*synced_;
  }
}

}  // namespace rw::snapshots
