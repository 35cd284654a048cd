// Machine state digests for divergence detection: the recorder journals one every N
// instructions, replay computes its own at the same instruction and compares. A
// digest keeps enough detail to say what differs: every CPU register, a hash of each
// device's state, a hash of each disk's contents, and the hash of each memory page written
// since the previous digest. CPU and devices are what a snapshot restores, from the same
// description (Machine::cpu_state_words, Machine::device_states); memory and the disks'
// overlays are hashed incrementally, from their write epochs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "journal/recording_format.h"

namespace rw {
class Machine;
}

namespace rw::journal {

struct StateDigest {
  uint64_t icount = 0;
  std::vector<uint64_t> cpu;  // in the order of cpu_register_names()
  // One hash per device state part, in Machine::device_states() order, then one per disk
  // attached: its overlay's contents (the guest's writes).
  std::vector<uint64_t> devices;
  std::vector<std::string> device_names;  // not journaled: filled in from the machine
  uint64_t memory = 0;  // all of RAM
  std::vector<std::pair<uint64_t, uint64_t>> pages;  // (page number, hash) written since the last digest
  // What made the hashes above, and makes combined(): the recording's (not journaled).
  HashAlgorithm algorithm = HashAlgorithm::kXxh3;

  uint64_t combined() const;
  Event to_event() const;
  // A journaled digest, of a recording whose hashes `algorithm` makes.
  static bool from_event(const Event& e, HashAlgorithm algorithm, StateDigest& out);
};

const std::vector<std::string>& cpu_register_names();

class StateHasher {
 public:
  // `algorithm`: a live run's is always the current one; a replay's, its recording's
  // (hash_algorithm_for), so that the digests of an older recording still match.
  explicit StateHasher(Machine& machine, HashAlgorithm algorithm = HashAlgorithm::kXxh3);
  // Digest of the machine now. Pages and overlay sector groups written since the previous
  // call are rehashed: a digest costs what changed, not the size of memory or disks.
  StateDigest digest();

 private:
  // A disk's overlay, hashed as memory is: a sum over its sector groups.
  struct OverlayHash {
    std::unordered_map<uint64_t, uint64_t> group_hash;  // groups holding sectors
    uint64_t sum = 0;
    uint32_t last_epoch = 0;  // 0: nothing hashed yet
  };
  Machine& machine_;
  HashAlgorithm algorithm_;
  std::vector<uint64_t> page_hash_;
  uint64_t memory_sum_ = 0;
  uint32_t last_epoch_ = 1;  // pages never written (epoch 0) are zero: already hashed as such
  std::array<OverlayHash, 4> overlays_;  // per ATA position
};

// One line per difference (device names from `replayed`), e.g. "rax: recorded 0x1, replayed 0x2", "memory page 0x1f3".
std::vector<std::string> describe_differences(const StateDigest& recorded, const StateDigest& replayed);

}  // namespace rw::journal
