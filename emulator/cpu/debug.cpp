#include "cpu/debug.h"

#include <algorithm>
#include <utility>

#include "cpu/code_cache.h"
#include "cpu/mmu.h"
#include "memory/physical_memory.h"

namespace rw::cpu {

void debug_changed(Cpu& cpu) {
  if (DebugState* d = cpu.debug) {
    d->changed = false;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    ranges.reserve(d->watchpoints.size());
    for (const Watchpoint& w : d->watchpoints) ranges.emplace_back(w.addr >> 12, w.last() >> 12);
    std::sort(ranges.begin(), ranges.end());
    d->watched_pages.clear();
    for (const auto& [first, last] : ranges) {
      auto it = d->watched_pages.empty() ? d->watched_pages.end() : std::prev(d->watched_pages.end());
      if (it != d->watched_pages.end() && (it->second == ~uint64_t{0} || first <= it->second + 1))
        it->second = std::max(it->second, last);
      else
        d->watched_pages.emplace(first, last);
    }
  }
  cpu.code->flush(cpu);
  cpu.tlb.flush();
}

void check_watchpoints(Cpu& cpu, uint64_t lin, unsigned size, bool write) {
  DebugState& d = *cpu.debug;
  for (const Watchpoint& w : d.watchpoints) {
    bool kind_matches = write ? w.kind != WatchKind::kRead : w.kind != WatchKind::kWrite;
    if (!kind_matches || lin + (size - 1) < w.addr || w.last() < lin) continue;
    if (!d.watch_hit) {
      d.watch_hit = true;
      d.stop.address = w.addr;
      d.stop.watch_kind = w.kind;
      d.stop.access_icount = cpu.icount;
    }
    return;
  }
}

bool debug_translate(Cpu& cpu, uint64_t lin, uint64_t& phys) {
  constexpr uint64_t kP = 1, kPS = 0x80, kAddrBits = 0x000FFFFFFFFFF000ull;
  if (!cpu.long_mode()) lin &= 0xFFFFFFFF;
  // What the CPU would reach, through the A20 gate too.
  if (!cpu.paging()) {
    phys = lin & cpu.a20_mask;
    return true;
  }
  const bool wide = cpu.long_mode() || (cpu.cr4 & cr4::PAE);
  auto entry = [&](uint64_t pa) -> uint64_t {
    pa &= cpu.a20_mask;
    return wide ? phys_read<uint64_t>(cpu, pa) : phys_read<uint32_t>(cpu, pa);
  };
  uint64_t table;
  int shift;
  if (cpu.long_mode()) {
    if (static_cast<uint64_t>(static_cast<int64_t>(lin << 16) >> 16) != lin) return false;
    table = cpu.cr3 & kAddrBits;
    shift = 39;
  } else if (wide) {
    uint64_t pdpte = phys_read<uint64_t>(cpu, ((cpu.cr3 & 0xFFFFFFE0) + ((lin >> 30) & 3) * 8) & cpu.a20_mask);
    if (!(pdpte & kP)) return false;
    table = pdpte & kAddrBits;
    shift = 21;
  } else {
    table = cpu.cr3 & 0xFFFFF000;
    shift = 22;
  }
  for (;; shift -= wide ? 9 : 10) {
    uint64_t index = (lin >> shift) & (wide ? 511 : 1023);
    uint64_t e = entry(table + index * (wide ? 8 : 4));
    if (!(e & kP)) return false;
    bool large = shift != 12 && (e & kPS) && (wide ? shift != 39 : (cpu.cr4 & cr4::PSE) != 0);
    if (shift == 12 || large) {
      uint64_t size = uint64_t{1} << shift;
      uint64_t frame;
      if (wide)
        frame = (e & kAddrBits) & ~(size - 1);
      else if (large)
        frame = (e & 0xFFC00000) | ((e & 0x001FE000) << 19);
      else
        frame = e & 0xFFFFF000;
      phys = (frame + (lin & (size - 1))) & cpu.a20_mask;
      return true;
    }
    table = wide ? (e & kAddrBits) : (e & 0xFFFFF000);
  }
}

// --- the debugger's interface (cpu/debugger.h) ---

bool Debugger::add_breakpoint(uint64_t addr) {
  DebugState& d = *state_;
  if (!d.breakpoints.count(addr) && d.breakpoints.size() >= kMaxBreakpoints) return false;
  if (d.breakpoints.insert(addr).second) d.changed = true;
  return true;
}

void Debugger::remove_breakpoint(uint64_t addr) {
  if (state_->breakpoints.erase(addr)) state_->changed = true;
}

size_t Debugger::breakpoint_count() const { return state_->breakpoints.size(); }

bool Debugger::add_watchpoint(const Watchpoint& w) {
  if (state_->watchpoints.size() >= kMaxWatchpoints) return false;
  state_->watchpoints.push_back(w);
  state_->changed = true;
  return true;
}

bool Debugger::remove_watchpoint(const Watchpoint& w) {
  auto& all = state_->watchpoints;
  auto it = std::find(all.begin(), all.end(), w);
  if (it == all.end()) return false;
  all.erase(it);
  state_->changed = true;
  return true;
}

void Debugger::clear() {
  state_->breakpoints.clear();
  state_->watchpoints.clear();
  state_->catch_all_exceptions = false;
  state_->changed = true;
}

void Debugger::set_catch_all_exceptions(bool on) { state_->catch_all_exceptions = on; }
bool Debugger::catch_all_exceptions() const { return state_->catch_all_exceptions; }
void Debugger::set_step_over_breakpoint(bool on) { state_->skip_breakpoint_once = on; }
void Debugger::set_stop_after_delivery(bool on) { state_->stop_after_delivery = on; }
const DebugStop& Debugger::stop() const { return state_->stop; }

}  // namespace rw::cpu
