#include "web/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "cpu/cpu.h"
#include "cpu/registers.h"
#include "journal/event_index.h"
#include "journal/event_json.h"
#include "session/session.h"
#include "timeline/timeline.h"
#include "web/disassembly.h"
#include "web/limits.h"
#include "web/request.h"

namespace rw::web {

namespace {

std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }

Response json_response(const nlohmann::json& j, int status = 200) {
  // The guest's output need not be UTF-8: bytes that are not become U+FFFD.
  return Response{status, "application/json", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

// from, to, cursor, limit (shared by the paged lists); false with an error answer.
struct Page {
  uint64_t from = 0, to = UINT64_MAX, cursor = 0, limit = kMaxEventsPerAnswer;
};
bool page_parameter(const std::string& name, const std::string& value, Page& page, bool& ok) {
  if (name == "from") ok = parse_u64(value, page.from);
  else if (name == "to") ok = parse_u64(value, page.to);
  else if (name == "cursor") ok = parse_u64(value, page.cursor) && page.cursor > 0;
  else if (name == "limit") ok = parse_u64(value, page.limit) && page.limit > 0;
  else return false;
  return true;
}

// The kinds /api/events lists (the journal's deliveries; digests and idle wakes are not
// listed by the event index).
bool known_kind(std::string_view kind) {
  return kind == "disk_completion" || kind == "serial_input" || kind == "debugger_write";
}

}  // namespace

Response error_response(int status, const std::string& message) {
  return json_response({{"error", message}}, status);
}

Api::Api(session::Session& session, Description description, Control& control)
    : session_(session), description_(std::move(description)), control_(control) {}

const SerialLog& Api::serial_log() const {
  if (const Timeline* t = session_.timeline()) serial_.update(t->outputs());
  return serial_;
}

Response Api::handle(std::string_view method, std::string_view target, std::string_view body) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  const bool get = method == "GET", post = method == "POST";
  auto only = [&](bool ok, const char* allowed) {
    return ok ? Response{} : error_response(405, fmt::format("{} takes {} only", path, allowed));
  };
  if (path == "/api/summary") return get ? summary() : only(false, "GET");
  if (path == "/api/events") return get ? events(query) : only(false, "GET");
  if (path == "/api/state") return get ? state() : only(false, "GET");
  if (path == "/api/seek") return post ? seek(body) : only(false, "POST");
  if (path == "/api/pause" || path == "/api/resume") {
    if (!post) return only(false, "POST");
    const std::string refusal = path == "/api/pause" ? control_.pause() : control_.resume();
    if (!refusal.empty()) return error_response(409, refusal);
    return json_response(live_status());
  }
  if (path == "/api/serial") return get ? serial(query) : only(false, "GET");
  if (path == "/api/interrupts") return get ? interrupts(query) : only(false, "GET");
  return error_response(404, fmt::format("no such API: {}", path));
}

nlohmann::json Api::live_status() const {
  const Timeline* t = session_.timeline();
  nlohmann::json j = {{"type", "status"},
                      {"icount", session_.machine().cpu().icount},
                      {"end", t ? t->end() : session_.machine().cpu().icount},
                      {"running", control_.running()},
                      {"debugger", control_.debugger_attached()},
                      {"events", t ? t->event_index().size() : 0},
                      {"serial", serial_log().lines().size()},
                      {"interrupts", t ? t->outputs().cpu.size() : 0}};
  if (std::optional<Ending> e = control_.ending()) j["ended"] = true;
  // Whether the page may seek changes without anything else changing (gdb's script says it
  // follows the page): the page's "Go here" follows this.
  const std::string refusal = control_.move_refusal();
  j["can_seek"] = refusal.empty();
  if (!refusal.empty()) j["seek_refusal"] = refusal;
  return j;
}

Response Api::summary() const {
  const Timeline* t = session_.timeline();
  nlohmann::json j;
  j["mode"] = description_.mode;
  j["guest"] = {{"path", description_.guest}, {"bits", session_.is64() ? 64 : 32}};
  if (!description_.recording.empty()) j["recording"] = description_.recording;
  j["disks"] = nlohmann::json::array();
  for (size_t i = 0; i < description_.disks.size(); ++i)
    if (!description_.disks[i].empty())
      j["disks"].push_back({{"position", journal::drive_name(static_cast<uint8_t>(i))},
                            {"drive", i},
                            {"path", description_.disks[i]}});
  const uint64_t now = session_.machine().cpu().icount;
  j["history"] = {{"start", 0}, {"end", t ? t->end() : now}, {"live", t ? t->live() : true}};
  j["position"] = now;
  j["running"] = control_.running();
  j["debugger"] = control_.debugger_attached();
  const std::string refusal = control_.move_refusal();
  j["can_seek"] = refusal.empty();
  if (!refusal.empty()) j["seek_refusal"] = refusal;
  j["events"] = t ? t->event_index().size() : 0;
  nlohmann::json snapshots = nlohmann::json::array();
  if (t)
    for (size_t i = 0; i < t->snapshot_count(); ++i) snapshots.push_back(t->snapshot_icount(i));
  j["snapshots"] = std::move(snapshots);
  if (std::optional<Ending> e = control_.ending())
    j["end"] = {{"icount", e->icount}, {"exit_status", e->exit_status}, {"message", e->message}};
  else
    j["end"] = nullptr;
  j["limits"] = {{"events_per_answer", kMaxEventsPerAnswer},
                 {"header_bytes", kMaxHeaderBytes},
                 {"body_bytes", kMaxBodyBytes},
                 {"clients", kMaxClients},
                 {"pushes_per_second", 1000 / kPushInterval.count()}};
  return json_response(j);
}

Response Api::events(std::string_view query) const {
  const auto params = parse_query(query);
  if (!params) return error_response(400, "malformed query string");
  Page page;
  std::vector<std::string> kinds;
  for (const auto& [name, value] : *params) {
    bool ok = true;
    if (page_parameter(name, value, page, ok)) {
    } else if (name == "kind") {
      for (size_t start = 0; start <= value.size();) {
        const size_t comma = std::min(value.find(',', start), value.size());
        kinds.push_back(value.substr(start, comma - start));
        if (!known_kind(kinds.back())) return error_response(400, fmt::format("unknown event kind '{}'", kinds.back()));
        start = comma + 1;
      }
    } else {
      return error_response(400, fmt::format("unknown parameter '{}' (from, to, kind, cursor, limit)", name));
    }
    if (!ok) return error_response(400, fmt::format("bad {} '{}': a whole number", name, value));
  }
  auto [from, to, cursor, limit] = page;
  if (from > to) return error_response(400, "from is after to");
  limit = std::min<uint64_t>(limit, kMaxEventsPerAnswer);
  nlohmann::json list = nlohmann::json::array();
  nlohmann::json out = {{"from", from}, {"to", to}};
  const Timeline* t = session_.timeline();
  size_t k = 0, total = 0;
  if (t) {
    const journal::EventIndex& index = t->event_index();
    total = index.size();
    // The cursor (an event number from an earlier answer's `next`) goes on where it stopped.
    k = cursor ? std::max<size_t>(index.first_at_or_after(from), static_cast<size_t>(std::min<uint64_t>(cursor - 1, total)))
               : index.first_at_or_after(from);
    for (; k < total && index.event(k).icount <= to; ++k) {
      if (list.size() == limit) break;
      const journal::Event& e = index.event(k);
      if (!kinds.empty() &&
          std::find(kinds.begin(), kinds.end(), journal::event_kind_key(e.kind)) == kinds.end())
        continue;
      list.push_back(journal::event_json(index, k));
    }
    if (k < total && index.event(k).icount <= to && list.size() == limit) out["next"] = k + 1;
  }
  if (!out.contains("next")) out["next"] = nullptr;
  out["total"] = total;
  out["events"] = std::move(list);
  return json_response(out);
}

Response Api::serial(std::string_view query) const {
  const auto params = parse_query(query);
  if (!params) return error_response(400, "malformed query string");
  Page page;
  for (const auto& [name, value] : *params) {
    bool ok = true;
    if (!page_parameter(name, value, page, ok))
      return error_response(400, fmt::format("unknown parameter '{}' (from, to, cursor, limit)", name));
    if (!ok) return error_response(400, fmt::format("bad {} '{}': a whole number", name, value));
  }
  if (page.from > page.to) return error_response(400, "from is after to");
  const uint64_t limit = std::min<uint64_t>(page.limit, kMaxEventsPerAnswer);
  const SerialLog& log = serial_log();
  const std::vector<SerialLog::Line>& lines = log.lines();
  size_t k = log.first_at_or_after(page.from);
  if (page.cursor) k = std::max(k, static_cast<size_t>(std::min<uint64_t>(page.cursor - 1, lines.size())));
  nlohmann::json list = nlohmann::json::array();
  for (; k < lines.size() && lines[k].icount <= page.to && list.size() < limit; ++k)
    list.push_back({{"number", k + 1}, {"start", lines[k].start}, {"icount", lines[k].icount}, {"text", lines[k].text}});
  nlohmann::json out = {{"from", page.from}, {"to", page.to}, {"total", lines.size()}};
  out["full_from"] = log.full_from() == journal::kNotFull ? nlohmann::json(nullptr) : nlohmann::json(log.full_from());
  out["next"] = k < lines.size() && lines[k].icount <= page.to ? nlohmann::json(k + 1) : nlohmann::json(nullptr);
  out["lines"] = std::move(list);
  return json_response(out);
}

namespace {

const char* cpu_event_kind_key(journal::CpuEventKind kind) {
  switch (kind) {
    case journal::CpuEventKind::kException: return "exception";
    case journal::CpuEventKind::kSoftware: return "software";
    case journal::CpuEventKind::kExternal: return "external";
  }
  return "?";
}

// The exceptions' mnemonics (SDM vol. 3, table 6-1); other vectors go by number.
std::string vector_name(const journal::CpuEvent& e) {
  static const char* const kNames[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", nullptr, "#TS",
                                         "#NP", "#SS", "#GP", "#PF", nullptr, "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
  if (e.kind == journal::CpuEventKind::kException && e.vector < 32 && kNames[e.vector]) return kNames[e.vector];
  if (e.kind == journal::CpuEventKind::kSoftware)
    return e.vector == 3 ? "INT3" : fmt::format("INT 0x{:x}", e.vector);
  return fmt::format("vector 0x{:x}", e.vector);
}

}  // namespace

Response Api::interrupts(std::string_view query) const {
  const auto params = parse_query(query);
  if (!params) return error_response(400, "malformed query string");
  Page page;
  bool want[3] = {true, true, true};
  for (const auto& [name, value] : *params) {
    bool ok = true;
    if (page_parameter(name, value, page, ok)) {
    } else if (name == "kind") {
      std::fill(std::begin(want), std::end(want), false);
      for (size_t start = 0; start <= value.size();) {
        const size_t comma = std::min(value.find(',', start), value.size());
        const std::string kind = value.substr(start, comma - start);
        if (kind == "exception") want[0] = true;
        else if (kind == "software") want[1] = true;
        else if (kind == "external") want[2] = true;
        else return error_response(400, fmt::format("unknown kind '{}' (exception, software, external)", kind));
        start = comma + 1;
      }
    } else {
      return error_response(400, fmt::format("unknown parameter '{}' (from, to, kind, cursor, limit)", name));
    }
    if (!ok) return error_response(400, fmt::format("bad {} '{}': a whole number", name, value));
  }
  if (page.from > page.to) return error_response(400, "from is after to");
  const uint64_t limit = std::min<uint64_t>(page.limit, kMaxEventsPerAnswer);
  static const journal::OutputIndex kNone;
  const Timeline* t = session_.timeline();
  const journal::OutputIndex& index = t ? t->outputs() : kNone;
  const std::vector<journal::CpuEvent>& all = index.cpu;
  size_t k = static_cast<size_t>(
      std::lower_bound(all.begin(), all.end(), page.from,
                       [](const journal::CpuEvent& e, uint64_t icount) { return e.icount < icount; }) -
      all.begin());
  if (page.cursor) k = std::max(k, static_cast<size_t>(std::min<uint64_t>(page.cursor - 1, all.size())));
  nlohmann::json list = nlohmann::json::array();
  for (; k < all.size() && all[k].icount <= page.to && list.size() < limit; ++k) {
    const journal::CpuEvent& e = all[k];
    if (!want[static_cast<size_t>(e.kind)]) continue;
    nlohmann::json j = {{"number", k + 1},           {"icount", e.icount},
                        {"kind", cpu_event_kind_key(e.kind)}, {"vector", e.vector},
                        {"name", vector_name(e)},    {"return_rip", hex(e.return_rip)}};
    if (e.has_error) j["error"] = hex(e.error);
    list.push_back(std::move(j));
  }
  nlohmann::json out = {{"from", page.from}, {"to", page.to}, {"total", all.size()}};
  out["full_from"] = index.cpu_full_from == journal::kNotFull ? nlohmann::json(nullptr) : nlohmann::json(index.cpu_full_from);
  out["next"] = k < all.size() && all[k].icount <= page.to ? nlohmann::json(k + 1) : nlohmann::json(nullptr);
  out["interrupts"] = std::move(list);
  return json_response(out);
}

Response Api::state() const {
  const cpu::Cpu& c = session_.machine().cpu();
  static const char* const kGpr[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  static const char* const kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};
  nlohmann::json regs = nlohmann::json::object();
  for (int i = 0; i < 16; ++i) regs[kGpr[i]] = hex(c.gpr[i]);
  regs["rip"] = hex(c.rip);
  regs["rflags"] = hex(cpu::get_rflags(c));
  for (int i = 0; i < 6; ++i) regs[kSeg[i]] = hex(c.seg[i].selector);
  regs["cr0"] = hex(c.cr0);
  regs["cr2"] = hex(c.cr2);
  regs["cr3"] = hex(c.cr3);
  regs["cr4"] = hex(c.cr4);
  regs["efer"] = hex(c.efer);
  const char* mode = c.code_size == cpu::CodeSize::k64 ? "64-bit" : c.code_size == cpu::CodeSize::k32 ? "32-bit" : "16-bit";
  nlohmann::json j = {{"icount", c.icount}, {"mode", mode}, {"cpl", c.cpl}, {"registers", regs}};
  const Disassembly d = disassemble_at_pc(session_.machine());
  nlohmann::json listing = nlohmann::json::array();
  for (const DisassembledInstruction& i : d.instructions) {
    std::string bytes;
    for (uint8_t b : i.bytes) bytes += fmt::format("{}{:02x}", bytes.empty() ? "" : " ", b);
    listing.push_back({{"address", hex(i.address)}, {"bytes", bytes}, {"text", i.text}});
  }
  j["disassembly"] = std::move(listing);
  if (!d.note.empty()) j["disassembly_note"] = d.note;
  return json_response(j);
}

Response Api::seek(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return error_response(400, "the body must be a JSON object: {\"icount\": N}");
  const auto it = j.find("icount");
  if (it == j.end() || !it->is_number_unsigned())
    return error_response(400, "\"icount\" must be a whole number of instructions");
  const uint64_t target = it->get<uint64_t>();
  Timeline* t = session_.timeline();
  if (!t) return error_response(409, "this run keeps no history (it was started with --no-record)");
  if (const std::string refusal = control_.move_refusal(); !refusal.empty()) return error_response(409, refusal);
  if (target > t->end())
    return json_response({{"error", fmt::format("icount {} is past the end of the recorded history ({})", target,
                                                t->end())},
                          {"end", t->end()}},
                         400);
  const Timeline::SeekResult result = t->seek(target);
  control_.moved(t->now());
  switch (result) {
    case Timeline::SeekResult::kOk: break;
    case Timeline::SeekResult::kBeyondEnd:
      return error_response(400, fmt::format("icount {} is past the end of the recorded history", target));
    case Timeline::SeekResult::kDiverged:
      return error_response(409, "the replay diverged from the recording on the way");
    case Timeline::SeekResult::kStopped:
      return error_response(409, fmt::format("the guest stopped at icount {}, before {}", t->now(), target));
  }
  return json_response(live_status());
}

}  // namespace rw::web
