#pragma once

#include <cstdint>
#include <string>

namespace rw::cli {

struct InfoOptions {
  std::string recording;
  bool events = false;  // the event table instead of the summary
  uint64_t from = 0;    // with events: the instruction counts listed
  uint64_t to = UINT64_MAX;
  bool json = false;    // for scripts: one JSON document
};

// `rewind info RECORDING [--events [--from A] [--to B]] [--json]`: what a recording holds,
// or its events (state digests and idle wakes left out), numbered as `monitor events`
// numbers them. Returns the exit status.
int info_command(const InfoOptions& options);

}  // namespace rw::cli
