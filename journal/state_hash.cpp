#include "journal/state_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <map>

#include "block/disks.h"
#include "block/overlay.h"
#include "journal/checksum.h"
#include "machine/machine.h"

namespace rw::journal {
namespace {

uint64_t mix_page(uint64_t page, uint64_t hash) {
  uint64_t x = (page + 1) * 0x9E3779B97F4A7C15ull ^ hash;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 29);
}

uint64_t hash_words(HashAlgorithm algorithm, const std::vector<uint64_t>& words) {
  return hash64(algorithm, words.data(), words.size() * sizeof(uint64_t));
}

}  // namespace

const std::vector<std::string>& cpu_register_names() { return Machine::cpu_state_names(); }

uint64_t StateDigest::combined() const {
  std::vector<uint64_t> w = cpu;
  w.insert(w.end(), devices.begin(), devices.end());
  w.push_back(memory);
  return hash_words(algorithm, w);
}

Event StateDigest::to_event() const {
  Event e;
  e.icount = icount;
  e.kind = EventKind::kStateHash;
  e.id = combined();
  e.data.push_back(cpu.size());
  e.data.insert(e.data.end(), cpu.begin(), cpu.end());
  e.data.push_back(devices.size());
  e.data.insert(e.data.end(), devices.begin(), devices.end());
  e.data.push_back(memory);
  for (const auto& [page, hash] : pages) {
    e.data.push_back(page);
    e.data.push_back(hash);
  }
  return e;
}

bool StateDigest::from_event(const Event& e, HashAlgorithm algorithm, StateDigest& out) {
  // Layout: ncpu, cpu..., ndevices, devices..., memory, (page, hash)...
  const auto& d = e.data;
  if (e.kind != EventKind::kStateHash || d.empty() || d[0] > d.size() - 1) return false;
  size_t n = d[0];
  size_t pos = 1 + n;
  if (pos >= d.size() || d[pos] > d.size() - pos - 2) return false;
  size_t ndev = d[pos];
  size_t mem_at = pos + 1 + ndev;
  if ((d.size() - mem_at - 1) % 2 != 0) return false;
  out = StateDigest{};
  out.algorithm = algorithm;
  out.icount = e.icount;
  out.cpu.assign(d.begin() + 1, d.begin() + 1 + static_cast<long>(n));
  out.devices.assign(d.begin() + static_cast<long>(pos + 1), d.begin() + static_cast<long>(mem_at));
  out.memory = d[mem_at];
  for (size_t i = mem_at + 1; i + 1 < d.size(); i += 2) out.pages.emplace_back(d[i], d[i + 1]);
  return true;
}

StateHasher::StateHasher(Machine& machine, HashAlgorithm algorithm) : machine_(machine), algorithm_(algorithm) {
  const std::vector<uint8_t> zero(4096, 0);
  page_hash_.assign(machine.memory().page_count(), hash64(algorithm, zero.data(), zero.size()));
  for (uint64_t p = 0; p < page_hash_.size(); ++p) memory_sum_ += mix_page(p, page_hash_[p]);
}

StateDigest StateHasher::digest() {
  PhysicalMemory& mem = machine_.memory();
  StateDigest d;
  d.algorithm = algorithm_;
  d.icount = machine_.cpu().icount;
  d.cpu = machine_.cpu_state_words();
  for (const auto& dev : machine_.device_states()) {
    d.devices.push_back(hash_words(algorithm_, dev.words));
    d.device_names.push_back(dev.name);
  }
  static constexpr const char* kOverlayNames[] = {"disk0 contents", "disk1 contents", "disk2 contents",
                                                  "disk3 contents"};
  if (block::Disks* disks = machine_.disks()) {
    // The group's sector mask, then its sectors: hashed in one go.
    std::vector<uint8_t> group(1 + block::Overlay::kGroupSectors * block::kSectorSize);
    for (int p = 0; p < block::Disks::kPositions; ++p) {
      block::BlockDevice* dev = disks->device(p);
      if (!dev) continue;
      block::Overlay& overlay = dev->mutable_overlay();
      OverlayHash& o = overlays_[static_cast<size_t>(p)];
      const std::vector<uint64_t> groups =
          o.last_epoch ? overlay.groups_written_since(o.last_epoch) : overlay.groups();
      for (uint64_t g : groups) {
        const uint8_t mask = overlay.read_group(g, group.data() + 1);
        group[0] = mask;
        // A group without sectors counts nothing.
        const size_t len = 1 + static_cast<size_t>(std::popcount(mask)) * block::kSectorSize;
        const uint64_t hash = mask ? hash64(algorithm_, group.data(), len) : 0;
        auto it = o.group_hash.find(g);
        const uint64_t old = it == o.group_hash.end() ? 0 : it->second;
        if (hash == old) continue;
        o.sum += (hash ? mix_page(g, hash) : 0) - (old ? mix_page(g, old) : 0);
        if (hash)
          o.group_hash[g] = hash;
        else
          o.group_hash.erase(it);
      }
      o.last_epoch = overlay.new_write_epoch();
      d.devices.push_back(o.sum);
      d.device_names.push_back(kOverlayNames[p]);
    }
  }
  for (uint64_t p = 0; p < page_hash_.size(); ++p) {
    if (mem.page_write_epoch(p) < last_epoch_) continue;
    const uint64_t hash = hash64(algorithm_, mem.host(p << 12), 4096);
    if (hash == page_hash_[p]) continue;
    memory_sum_ += mix_page(p, hash) - mix_page(p, page_hash_[p]);
    page_hash_[p] = hash;
    d.pages.emplace_back(p, hash);
  }
  d.memory = memory_sum_;
  last_epoch_ = machine_.begin_write_epoch();
  return d;
}

std::vector<std::string> describe_differences(const StateDigest& a, const StateDigest& b) {
  std::vector<std::string> out;
  const auto& names = cpu_register_names();
  for (size_t i = 0; i < a.cpu.size() && i < b.cpu.size(); ++i)
    if (a.cpu[i] != b.cpu[i])
      out.push_back(fmt::format("register {}: recorded 0x{:x}, replayed 0x{:x}", i < names.size() ? names[i] : "?",
                                a.cpu[i], b.cpu[i]));
  for (size_t i = 0; i < std::max(a.devices.size(), b.devices.size()); ++i) {
    bool same = i < a.devices.size() && i < b.devices.size() && a.devices[i] == b.devices[i];
    if (!same) out.push_back(fmt::format("device {}: state differs", i < b.device_names.size() ? b.device_names[i] : "?"));
  }
  if (a.memory != b.memory) {
    std::map<uint64_t, uint64_t> ra(a.pages.begin(), a.pages.end()), rb(b.pages.begin(), b.pages.end());
    std::vector<uint64_t> differing;
    for (const auto& [page, hash] : ra)
      if (!rb.count(page) || rb[page] != hash) differing.push_back(page);
    for (const auto& [page, hash] : rb)
      if (!ra.count(page)) differing.push_back(page);
    std::string list;
    for (size_t i = 0; i < differing.size() && i < 16; ++i)
      list += fmt::format("{}0x{:x}", i ? ", " : "", differing[i] << 12);
    if (differing.size() > 16) list += fmt::format(" and {} more", differing.size() - 16);
    out.push_back(differing.empty() ? "memory differs (in pages written before the previous check)"
                                    : "memory differs in the pages at " + list);
  }
  return out;
}

}  // namespace rw::journal
