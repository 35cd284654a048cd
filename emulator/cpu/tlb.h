// Software TLB: linear page -> host pointer, one table per access kind and privilege.
// An entry exists only where the access is allowed, so a hit needs no further checks.
#pragma once

#include <cstdint>

namespace rw::cpu {

enum Access : uint8_t { kRead = 0, kWrite = 1, kExec = 2 };

struct TlbEntry {
  uint64_t tag = ~uint64_t{0};  // linear address >> 12
  uint8_t* host = nullptr;      // host address of the page
  uint64_t phys = 0;            // guest physical address of the page
};

struct Tlb {
  static constexpr unsigned kSize = 256;
  TlbEntry entries[2][3][kSize];  // [user][access][index]
  TlbEntry (*current)[kSize] = entries[0];
  // Bumped whenever translations or privilege may have changed: links between
  // decoded traces are trusted only within one generation.
  uint64_t generation = 0;

  static unsigned index(uint64_t lin) { return (lin >> 12) & (kSize - 1); }

  void set_user(bool user) { current = entries[user ? 1 : 0]; }

  void flush() {
    ++generation;
    for (auto& priv : entries)
      for (auto& kind : priv)
        for (auto& e : kind) e.tag = ~uint64_t{0};
  }
  void flush_writes() {
    for (auto& priv : entries)
      for (auto& e : priv[kWrite]) e.tag = ~uint64_t{0};
  }
  void flush_page(uint64_t lin) {
    ++generation;
    unsigned i = index(lin);
    for (auto& priv : entries)
      for (auto& kind : priv)
        if (kind[i].tag == (lin >> 12)) kind[i].tag = ~uint64_t{0};
  }
};

}  // namespace rw::cpu
