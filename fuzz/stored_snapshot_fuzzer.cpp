// A stored snapshot (a recording's 'SNAP' payload, snapshots/snapshot_encoding.cpp) from
// arbitrary bytes, into a store over a small machine: refused with std::invalid_argument or
// taken, never anything else, and a refused one changes neither the store nor the machine.
//
// Random bytes rarely get past the first fields, so most inputs are edits of a valid snapshot
// (taken once from the machine): the input's first byte even, then pairs of (offset, byte)
// written into it and a length to cut it to; odd, the rest of the input is the payload itself.
// The state archives inside reach Machine::check_state (bounded parsing, device checks).
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "machine/machine.h"
#include "snapshots/snapshot_store.h"

namespace {

rw::Machine& machine() {
  static rw::Machine* m = [] {
    rw::MachineConfig config;
    config.memory_bytes = 2u << 20;
    config.serial_out = nullptr;
    auto* made = new rw::Machine(config);
    made->enter_multiboot(0x100000, 0x9500);
    std::vector<uint8_t> page(4096);
    for (size_t i = 0; i < page.size(); ++i) page[i] = static_cast<uint8_t>(i * 7);
    for (uint64_t p : {0x100u, 0x101u, 0x180u}) made->memory().write(p * 4096, page.data(), page.size());
    return made;
  }();
  return *m;
}

const std::string& valid_snapshot() {
  static const std::string bytes = [] {
    rw::snapshots::SnapshotStore store;
    store.take(machine());
    return store.encode(0);
  }();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string payload;
  if (size > 0 && (data[0] & 1)) {
    payload.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  } else {
    payload = valid_snapshot();
    size_t at = 1;
    for (; at + 3 <= size; at += 3) {
      const size_t offset = (size_t{data[at]} | size_t{data[at + 1]} << 8) % payload.size();
      payload[offset] = static_cast<char>(data[at + 2]);
    }
    if (at + 2 <= size) payload.resize((size_t{data[at]} | size_t{data[at + 1]} << 8) % (payload.size() + 1));
  }
  rw::Machine& m = machine();
  const rw::MachineState before = m.save_state();
  rw::snapshots::SnapshotStore store;
  try {
    store.append_encoded(payload, m);
    FUZZ_CHECK(store.size() == 1);
    store.restore(m, 0);  // a snapshot taken must restore
    m.restore_state(before);
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(store.size() == 0 && std::strlen(e.what()) > 0);
    FUZZ_CHECK(m.save_state() == before);
  }
  return 0;
}
