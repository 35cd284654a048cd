#include "snapshots/snapshot_store.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace rw::snapshots {

namespace {

constexpr uint64_t kPageSize = MachineState::kPageSize;

const uint8_t kZeroPage[kPageSize] = {};

bool is_zero(const uint8_t* page) { return std::memcmp(page, kZeroPage, kPageSize) == 0; }

}  // namespace

size_t SnapshotStore::Snapshot::bytes() const {
  return state.bytes() + pages.size() * sizeof(StoredPage) + data.size();
}

void SnapshotStore::add_compressed(Snapshot& s, uint64_t page, const char* data, uint32_t length) {
  s.pages.push_back({page, static_cast<uint32_t>(s.data.size()), length});
  s.data.append(data, length);
}

void SnapshotStore::add_page(Snapshot& s, uint64_t page, const uint8_t* content) {
  char buffer[LZ4_COMPRESSBOUND(kPageSize)];
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(content), buffer, kPageSize, sizeof buffer);
  if (n <= 0) throw std::runtime_error("snapshot: lz4 could not compress a page");
  add_compressed(s, page, buffer, static_cast<uint32_t>(n));
}

void SnapshotStore::merge_into(Snapshot& next, const std::vector<StoredPage>& earlier,
                               const std::function<void(Snapshot&, const StoredPage&)>& add_earlier) {
  Snapshot merged;
  merged.state = std::move(next.state);
  size_t a = 0, b = 0;
  while (a < earlier.size() || b < next.pages.size()) {
    if (b < next.pages.size() && (a == earlier.size() || next.pages[b].page <= earlier[a].page)) {
      if (a < earlier.size() && earlier[a].page == next.pages[b].page) ++a;  // `next` has its own
      const StoredPage& sp = next.pages[b++];
      add_compressed(merged, sp.page, next.data.data() + sp.offset, sp.length);
    } else {
      add_earlier(merged, earlier[a++]);
    }
  }
  bytes_ -= next.bytes();
  bytes_ += merged.bytes();
  next = std::move(merged);
}

bool SnapshotStore::content_at(size_t index, uint64_t page, uint8_t* out) const {
  for (size_t j = index + 1; j-- > 0;) {
    const Snapshot& s = snapshots_[j];
    auto it = std::lower_bound(s.pages.begin(), s.pages.end(), page,
                               [](const StoredPage& p, uint64_t n) { return p.page < n; });
    if (it == s.pages.end() || it->page != page) continue;
    const int n = LZ4_decompress_safe(s.data.data() + it->offset, reinterpret_cast<char*>(out),
                                      static_cast<int>(it->length), kPageSize);
    if (n != static_cast<int>(kPageSize)) throw std::runtime_error("snapshot: a stored page does not decompress");
    return true;
  }
  return false;
}

std::vector<uint64_t> SnapshotStore::pages_that_may_differ(const Machine& machine, size_t index) const {
  const PhysicalMemory& memory = machine.memory();
  std::vector<uint64_t> pages;
  // Written since memory last matched a snapshot (or ever written, when that is unknown).
  const uint32_t since = synced_ ? synced_epoch_ : 1;
  for (uint64_t p = 0; p < memory.page_count(); ++p)
    if (memory.page_write_epoch(p) >= since) pages.push_back(p);
  // Changed between the snapshot memory matched and `index` (or anything `index` may hold).
  const size_t lo = synced_ ? std::min(*synced_, index) + 1 : 0;
  const size_t hi = synced_ ? std::max(*synced_, index) : index;
  for (size_t j = lo; j <= hi && j < snapshots_.size(); ++j)
    for (const StoredPage& sp : snapshots_[j].pages) pages.push_back(sp.page);
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  return pages;
}

void SnapshotStore::synced_with(Machine& machine, size_t index) {
  synced_ = index;
  synced_epoch_ = machine.begin_write_epoch();
}

size_t SnapshotStore::take(Machine& machine) {
  const uint64_t now = machine.cpu().icount;
  // The snapshot it follows: the newest at or before now.
  size_t after = snapshots_.size();
  while (after > 0 && snapshots_[after - 1].state.icount > now) --after;
  if (after > 0 && snapshots_[after - 1].state.icount == now) return after - 1;
  Snapshot s;
  s.state = machine.save_state(/*with_memory=*/false);
  const PhysicalMemory& memory = machine.memory();
  uint8_t before[kPageSize];
  if (after == 0) {
    if (!snapshots_.empty()) throw std::invalid_argument("snapshot: taken before the first snapshot");
    for (uint64_t p = 0; p < memory.page_count(); ++p) {
      const uint8_t* host = memory.host(p * kPageSize);
      if (memory.page_write_epoch(p) != 0 && !is_zero(host)) add_page(s, p, host);
    }
  } else {
    // Only what changed since the snapshot before: compared, not assumed from the epochs.
    const size_t prev = after - 1;
    for (uint64_t p : pages_that_may_differ(machine, prev)) {
      const uint8_t* host = memory.host(p * kPageSize);
      const bool was_nonzero = content_at(prev, p, before);
      if (was_nonzero ? std::memcmp(before, host, kPageSize) != 0 : !is_zero(host)) add_page(s, p, host);
    }
  }
  if (after < snapshots_.size()) {
    // Inserted before `next`, which held its changes against `prev`: the pages this one
    // changed but `next` did not are, in `next`, as they were in `prev`.
    merge_into(snapshots_[after], s.pages, [&](Snapshot& merged, const StoredPage& sp) {
      add_page(merged, sp.page, content_at(after - 1, sp.page, before) ? before : kZeroPage);
    });
  }
  bytes_ += s.bytes();
  snapshots_.insert(snapshots_.begin() + static_cast<std::ptrdiff_t>(after), std::move(s));
  synced_with(machine, after);
  return after;
}

void SnapshotStore::restore(Machine& machine, size_t index) {
  if (index >= snapshots_.size()) throw std::out_of_range("snapshot: no such snapshot");
  PhysicalMemory& memory = machine.memory();
  uint8_t wanted[kPageSize];
  for (uint64_t p : pages_that_may_differ(machine, index)) {
    uint8_t* host = memory.host(p * kPageSize);
    if (content_at(index, p, wanted)) {
      if (std::memcmp(host, wanted, kPageSize) == 0) continue;
      std::memcpy(host, wanted, kPageSize);
    } else {
      if (is_zero(host)) continue;
      std::memset(host, 0, kPageSize);
    }
    memory.mark_page_written(p);  // digests and write tracking see the change
  }
  machine.restore_state(snapshots_[index].state);  // the rest; flushes the TLB and code cache
  synced_with(machine, index);
}

void SnapshotStore::drop(size_t index) {
  if (index == 0 || index + 1 >= snapshots_.size())
    throw std::invalid_argument("snapshot: the first and the newest snapshot are always kept");
  // The next snapshot takes over the pages it did not change itself.
  const Snapshot& gone = snapshots_[index];
  merge_into(snapshots_[index + 1], gone.pages, [&](Snapshot& merged, const StoredPage& sp) {
    add_compressed(merged, sp.page, gone.data.data() + sp.offset, sp.length);
  });
  bytes_ -= gone.bytes();
  snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(index));
  if (synced_) {
    if (*synced_ == index)
      synced_.reset();  // its memory can no longer be described
    else if (*synced_ > index)
      --*synced_;
  }
}

}  // namespace rw::snapshots
