// One journaled event as JSON, for scripts (`rewind info --events --json`) and the web
// timeline's API (web/api.cpp): the same shape in both.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "journal/event_index.h"

namespace rw::journal {

// "disk_completion", "serial_input", "state_digest", "idle_wake", "debugger_write".
const char* event_kind_key(EventKind kind);

// The listed event at `index` (0-based; its number is index + 1): number, icount, kind, and
// what it delivered (a disk completion with its request's start when the index has it).
nlohmann::json event_json(const EventIndex& index, size_t k);

}  // namespace rw::journal
