#include "journal/event_json.h"

#include <algorithm>

namespace rw::journal {

const char* event_kind_key(EventKind kind) {
  switch (kind) {
    case EventKind::kBlockCompletion: return "disk_completion";
    case EventKind::kSerialInput: return "serial_input";
    case EventKind::kStateHash: return "state_digest";
    case EventKind::kIdleWake: return "idle_wake";
    case EventKind::kDebuggerWrite: return "debugger_write";
  }
  return "unknown";
}

nlohmann::json event_json(const EventIndex& index, size_t k) {
  const Event& e = index.event(k);
  nlohmann::json row = {{"number", k + 1}, {"icount", e.icount}, {"kind", event_kind_key(e.kind)}};
  switch (e.kind) {
    case EventKind::kBlockCompletion:
      row["drive"] = drive_name(e.device);
      row["request"] = e.id;
      row["status"] = e.status == 0 ? "ok" : "failed";
      if (const RequestStart* r = index.request_of(k)) {
        row["operation"] = operation_name(r->op);
        row["lba"] = r->lba;
        row["sectors"] = r->count;
        row["started"] = r->icount;
        row["latency"] = e.icount - std::min(e.icount, r->icount);
      }
      if (index.same_boundary_as_previous(k)) row["same_boundary_as"] = k;
      break;
    case EventKind::kSerialInput: row["byte"] = e.id & 0xFF; break;
    case EventKind::kDebuggerWrite:
      row["target"] = e.device == 0 ? "memory" : "register";
      if (e.device == 0) {
        row["physical_address"] = e.id;
        row["bytes"] = e.status;
      } else {
        row["register"] = e.id;
      }
      break;
    case EventKind::kStateHash:
    case EventKind::kIdleWake: break;
  }
  return row;
}

}  // namespace rw::journal
